// Executor and Future: every promise of concurrent.futures that multirank makes, one section each.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <map>
#include <numeric>
#include <optional>
#include <ranges>
#include <set>
#include <stdexcept>
#include <thread>
#include <tuple>

#include "multirank/multirank.hpp"

using namespace std::chrono_literals;

namespace {

int square(int x) { return x * x; }
MULTIRANK_TASK(square);

int sleep_then_return(int milliseconds, int value) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return value;
}
MULTIRANK_TASK(sleep_then_return);

int fail_on(int x, int bad) {
  if (x == bad) throw std::invalid_argument("item " + std::to_string(x) + " is bad");
  return x;
}
MULTIRANK_TASK(fail_on);

void nothing() {}
MULTIRANK_TASK(nothing);

std::size_t length_of(const std::string& text) { return text.size(); }
MULTIRANK_TASK(length_of);

struct Shape {
  std::string name;
  std::vector<double> sides;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& name& sides;
  }
};

Shape grow(Shape shape, double factor) {
  for (auto& side : shape.sides) side *= factor;
  shape.name += " grown";
  return shape;
}
MULTIRANK_TASK(grow);

std::tuple<std::string, std::optional<int>, std::vector<std::string>> echo_mix(
    const std::string& text, std::optional<int> maybe, std::vector<std::string> words) {
  words.push_back(text);
  return {text + "!", maybe ? std::optional<int>(*maybe + 1) : std::nullopt, words};
}
MULTIRANK_TASK(echo_mix);

/// Its serialisation always fails: a result that cannot be sent back.
struct Unsendable {
  template <class Archive>
  void save(Archive&, unsigned) const {
    throw std::runtime_error("this value refuses to be serialised");
  }
  template <class Archive>
  void load(Archive&, unsigned) {}
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};
Unsendable make_unsendable(int) { return {}; }
MULTIRANK_TASK(make_unsendable);

int unregistered(int x) { return x; }

int driver_rank() { return multirank::Runtime::current().rank(); }

}  // namespace

TEST_CASE("submit runs a task and returns its value", "[executor]") {
  multirank::Executor executor;
  SECTION("plain values") { CHECK(executor.submit(square, 12).result() == 144); }
  SECTION("arguments convert to the declared parameter types") {
    CHECK(executor.submit(square, static_cast<short>(3)).result() == 9);
  }
  SECTION("void tasks") {
    auto future = executor.submit(nothing);
    future.result();
    CHECK(future.done());
  }
  SECTION("user structs through Boost.Serialization") {
    Shape shape = executor.submit(grow, Shape{"square", {1, 2}}, 2.0).result();
    CHECK(shape.name == "square grown");
    CHECK(shape.sides == std::vector<double>{2, 4});
  }
  SECTION("strings, optionals, vectors and tuples") {
    auto [text, maybe, words] = executor
                                    .submit(echo_mix, std::string("hi"), std::optional<int>(4),
                                            std::vector<std::string>{"a"})
                                    .result();
    CHECK(text == "hi!");
    CHECK(maybe == 5);
    CHECK(words == std::vector<std::string>{"a", "hi"});
  }
  SECTION("by name, through a TaskRef") {
    auto task = multirank::TaskRef<int(int)>::named("square");
    CHECK(executor.submit(task, 5).result() == 25);
  }
}

TEST_CASE("map keeps input order, whatever the completion order", "[executor]") {
  multirank::Executor executor;
  std::vector<std::tuple<int, int>> inputs;
  for (int i = 0; i < 24; ++i) inputs.emplace_back((24 - i) % 5, i);  // mixed durations
  std::vector<int> got;
  for (int value : executor.starmap(sleep_then_return, inputs)) got.push_back(value);
  std::vector<int> expected(24);
  std::iota(expected.begin(), expected.end(), 0);
  CHECK(got == expected);
}

TEST_CASE("map chunking gives the same results for every chunksize", "[executor]") {
  multirank::Executor executor;
  std::vector<int> inputs(1000);
  std::iota(inputs.begin(), inputs.end(), -500);
  std::vector<int> expected;
  for (int x : inputs) expected.push_back(x * x);
  for (std::size_t chunksize : {1, 7, 64, 1000, 5000}) {
    INFO("chunksize " << chunksize);
    CHECK(executor.map(square, inputs, {.chunksize = chunksize}).to_vector() == expected);
  }
}

