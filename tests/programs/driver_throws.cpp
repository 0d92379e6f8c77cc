// A driver that throws out of main while workers are busy: the job must end at once with the
// message, not hang (checked by tests/support/expect_exit.sh under a timeout).
#include <chrono>
#include <stdexcept>
#include <thread>

#include "multirank/multirank.hpp"

int nap(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return milliseconds;
}
MULTIRANK_TASK(nap);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor;
  std::vector<multirank::Future<int>> futures;
  for (int i = 0; i < 8; ++i) futures.push_back(executor.submit(nap, 60'000));
  throw std::runtime_error("the driver gave up on purpose");
}
