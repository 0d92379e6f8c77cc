// Waiting without burning a core. Open MPI's blocking calls busy-poll, so every wait in multirank
// is a probe loop: spin while there was recent activity (a message usually follows another within
// microseconds), then nap with doubling sleeps. The spin window trades an idle rank's CPU for the
// round trip: too short a window makes a task's round trip wait out naps.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "multirank/options.hpp"

namespace multirank::detail {

/// How a rank waits, fixed at start-up.
struct WaitPolicy {
  std::chrono::microseconds spin_window;
  std::chrono::microseconds max_nap;
  /// A spinning rank calls sched_yield (RuntimeOptions::spin_yield) instead of a pause
  /// instruction.
  bool yield_while_spinning;

  static WaitPolicy of(const RuntimeOptions& options);
};

/// RuntimeOptions::spin_yield's automatic choice: whether a node's busy threads (its ranks, plus
/// the driver's worker thread where it runs) outnumber its cores, so that a thread spinning while
/// it waits takes a core from one that computes.
bool spinning_should_yield(int ranks_on_node, bool driver_worker_thread_here, unsigned cores);

/// Whether Open MPI's own waits (MPI_Init, collectives) should yield the core, as mpirun asks on an
/// oversubscribed node. A few ranks more than cores run best without it (multirank's loops nap on
/// their own, and a sched_yield in every empty probe slows small messages several fold), but with
/// many ranks per core the collectives of start-up and close only progress when waiting ranks step
/// aside. 0 ranks (unknown) keeps multirank's choice.
bool mpi_should_yield_when_idle(int ranks_on_node, unsigned cores);

/// Open MPI's mpi_yield_when_idle for this rank: MULTIRANK_SPIN_YIELD's 1 or 0 where the user gave
/// one (`spin_yield`), since a node's rank count can understate how many ranks share its cores
/// (containers and network-namespace hosts on one machine each look like a node of their own);
/// otherwise false where mpi_should_yield_when_idle says no, and nothing (Open MPI's own choice)
/// where it says yes.
std::optional<bool> mpi_yield_when_idle(std::optional<bool> spin_yield, int ranks_on_node,
                                        unsigned cores);

/// When the threads waiting on one engine last saw activity (a message moved, a task finished),
/// and how far apart such moments have lately been. Shared by those threads: a wait that starts
/// after a result naps first for a fraction of the usual gap, not for a microsecond doubled a dozen
/// times, so a driver whose workers each hold a window of queued work wakes a few times per
/// result, not once per doubling, and takes its core from a converting thread that much less.
class ActivityClock {
 public:
  using Clock = std::chrono::steady_clock;

  /// Activity now. A gap longer than `longest_gap` (the program was busy elsewhere, or idle)
  /// counts as that long, so a pause does not make the next waits nap long.
  void mark(Clock::time_point now, std::chrono::nanoseconds longest_gap) noexcept;
  Clock::time_point last() const noexcept {
    return Clock::time_point(Clock::duration(last_.load(std::memory_order_relaxed)));
  }
  /// The first nap after activity: an eighth of the recent gaps between activities (a result is
  /// then seen within about that much of its arrival, as later, longer naps see it within their
  /// length), from 1 µs up to `max_nap`.
  std::chrono::microseconds first_nap(std::chrono::microseconds max_nap) const noexcept;

 private:
  std::atomic<Clock::rep> last_{Clock::now().time_since_epoch().count()};
  std::atomic<std::int64_t> gap_ns_{0};  // moving average, each new gap weighing a quarter
};

class Backoff {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Backoff(const WaitPolicy& policy)
      : spin_window_(policy.spin_window),
        max_nap_(policy.max_nap),
        yield_(policy.yield_while_spinning),
        last_activity_(Clock::now()) {}

  /// Something happened: spin again, then nap from `first_nap`.
  void reset(std::chrono::microseconds first_nap = std::chrono::microseconds(1)) {
    last_activity_ = Clock::now();
    nap_ = first_nap;
  }
  /// The same, the first nap following an engine's recent gaps between activities.
  void reset(const ActivityClock& activity) { reset(activity.first_nap(max_nap_)); }
  /// Activity seen by someone else at `when` (another thread of the same engine) counts too.
  void saw_activity(Clock::time_point when,
                    std::chrono::microseconds first_nap = std::chrono::microseconds(1)) {
    if (when > last_activity_) {
      last_activity_ = when;
      nap_ = first_nap;
    }
  }
  /// The same, from an engine's activity clock: the first nap follows its recent gaps.
  void saw_activity(const ActivityClock& activity) {
    saw_activity(activity.last(), activity.first_nap(max_nap_));
  }
  /// Nothing happened this round: return at once while inside the spin window, else sleep.
  void pause();

 private:
  std::chrono::microseconds spin_window_;
  std::chrono::microseconds max_nap_;
  std::chrono::microseconds nap_{1};
  bool yield_;
  Clock::time_point last_activity_;
};

}  // namespace multirank::detail
