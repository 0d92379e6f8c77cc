// Locks, semaphores, events, barriers, conditions and values shared by processes on different
// ranks, one section per behaviour.
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "multirank/multirank.hpp"

using namespace std::chrono_literals;

namespace {

void add_under_lock(multirank::Value<int> counter, multirank::Lock lock, int times) {
  for (int i = 0; i < times; ++i) {
    std::lock_guard hold(lock);
    counter.set(counter.get() + 1);
  }
}
MULTIRANK_TASK(add_under_lock);

void hold_lock_until(multirank::Lock lock, multirank::Event held, multirank::Event release) {
  lock.acquire();
  held.set();
  release.wait();
  lock.release();
}
MULTIRANK_TASK(hold_lock_until);

/// Counts how many processes are inside the semaphore at once, and the most ever seen.
void enter_semaphore(multirank::Semaphore slots, multirank::Value<int> inside,
                     multirank::Value<int> most) {
  std::lock_guard hold_slot(slots);
  {
    std::lock_guard hold(inside.get_lock());
    const int now = inside.get() + 1;
    inside.set(now);
    if (now > most.get()) most.set(now);
  }
  std::this_thread::sleep_for(50ms);
  std::lock_guard hold(inside.get_lock());
  inside.set(inside.get() - 1);
}
MULTIRANK_TASK(enter_semaphore);

void set_event(multirank::Event event) { event.set(); }
MULTIRANK_TASK(set_event);

void wait_at_barrier(multirank::Barrier barrier, multirank::Queue<int> indices) {
  indices.put(static_cast<int>(barrier.wait(60s)));
}
MULTIRANK_TASK(wait_at_barrier);

void wait_for_ready(multirank::Condition condition, multirank::Value<bool> ready,
                    multirank::Queue<int> out) {
  std::lock_guard hold(condition);
  condition.wait_for([&] { return ready.get(); }, 60s);
  out.put(1);
}
MULTIRANK_TASK(wait_for_ready);

/// What `call` raised, as its message: "no error" if it raised nothing.
template <class Error, class Call>
std::string error_of(Call call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

/// The misuse errors of named objects, as this process sees them.
void report_sync_errors(multirank::Lock lock, multirank::BoundedSemaphore slots,
                        multirank::Condition ready, multirank::Queue<std::string> said) {
  said.put(error_of<multirank::StateError>([&] { lock.release(); }));
  said.put(error_of<multirank::StateError>([&] { slots.release(); }));
  said.put(error_of<multirank::StateError>([&] { ready.wait(50ms); }));
}
MULTIRANK_TASK(report_sync_errors);

}  // namespace

TEST_CASE("A named lock, semaphore, barrier, condition or value is called by its name",
          "[sync][names]") {
  SECTION("misuse on the driver names the object") {
    multirank::Lock output("output");
    CHECK(output.name() == "output");
    CHECK_THROWS_WITH(output.release(), Catch::StartsWith("Lock 'output' released by ") &&
                                            Catch::EndsWith("(it is not held)"));
    multirank::RLock table("table");
    CHECK_THROWS_WITH(table.release(), Catch::StartsWith("RLock 'table' released by "));
    multirank::BoundedSemaphore slots("slots", 2);
    CHECK_THROWS_WITH(slots.release(),
                      "BoundedSemaphore 'slots' released too many times (its bound is 2)");
    multirank::Semaphore negative("negative", -1);
    CHECK_THROWS_WITH(negative.acquire(false),
                      "Semaphore 'negative': the initial value must be 0 or more, not -1");
    multirank::Condition ready("ready");
    CHECK_THROWS_WITH(
        ready.notify(),
        Catch::StartsWith("Condition 'ready' (on RLock 'lock of ready'): notify() by ") &&
            Catch::EndsWith("which does not hold RLock 'lock of ready'"));
    multirank::Value<int> counter("counter", 7);
    CHECK(counter.get() == 7);
    CHECK_THROWS_WITH(counter.get_lock().release(),
                      Catch::StartsWith("RLock 'lock of counter' released by "));
  }

  SECTION("a named barrier is named when it breaks") {
    multirank::Barrier round("round", 2);
    CHECK_THROWS_WITH(round.wait(50ms), "Barrier 'round': wait() timed out");
    CHECK_THROWS_WITH(round.wait(50ms), "Barrier 'round' is broken");
  }

  SECTION("misuse in a process on another rank names the object") {
    multirank::Queue<std::string> said;
    multirank::Process reporter(report_sync_errors, multirank::Lock("output"),
                                multirank::BoundedSemaphore("slots", 1),
                                multirank::Condition("ready"), said);
    reporter.start();
    const std::string by = " by " + reporter.name() + ", which does not hold ";
    CHECK(said.get(30s) == "Lock 'output' released" + by + "it (it is not held)");
    CHECK(said.get(30s) == "BoundedSemaphore 'slots' released too many times (its bound is 1)");
    CHECK(said.get(30s) ==
          "Condition 'ready' (on RLock 'lock of ready'): wait()" + by + "RLock 'lock of ready'");
    reporter.join();
  }
}

TEST_CASE("Lock and RLock across ranks", "[sync]") {
  SECTION("a lock around read-modify-write loses no update under contention") {
    multirank::Value<int> counter(0);
    multirank::Lock lock;
    std::vector<multirank::Process> adders;
    for (int i = 0; i < 4; ++i) adders.emplace_back(add_under_lock, counter, lock, 100).start();
    for (auto& p : adders) {
      p.join();
      CHECK(p.exitcode() == 0);
    }
    CHECK(counter.get() == 400);
  }

  SECTION("a lock held by another process times out, then is free once released") {
    multirank::Lock lock;
    multirank::Event held;
    multirank::Event release;
    multirank::Process holder(hold_lock_until, lock, held, release);
    holder.start();
    REQUIRE(held.wait(30s));
    CHECK_FALSE(lock.acquire(50ms));
    CHECK_FALSE(lock.try_lock());
    // Releasing a lock someone else holds is refused, with who holds it.
    CHECK_THROWS_AS(lock.release(), multirank::StateError);
    CHECK_THROWS_WITH(lock.release(),
                      Catch::Contains("does not hold it") && Catch::Contains(holder.name()));
    release.set();
    CHECK(lock.acquire(30s));
    lock.release();
    holder.join();
  }

  SECTION("releasing a lock nobody holds is an error") {
    multirank::Lock lock;
    CHECK_THROWS_WITH(lock.release(), Catch::Contains("it is not held"));
  }

  SECTION("an RLock is re-entered by its owner and freed after as many releases") {
    multirank::RLock lock;
    CHECK(lock.acquire());
    CHECK(lock.acquire());
    lock.release();
    lock.release();
    CHECK_THROWS_AS(lock.release(), multirank::StateError);
  }

  SECTION("a Lock acquired twice by its owner waits, as Python's does") {
    multirank::Lock lock;
    CHECK(lock.acquire());
    CHECK_FALSE(lock.acquire(50ms));
    lock.release();
  }
}

TEST_CASE("Semaphore and BoundedSemaphore", "[sync]") {
  SECTION("at most n processes are inside a Semaphore(n)") {
    multirank::Semaphore slots(2);
    multirank::Value<int> inside(0);
    multirank::Value<int> most(0);
    std::vector<multirank::Process> started;
    for (int i = 0; i < 5; ++i) started.emplace_back(enter_semaphore, slots, inside, most).start();
    for (auto& p : started) {
      p.join();
      CHECK(p.exitcode() == 0);
    }
    CHECK(most.get() >= 1);
    CHECK(most.get() <= 2);
    CHECK(inside.get() == 0);
  }

  SECTION("acquire without blocking fails at zero") {
    multirank::Semaphore s(1);
    CHECK(s.acquire(false));
    CHECK_FALSE(s.acquire(false));
    CHECK_FALSE(s.acquire(50ms));
    s.release();
    CHECK(s.acquire(false));
  }

  SECTION("a BoundedSemaphore refuses to go above its initial value") {
    multirank::BoundedSemaphore s(1);
    CHECK_THROWS_AS(s.release(), multirank::StateError);
    s.acquire();
    CHECK_NOTHROW(s.release());
  }
}

TEST_CASE("Event, Barrier, Condition and Value", "[sync]") {
  SECTION("Event: wait times out until another process sets it") {
    multirank::Event event;
    CHECK_FALSE(event.is_set());
    CHECK_FALSE(event.wait(50ms));
    multirank::Process setter(set_event, event);
    setter.start();
    CHECK(event.wait(30s));
    CHECK(event.is_set());
    event.clear();
    CHECK_FALSE(event.is_set());
    setter.join();
  }

  SECTION("Barrier: every party passes together, each with its own index") {
    multirank::Barrier barrier(3);
    multirank::Queue<int> indices;
    multirank::Process a(wait_at_barrier, barrier, indices);
    multirank::Process b(wait_at_barrier, barrier, indices);
    a.start();
    b.start();
    std::set<int> seen{static_cast<int>(barrier.wait(60s))};
    seen.insert(indices.get(30s));
    seen.insert(indices.get(30s));
    CHECK(seen == std::set<int>{0, 1, 2});
    CHECK(barrier.parties() == 3);
    a.join();
    b.join();
  }

  SECTION("Barrier: a wait that times out breaks it until reset") {
    multirank::Barrier barrier(2);
    CHECK_THROWS_AS(barrier.wait(50ms), multirank::BrokenBarrierError);
    CHECK(barrier.broken());
    CHECK_THROWS_AS(barrier.wait(50ms), multirank::BrokenBarrierError);
    barrier.reset();
    CHECK_FALSE(barrier.broken());
    barrier.abort();
    CHECK(barrier.broken());
  }

  SECTION("Condition: a waiter wakes on notify once the predicate holds") {
    multirank::Condition condition;
    multirank::Value<bool> ready(false);
    multirank::Queue<int> out;
    multirank::Process waiter(wait_for_ready, condition, ready, out);
    waiter.start();
    CHECK_THROWS_AS(out.get(100ms), multirank::Empty);
    {
      std::lock_guard hold(condition);
      ready.set(true);
      condition.notify_all();
    }
    CHECK(out.get(30s) == 1);
    waiter.join();
  }

  SECTION("Condition: wait times out with false and the lock held again") {
    multirank::Lock lock;
    multirank::Condition condition(lock);
    lock.acquire();
    CHECK_FALSE(condition.wait(50ms));
    CHECK_NOTHROW(lock.release());  // held again after the wait
  }

  SECTION("Condition: wait or notify without the lock is an error") {
    multirank::Condition condition;
    CHECK_THROWS_AS(condition.wait(50ms), multirank::StateError);
    CHECK_THROWS_AS(condition.notify(), multirank::StateError);
  }

  SECTION("Value holds any serialisable type") {
    multirank::Value<std::string> text("first");
    CHECK(text.get() == "first");
    text.set("second");
    CHECK(text.get() == "second");
  }
}
