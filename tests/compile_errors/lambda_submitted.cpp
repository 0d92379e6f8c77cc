// Refused: a lambda given to Executor::submit. Its captures cannot cross ranks.
#include "multirank/multirank.hpp"

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor;
  const int factor = 2;
  return executor.submit([factor](int x) { return x * factor; }, 21).result() == 42 ? 0 : 1;
}
