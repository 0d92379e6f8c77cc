// Article 3.2: submit(task, i) for i in 0..4, each with a done-callback that prints the result;
// "All tasks submitted" comes first, then the callbacks as the tasks finish.
//
//   with ProcessPoolExecutor(max_workers=3) as executor:
//       for i in range(5):
//           future = executor.submit(task, i)
//           future.add_done_callback(callback)
//       print("All tasks submitted")
#include <chrono>
#include <iostream>
#include <string>
#include <thread>

#include "multirank/multirank.hpp"

std::string task(int n) {
  std::this_thread::sleep_for(std::chrono::seconds(n));
  return "Task " + std::to_string(n) + " completed";
}
MULTIRANK_TASK(task);

void callback(const multirank::Future<std::string>& future) {
  std::cout << future.result() << std::endl;
}

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Executor executor(3);
  for (int i = 0; i < 5; ++i) {
    auto future = executor.submit(task, i);
    future.add_done_callback(callback);
  }
  std::cout << "All tasks submitted" << std::endl;
}
