// The driver's watch over its worker ranks (runtime/src/engine/worker_watch.hpp), on a clock the
// test moves: heartbeats on their schedule, silence past the timeout, any message as a sign of
// life, a long-overdue look that starts silence over, and no watching at all with timeout 0.
#include <catch2/catch.hpp>
#include <chrono>

#include "engine/worker_watch.hpp"

using multirank::detail::Clock;
using multirank::detail::heartbeat_interval;
using multirank::detail::WorkerWatch;
using namespace std::chrono_literals;

TEST_CASE("worker watch", "[engine][liveness]") {
  const Clock::time_point start{std::chrono::hours(1)};

  SECTION("heartbeats go out at once, then five times per timeout, at most every 100 ms") {
    CHECK(heartbeat_interval(10s) == 2s);
    CHECK(heartbeat_interval(7s) == 1400ms);
    CHECK(heartbeat_interval(1s) == 200ms);
    CHECK(heartbeat_interval(0s) == 100ms);
    WorkerWatch watch(4, 10s, start);
    CHECK(watch.heartbeats_due(start));
    CHECK_FALSE(watch.heartbeats_due(start));
    CHECK_FALSE(watch.heartbeats_due(start + 1999ms));
    CHECK(watch.heartbeats_due(start + 2s));
    CHECK_FALSE(watch.heartbeats_due(start + 3s));
  }

  SECTION("a rank is silent once nothing came from it for longer than the timeout") {
    WorkerWatch watch(3, 10s, start);
    CHECK_FALSE(watch.silent(1, start + 10s));
    CHECK(watch.silent(1, start + 10s + 1ms));
    CHECK(watch.silent(2, start + 11s));
  }

  SECTION("any message from a rank restarts its silence, and only its own") {
    WorkerWatch watch(3, 10s, start);
    watch.heard_from(1, start + 8s);
    CHECK_FALSE(watch.silent(1, start + 15s));
    CHECK(watch.silent(2, start + 15s));
    CHECK(watch.silent(1, start + 18s + 1ms));
  }

  SECTION("the ranks are looked at every 100 ms") {
    WorkerWatch watch(2, 10s, start);
    CHECK(watch.check_due(start));
    CHECK_FALSE(watch.check_due(start + 99ms));
    CHECK(watch.check_due(start + 100ms));
    CHECK_FALSE(watch.check_due(start + 150ms));
  }

  SECTION("a look long overdue starts every rank's silence over") {
    // The driver spent 30 s in one long transfer and heard nobody: that is not their silence.
    WorkerWatch watch(3, 10s, start);
    CHECK(watch.check_due(start));
    CHECK(watch.check_due(start + 30s));
    CHECK_FALSE(watch.silent(1, start + 30s));
    CHECK_FALSE(watch.silent(2, start + 39s));
    CHECK(watch.silent(2, start + 41s));
  }

  SECTION("with a one-second timeout too, a look a little late keeps the silence") {
    WorkerWatch watch(2, 1s, start);
    CHECK(watch.check_due(start));
    CHECK(watch.check_due(start + 400ms));  // 300 ms late: under half the timeout
    CHECK(watch.check_due(start + 800ms));
    CHECK(watch.check_due(start + 1050ms));
    CHECK(watch.silent(1, start + 1050ms));
  }

  SECTION("a look a little late keeps the silence counted so far") {
    WorkerWatch watch(2, 10s, start);
    CHECK(watch.check_due(start));
    CHECK(watch.check_due(start + 4s));  // under half the timeout late
    CHECK(watch.check_due(start + 8s));
    CHECK(watch.check_due(start + 10s + 50ms));
    CHECK(watch.silent(1, start + 10s + 50ms));
  }

  SECTION("timeout 0: no heartbeats, and silence never counts") {
    WorkerWatch watch(2, 0s, start);
    CHECK_FALSE(watch.heartbeats_due(start));
    CHECK_FALSE(watch.heartbeats_due(start + 1h));
    CHECK_FALSE(watch.silent(1, start + 1h));
  }
}
