// Process: multiprocessing.Process's behaviours across ranks, one section each.
#include <catch2/catch.hpp>

#include <chrono>
#include <regex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "multirank/multirank.hpp"

using namespace std::chrono_literals;

namespace {

void sleep_ms(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}
MULTIRANK_TASK(sleep_ms);

void throw_runtime_error(std::string message) { throw std::runtime_error(message); }
MULTIRANK_TASK(throw_runtime_error);

void arrive(multirank::Barrier barrier) { barrier.wait(60s); }
MULTIRANK_TASK(arrive);

void wait_for_event(multirank::Event event) { event.wait(); }
MULTIRANK_TASK(wait_for_event);

void report_where(multirank::Queue<std::string> out) { out.put(multirank::current_process_name()); }
MULTIRANK_TASK(report_where);

}  // namespace

TEST_CASE("Process runs a registered function on some rank", "[process]") {
  auto& runtime = multirank::Runtime::current();

  SECTION("start, is_alive, join and exitcode") {
    multirank::Process p(sleep_ms, 200);
    CHECK_FALSE(p.is_alive());
    CHECK_FALSE(p.exitcode().has_value());
    p.start();
    CHECK(p.is_alive());
    CHECK(p.join());
    CHECK_FALSE(p.is_alive());
    REQUIRE(p.exitcode().has_value());
    CHECK(*p.exitcode() == 0);
  }

  SECTION("it is named like Python's, and says where it ran") {
    multirank::Process p(sleep_ms, 1);
    CHECK(std::regex_match(p.name(), std::regex("Process-[0-9]+")));
    CHECK(p.rank() == -1);
    p.start();
    CHECK(p.rank() >= 0);
    CHECK(p.rank() < runtime.size());
    if (runtime.size() > 1) CHECK(p.rank() != 0);  // the driver hosts processes only when alone
    CHECK_FALSE(p.host().empty());
    p.join();
    p.set_name("renamed");
    CHECK(p.name() == "renamed");
  }

  SECTION("the process knows its own name") {
    multirank::Queue<std::string> names;
    multirank::Process p(report_where, names);
    p.set_name("reporter");
    p.start();
    CHECK(names.get(30s) == "reporter");
    p.join();
    CHECK(multirank::current_process_name() == "MainProcess");
  }

  SECTION("a target that throws ends with exit code 1") {
    multirank::Process p(throw_runtime_error, std::string("on purpose"));
    p.start();
    p.join();
    REQUIRE(p.exitcode().has_value());
    CHECK(*p.exitcode() == 1);
  }

  SECTION("start never waits for a free rank: more processes than ranks run at once") {
    // Eight processes and the driver meet at one barrier: it opens only if all run together.
    constexpr int processes = 8;
    multirank::Barrier barrier(processes + 1);
    std::vector<multirank::Process> started;
    for (int i = 0; i < processes; ++i) started.emplace_back(arrive, barrier).start();
    CHECK_NOTHROW(barrier.wait(60s));
    std::set<int> ranks;
    for (auto& p : started) {
      p.join();
      CHECK(p.exitcode() == 0);
      ranks.insert(p.rank());
    }
    // Spread over every worker rank.
    CHECK(ranks.size() == static_cast<std::size_t>(std::max(1, runtime.size() - 1)));
  }

  SECTION("join with a timeout returns false while the process runs") {
    multirank::Event go;
    multirank::Process p(wait_for_event, go);
    p.start();
    CHECK_FALSE(p.join(100ms));
    CHECK(p.is_alive());
    go.set();
    CHECK(p.join(30s));
  }

  SECTION("misuse is an error: start twice, join before start, daemon after start") {
    multirank::Process p(sleep_ms, 1);
    CHECK_THROWS_AS(p.join(), multirank::StateError);
    CHECK_THROWS_WITH(p.join(), Catch::Contains("before start()"));
    p.start();
    CHECK_THROWS_AS(p.start(), multirank::StateError);
    CHECK_THROWS_WITH(p.start(), Catch::Contains("start() called twice"));
    CHECK_THROWS_AS(p.set_daemon(true), multirank::StateError);
    p.join();
  }
}
