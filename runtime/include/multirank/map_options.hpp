// Options of the map family of calls, shared by Executor and Pool.
#pragma once

#include <cstddef>
#include <memory>

#include "multirank/future.hpp"
#include "multirank/progress.hpp"

namespace multirank {

/// Options of a map call (Executor::map, Pool::map/imap/imap_unordered/starmap).
struct MapOptions {
  /// Items per task; 0 uses the call's default (Executor::map and imap: 1; Pool::map and
  /// starmap: ceil(n / (4 x workers)), as Python).
  std::size_t chunksize = 0;
  /// Limit for the whole iteration, measured from the call; TimeoutError when it passes.
  Timeout timeout;
  /// Chunks submitted and not yet consumed; 0 chooses enough to keep every worker busy.
  std::size_t max_in_flight = 0;
  /// Encoded argument bytes of those chunks; 0: no limit. For inputs that carry their data (file
  /// contents shipped to workers): the input is read ahead only that far. A soft limit: it may be
  /// passed by the last chunk pulled, and every worker slot keeps two chunks whatever their size.
  std::size_t max_bytes_in_flight = 0;
  /// Told how many items have finished, for a progress bar.
  std::shared_ptr<ProgressObserver> progress;
};

}  // namespace multirank
