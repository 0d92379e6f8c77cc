// Storage for the events a rank records: 2 MiB blocks, each faulted in at once when it is added
// (one transparent huge page where the kernel allows it), so recording never copies a growing
// vector and never stops for a page fault per 4 KiB page (on a VM, faulting fresh pages in one by
// one made recording tiny tasks markedly slower).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <vector>

namespace multirank::detail {

/// Reserves room for `count` elements in `container` (a vector or string) and asks the kernel to
/// back it with transparent huge pages, so filling megabytes of events or text faults once per
/// 2 MiB rather than once per 4 KiB page (on a loaded VM, the faults cost more than the copying).
template <class Container>
void reserve_on_huge_pages(Container& container, std::size_t count) {
  container.reserve(count);
  constexpr std::uintptr_t huge = std::uintptr_t{2} << 20;
  const auto start = reinterpret_cast<std::uintptr_t>(container.data());
  const std::uintptr_t end = start + container.capacity() * sizeof(*container.data());
  const std::uintptr_t first = (start + huge - 1) & ~(huge - 1);
  if (end > first + huge)
    madvise(reinterpret_cast<void*>(first), (end - first) & ~(huge - 1), MADV_HUGEPAGE);
}

template <class T>
class EventBuffer {
  static_assert(std::is_trivially_copyable_v<T>, "events are plain records");

 public:
  static constexpr std::size_t block_bytes = std::size_t{2} << 20;
  static constexpr std::size_t per_block = block_bytes / sizeof(T);

  EventBuffer() = default;
  ~EventBuffer() {
    for (T* block : blocks_) munmap(block, block_bytes);
  }
  EventBuffer(const EventBuffer&) = delete;
  EventBuffer& operator=(const EventBuffer&) = delete;

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }

  void push_back(const T& event) {
    const std::size_t slot = size_ % per_block;
    if (slot == 0 && size_ / per_block == blocks_.size()) add_block();
    blocks_[size_ / per_block][slot] = event;
    ++size_;
  }
  const T& back() const { return blocks_[(size_ - 1) / per_block][(size_ - 1) % per_block]; }

  /// The events, in order, as a vector (once, when the run ends).
  std::vector<T> to_vector() const {
    std::vector<T> out;
    reserve_on_huge_pages(out, size_);
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      const std::size_t count = b + 1 < blocks_.size() ? per_block : size_ - b * per_block;
      out.insert(out.end(), blocks_[b], blocks_[b] + count);
    }
    return out;
  }

  /// Calls `visit(const T* first, std::size_t count)` for each block's events, in order: to
  /// send them without copying them into one vector first.
  template <class Visit>
  void for_each_span(Visit visit) const {
    for (std::size_t b = 0; b < blocks_.size(); ++b) {
      const std::size_t count = b + 1 < blocks_.size() ? per_block : size_ - b * per_block;
      if (count > 0) visit(static_cast<const T*>(blocks_[b]), count);
    }
  }

  /// Maps the first block now, so even the first events cost no page faults.
  void prepare() {
    if (blocks_.empty()) add_block();
  }

 private:
  void add_block() {
    // Twice the size, so a 2 MiB-aligned block fits inside; the kernel then backs it with one
    // transparent huge page (one fault) where it can, and with populated small pages otherwise.
    void* memory =
        mmap(nullptr, 2 * block_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) throw std::bad_alloc();
    const auto address = reinterpret_cast<std::uintptr_t>(memory);
    const std::uintptr_t aligned = (address + block_bytes - 1) & ~(block_bytes - 1);
    if (aligned > address) munmap(memory, aligned - address);
    const std::uintptr_t tail = address + 2 * block_bytes - (aligned + block_bytes);
    if (tail > 0) munmap(reinterpret_cast<void*>(aligned + block_bytes), tail);
    auto* block = reinterpret_cast<char*>(aligned);
    madvise(block, block_bytes, MADV_HUGEPAGE);
    madvise(block, block_bytes, MADV_WILLNEED);
    for (std::size_t page = 0; page < block_bytes; page += 4096) block[page] = 0;
    blocks_.push_back(reinterpret_cast<T*>(block));
  }

  std::vector<T*> blocks_;
  std::size_t size_ = 0;
};

}  // namespace multirank::detail
