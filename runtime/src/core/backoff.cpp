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
