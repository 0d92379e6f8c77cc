// Article section 5's advice, "lock around shared resources", shown: four processes add to one
// shared counter. Without the lock, a read and the write after it interleave with other
// processes' and updates are lost; with it, the count is exact. Exit status 0 when exact.
//   example_lock              uses the lock
//   example_lock --no-lock    does not, and shows the lost updates
#include <chrono>
#include <cstring>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "multirank/multirank.hpp"

constexpr int processes = 4;
constexpr int increments = 50;

void add(multirank::Value<int> counter, bool use_lock) {
  for (int i = 0; i < increments; ++i) {
    std::unique_lock<multirank::RLock> hold(counter.get_lock(), std::defer_lock);
    if (use_lock) hold.lock();
    const int seen = counter.get();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // some work between read and write
    counter.set(seen + 1);
  }
}
MULTIRANK_TASK(add);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  const bool use_lock = !(argc > 1 && std::strcmp(argv[1], "--no-lock") == 0);
  multirank::Value<int> counter(0);
  std::vector<multirank::Process> adders;
  for (int p = 0; p < processes; ++p) adders.emplace_back(add, counter, use_lock).start();
  for (auto& p : adders) p.join();
  const int expected = processes * increments;
  std::cout << (use_lock ? "With" : "Without") << " the lock: counter = " << counter.get()
            << " (expected " << expected << ")" << std::endl;
  return counter.get() == expected ? 0 : 1;
}
