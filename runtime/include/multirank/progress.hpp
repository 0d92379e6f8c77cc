// Observing how far a map has come, in items (not chunks), so an app can draw a progress bar
// with an ETA.
#pragma once

#include <cstddef>
#include <optional>

namespace multirank {

/// Receives the progress of one map/imap/imap_unordered call. Calls come from driver threads:
/// on_progress may be called from more than one thread (never for the same items twice), so an
/// implementation that keeps state must synchronise it.
class ProgressObserver {
 public:
  virtual ~ProgressObserver() = default;
  /// Once, before any item runs; `total_items` is known when the input is a sized range.
  virtual void on_start(std::optional<std::size_t> total_items) { (void)total_items; }
  /// `items` more items finished (successfully or not).
  virtual void on_progress(std::size_t items) = 0;
  /// Once, when the input is exhausted and every item has finished.
  virtual void on_finish() {}
};

}  // namespace multirank
