// The dispatch tree at work (registered with MULTIRANK_DISPATCH_TREE=on and pseudo-nodes): the
// plan has relays with ranks behind them, every worker rank runs tasks, those behind a relay
// included, and results come back in input order with the rank that ran each.
#include <catch2/catch.hpp>

#include <chrono>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "multirank/detail/runtime_access.hpp"
#include "multirank/multirank.hpp"
#include "wire/communicator.hpp"

namespace {

std::pair<int, int> item_and_rank(int item) {
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  return {item, multirank::Runtime::current().rank()};
}
MULTIRANK_TASK(item_and_rank);

}  // namespace

TEST_CASE("the dispatch tree feeds the ranks behind its relays", "[tree]") {
  const auto& relays =
      multirank::detail::RuntimeAccess::communicator(multirank::Runtime::current()).relays();
  std::set<int> behind;
  for (int rank = 1; rank < static_cast<int>(relays.size()); ++rank) {
    const int relay = relays[static_cast<std::size_t>(rank)];
    if (relay != 0 && relay != rank) behind.insert(rank);
  }

  SECTION("the plan has ranks behind relays, and the driver relays for nobody") {
    CHECK(relays.at(0) == 0);
    CHECK_FALSE(behind.empty());
  }
  SECTION("every worker rank runs tasks, and results come back in input order") {
    multirank::Executor executor;
    const int tasks = 100 * static_cast<int>(relays.size());
    std::vector<int> items(static_cast<std::size_t>(tasks));
    for (int i = 0; i < tasks; ++i) items[static_cast<std::size_t>(i)] = i;
    std::set<int> ran_on;
    int expected = 0;
    for (const auto& [item, rank] : executor.map(item_and_rank, items)) {
      CHECK(item == expected);
      ++expected;
      ran_on.insert(rank);
    }
    CHECK(expected == tasks);
    for (int rank : behind) CHECK(ran_on.count(rank) == 1);
  }
}
