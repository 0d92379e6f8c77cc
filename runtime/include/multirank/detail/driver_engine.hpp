// What Executor, Pool, Future and their templates ask of the driver's engine: queues of task
// records, submitting, cancelling, and waiting while the engine makes progress. The engine itself
// (ProgressEngine: MPI, the worker slots, the dispatch policy, liveness, timeouts, interruption)
// lives in runtime/src/engine/, so a change to it recompiles the library, not the programs that
// use it; this header includes no MPI, Boost or wire header.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "multirank/detail/deadline.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/task_state.hpp"

namespace multirank::detail {

class SubmissionQueue;

/// One scheduled unit of work on the driver: a task applied to `item_count` argument tuples.
struct TaskRecord {
  std::uint64_t id = 0;
  const TaskEntry* entry = nullptr;
  std::uint32_t item_count = 0;
  std::vector<char> items;  // item_count blobs, each [u64 length][encoded arguments]
  std::shared_ptr<TaskState> state;
  std::shared_ptr<SubmissionQueue> queue;
  bool initializer = false;    // runs before the queue's first task on a slot
  std::uint32_t attempts = 0;  // runs lost with their rank so far
  std::vector<int> lost_with;  // those ranks
};

/// The tasks of one Executor or Pool: what is pending, what is outstanding, who may run them.
class SubmissionQueue {
 public:
  SubmissionQueue(std::uint64_t id, int max_workers) : id_(id), max_workers_(max_workers) {}

  std::uint64_t id() const noexcept { return id_; }

  /// Tasks submitted and not yet finished, failed or cancelled.
  std::size_t outstanding() const noexcept { return outstanding_.load(std::memory_order_acquire); }
  /// Set when the pool cannot run tasks any more (its initializer failed, or it was terminated).
  std::exception_ptr broken() const {
    std::lock_guard lock(broken_mutex_);
    return broken_;
  }
  /// Marks the queue broken with `error`, unless it already is (the first reason stays).
  void break_with(std::exception_ptr error) {
    std::lock_guard lock(broken_mutex_);
    if (!broken_) broken_ = std::move(error);
  }
  /// How many times a task lost with its rank runs again elsewhere (negative: the Runtime's
  /// default, RuntimeOptions::retries).
  void set_retries(int retries) noexcept { retries_.store(retries, std::memory_order_release); }
  int retries() const noexcept { return retries_.load(std::memory_order_acquire); }
  /// A task running longer fails with TaskTimeout (negative: RuntimeOptions::task_timeout;
  /// 0: no limit). See driver_task_timeouts.cpp.
  void set_task_timeout(std::chrono::milliseconds timeout) noexcept {
    task_timeout_ms_.store(timeout.count(), std::memory_order_release);
  }
  std::chrono::milliseconds task_timeout() const noexcept {
    return std::chrono::milliseconds(task_timeout_ms_.load(std::memory_order_acquire));
  }

 private:
  friend class ProgressEngine;

  std::uint64_t id_;
  int max_workers_;                 // worker slots [0, max_workers) may run its tasks; 0 = all
  std::deque<TaskRecord> pending_;  // guarded by ProgressEngine::submit_mutex_
  std::optional<TaskRecord> initializer_;  // guarded by ProgressEngine::submit_mutex_
  std::vector<bool> initialized_slots_;    // guarded by ProgressEngine::submit_mutex_
  bool closed_ = false;                    // guarded by ProgressEngine::submit_mutex_
  std::atomic<std::size_t> outstanding_{0};
  mutable std::mutex broken_mutex_;
  std::exception_ptr broken_;
  std::atomic<int> retries_{-1};
  std::atomic<std::int64_t> task_timeout_ms_{-1};
};

/// The driver's engine as the executors see it. One implementation, ProgressEngine
/// (runtime/src/engine/progress_engine.hpp); the calls are virtual so that this header need not
/// know its members.
class DriverEngine {
 public:
  virtual ~DriverEngine() = default;

  /// A queue whose tasks may use the first `max_workers` worker slots (0: all of them).
  virtual std::shared_ptr<SubmissionQueue> open_queue(int max_workers) = 0;
  /// Sets `queue`'s task_timeout (see SubmissionQueue::set_task_timeout).
  virtual void set_task_timeout(SubmissionQueue& queue, std::chrono::milliseconds timeout) = 0;
  /// Runs `initializer` on each worker slot before the first task of `queue` runs there.
  virtual void set_initializer(SubmissionQueue& queue, TaskRecord initializer) = 0;
  /// Queues a record and hands it out at once if a worker has room. Throws the queue's broken
  /// error if it has one.
  virtual void submit(TaskRecord record) = 0;
  /// Cancels every pending record of `queue`; true if any was.
  virtual bool cancel_pending(SubmissionQueue& queue) = 0;
  /// The queue takes no more work; the engine forgets it once it is drained.
  virtual void close_queue(SubmissionQueue& queue) = 0;
  /// Cancels pending records and fails running ones with `error`; later results are dropped.
  virtual void terminate(SubmissionQueue& queue, std::exception_ptr error) = 0;
  /// Drives progress until `ready()` or the deadline; returns ready().
  virtual bool wait_until(const std::function<bool()>& ready, Deadline deadline) = 0;
  /// Worker slots: remote worker ranks, plus the driver's own worker thread when it has one.
  virtual int worker_slots() const noexcept = 0;

  /// A number for a new task record, unique in the job.
  std::uint64_t next_task_id() noexcept { return next_id_.fetch_add(1, std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> next_id_{1};
};

/// The engine of the process's Runtime (an Error if there is none).
DriverEngine& driver_engine_of_runtime();

}  // namespace multirank::detail
