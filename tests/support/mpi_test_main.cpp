// The shared main of MPI tests: starts the Runtime (the worker ranks serve tasks inside its
// constructor and exit with their own status, which mpirun folds into the job's), then runs the
// Catch2 session on the driver.
#include "catch2_session.hpp"
#include "multirank/runtime.hpp"

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  return multirank::testing::run_catch2(argc, argv);
}
