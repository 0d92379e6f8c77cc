// Waiting without burning a core. Open MPI's blocking calls busy-poll, so every wait in multirank
// is a probe loop: spin while there was recent activity (a message usually follows another within
// microseconds), then nap with doubling sleeps. Measured here: a 1 ms spin window keeps round
// trips at 0.5-2.5 µs and an idle rank at about 2 % CPU; a 50 µs window costs 10-120 µs per trip.
#pragma once

#include <chrono>
#include <cstdint>

namespace multirank::detail {

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;

  Backoff(std::chrono::microseconds spin_window, std::chrono::microseconds max_nap)
      : spin_window_(spin_window), max_nap_(max_nap), last_activity_(Clock::now()) {}

  /// Something happened: spin again.
  void reset() {
    last_activity_ = Clock::now();
    nap_ = std::chrono::microseconds(1);
  }
  /// Activity seen by someone else at `when` (another thread of the same engine) counts too.
  void saw_activity(Clock::time_point when) {
    if (when > last_activity_) {
      last_activity_ = when;
      nap_ = std::chrono::microseconds(1);
    }
  }
  /// Nothing happened this round: return at once while inside the spin window, else sleep.
  void pause();
  /// Sleeps for the longest nap, for threads that only need to look in now and then.
  void nap_long() const;

 private:
  std::chrono::microseconds spin_window_;
  std::chrono::microseconds max_nap_;
  std::chrono::microseconds nap_{1};
  Clock::time_point last_activity_;
};

}  // namespace multirank::detail
