// Two programs with different task registries, started together (MPMD): start-up must refuse
// to run and say which tasks differ.
#include "multirank/multirank.hpp"

int shared_task(int x) { return x; }
MULTIRANK_TASK(shared_task);
#ifdef MULTIRANK_TEST_EXTRA_TASK
int extra_task(int x) { return x + 1; }
MULTIRANK_TASK(extra_task);
#endif

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor;
  return executor.submit(shared_task, 0).result();
}
