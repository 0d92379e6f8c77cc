// How the images are grouped into tasks. A photograph takes milliseconds to convert and is a task
// of its own; a thumbnail takes tens of microseconds, as little as a task's own cost (its
// messages, its scheduling, the driver's accounting), so runs of small images share a task of a
// few milliseconds, as Pool's chunksize does for tiny tasks. Grouping follows the list, which is
// largest first, so that order is kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace grayscale {

/// What a task aims at, in bytes of input plus a fixed cost per image (bytes_per_image: opening,
/// reading, writing and renaming a file, and a codec's set-up, cost about as much as decoding and
/// encoding that many bytes of JPEG).
struct BatchTarget {
  std::uint64_t bytes_per_task = 128 << 10;
  std::uint64_t bytes_per_image = 2 << 10;
};

/// Splits images of the given `sizes` (in task order) into consecutive batches: an image joins
/// the batch before it while that batch's estimated cost stays within `target`, and no batch
/// holds more than a quarter of an even share per worker slot (ceil(n / (4 x worker_slots))), so
/// a small set still spreads over every worker. Returns where each batch starts, ascending, the
/// first 0 (none for no images); batch i is [starts[i], starts[i + 1]), the last ends at n.
std::vector<std::size_t> batch_starts(std::span<const std::uint64_t> sizes, std::size_t worker_slots,
                                      const BatchTarget& target = {});

}  // namespace grayscale
