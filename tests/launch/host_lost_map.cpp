// An Executor map across namespace hosts while the test takes a worker host away: once an eighth
// of the results are in, the driver creates MARKER (the test's cue to take the host) and goes on
// consuming. Every result must still come back, each exactly what the task computes; the driver
// names the lost ranks on stderr. Exit status 0 when every result is there and exact.
//   host_lost_map TASKS MARKER
#include <chrono>
#include <fstream>
#include <iostream>
#include <ranges>
#include <string>
#include <thread>

#include "multirank/multirank.hpp"

/// Long enough that every worker rank always has a task in flight, so the host takes some with it.
long square_slowly(int x) {
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  return static_cast<long>(x) * x;
}
MULTIRANK_TASK(square_slowly);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  if (argc != 3 || std::stoi(argv[1]) < 8) {
    std::cerr << "usage: host_lost_map TASKS MARKER (TASKS at least 8)\n";
    return 2;
  }
  const int tasks = std::stoi(argv[1]);
  const std::string marker = argv[2];
  multirank::Executor executor;
  int count = 0;
  int wrong = 0;
  for (long y : executor.map(square_slowly, std::views::iota(0, tasks))) {
    if (y != static_cast<long>(count) * count) ++wrong;
    if (++count == tasks / 8) {
      std::ofstream(marker) << count << "\n";
      std::cout << "map: " << count << " results in, taking a host away" << std::endl;
    }
  }
  std::cout << "map: " << count << " results of " << tasks << ", " << wrong << " wrong"
            << std::endl;
  return count == tasks && wrong == 0 ? 0 : 1;
}
