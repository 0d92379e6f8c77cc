// A job stuck without ever blocking for good: two processes poll a queue that nothing is put on,
// with a timeout that keeps expiring, and the driver polls an event nobody sets. Used to check
// that the watchdog notices polling loops and names what each one polls.
#include <chrono>
#include <iostream>

#include "multirank/multirank.hpp"

using namespace std::chrono_literals;
using Chunks = multirank::Queue<int>;

void poll_for_chunks(Chunks chunks) {
  while (true) {
    try {
      chunks.get(1s);
      return;
    } catch (const multirank::Empty&) {
    }
  }
}
MULTIRANK_TASK(poll_for_chunks);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  Chunks chunks("chunks");
  multirank::Event finished("finished");
  multirank::Process first(poll_for_chunks, chunks);
  multirank::Process second(poll_for_chunks, chunks);
  first.start();
  second.start();
  std::cout << "both started" << std::endl;
  while (!finished.wait(500ms)) {
  }
  first.join();
  second.join();
}
