// Pool and AsyncResult: multiprocessing.Pool's behaviours, one section each.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "multirank/multirank.hpp"

using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
MULTIRANK_TASK(square);

int add(int a, int b) { return a + b; }
MULTIRANK_TASK(add);

int sleep_then_return(int milliseconds, int value) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return value;
}
MULTIRANK_TASK(sleep_then_return);

int fail_on_three(int x) {
  if (x == 3) throw std::domain_error("three is not allowed");
  return x;
}
MULTIRANK_TASK(fail_on_three);

// Set by the pool initializer on whichever rank runs it; read back by tasks on the same rank.
int initialized_with = -1;
void remember(int value) { initialized_with = value; }
MULTIRANK_TASK(remember);
int read_initialized(int) { return initialized_with; }
MULTIRANK_TASK(read_initialized);

void refuse(int) { throw std::runtime_error("initializer refuses"); }
MULTIRANK_TASK(refuse);

struct ChunkCounter : multirank::ProgressObserver {
  std::mutex mutex;
  std::multiset<std::size_t> chunk_sizes;
  void on_progress(std::size_t items) override {
    std::lock_guard lock(mutex);
    chunk_sizes.insert(items);
  }
};

std::vector<int> one_to(int n) {
  std::vector<int> values(static_cast<std::size_t>(n));
  std::iota(values.begin(), values.end(), 1);
  return values;
}

}  // namespace

TEST_CASE("Pool.map returns results in order", "[pool]") {
  multirank::Pool pool;
  CHECK(pool.map(square, std::vector{1, 2, 3, 4, 5}) == std::vector{1, 4, 9, 16, 25});
  SECTION("empty input") { CHECK(pool.map(square, std::vector<int>{}).empty()); }
}

TEST_CASE("Pool.map's default chunksize is ceil(n / (4 x workers))", "[pool]") {
  multirank::Pool pool;
  const std::size_t workers =
      static_cast<std::size_t>(multirank::Runtime::current().worker_slots());
  const std::size_t n = 1000;
  const std::size_t expected = (n + 4 * workers - 1) / (4 * workers);
  auto counter = std::make_shared<ChunkCounter>();
  auto results = pool.map(square, one_to(static_cast<int>(n)), {.progress = counter});
  CHECK(results.size() == n);
  CHECK(*counter->chunk_sizes.rbegin() == expected);
  CHECK(counter->chunk_sizes.count(expected) == n / expected);
}

TEST_CASE("Pool.starmap unpacks argument tuples", "[pool]") {
  multirank::Pool pool;
  std::vector<std::tuple<int, int>> pairs{{1, 2}, {3, 4}, {5, 6}};
  CHECK(pool.starmap(add, pairs) == std::vector{3, 7, 11});
}

TEST_CASE("Pool.imap streams results in input order", "[pool]") {
  multirank::Pool pool;
  std::vector<int> got;
  for (int value : pool.imap(square, one_to(200), {.chunksize = 3})) got.push_back(value);
  std::vector<int> expected;
  for (int x : one_to(200)) expected.push_back(x * x);
  CHECK(got == expected);
}

TEST_CASE("Pool.imap_unordered yields every result once, as they complete", "[pool]") {
  multirank::Pool pool;
  std::vector<int> got;
  auto task = multirank::TaskRef<int(int)>::named("square");
  for (int value : pool.imap_unordered(task, one_to(50))) got.push_back(value);
  std::multiset<int> expected;
  for (int x : one_to(50)) expected.insert(x * x);
  CHECK(std::multiset<int>(got.begin(), got.end()) == expected);
  SECTION("a fast task overtakes a slow one") {
    if (multirank::Runtime::current().worker_slots() < 2) return;  // needs two slots
    multirank::Pool two(2);
    auto sleeper = multirank::TaskRef<int(int, int)>::named("sleep_then_return");
    auto first = two.apply_async(sleeper, std::tuple{400, 1});
    auto second = two.apply_async(sleeper, std::tuple{0, 2});
    CHECK(second.get() == 2);
    CHECK_FALSE(first.ready());
    CHECK(first.get() == 1);
  }
}

