// A worker rank dies (SIGKILL) in the middle of a run: the driver notices, names the rank, runs
// the lost tasks again on the others (retries) and finishes the work, with an Executor map and a
// Pool map, as long as a worker rank is left to run them. With `--always`, the task kills every
// worker rank it lands on: it is reported with its id and arguments, not retried for ever. Marker
// files in a fresh /tmp directory make "once" once (the ranks share a node). The driver rank never
// kills itself.
//   worker_killed [--always | --rank R]
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "multirank/multirank.hpp"

/// Sleeps a little; the first time item `victim` runs (anywhere), its rank kills itself. A
/// negative `victim` names rank -victim instead: the first task to run there kills it.
int work(int item, int victim, std::string marker) {
  const int rank = multirank::Runtime::current().rank();
  const bool chosen = victim >= 0 ? item == victim : rank == -victim;
  if (chosen && rank != 0 &&
      (marker.empty() || ::open(marker.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0600) >= 0)) {
    ::kill(::getpid(), SIGKILL);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  return item * 2;
}
MULTIRANK_TASK(work);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  char pattern[] = "/tmp/worker_killed.XXXXXX";
  if (::mkdtemp(pattern) == nullptr) {
    std::cerr << "worker_killed: cannot make a directory in /tmp: " << std::strerror(errno) << "\n";
    return 2;
  }
  const std::string marker_dir = pattern;
  const bool always = argc > 1 && std::strcmp(argv[1], "--always") == 0;
  // --rank R: the first task on rank R kills it (a chosen rank of the dispatch tree: a relay, or
  // a rank behind one).
  const bool chosen_rank = argc > 2 && std::strcmp(argv[1], "--rank") == 0;
  const int executor_victim = chosen_rank ? -std::stoi(argv[2]) : 17;
  const int pool_victim = chosen_rank ? -std::stoi(argv[2]) : 41;
  if (always) {
    multirank::Executor executor;
    executor.set_retries(1);
    auto doomed = executor.submit(work, 3, 3, std::string());  // kills each rank it runs on
    auto fine = executor.submit(work, 4, 3, std::string());
    try {
      doomed.result();
      std::cout << "doomed task returned" << std::endl;
    } catch (const multirank::WorkerLost& e) {
      std::cout << "doomed task failed: " << e.what() << std::endl;
    }
    std::cout << "other task: " << fine.result() << std::endl;
    std::filesystem::remove_all(marker_dir);
    return 0;
  }
  std::vector<int> items(60);
  for (int i = 0; i < 60; ++i) items[static_cast<std::size_t>(i)] = i;
  {
    multirank::Executor executor;
    std::vector<std::tuple<int, int, std::string>> args;
    for (int i : items) args.emplace_back(i, executor_victim, marker_dir + "/executor");
    long sum = 0;
    int count = 0;
    for (int value : executor.starmap(work, args)) {
      sum += value;
      ++count;
    }
    std::cout << "executor: " << count << " results, sum " << sum
              << ", lost worker ranks: " << runtime.lost_worker_ranks() << std::endl;
  }
  {
    // With two worker ranks the pool's loss is the last one: what ran there never runs on the
    // driver (it may be what killed the rank), so the map fails with WorkerLost.
    multirank::Pool pool;
    std::vector<std::tuple<int, int, std::string>> args;
    for (int i = 0; i < 60; ++i) args.emplace_back(i, pool_victim, marker_dir + "/pool");
    try {
      const auto results = pool.starmap(work, args);
      long sum = 0;
      for (int value : results) sum += value;
      std::cout << "pool: " << results.size() << " results, sum " << sum << std::endl;
    } catch (const multirank::WorkerLost& e) {
      std::cout << "pool: failed: " << e.what() << std::endl;
    }
  }
  std::filesystem::remove_all(marker_dir);
}
