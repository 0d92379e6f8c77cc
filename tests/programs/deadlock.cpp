// A job that deadlocks on purpose: two processes each wait for an item only the other would
// put, and the driver joins them. Used to check the diagnostics (watchdog and SIGINT), which call
// the queues by their names.
#include <iostream>

#include "multirank/multirank.hpp"

using Channel = multirank::Queue<int>;

void wait_then_pass(Channel inbox, Channel outbox) { outbox.put(inbox.get() + 1); }
MULTIRANK_TASK(wait_then_pass);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  Channel a("left");
  Channel b("right");
  multirank::Process first(wait_then_pass, a, b);
  multirank::Process second(wait_then_pass, b, a);
  first.start();
  second.start();
  std::cout << "both started" << std::endl;
  first.join();
  second.join();
}
