// The queues' side of the driver's engine: what Executor and Pool call (open a queue, submit,
// cancel, close, terminate) and how records leave the queues other than by dispatch (cancelled,
// failed, settled).
#include "engine/progress_engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "multirank/error.hpp"
#include "recording/profile_recorder.hpp"
#include "tasks/task_execution.hpp"

namespace multirank::detail {

std::shared_ptr<SubmissionQueue> ProgressEngine::open_queue(int max_workers) {
  auto queue = std::make_shared<SubmissionQueue>(next_task_id(), max_workers);
  std::lock_guard lock(submit_mutex_);
  queue->initialized_slots_.assign(slots_.size(), false);
  queues_.push_back(queue);
  return queue;
}

void ProgressEngine::set_initializer(SubmissionQueue& queue, TaskRecord initializer) {
  // The queue keeps this record: holding the queue in it too would be a cycle that never frees
  // either (initializer_record() hands each copy its queue).
  initializer.queue.reset();
  std::lock_guard lock(submit_mutex_);
  queue.initializer_ = std::move(initializer);
}

void ProgressEngine::submit(TaskRecord record) {
  SubmissionQueue& queue = *record.queue;
  if (auto broken = queue.broken()) std::rethrow_exception(broken);
  queue.outstanding_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(submit_mutex_);
    queue.pending_.push_back(std::move(record));
  }
  pending_records_.fetch_add(1, std::memory_order_release);
  last_submit_.store(coarse_now_ns(), std::memory_order_relaxed);
  // Hand it to an idle slot now if the engine is free. Queueing ahead is left to the next
  // progress round, which batches many records into one message; completions too wait for a
  // thread that waits (or the background thread), so a callback never runs inside submit().
  std::unique_lock engine(engine_mutex_, std::try_to_lock);
  if (engine.owns_lock()) dispatch(false);
}

template <class SettleState>
std::vector<std::shared_ptr<TaskState>> ProgressEngine::drain_pending(SubmissionQueue& queue,
                                                                      SettleState settle_state) {
  std::vector<std::shared_ptr<TaskState>> changed;
  for (auto& record : queue.pending_) {
    if (settle_state(*record.state)) changed.push_back(record.state);
  }
  pending_records_.fetch_sub(queue.pending_.size(), std::memory_order_acq_rel);
  settle(queue, queue.pending_.size());
  queue.pending_.clear();
  return changed;
}

bool ProgressEngine::cancel_pending(SubmissionQueue& queue) {
  std::vector<std::shared_ptr<TaskState>> cancelled;
  {
    std::lock_guard lock(submit_mutex_);
    cancelled = drain_pending(queue, [](TaskState& state) { return state.try_cancel(); });
  }
  for (auto& state : cancelled) state->run_hooks();
  return !cancelled.empty();
}

void ProgressEngine::close_queue(SubmissionQueue& queue) {
  std::lock_guard lock(submit_mutex_);
  queue.closed_ = true;
}

void ProgressEngine::terminate(SubmissionQueue& queue, std::exception_ptr error) {
  queue.break_with(error);
  std::vector<std::shared_ptr<TaskState>> failed;
  {
    std::lock_guard lock(submit_mutex_);
    failed = drain_pending(queue, [&](TaskState& state) { return state.fail(error); });
    for (auto& record : local_running_) {
      if (record.queue.get() == &queue && record.state->fail(error)) failed.push_back(record.state);
    }
  }
  {
    // Running records stay in flight: their results are dropped when they arrive.
    std::lock_guard lock(engine_mutex_);
    for (auto& slot : slots_) {
      for (auto& record : slot.in_flight) {
        if (record.queue.get() == &queue && record.state->fail(error))
          failed.push_back(record.state);
      }
    }
  }
  for (auto& state : failed) state->run_hooks();
}

TaskRecord ProgressEngine::initializer_record(const std::shared_ptr<SubmissionQueue>& queue) {
  TaskRecord init;
  init.id = next_task_id();
  init.entry = queue->initializer_->entry;
  init.item_count = 1;
  init.items = queue->initializer_->items;
  init.queue = queue;
  init.initializer = true;
  auto state = std::make_shared<ResultState<void>>(1);
  state->try_start();
  // An initializer that fails breaks the pool: its tasks could not run as intended.
  std::weak_ptr<SubmissionQueue> weak_queue = queue;
  std::weak_ptr<ResultState<void>> weak_state = state;
  state->on_done([weak_queue, weak_state] {
    auto q = weak_queue.lock();
    auto s = weak_state.lock();
    if (q && s && s->error(0)) q->break_with(s->error(0));
  });
  init.state = std::move(state);
  queue->outstanding_.fetch_add(1, std::memory_order_acq_rel);
  return init;
}

void ProgressEngine::settle(SubmissionQueue& queue, std::size_t records) {
  queue.outstanding_.fetch_sub(records, std::memory_order_acq_rel);
}

void ProgressEngine::finish_completed(Completed& completed) {
  for (auto& [state, queue] : completed) {
    state->run_hooks();
    settle(*queue, 1);
  }
}

std::size_t ProgressEngine::break_all_queues(const std::exception_ptr& error) {
  std::size_t count = 0;
  for (auto& queue : queues_) {
    queue->break_with(error);
    auto failed_states = drain_pending(*queue, [&](TaskState& s) { return s.fail(error); });
    // drain_pending counted them settled; they are, once their hooks have run.
    queue->outstanding_.fetch_add(failed_states.size(), std::memory_order_acq_rel);
    count += failed_states.size();
    for (auto& state : failed_states) failed_before_dispatch_.emplace_back(state, queue);
  }
  has_failed_before_dispatch_.store(true, std::memory_order_release);
  return count;
}

}  // namespace multirank::detail
