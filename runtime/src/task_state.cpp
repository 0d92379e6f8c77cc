// Completion and hooks of the state behind futures.
#include "multirank/detail/task_state.hpp"

#include <spdlog/spdlog.h>

namespace multirank::detail {

bool TaskState::try_start() noexcept {
  auto expected = TaskStatus::pending;
  return status_.compare_exchange_strong(expected, TaskStatus::running, std::memory_order_acq_rel);
}

bool TaskState::try_cancel() {
  auto expected = TaskStatus::pending;
  return status_.compare_exchange_strong(expected, TaskStatus::cancelled,
                                         std::memory_order_acq_rel);
}

bool TaskState::begin_completion() noexcept {
  auto expected = status_.load(std::memory_order_acquire);
  while (expected == TaskStatus::pending || expected == TaskStatus::running) {
    if (status_.compare_exchange_weak(expected, TaskStatus::completing, std::memory_order_acq_rel))
      return true;
  }
  return false;
}

bool TaskState::complete(ByteReader& items, std::uint32_t count, const Origin& origin) {
  if (!begin_completion()) return false;
  store_items(items, count, origin);
  status_.store(TaskStatus::finished, std::memory_order_release);
  return true;
}

bool TaskState::fail(std::exception_ptr error) {
  if (!begin_completion()) return false;
  store_failure(std::move(error));
  status_.store(TaskStatus::finished, std::memory_order_release);
  return true;
}

void TaskState::on_done(std::function<void()> hook) {
  {
    std::lock_guard lock(hooks_mutex_);
    if (!hooks_ran_) {
      hooks_.push_back(std::move(hook));
      return;
    }
  }
  hook();
}

void TaskState::run_hooks() {
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard lock(hooks_mutex_);
    hooks_ran_ = true;
    hooks.swap(hooks_);
  }
  for (auto& hook : hooks) {
    // A failing callback must not stop the others nor the engine that completed the state;
    // concurrent.futures logs and ignores such exceptions too.
    try {
      hook();
    } catch (const std::exception& e) {
      spdlog::error("a done-callback raised: {}", e.what());
    } catch (...) {
      spdlog::error("a done-callback raised a value that is not a std::exception");
    }
  }
  settled_.store(true, std::memory_order_release);
}

std::exception_ptr remote_error(const ErrorInfo& info, const Origin& origin) {
  return std::make_exception_ptr(
      RemoteError(info.type_name, info.message, origin.rank, origin.host, origin.task_name));
}

ErrorInfo decode_error_info(std::span<const char> bytes) {
  ByteReader in(bytes);
  ErrorInfo info;
  decode(in, info.type_name);
  decode(in, info.message);
  return info;
}

std::exception_ptr record_failure(ByteReader& items, std::uint32_t count, const Origin& origin,
                                  std::size_t expected) {
  if (count == 1) {
    try {
      if (read_item_status(items) == ItemStatus::error) {
        return remote_error(decode_error_info(read_blob(items)), origin);
      }
    } catch (const DecodeError&) {
    }
  }
  return std::make_exception_ptr(DecodeError(
      "result record of task '" + origin.task_name + "' from rank " + std::to_string(origin.rank) +
      " has " + std::to_string(count) + " items, expected " + std::to_string(expected)));
}

}  // namespace multirank::detail
