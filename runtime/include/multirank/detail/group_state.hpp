// A state that completes when every record of a map_async has: it gathers their items in input
// order and fails with the first failed item's error.
#pragma once

#include <atomic>
#include <memory>
#include <vector>

#include "multirank/detail/task_state.hpp"

namespace multirank::detail {

template <class R>
class GroupState final : public TaskState {
 public:
  using Stored = typename ResultState<R>::Stored;

  static std::shared_ptr<GroupState> of(std::vector<std::shared_ptr<ResultState<R>>> parts) {
    auto group = std::shared_ptr<GroupState>(new GroupState());
    group->remaining_ = parts.size() + 1;  // +1 until every hook is installed
    group->parts_ = std::move(parts);
    for (auto& part : group->parts_) {
      part->on_done([weak = std::weak_ptr<GroupState>(group)] {
        if (auto g = weak.lock()) g->part_done();
      });
    }
    group->part_done();
    return group;
  }

  std::vector<Stored>& values() {
    if (error_) std::rethrow_exception(error_);
    return values_;
  }
  bool has_error() const override { return status() == TaskStatus::finished && error_ != nullptr; }

 protected:
  void store_items(ByteReader&, std::uint32_t, const Origin&) override {}
  void store_failure(std::exception_ptr error) override { error_ = std::move(error); }

 private:
  GroupState() = default;

  void part_done() {
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    for (auto& part : parts_) {
      for (std::size_t i = 0; i < part->size() && !error_; ++i) {
        try {
          values_.push_back(std::move(part->value(i)));
        } catch (...) {
          error_ = std::current_exception();
        }
      }
    }
    if (error_) values_.clear();
    parts_.clear();
    if (mark_finished()) run_hooks();
  }

  std::atomic<std::size_t> remaining_{0};
  std::vector<std::shared_ptr<ResultState<R>>> parts_;
  std::vector<Stored> values_;
  std::exception_ptr error_;
};

}  // namespace multirank::detail