TEST_CASE("map reads a lazy input only as far as results are consumed", "[executor]") {
  multirank::Executor executor;
  auto pulled = std::make_shared<std::atomic<long>>(0);
  auto counted = std::views::iota(0L, 1'000'000'000L) | std::views::transform([pulled](long x) {
                   pulled->fetch_add(1);
                   return static_cast<int>(x % 1000);
                 });
  auto results = executor.map(square, counted, {.chunksize = 10, .max_in_flight = 8});
  long consumed = 0;
  for (int value : results) {
    CHECK(value == (consumed % 1000) * (consumed % 1000));
    if (++consumed == 500) break;
  }
  // At most max_in_flight chunks beyond what was consumed were ever read.
  CHECK(pulled->load() <= consumed + 8 * 10 + 10);
}

TEST_CASE("map reads a lazy input only as far as a byte budget allows", "[executor]") {
  multirank::Executor executor;
  constexpr std::size_t item_bytes = 100'000;
  constexpr std::size_t budget = 10 * item_bytes;
  auto pulled = std::make_shared<std::atomic<long>>(0);
  auto large = std::views::iota(0L, 1'000'000L) | std::views::transform([pulled](long) {
                 pulled->fetch_add(1);
                 return std::string(item_bytes, 'x');
               });
  auto results = executor.map(length_of, large, {.max_bytes_in_flight = budget});
  // Every worker slot keeps two items whatever the budget; beyond that, the budget's worth, and
  // the one pulled last may pass it.
  const long slots = multirank::Runtime::current().worker_slots();
  const long ahead = std::max<long>(budget / item_bytes, 2 * slots) + 1;
  long consumed = 0;
  long most_ahead = 0;
  for (std::size_t length : results) {
    CHECK(length == item_bytes);
    most_ahead = std::max(most_ahead, pulled->load() - consumed);
    if (++consumed == 300) break;
  }
  CHECK(most_ahead <= ahead);
  // Without the budget, the default of 8192 chunks in flight would have read that far ahead.
  CHECK(pulled->load() <= consumed + ahead);
}

TEST_CASE("map with a timeout raises TimeoutError when results are late", "[executor]") {
  multirank::Executor executor;
  std::vector<std::tuple<int, int>> inputs{{0, 1}, {2000, 2}};
  auto results = executor.starmap(sleep_then_return, inputs, {.timeout = 300ms});
  auto it = results.begin();
  CHECK(*it == 1);
  CHECK_THROWS_AS(++it, multirank::TimeoutError);
}

TEST_CASE("result(timeout) raises TimeoutError and the future still completes", "[future]") {
  multirank::Executor executor;
  auto future = executor.submit(sleep_then_return, 400, 7);
  CHECK_THROWS_AS(future.result(50ms), multirank::TimeoutError);
  CHECK_FALSE(future.done());
  CHECK(future.result(30s) == 7);
  CHECK(future.done());
  CHECK(future.exception() == nullptr);
}

TEST_CASE("pending tasks can be cancelled, running ones cannot", "[future]") {
  multirank::Executor executor(1);
  auto running = executor.submit(sleep_then_return, 500, 1);
  std::vector<multirank::Future<int>> queued;
  for (int i = 0; i < 10; ++i) queued.push_back(executor.submit(sleep_then_return, 1, i));
  // Wait until the first one runs.
  while (!running.running() && !running.done()) std::this_thread::sleep_for(1ms);
  CHECK_FALSE(running.cancel());
  CHECK(queued.back().cancel());
  CHECK(queued.back().cancelled());
  CHECK(queued.back().done());
  CHECK_THROWS_AS(queued.back().result(), multirank::CancelledError);
  CHECK_THROWS_AS(queued.back().exception(), multirank::CancelledError);
  CHECK(running.result() == 1);
  for (int i = 0; i < 9; ++i) CHECK(queued[static_cast<std::size_t>(i)].result() == i);
}

TEST_CASE("done-callbacks run once, in order, on the driver", "[future]") {
  multirank::Executor executor;
  SECTION("added before completion: in the order added, each once") {
    auto calls = std::make_shared<std::vector<int>>();
    auto mutex = std::make_shared<std::mutex>();
    auto future = executor.submit(sleep_then_return, 100, 3);
    for (int i = 0; i < 3; ++i) {
      future.add_done_callback([calls, mutex, i](const multirank::Future<int>& done) {
        std::lock_guard lock(*mutex);
        calls->push_back(i * 10 + done.result());
        CHECK(driver_rank() == 0);
      });
    }
    future.result();
    executor.shutdown();
    CHECK(*calls == std::vector<int>{3, 13, 23});
  }
  SECTION("added after completion: at once, in the calling thread") {
    auto future = executor.submit(square, 4);
    future.result();
    std::thread::id called_in;
    int value = 0;
    future.add_done_callback([&](const multirank::Future<int>& done) {
      called_in = std::this_thread::get_id();
      value = done.result();
    });
    CHECK(called_in == std::this_thread::get_id());
    CHECK(value == 16);
  }
  SECTION("a callback that throws does not stop the others") {
    std::atomic<int> ran{0};
    auto future = executor.submit(sleep_then_return, 50, 1);
    future.add_done_callback(
        [](const multirank::Future<int>&) { throw std::runtime_error("oops"); });
    future.add_done_callback([&](const multirank::Future<int>&) { ran++; });
    future.result();
    executor.shutdown();
    CHECK(ran == 1);
  }
}

