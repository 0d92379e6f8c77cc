// A job interrupted by SIGINT or SIGTERM (sent from outside by
// tests/support/interrupt_and_expect.sh): pending futures fail with Interrupted naming the signal,
// a running task finishes within the grace period (or the job ends without it), and the process
// exits with 128 + signal.
//   interrupted_job executor|pool [--catch]   a long map of short tasks; --catch: main catches
//   interrupted_job long MILLISECONDS         one task that runs that long, then many short ones
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "multirank/multirank.hpp"

int nap(int item) {
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return item;
}
MULTIRANK_TASK(nap);

int long_task(int milliseconds) {
  std::cout << "long task running" << std::endl;
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return 42;
}
MULTIRANK_TASK(long_task);

namespace {

std::vector<int> items(int count) {
  std::vector<int> values(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) values[static_cast<std::size_t>(i)] = i;
  return values;
}

/// Consumes `results`, printing "ready" after the first so the test knows the job is running.
template <class Results>
int consume(Results&& results) {
  int count = 0;
  for (int value : results) {
    (void)value;
    if (++count == 1) std::cout << "ready" << std::endl;
  }
  return count;
}

int run(const std::string& mode, int argc, char** argv) {
  const std::vector<int> args = items(2000);
  if (mode == "executor") {
    multirank::Executor executor;
    const int count = consume(executor.map(nap, args));
    std::cout << "all " << count << " done" << std::endl;
  } else if (mode == "pool") {
    multirank::Pool pool;
    const int count = consume(pool.imap_unordered(nap, args));
    std::cout << "all " << count << " done" << std::endl;
  } else if (mode == "long" && argc > 2) {
    multirank::Executor executor;
    auto running = executor.submit(long_task, std::atoi(argv[2]));
    std::vector<multirank::Future<int>> waiting;
    for (int i : items(200)) waiting.push_back(executor.submit(nap, i));
    const int result = running.result();
    std::cout << "long task result " << result << std::endl;
    try {
      waiting.back().result();
      std::cout << "a queued task ran after the interruption" << std::endl;
    } catch (const multirank::Interrupted& e) {
      std::cout << "queued task failed: " << e.what() << std::endl;
    }
  } else {
    std::cerr << "usage: interrupted_job executor|pool [--catch] | long MILLISECONDS\n";
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  const std::string mode = argc > 1 ? argv[1] : "";
  if (argc > 2 && std::string(argv[2]) == "--catch") {
    try {
      return run(mode, argc, argv);
    } catch (const multirank::Interrupted& e) {
      std::cout << "caught: " << e.what() << std::endl;
      return 0;  // the Runtime still ends the process with 128 + signal
    }
  }
  return run(mode, argc, argv);
}
