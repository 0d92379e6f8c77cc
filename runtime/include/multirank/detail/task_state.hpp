// The shared state behind a Future or AsyncResult: status, per-item outcomes, and the hooks that
// run once when it completes (user callbacks, as_completed, progress observers). The engine
// completes a state under its lock and runs the hooks after releasing it, so a hook may submit
// more work or wait on another future.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"
#include "multirank/detail/codec.hpp"
#include "multirank/detail/wire.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

enum class TaskStatus : int { pending, running, completing, cancelled, finished };

/// Where a result came from, for RemoteError messages.
struct Origin {
  int rank;
  const std::string& host;
  const std::string& task_name;
};

class TaskState {
 public:
  TaskState() = default;
  TaskState(const TaskState&) = delete;
  TaskState& operator=(const TaskState&) = delete;
  virtual ~TaskState() = default;

  TaskStatus status() const noexcept { return status_.load(std::memory_order_acquire); }
  bool done() const noexcept {
    const auto s = status();
    return s == TaskStatus::finished || s == TaskStatus::cancelled;
  }
  bool cancelled() const noexcept { return status() == TaskStatus::cancelled; }
  bool running() const noexcept {
    const auto s = status();
    return s == TaskStatus::running || s == TaskStatus::completing;
  }

  /// pending -> running, when the task is handed to a worker; false if it was cancelled.
  bool try_start() noexcept;
  /// pending -> cancelled; true if this call cancelled it.
  bool try_cancel();

  // complete(), fail() and try_cancel() only change the state: whoever succeeds must call
  // run_hooks() afterwards, outside any lock a hook might need.

  /// Stores the result items read from a result record; false (and nothing stored) if the state
  /// was already completed, e.g. failed by Pool::terminate while the task ran.
  bool complete(ByteReader& items, std::uint32_t count, const Origin& origin);
  /// Fails every item with `error`; false if the state was already completed.
  bool fail(std::exception_ptr error);

  /// Runs `hook` once when the state is done: now, in this thread, if it already is.
  void on_done(std::function<void()> hook);
  /// Runs the hooks added so far; the completer calls it once, outside any engine lock.
  void run_hooks();

  /// True once run_hooks() has run: the completion's callbacks have all been called.
  bool settled() const noexcept { return settled_.load(std::memory_order_acquire); }

  /// True once done with at least one failed item (not counting cancellation).
  virtual bool has_error() const = 0;

 protected:
  /// For states completed by other means than a result record (a group of records).
  bool mark_finished() noexcept {
    if (!begin_completion()) return false;
    status_.store(TaskStatus::finished, std::memory_order_release);
    return true;
  }
  virtual void store_items(ByteReader& items, std::uint32_t count, const Origin& origin) = 0;
  virtual void store_failure(std::exception_ptr error) = 0;

 private:
  bool begin_completion() noexcept;

  std::atomic<TaskStatus> status_{TaskStatus::pending};
  std::mutex hooks_mutex_;
  std::vector<std::function<void()>> hooks_;
  bool hooks_ran_ = false;
  std::atomic<bool> settled_{false};
};

/// Builds the error for a failed item: a RemoteError, or the registered exception type itself
/// with the RemoteError nested.
std::exception_ptr remote_error(const ErrorInfo& info, const Origin& origin);
/// The error for an exception being handled on the driver while it decoded a result (user code
/// in the result's load()), as remote_error() builds it. Call inside a catch.
std::exception_ptr result_decoding_error(const Origin& origin);
std::vector<char> encode_error_info(const ErrorInfo& info);
ErrorInfo decode_error_info(std::span<const char> bytes);
/// The error for a result record of `count` items where another number was expected: a record
/// that failed as a whole where it ran (its items could not be read there) comes back as one
/// error item, which is what the task failed with; anything else is a garbled record.
std::exception_ptr record_failure(ByteReader& items, std::uint32_t count, const Origin& origin,
                                  std::size_t expected);

/// Outcomes of a record's items, typed by the task's result.
template <class R>
class ResultState final : public TaskState {
 public:
  using Stored = std::conditional_t<std::is_void_v<R>, std::monostate, R>;

  explicit ResultState(std::size_t items) : outcomes_(items) {}

  std::size_t size() const noexcept { return outcomes_.size(); }

  /// Item i's value; rethrows its error, or CancelledError. Only after done().
  Stored& value(std::size_t i) {
    if (cancelled()) throw CancelledError("the task was cancelled before it ran");
    auto& outcome = outcomes_.at(i);
    if (outcome.error) std::rethrow_exception(outcome.error);
    return *outcome.value;
  }
  std::exception_ptr error(std::size_t i) const { return outcomes_.at(i).error; }
  bool has_error() const override {
    if (status() != TaskStatus::finished) return false;
    for (const auto& outcome : outcomes_)
      if (outcome.error) return true;
    return false;
  }

 protected:
  void store_items(ByteReader& in, std::uint32_t count, const Origin& origin) override {
    if (count != outcomes_.size()) {
      store_failure(record_failure(in, count, origin, outcomes_.size()));
      return;
    }
    std::exception_ptr unframed;  // once an item cannot be found, neither can those after it
    for (auto& outcome : outcomes_) {
      if (unframed) {
        outcome.error = unframed;
        continue;
      }
      bool framed = false;
      try {
        const auto status = read_item_status(in);
        const auto bytes = read_blob(in);
        framed = true;
        if (status == ItemStatus::ok) {
          outcome.value = decode_all<Stored>(bytes);
        } else {
          outcome.error = remote_error(decode_error_info(bytes), origin);
        }
      } catch (const DecodeError& e) {
        outcome.error = std::make_exception_ptr(
            DecodeError("result of task '" + origin.task_name + "' from rank " +
                        std::to_string(origin.rank) + " could not be decoded: " + e.what()));
        if (!framed) unframed = outcome.error;
      } catch (...) {
        // The result's own load() threw: reported as a task's exception is.
        outcome.error = result_decoding_error(origin);
      }
    }
  }
  void store_failure(std::exception_ptr error) override {
    for (auto& outcome : outcomes_) {
      outcome.value.reset();
      outcome.error = error;
    }
  }

 private:
  struct Outcome {
    std::optional<Stored> value;
    std::exception_ptr error;
  };
  std::vector<Outcome> outcomes_;
};

}  // namespace multirank::detail
