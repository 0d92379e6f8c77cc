// The spin-then-nap policy of every waiting loop.
#include "core/backoff.hpp"

#include <sched.h>
#include <time.h>

#include <algorithm>

namespace multirank::detail {

namespace {
void sleep_for(std::chrono::microseconds duration) {
  timespec request{};
  request.tv_sec = static_cast<time_t>(duration.count() / 1000000);
  request.tv_nsec = static_cast<long>((duration.count() % 1000000) * 1000);
  nanosleep(&request, nullptr);
}
}  // namespace

void Backoff::pause() {
  if (Clock::now() - last_activity_ < spin_window_) {
    if (yield_) {
      sched_yield();
    } else {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
    }
    return;
  }
  sleep_for(nap_);
  nap_ = std::min(nap_ * 2, max_nap_);
}

void ActivityClock::mark(Clock::time_point now, std::chrono::nanoseconds longest_gap) noexcept {
  const Clock::rep before =
      last_.exchange(now.time_since_epoch().count(), std::memory_order_relaxed);
  const std::int64_t gap =
      std::clamp<std::int64_t>(now.time_since_epoch().count() - before, 0, longest_gap.count());
  // Two threads marking at once may lose one's update: the average stays about right.
  const std::int64_t average = gap_ns_.load(std::memory_order_relaxed);
  gap_ns_.store(average + (gap - average) / 4, std::memory_order_relaxed);
}

std::chrono::microseconds ActivityClock::first_nap(
    std::chrono::microseconds max_nap) const noexcept {
  const auto eighth = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::nanoseconds(gap_ns_.load(std::memory_order_relaxed) / 8));
  return std::clamp(eighth, std::chrono::microseconds(1),
                    std::max(max_nap, std::chrono::microseconds(1)));
}

WaitPolicy WaitPolicy::of(const RuntimeOptions& options) {
  return WaitPolicy{options.spin_window, options.max_nap, options.spin_yield.value_or(false)};
}

bool spinning_should_yield(int ranks_on_node, bool driver_worker_thread_here, unsigned cores) {
  const unsigned busy =
      static_cast<unsigned>(ranks_on_node) + (driver_worker_thread_here ? 1U : 0U);
  return busy > std::max(cores, 1U);
}

bool mpi_should_yield_when_idle(int ranks_on_node, unsigned cores) {
  return static_cast<unsigned>(std::max(ranks_on_node, 0)) > 2 * std::max(cores, 1U);
}

std::optional<bool> mpi_yield_when_idle(std::optional<bool> spin_yield, int ranks_on_node,
                                        unsigned cores) {
  if (spin_yield) return spin_yield;
  if (!mpi_should_yield_when_idle(ranks_on_node, cores)) return false;
  return std::nullopt;
}

}  // namespace multirank::detail
