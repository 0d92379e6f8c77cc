// Whether the driver still hears its worker ranks: when heartbeats go out, and how long each rank
// has been silent against MULTIRANK_WORKER_TIMEOUT_S. No MPI and no lock: the engine tells it what
// it heard and when, under its own lock, and decides what a silent rank means (only ranks on
// other nodes are lost for silence; a node-mate's process is looked at instead). Unit tests drive
// its clock.
#pragma once

#include <chrono>
#include <vector>

#include "multirank/detail/deadline.hpp"

namespace multirank::detail {

/// How often a rank sends heartbeats to a peer that loses it after `timeout` of silence: five
/// times per timeout, at most every 100 ms. The driver and the worker ranks use the same.
Clock::duration heartbeat_interval(std::chrono::seconds timeout) noexcept;

class WorkerWatch {
 public:
  /// How often the ranks' silence is looked at.
  static constexpr std::chrono::milliseconds check_interval{100};

  /// For ranks 0 to `ranks` - 1 (0 is the driver itself), silence counted from `now`. A
  /// `timeout` of 0: no heartbeats, and silence never counts.
  WorkerWatch(int ranks, std::chrono::seconds timeout, Clock::time_point now);

  /// A message came from `rank` (any message: a result is as good as a heartbeat).
  void heard_from(int rank, Clock::time_point now) noexcept;
  /// Whether heartbeats are due now; if so, the next ones are scheduled.
  bool heartbeats_due(Clock::time_point now) noexcept;
  /// Whether the ranks are to be looked at now; if so, the next look is scheduled. A look long
  /// overdue (this rank was busy in a long send or receive and heard nobody meanwhile) starts
  /// every rank's silence over from now.
  bool check_due(Clock::time_point now) noexcept;
  /// Whether `rank` has been silent for longer than the timeout.
  bool silent(int rank, Clock::time_point now) const noexcept;
  std::chrono::seconds timeout() const noexcept { return timeout_; }

 private:
  std::chrono::seconds timeout_;
  std::vector<Clock::time_point> last_heard_;  // per rank
  Clock::time_point next_heartbeats_;
  Clock::time_point next_check_{};  // none yet: the first look is never overdue
};

}  // namespace multirank::detail
