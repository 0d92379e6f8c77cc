// The shared main of MPI tests: starts the Runtime (the worker ranks serve tasks inside its
// constructor and exit with their own status, which mpirun folds into the job's), then runs the
// Catch2 session on the driver.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include "multirank/runtime.hpp"

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  return Catch::Session().run(argc, argv);
}
