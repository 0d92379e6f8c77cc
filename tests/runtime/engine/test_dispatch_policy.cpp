// The driver's dispatch policy on its own, without MPI: what it learns of each task's run time,
// and how much work a slot may be handed ahead of what it runs.
#include <catch2/catch.hpp>

#include "engine/dispatch_policy.hpp"

using namespace multirank::detail;
using namespace std::chrono_literals;

namespace {
constexpr std::uint64_t task = 7;
constexpr std::uint64_t other_task = 8;
constexpr double us = 1000.0;  // nanoseconds
}  // namespace

TEST_CASE("the dispatch policy learns each task's run time from its results", "[dispatch]") {
  DispatchPolicy policy(500us, 1024);

  SECTION("a task never measured has no estimate") { CHECK(policy.estimate_ns(task, 1) < 0); }
  SECTION("a measurement counts once folded, per item, for that task only") {
    policy.measured(task, 20 * us);
    CHECK(policy.has_measurements());
    CHECK(policy.estimate_ns(task, 1) < 0);
    policy.fold_measurements();
    CHECK_FALSE(policy.has_measurements());
    CHECK(policy.estimate_ns(task, 3) == Approx(60 * us));
    CHECK(policy.estimate_ns(other_task, 1) < 0);
  }
  SECTION("later measurements move the estimate a fifth of the way") {
    policy.measured(task, 100 * us);
    policy.fold_measurements();
    policy.measured(task, 200 * us);
    policy.fold_measurements();
    CHECK(policy.estimate_ns(task, 1) == Approx(120 * us));
  }
}

TEST_CASE("the dispatch policy bounds the work queued on a slot", "[dispatch]") {
  DispatchPolicy policy(500us, 10);
  const Window queue_ahead{300 * us, 2};
  const Load empty;
  const Load running_one{1, 1, 10 * us};

  SECTION("a task never measured goes only to an empty slot") {
    CHECK(policy.fits(empty, -1, 1, queue_ahead));
    CHECK_FALSE(policy.fits(running_one, -1, 1, queue_ahead));
  }
  SECTION("up to the window's minimum count, a record fits whatever its size") {
    CHECK(policy.fits(running_one, 10'000 * us, 1, queue_ahead));
    CHECK(policy.fits(empty, 10'000 * us, 1, Window{0, 1}));
  }
  SECTION("a long task is never queued behind another record") {
    const double long_item = DispatchPolicy::long_task_ns;
    CHECK(policy.fits(empty, long_item, 1, queue_ahead));
    CHECK_FALSE(policy.fits(running_one, long_item, 1, queue_ahead));
    // Long per item, not in total: many short items are not a long task.
    CHECK(policy.fits(running_one, long_item, 10'000, queue_ahead));
  }
  SECTION("beyond the minimum, a record fits while the window's run time holds it") {
    const Load two{2, 2, 100 * us};
    CHECK(policy.fits(two, 200 * us, 1, queue_ahead));
    CHECK_FALSE(policy.fits(two, 201 * us, 1, queue_ahead));
    CHECK_FALSE(policy.fits(two, 1 * us, 1, Window{0, 2}));
  }
  SECTION("and while the items stay within the limit") {
    const Load two{2, 8, 10 * us};
    CHECK(policy.fits(two, 1 * us, 2, queue_ahead));
    CHECK_FALSE(policy.fits(two, 1 * us, 3, queue_ahead));
  }
  SECTION("records shorter than the window's minimum are left to other slots") {
    const Window for_the_driver{300 * us, 1, 20 * us};
    CHECK_FALSE(policy.fits(empty, 19 * us, 1, for_the_driver));
    CHECK(policy.fits(empty, 20 * us, 1, for_the_driver));
  }
}

TEST_CASE("the dispatch policy queues ahead only while plenty is pending", "[dispatch]") {
  DispatchPolicy policy(500us, 1024);

  SECTION("plenty pending is two records per slot") {
    CHECK(DispatchPolicy::plenty_pending(8, 4));
    CHECK_FALSE(DispatchPolicy::plenty_pending(7, 4));
  }
  SECTION("the target is the window's, or an even share of what is pending if less") {
    CHECK(policy.queue_ahead_target_ns(10'000 * us, 4) == Approx(500 * us));
    CHECK(policy.queue_ahead_target_ns(1'000 * us, 4) == Approx(250 * us));
    CHECK(policy.queue_ahead_target_ns(0, 4) == 0);
  }
}
