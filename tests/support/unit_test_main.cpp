// Main of the tests that need no MPI ranks.
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
