// One pass over the sizes: a batch closes when the next image would take it over the target cost
// or the image count cap. An image over the target on its own is a batch of one.
#include "task_batches.hpp"

#include <algorithm>

namespace grayscale {

std::vector<std::size_t> batch_starts(std::span<const std::uint64_t> sizes, std::size_t worker_slots,
                                      const BatchTarget& target) {
  std::vector<std::size_t> starts;
  if (sizes.empty()) return starts;
  const std::size_t shares = 4 * std::max<std::size_t>(1, worker_slots);
  const std::size_t max_images = (sizes.size() + shares - 1) / shares;
  std::uint64_t cost = 0;
  std::size_t images = 0;
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    const std::uint64_t image_cost = sizes[i] + target.bytes_per_image;
    if (images == 0 || images == max_images || cost + image_cost > target.bytes_per_task) {
      starts.push_back(i);
      cost = 0;
      images = 0;
    }
    cost += image_cost;
    ++images;
  }
  return starts;
}

}  // namespace grayscale
