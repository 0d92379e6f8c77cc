// The dispatch policy's rules (engine/dispatch_policy.hpp).
#include "engine/dispatch_policy.hpp"

#include <algorithm>

namespace multirank::detail {

void DispatchPolicy::fold_measurements() {
  for (const auto& [task_id, item_ns] : measured_) {
    auto [known, inserted] = item_ns_.try_emplace(task_id, item_ns);
    if (!inserted) known->second = 0.8 * known->second + 0.2 * item_ns;
  }
  measured_.clear();
}

double DispatchPolicy::estimate_ns(std::uint64_t task_id, std::uint32_t items) const {
  auto known = item_ns_.find(task_id);
  return known == item_ns_.end() ? -1.0 : known->second * items;
}

bool DispatchPolicy::fits(const Load& load, double estimate_ns, std::uint32_t items,
                          const Window& window) const {
  // A task never measured goes alone: it may take an hour, and another slot may free up sooner.
  if (estimate_ns < 0) return load.records == 0;
  if (estimate_ns < window.min_estimate_ns) return false;
  // Queueing a record behind the running one hides the round trip; for very long tasks it would
  // only hold work back from a slot that frees up sooner.
  const bool long_task = estimate_ns / std::max<std::uint32_t>(1, items) >= long_task_ns;
  if (load.records < (long_task ? 1 : window.min_records)) return true;
  return window.target_ns > 0 && load.estimate_ns + estimate_ns <= window.target_ns &&
         load.items + items <= max_window_items_;
}

double DispatchPolicy::queue_ahead_target_ns(double pending_ns, std::size_t slots) const {
  // Near the end a full window would leave one slot working through its queue while the others,
  // the driver's own worker first, have nothing left: as the pending work shrinks, so do the
  // windows, and every slot runs dry at about the same time (within about one task).
  return std::min(window_target_ns_, pending_ns / static_cast<double>(slots));
}

}  // namespace multirank::detail