TEST_CASE("an exception in a task reaches the driver as RemoteError", "[errors]") {
  multirank::Executor executor;
  auto future = executor.submit(fail_on, 3, 3);
  try {
    future.result();
    FAIL("no exception");
  } catch (const multirank::RemoteError& e) {
    CHECK(e.type_name() == "std::invalid_argument");
    CHECK(e.message() == "item 3 is bad");
    CHECK(e.task_name() == "fail_on");
    CHECK(e.rank() >= 0);
    CHECK(e.rank() < multirank::Runtime::current().size());
    CHECK_FALSE(e.host().empty());
    CHECK_THAT(e.what(), Catch::Contains("fail_on") && Catch::Contains("item 3 is bad"));
  }
  CHECK(future.exception() != nullptr);
  SECTION("the executor keeps serving") { CHECK(executor.submit(square, 9).result() == 81); }
}

TEST_CASE("map raises an item's error when iteration reaches it", "[errors]") {
  multirank::Executor executor;
  std::vector<std::tuple<int, int>> inputs{{0, 2}, {1, 2}, {2, 2}, {3, 2}};
  auto results = executor.starmap(fail_on, inputs, {.chunksize = 2});
  auto it = results.begin();
  CHECK(*it == 0);
  ++it;
  CHECK(*it == 1);
  CHECK_THROWS_AS(++it, multirank::RemoteError);
}

TEST_CASE("a result that cannot be serialised fails its future only", "[errors]") {
  multirank::Executor executor;
  auto bad = executor.submit(make_unsendable, 1);
  CHECK_THROWS_WITH(bad.result(), Catch::Contains("refuses to be serialised"));
  CHECK(executor.submit(square, 2).result() == 4);
}

TEST_CASE("an unknown task or a wrong signature is a clear error", "[errors]") {
  multirank::Executor executor;
  CHECK_THROWS_WITH(executor.submit(unregistered, 1), Catch::Contains("not a registered task"));
  CHECK_THROWS_WITH(multirank::TaskRef<int(int)>::named("no_such_task"),
                    Catch::Contains("no task named 'no_such_task'"));
  CHECK_THROWS_WITH((multirank::TaskRef<int(std::string)>::named("square")),
                    Catch::Contains("registered as int(int)"));
}

TEST_CASE("wait: FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED", "[future]") {
  multirank::Executor executor;
  SECTION("ALL_COMPLETED waits for all") {
    std::vector<multirank::Future<int>> futures;
    for (int i = 0; i < 6; ++i) futures.push_back(executor.submit(sleep_then_return, 20, i));
    auto result = multirank::wait(futures);
    CHECK(result.done.size() == 6);
    CHECK(result.not_done.empty());
  }
  SECTION("FIRST_COMPLETED returns once one is done") {
    std::vector<multirank::Future<int>> futures;
    futures.push_back(executor.submit(sleep_then_return, 0, 0));
    futures.push_back(executor.submit(sleep_then_return, 2000, 1));
    auto result = multirank::wait(futures, {}, multirank::ReturnWhen::FIRST_COMPLETED);
    CHECK(result.done == std::vector<std::size_t>{0});
    CHECK(result.not_done == std::vector<std::size_t>{1});
    executor.shutdown(false, true);
  }
  SECTION("FIRST_EXCEPTION returns at the first failure") {
    std::vector<multirank::Future<int>> futures;
    futures.push_back(executor.submit(fail_on, 1, 1));
    auto slow = executor.submit(sleep_then_return, 3000, 0);
    auto result = multirank::wait(futures, {}, multirank::ReturnWhen::FIRST_EXCEPTION);
    CHECK(result.done == std::vector<std::size_t>{0});
    CHECK_FALSE(slow.done());
    executor.shutdown(false, true);
  }
  SECTION("a timeout returns what is done so far") {
    std::vector<multirank::Future<int>> futures;
    futures.push_back(executor.submit(sleep_then_return, 1500, 0));
    auto result = multirank::wait(futures, 50ms);
    CHECK(result.not_done == std::vector<std::size_t>{0});
  }
}

