// task_timeout on the driver: a slot runs its window's records in order, so the record at the
// front of its in-flight list has run since the result before it arrived (or since dispatch).
// Past its queue's limit it fails with TaskTimeout; the rest of the window goes back to the
// queues for other slots, and the slot gets no work until the late result comes back.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "engine/progress_engine.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

namespace {
std::string seconds_text(std::chrono::milliseconds limit) {
  return fmt::format("{:g} s", static_cast<double>(limit.count()) / 1000.0);
}

std::exception_ptr timeout_error(const TaskRecord& running, std::chrono::milliseconds limit,
                                 const std::string& where) {
  return std::make_exception_ptr(TaskTimeout(fmt::format(
      "task {} ('{}') ran longer than its task_timeout of {} on {}; the job goes on without it",
      running.id, running.entry->name, seconds_text(limit), where)));
}
}  // namespace

void ProgressEngine::watch_task_timeouts(std::vector<std::shared_ptr<TaskState>>& failed) {
  if (!task_timeouts_used_.load(std::memory_order_relaxed)) return;
  const auto now = Clock::now();
  if (local_slot_ >= 0) time_out_local_task(now, failed);
  for (std::size_t index = 0; index < slots_.size(); ++index) {
    WorkerSlot& slot = slots_[index];
    if (slot.lost || slot.in_flight.empty()) continue;
    std::chrono::milliseconds limit{0};
    if (front_overdue(slot, slot.in_flight.front(), now, limit)) time_out_slot(index, limit);
  }
}

bool ProgressEngine::front_overdue(WorkerSlot& slot, const InFlight& running, Clock::time_point now,
                                   std::chrono::milliseconds& limit) const {
  if (running.id != slot.front_id) {  // a new record runs since about now
    slot.front_id = running.id;
    slot.front_since = now;
    return false;
  }
  using std::chrono::milliseconds;
  const auto own = running.queue->task_timeout();
  limit = own.count() >= 0 ? own : std::chrono::duration_cast<milliseconds>(options_.task_timeout);
  return limit.count() > 0 && !running.initializer && now - slot.front_since >= limit;
}

void ProgressEngine::time_out_local_task(Clock::time_point now,
                                         std::vector<std::shared_ptr<TaskState>>& failed) {
  // The driver's own thread cannot hand its batch on: its task only fails, settled when it
  // returns.
  WorkerSlot& slot = slots_[static_cast<std::size_t>(local_slot_)];
  std::lock_guard lock(submit_mutex_);
  std::chrono::milliseconds limit{0};
  if (!local_running_.empty() && local_running_.front().id != slot.stuck_task &&
      front_overdue(slot, local_running_.front(), now, limit)) {
    const InFlight& running = local_running_.front();
    slot.stuck_task = running.id;
    if (running.state->fail(timeout_error(running, limit, "the driver's worker thread"))) {
      failed.push_back(running.state);
    }
  }
}

void ProgressEngine::time_out_slot(std::size_t index, std::chrono::milliseconds limit) {
  WorkerSlot& slot = slots_[index];
  InFlight& running = slot.in_flight.front();
  const std::string name = running.entry->name;
  const auto error = timeout_error(running, limit,
                                   fmt::format("rank {} ({}), which rejoins when the task returns",
                                               slot.rank, host_of(slot.rank)));
  // Settled now, so nobody waits for it; its late result is recognised by stuck_task.
  if (running.state->fail(error)) {
    completed_.emplace_back(running.state, running.queue);
  } else {
    settle(*running.queue, 1);
  }
  slot.stuck_task = running.id;
  std::size_t moved = 0;
  {
    std::lock_guard lock(submit_mutex_);
    // Newest first to the front of their queues, so they run next, in their order. A moved
    // record has started once already (its state says so), which retries count as an attempt.
    for (std::size_t i = slot.in_flight.size(); i-- > 1;) {
      InFlight& record = slot.in_flight[i];
      if (record.initializer) {  // the worker drops it too: it runs again before the next task
        record.queue->initialized_slots_[index] = false;
        settle(*record.queue, 1);
        continue;
      }
      requeue(record, std::max<std::uint32_t>(record.attempts, 1));
      ++moved;
    }
  }
  slot.in_flight.clear();
  slot.load = Load{};
  slot.front_id = 0;
  if (slot.rank != 0) {
    // Through the rank's relay, if it has one, so it cannot overtake tasks sent before it.
    send_to_worker(slot.rank, MessageBuilder().finish(MessageKind::drop_queued));
    send_envelopes();
  }
  spdlog::warn(
      "multirank: task {} ('{}') on rank {} ({}) passed its task_timeout of {}; {} queued "
      "task(s) moved to other ranks",
      slot.stuck_task, name, slot.rank, host_of(slot.rank), seconds_text(limit), moved);
}

bool ProgressEngine::rejoin_after_timeout(WorkerSlot& slot, std::uint64_t task_id) {
  if (slot.stuck_task != task_id) return false;
  slot.stuck_task = 0;
  return true;
}

}  // namespace multirank::detail
