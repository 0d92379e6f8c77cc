// Article 2.1: five processes that each sleep 2 s run at the same time, so the whole program
// takes about 2 s, on any number of ranks (a rank hosts several processes).
#include <chrono>
#include <iostream>
#include <thread>
#include <vector>

#include "multirank/multirank.hpp"

void worker(int num) {
  std::cout << "Worker " << num << " started" << std::endl;
  std::this_thread::sleep_for(std::chrono::seconds(2));
  std::cout << "Worker " << num << " finished" << std::endl;
}
MULTIRANK_TASK(worker);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  std::vector<multirank::Process> processes;
  for (int i = 0; i < 5; ++i) {
    multirank::Process& p = processes.emplace_back(worker, i);
    p.start();
  }
  for (auto& p : processes) p.join();
  std::cout << "All workers finished" << std::endl;
}
