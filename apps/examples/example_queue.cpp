// Article 2.2 (Queue): a producer process puts five items, a consumer process prints each until
// it gets the None sentinel (std::nullopt here), which the main process puts after the producer
// has finished.
#include <iostream>
#include <optional>
#include <string>

#include "multirank/multirank.hpp"

using ItemQueue = multirank::Queue<std::optional<std::string>>;

void producer(ItemQueue queue) {
  for (int i = 0; i < 5; ++i) queue.put("Item " + std::to_string(i));
}
MULTIRANK_TASK(producer);

void consumer(ItemQueue queue) {
  while (true) {
    std::optional<std::string> item = queue.get();
    if (!item) break;
    std::cout << "Consumed " << *item << std::endl;
  }
}
MULTIRANK_TASK(consumer);

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  ItemQueue q;
  multirank::Process prod_proc(producer, q);
  multirank::Process cons_proc(consumer, q);
  prod_proc.start();
  cons_proc.start();
  prod_proc.join();
  q.put(std::nullopt);  // the end-of-work signal
  cons_proc.join();
}
