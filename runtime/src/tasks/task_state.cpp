// Completion and hooks of the state behind futures.
#include "multirank/detail/task_state.hpp"

#include <cxxabi.h>
#include <spdlog/spdlog.h>

#include "multirank/detail/registry.hpp"
#include "tasks/task_execution.hpp"

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

namespace {

/// How a RemoteError names the stage an exception came from.
std::string stage_phrase(std::uint8_t stage) {
  switch (static_cast<TaskStage>(stage)) {
    case TaskStage::decoding_arguments:
      return "while decoding its arguments";
    case TaskStage::encoding_result:
      return "while encoding its result";
    case TaskStage::decoding_result:
      return "while its result was decoded on the driver";
    case TaskStage::running:
    case TaskStage::unknown:
      break;
  }
  return {};
}

}  // namespace

std::exception_ptr remote_error(const ErrorInfo& info, const Origin& origin) {
  auto remote =
      std::make_exception_ptr(RemoteError(info.type_name, info.message, origin.rank, origin.host,
                                          origin.task_name, stage_phrase(info.stage)));
  if (info.exception_id == 0) return remote;
  const ExceptionEntry* registered = Registry::instance().find_exception(info.exception_id);
  if (registered == nullptr) return remote;
  try {
    return registered->load_nested(info.exception_bytes, remote);
  } catch (...) {
    const ErrorInfo failure = describe_current_exception();
    return std::make_exception_ptr(RemoteError(
        info.type_name,
        info.message + " (it could not be rebuilt as itself on the driver: " + failure.type_name +
            ": " + failure.message + ")",
        origin.rank, origin.host, origin.task_name, stage_phrase(info.stage)));
  }
}

std::exception_ptr result_decoding_error(const Origin& origin) {
  ErrorInfo info = describe_current_exception();
  info.stage = static_cast<std::uint8_t>(TaskStage::decoding_result);
  auto remote = remote_error(info, origin);
  const std::type_info* type = abi::__cxa_current_exception_type();
  const ExceptionEntry* registered =
      type != nullptr ? Registry::instance().find_exception(*type) : nullptr;
  return registered != nullptr ? registered->nest_current(remote) : remote;
}

std::vector<char> encode_error_info(const ErrorInfo& info) {
  std::vector<char> bytes;
  ByteWriter out(bytes);
  encode(out, info.type_name);
  encode(out, info.message);
  encode(out, info.stage);
  encode(out, info.exception_id);
  encode(out, info.exception_bytes);
  return bytes;
}

ErrorInfo decode_error_info(std::span<const char> bytes) {
  ByteReader in(bytes);
  ErrorInfo info;
  decode(in, info.type_name);
  decode(in, info.message);
  // Error items made by hand (an unknown task, a garbled record) may stop after the message.
  if (in.remaining() == 0) return info;
  decode(in, info.stage);
  decode(in, info.exception_id);
  decode(in, info.exception_bytes);
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
