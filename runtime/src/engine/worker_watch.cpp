// The driver's watch over its worker ranks (worker_watch.hpp).
#include "engine/worker_watch.hpp"

#include <algorithm>
#include <cstddef>

namespace multirank::detail {

Clock::duration heartbeat_interval(std::chrono::seconds timeout) noexcept {
  // In the clock's units: whole seconds divided by five would round 1 s down to nothing.
  return std::max<Clock::duration>(std::chrono::milliseconds(100), Clock::duration(timeout) / 5);
}

WorkerWatch::WorkerWatch(int ranks, std::chrono::seconds timeout, Clock::time_point now)
    : timeout_(timeout), last_heard_(static_cast<std::size_t>(ranks), now), next_heartbeats_(now) {}

void WorkerWatch::heard_from(int rank, Clock::time_point now) noexcept {
  last_heard_[static_cast<std::size_t>(rank)] = now;
}

bool WorkerWatch::heartbeats_due(Clock::time_point now) noexcept {
  if (timeout_.count() <= 0 || now < next_heartbeats_) return false;
  next_heartbeats_ = now + heartbeat_interval(timeout_);
  return true;
}

bool WorkerWatch::check_due(Clock::time_point now) noexcept {
  if (now < next_check_) return false;
  if (next_check_ != Clock::time_point{} && now - next_check_ > Clock::duration(timeout_) / 2) {
    std::fill(last_heard_.begin(), last_heard_.end(), now);
  }
  next_check_ = now + check_interval;
  return true;
}

bool WorkerWatch::silent(int rank, Clock::time_point now) const noexcept {
  return timeout_.count() > 0 && now - last_heard_[static_cast<std::size_t>(rank)] > timeout_;
}

}  // namespace multirank::detail