TEST_CASE("Pool.apply and apply_async", "[pool]") {
  multirank::Pool pool;
  CHECK(pool.apply(add, 20, 22) == 42);
  SECTION("callback receives the value, before ready() turns true") {
    std::atomic<int> seen{0};
    auto result = pool.apply_async(square, std::tuple{9}, [&](const int& value) { seen = value; });
    CHECK(result.get(30s) == 81);
    CHECK(seen == 81);
    CHECK(result.ready());
    CHECK(result.successful());
  }
  SECTION("error_callback receives the error; get rethrows it") {
    std::string message;
    auto result = pool.apply_async(
        fail_on_three, std::tuple{3}, [](const int&) { FAIL("callback on failure"); },
        [&](const std::exception& e) { message = e.what(); });
    CHECK_THROWS_AS(result.get(), multirank::RemoteError);
    CHECK_THAT(message, Catch::Contains("three is not allowed"));
    CHECK_FALSE(result.successful());
  }
  SECTION("wait and get with timeouts") {
    auto result = pool.apply_async(sleep_then_return, std::tuple{300, 5});
    CHECK_THROWS_AS(result.successful(), multirank::Error);
    CHECK_FALSE(result.wait(20ms));
    CHECK_THROWS_AS(result.get(20ms), multirank::TimeoutError);
    CHECK(result.wait());
    CHECK(result.get() == 5);
  }
}

TEST_CASE("Pool.map_async gathers every chunk", "[pool]") {
  multirank::Pool pool;
  std::vector<int> from_callback;
  auto result = pool.map_async(square, one_to(100), {.chunksize = 7},
                               [&](const std::vector<int>& values) { from_callback = values; });
  const auto& values = result.get();
  std::vector<int> expected;
  for (int x : one_to(100)) expected.push_back(x * x);
  CHECK(values == expected);
  CHECK(from_callback == expected);
  SECTION("one failing item fails the whole call") {
    std::atomic<bool> error_seen{false};
    auto failing = pool.map_async(fail_on_three, one_to(10), {}, {},
                                  [&](const std::exception&) { error_seen = true; });
    CHECK_THROWS_WITH(failing.get(), Catch::Contains("three is not allowed"));
    CHECK(error_seen);
  }
}

TEST_CASE("Pool.map raises a task's error, and the pool keeps serving", "[pool]") {
  multirank::Pool pool;
  CHECK_THROWS_AS(pool.map(fail_on_three, one_to(10)), multirank::RemoteError);
  CHECK(pool.map(square, std::vector{2}) == std::vector{4});
}

TEST_CASE("Pool close, join and terminate", "[pool]") {
  SECTION("join before close is an error") {
    multirank::Pool pool;
    CHECK_THROWS_AS(pool.join(), multirank::Error);
    pool.close();
  }
  SECTION("close then join waits for submitted work; later submits are refused") {
    multirank::Pool pool;
    auto result = pool.apply_async(sleep_then_return, std::tuple{100, 7});
    pool.close();
    CHECK_THROWS_AS(pool.apply(square, 1), multirank::BrokenPool);
    pool.join();
    CHECK(result.ready());
    CHECK(result.get() == 7);
  }
  SECTION("terminate fails what has not finished") {
    multirank::Pool pool(1);
    std::vector<multirank::AsyncResult<int>> results;
    for (int i = 0; i < 10; ++i)
      results.push_back(pool.apply_async(sleep_then_return, std::tuple{100, i}));
    pool.terminate();
    int failed = 0;
    for (auto& r : results) {
      CHECK(r.wait(30s));
      if (!r.successful()) {
        CHECK_THROWS_AS(r.get(), multirank::BrokenPool);
        ++failed;
      }
    }
    CHECK(failed >= 8);
    pool.join();
  }
}

TEST_CASE("Pool initializer runs on each worker slot before its tasks", "[pool]") {
  SECTION("tasks see what the initializer set") {
    multirank::Pool pool(0, remember, 42);
    for (int value : pool.map(read_initialized, one_to(50), {.chunksize = 1})) CHECK(value == 42);
  }
  SECTION("a failing initializer breaks the pool with its error") {
    multirank::Pool pool(0, refuse, 0);
    CHECK_THROWS_WITH(pool.map(square, one_to(20), {.chunksize = 1}),
                      Catch::Contains("initializer refuses"));
  }
}
