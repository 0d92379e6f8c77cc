// Catch2's own implementation (v2 is a single header that compiles it where CATCH_CONFIG_RUNNER
// is defined), in one object every test links, instead of once in each test's main: it was the
// slowest file of the build (about 90 s apiece under ASan+UBSan on the 2-core VM).
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "catch2_session.hpp"

int multirank::testing::run_catch2(int argc, char** argv) {
  return Catch::Session().run(argc, argv);
}
