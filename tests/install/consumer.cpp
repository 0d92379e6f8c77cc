// The install tests' consumer (tests/install/consume.sh): a task run through an Executor; prints 49.
#include <iostream>
#include <multirank/multirank.hpp>

int square(int x) { return x * x; }
MULTIRANK_TASK(square);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor;
  std::cout << executor.submit(square, 7).result() << "\n";
}
