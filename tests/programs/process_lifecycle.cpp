// Processes seen from outside the job: their output reaches the user line by line, a failing
// target prints its error as Python prints a traceback, non-daemon processes are joined at the
// end without an explicit join, and daemon processes (one blocked, one busy) do not hold the job.
#include <chrono>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "multirank/multirank.hpp"

void chatty(int n) {
  for (int i = 0; i < 3; ++i) std::cout << "line " << i << " from " << n << "\n";
  std::cerr << "a warning from " << n << std::endl;
}
MULTIRANK_TASK(chatty);

void fail(int value) { throw std::invalid_argument("bad input " + std::to_string(value)); }
MULTIRANK_TASK(fail);

void wait_for_ever(multirank::Queue<int> never_fed) { never_fed.get(); }
MULTIRANK_TASK(wait_for_ever);

void sleep_an_hour() { std::this_thread::sleep_for(std::chrono::hours(1)); }
MULTIRANK_TASK(sleep_an_hour);

void slow_goodbye() {
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  std::cout << "slow process done" << std::endl;
}
MULTIRANK_TASK(slow_goodbye);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  multirank::Queue<int> never_fed;
  multirank::Process blocked(wait_for_ever, never_fed);
  blocked.set_daemon(true);
  blocked.start();
  multirank::Process busy(sleep_an_hour);
  busy.set_daemon(true);
  busy.start();

  multirank::Process talker(chatty, 1);
  talker.start();
  talker.join();
  multirank::Process failing(fail, 42);
  failing.start();
  failing.join();
  std::cout << "failing exit code " << failing.exitcode().value_or(-1) << std::endl;
  multirank::Process slow(slow_goodbye);
  slow.start();  // not joined here: the Runtime joins it at the end
  std::cout << "main done" << std::endl;
}