TEST_CASE("as_completed yields every future once, in completion order", "[future]") {
  multirank::Executor executor;
  std::vector<multirank::Future<int>> futures;
  for (int i = 0; i < 8; ++i)
    futures.push_back(executor.submit(sleep_then_return, 10 * (i % 3), i));
  std::set<int> seen;
  for (auto& future : multirank::as_completed(futures)) {
    CHECK(future.done());
    seen.insert(future.result());
  }
  CHECK(seen.size() == 8);
  SECTION("with a timeout that passes first") {
    std::vector<multirank::Future<int>> slow;
    slow.push_back(executor.submit(sleep_then_return, 2000, 0));
    CHECK_THROWS_AS(
        [&] {
          for (auto& f : multirank::as_completed(slow, 100ms)) (void)f;
        }(),
        multirank::TimeoutError);
  }
}

TEST_CASE("empty inputs give empty results", "[executor]") {
  multirank::Executor executor;
  CHECK(executor.map(square, std::vector<int>{}).to_vector().empty());
  std::vector<multirank::Future<int>> none;
  CHECK(multirank::wait(none).done.empty());
  int count = 0;
  for (auto& f : multirank::as_completed(none)) {
    (void)f;
    ++count;
  }
  CHECK(count == 0);
}

TEST_CASE("10^6 tiny tasks", "[executor][scale]") {
  multirank::Executor executor;
  auto inputs =
      std::views::iota(0, 1'000'000) | std::views::transform([](int x) { return x % 1000; });
  long long sum = 0;
  SECTION("chunksize 1000") {
    for (int value : executor.map(square, inputs, {.chunksize = 1000})) sum += value;
  }
  SECTION("chunksize 1") {
    for (int value : executor.map(square, inputs)) sum += value;
  }
  long long expected = 0;
  for (int x = 0; x < 1000; ++x) expected += static_cast<long long>(x) * x;
  CHECK(sum == expected * 1000);
}

TEST_CASE("shutdown with work pending", "[executor]") {
  SECTION("cancel_futures cancels what has not started; the rest finishes") {
    multirank::Executor executor(1);
    std::vector<multirank::Future<int>> futures;
    for (int i = 0; i < 20; ++i) futures.push_back(executor.submit(sleep_then_return, 50, i));
    std::this_thread::sleep_for(20ms);
    executor.shutdown(true, true);
    int finished = 0;
    int cancelled = 0;
    for (auto& f : futures) {
      CHECK(f.done());
      if (f.cancelled()) {
        ++cancelled;
      } else {
        CHECK(f.result() >= 0);
        ++finished;
      }
    }
    CHECK(finished >= 1);
    CHECK(cancelled >= 10);
  }
  SECTION("wait=true waits for every task") {
    multirank::Executor executor;
    std::vector<multirank::Future<int>> futures;
    for (int i = 0; i < 6; ++i) futures.push_back(executor.submit(sleep_then_return, 30, i));
    executor.shutdown(true);
    for (auto& f : futures) CHECK(f.done());
  }
  SECTION("submitting after shutdown is refused") {
    multirank::Executor executor;
    executor.shutdown();
    CHECK_THROWS_AS(executor.submit(square, 1), multirank::BrokenPool);
  }
  SECTION("the destructor waits like shutdown()") {
    multirank::Future<int> future;
    {
      multirank::Executor executor;
      future = executor.submit(sleep_then_return, 100, 5);
    }
    CHECK(future.done());
    CHECK(future.result() == 5);
  }
}

TEST_CASE("progress observers count items, not chunks", "[executor]") {
  struct Counter : multirank::ProgressObserver {
    std::optional<std::size_t> total;
    std::atomic<std::size_t> items{0};
    std::atomic<int> calls{0};
    std::atomic<int> finished{0};
    void on_start(std::optional<std::size_t> t) override { total = t; }
    void on_progress(std::size_t n) override {
      items += n;
      calls++;
    }
    void on_finish() override { finished++; }
  };
  multirank::Executor executor;
  auto counter = std::make_shared<Counter>();
  std::vector<int> inputs(1000, 3);
  auto results = executor.map(square, inputs, {.chunksize = 100, .progress = counter}).to_vector();
  CHECK(results.size() == 1000);
  CHECK(counter->total == 1000u);
  CHECK(counter->items == 1000u);
  CHECK(counter->calls == 10);
  CHECK(counter->finished == 1);
}
