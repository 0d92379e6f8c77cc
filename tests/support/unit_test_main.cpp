// Main of the tests that need no MPI ranks.
#include "catch2_session.hpp"

int main(int argc, char** argv) { return multirank::testing::run_catch2(argc, argv); }
