// What a rank records while profiling is on, in memory, in bounded buffers. Each part has one
// writer at a time: tasks the thread that executes them (a worker rank's serve loop, or the
// driver's worker thread), messages and communication time the thread making MPI calls (the
// serve loop, or whoever holds the driver engine's lock), queue samples the driver engine. So the
// record calls take no lock; everything is read once those threads are done.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "recording/profile_event_buffer.hpp"
#include "recording/profile_log.hpp"

namespace multirank::detail {

class ProfileRecorder {
 public:
  /// `max_events` bounds each buffer; `clock_offset_ns` shifts this rank's clock (tests only).
  ProfileRecorder(std::size_t max_events, std::int64_t clock_offset_ns)
      : max_events_(max_events), clock_offset_ns_(clock_offset_ns) {
    tasks_.prepare();
    messages_.prepare();
  }

  /// The profile's clock: monotonic, plus the test offset.
  std::int64_t now() const noexcept { return steady_ns() + clock_offset_ns_; }
  /// Converts a steady-clock reading taken elsewhere (task records) to the profile's clock.
  std::int64_t from_steady(std::int64_t steady) const noexcept { return steady + clock_offset_ns_; }

  void record_task(const TaskEvent& event) {
    if (tasks_.size() < max_events_) {
      tasks_.push_back(event);
      return;
    }
    // Past the buffer, totals per function stay exact; only the individual slices are lost.
    add_to_totals(overflow_[event.function_id], event);
    ++dropped_tasks_;
  }

  /// The thread number (ProgramRecords::thread_number) of the thread that runs the Runtime's
  /// tasks: the spans it records belong on the tasks' row.
  std::uint32_t task_thread() const noexcept { return task_thread_; }
  void set_task_thread(std::uint32_t thread) noexcept { task_thread_ = thread; }

  void record_message(MessageDirection direction, int peer, std::uint16_t kind, std::uint64_t bytes,
                      std::int64_t time_ns, std::int64_t took_ns) {
    comm_ns_ += took_ns;
    if (messages_.size() < max_events_) {
      messages_.push_back({time_ns, direction, peer, kind, bytes});
    } else {
      ++dropped_messages_;
    }
  }

  /// Samples the driver's queue at most every `queue_interval_ns`, on a clock that costs a few
  /// nanoseconds, so calling it every progress round is cheap. `depth()` gives (pending, running).
  template <class Depth>
  void sample_queue(Depth depth) {
    const std::int64_t coarse = coarse_ns();
    if (coarse - last_queue_sample_ < queue_interval_ns) return;
    last_queue_sample_ = coarse;
    const auto [pending, running] = depth();
    if (!queue_.empty() && queue_.back().pending == pending && queue_.back().running == running &&
        coarse - last_queue_change_ < queue_repeat_ns) {
      return;
    }
    last_queue_change_ = coarse;
    if (queue_.size() < max_events_) {
      queue_.push_back(
          {now(), static_cast<std::uint64_t>(pending), static_cast<std::uint64_t>(running)});
    } else {
      ++dropped_queue_samples_;
    }
  }

  /// Copies what was recorded into `log` (the caller fills the rest of the header): when the run
  /// ends, or when the job dies, while the threads that record may still be running (the blocks
  /// never move, so what the copy reads stays valid).
  void copy_into(RankLog& log) const {
    log.tasks = tasks_.to_vector();
    log.messages = messages_.to_vector();
    log.queue = queue_.to_vector();
    copy_totals_into(log.header);
  }
  /// The header's share of copy_into: totals and counts, no events.
  void copy_totals_into(RankLogHeader& header) const {
    header.comm_ns = comm_ns_;
    header.dropped_tasks = dropped_tasks_;
    header.dropped_messages = dropped_messages_;
    header.dropped_queue_samples = dropped_queue_samples_;
    header.overflow.insert(overflow_.begin(), overflow_.end());
    header.task_thread = task_thread_;
  }

  /// The recorded events, where they lie (blocks that never move).
  const EventBuffer<TaskEvent>& tasks() const noexcept { return tasks_; }
  const EventBuffer<MessageEvent>& messages() const noexcept { return messages_; }
  const EventBuffer<QueueSample>& queue() const noexcept { return queue_; }

 private:
  static constexpr std::int64_t queue_interval_ns = 1'000'000;
  static constexpr std::int64_t queue_repeat_ns = 100'000'000;

  static std::int64_t steady_ns() noexcept {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  }
  static std::int64_t coarse_ns() noexcept {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
    return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
  }

  std::size_t max_events_;
  std::int64_t clock_offset_ns_;
  EventBuffer<TaskEvent> tasks_;
  EventBuffer<MessageEvent> messages_;
  EventBuffer<QueueSample> queue_;
  std::unordered_map<std::uint64_t, OverflowTotals> overflow_;
  std::int64_t comm_ns_ = 0;
  std::uint64_t dropped_tasks_ = 0;
  std::uint64_t dropped_messages_ = 0;
  std::uint64_t dropped_queue_samples_ = 0;
  std::int64_t last_queue_sample_ = 0;
  std::int64_t last_queue_change_ = 0;
  std::uint32_t task_thread_ = 0;
};

}  // namespace multirank::detail
