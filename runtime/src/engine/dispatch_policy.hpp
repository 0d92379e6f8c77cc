// How the driver decides how much work a worker slot is handed: each task's run time per item,
// learned from its results, and the window of expected run time a slot may have queued behind
// the record it runs (enough to hide a round trip, never so much that one slot is left working
// through its queue while the others have nothing). No MPI and no lock: the engine calls it under
// its own locks, the unit tests alone.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <utility>
#include <vector>

namespace multirank::detail {

/// Work handed to a slot and not yet reported back.
struct Load {
  std::size_t records = 0;
  std::uint64_t items = 0;
  double estimate_ns = 0;
};

/// How much a slot may be handed ahead of what it runs.
struct Window {
  double target_ns;            // queued work, in expected run time (0: just what runs now)
  std::size_t min_records;     // records allowed whatever their size, if the task is not long
  double min_estimate_ns = 0;  // records expected to be shorter are left to other slots
};

class DispatchPolicy {
 public:
  /// A task whose items take this long each is long: it is never queued behind another record.
  static constexpr double long_task_ns = 100e6;

  /// `window_target`: the expected run time a slot may have queued ahead at most;
  /// `max_window_items`: and the items (RuntimeOptions::window_target, max_window_items).
  DispatchPolicy(std::chrono::microseconds window_target, std::uint32_t max_window_items)
      : window_target_ns_(static_cast<double>(window_target.count()) * 1000.0),
        max_window_items_(max_window_items) {}

  /// A result of task `task_id` that took `item_ns` per item, counted from the next fold on.
  void measured(std::uint64_t task_id, double item_ns) { measured_.emplace_back(task_id, item_ns); }
  bool has_measurements() const noexcept { return !measured_.empty(); }
  /// Moves the measurements into the estimates (a running average that gives the newest 20 %):
  /// once per progress round, so that a batch of results takes the estimates' lock once.
  void fold_measurements();
  /// Expected run time of `items` items of task `task_id`; negative if it was never measured.
  double estimate_ns(std::uint64_t task_id, std::uint32_t items) const;

  /// Whether a record of `items` items, expected to take `estimate_ns` (negative: unknown), may
  /// join `load` within `window`.
  bool fits(const Load& load, double estimate_ns, std::uint32_t items, const Window& window) const;
  /// Enough pending records that queueing ahead cannot leave a slot idle at the end.
  static bool plenty_pending(std::size_t pending_records, std::size_t slots) noexcept {
    return pending_records >= 2 * slots;
  }
  /// Work to queue ahead on each of `slots` slots while `pending_ns` of expected run time is
  /// pending: the window target, but no more than an even share of what is pending.
  double queue_ahead_target_ns(double pending_ns, std::size_t slots) const;

 private:
  double window_target_ns_;
  std::uint32_t max_window_items_;
  std::unordered_map<std::uint64_t, double> item_ns_;       // per task id
  std::vector<std::pair<std::uint64_t, double>> measured_;  // not yet folded
};

}  // namespace multirank::detail
