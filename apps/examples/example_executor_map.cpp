// Article 3.1: ProcessPoolExecutor(max_workers=5).map(task, range(10)), where task sleeps 1 s and
// returns n * n; results come back in input order.
//
//   with ProcessPoolExecutor(max_workers=5) as executor:
//       results = executor.map(task, range(10))
//   for result in results:
//       print(result)
#include <chrono>
#include <iostream>
#include <ranges>
#include <thread>

#include "multirank/multirank.hpp"

int task(int n) {
  std::this_thread::sleep_for(std::chrono::seconds(1));
  return n * n;
}
MULTIRANK_TASK(task);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor(5);
  for (int result : executor.map(task, std::views::iota(0, 10))) std::cout << result << std::endl;
}
