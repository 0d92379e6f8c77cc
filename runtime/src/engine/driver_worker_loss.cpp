// Worker ranks on the driver: heartbeats out and the look at each rank (WorkerWatch says when),
// and what a lost rank means: its window runs again elsewhere up to the retry limit, tasks out of
// retries fail with WorkerLost naming every rank they were lost with, and once no worker rank is
// left the driver runs the rest itself or every queue breaks.
#include "engine/progress_engine.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "multirank/error.hpp"
#include "recording/profile_recorder.hpp"
#include "tasks/task_execution.hpp"

namespace multirank::detail {

void ProgressEngine::watch_workers() {
  const std::size_t remote = static_cast<std::size_t>(comm_.size()) - 1;
  if (remote == 0) return;
  const auto now = Clock::now();
  // A rank behind a relay hears from its relay and is watched by it (the relay looks at its
  // process and says when it is gone): only the relay itself is the driver's to watch.
  if (watch_.heartbeats_due(now)) {
    // Workers watch the driver the same way.
    for (std::size_t index = 0; index < remote; ++index) {
      if (!slots_[index].lost && !behind_relay(slots_[index].rank))
        transport_.send_signal(slots_[index].rank, MessageKind::heartbeat);
    }
  }
  if (!watch_.check_due(now)) return;
  for (std::size_t index = 0; index < remote; ++index) {
    const int rank = slots_[index].rank;
    if (slots_[index].lost || behind_relay(rank)) continue;
    if (comm_.process_gone(rank)) {
      lose_worker(index, fmt::format("its process {} is gone",
                                     comm_.pids()[static_cast<std::size_t>(rank)]));
    } else if (!comm_.on_my_node(rank) && watch_.silent(rank, now) &&
               !transport_.sending_large_message_to(rank)) {
      // Silence only counts against ranks on other nodes, whose processes cannot be looked at:
      // a node-mate that is alive but silent is starved of CPU by an overloaded node (seen here
      // at a load of 12 on 2 cores), not dead. A long transfer to it is a sign of life too; a
      // small send still pending is not (heartbeats pile up unsent behind a cut link).
      lose_worker(index, fmt::format("nothing heard from it for {} s (MULTIRANK_WORKER_TIMEOUT_S)",
                                     watch_.timeout().count()));
    }
  }
}

void ProgressEngine::handle_rank_gone(const Message& message) {
  const auto index = static_cast<std::size_t>(message.source - 1);
  if (slots_.at(index).lost) return;
  lose_worker(index, fmt::format("its process {} is gone, seen by its node's relay (rank {})",
                                 comm_.pids()[static_cast<std::size_t>(message.source)],
                                 relays_[static_cast<std::size_t>(message.source)]));
}

void ProgressEngine::lose_worker(std::size_t index, const std::string& reason) {
  const int rank = slots_[index].rank;
  lose_one_worker(index, reason);
  if (relays_[static_cast<std::size_t>(rank)] == rank) {
    // A relay's node-mates are cut off with it: nothing reaches them, nor comes back from them.
    const std::string with_relay =
        fmt::format("lost with its node's relay, rank {} ({})", rank, reason);
    for (std::size_t other = 0; other < slots_.size(); ++other) {
      const int mate = slots_[other].rank;
      if (mate != 0 && !slots_[other].lost && relays_[static_cast<std::size_t>(mate)] == rank)
        lose_one_worker(other, with_relay);
    }
  }
  if (std::any_of(slots_.begin(), slots_.end(),
                  [](const WorkerSlot& s) { return s.rank != 0 && !s.lost; })) {
    return;
  }
  go_on_without_worker_ranks(rank, reason);
}

void ProgressEngine::lose_one_worker(std::size_t index, const std::string& reason) {
  WorkerSlot& slot = slots_[index];
  slot.lost = true;
  transport_.abandon(slot.rank);
  const auto [again, failed] = run_lost_window_again(slot);
  slot.in_flight.clear();
  slot.load = Load{};
  spdlog::error(
      "multirank: worker rank {} ({}) is lost: {}; {} task(s) run again elsewhere, {} failed",
      slot.rank, host_of(slot.rank), reason, again, failed);
  if (auto* extension = extension_.load(std::memory_order_acquire))
    extension->on_rank_lost(slot.rank);

  live_remote_.fetch_sub(1, std::memory_order_acq_rel);
}

void ProgressEngine::requeue(InFlight& record, std::uint32_t attempts) {
  auto queue = record.queue;
  TaskRecord again = std::move(record);  // the record as it was handed out, less its estimate
  again.attempts = attempts;
  queue->pending_.push_front(std::move(again));
  pending_records_.fetch_add(1, std::memory_order_release);
}

std::pair<std::size_t, std::size_t> ProgressEngine::run_lost_window_again(WorkerSlot& slot) {
  std::size_t again = 0;
  std::size_t failed = 0;
  std::lock_guard lock(submit_mutex_);
  // Oldest first back to the front of their queues, so they run next, in their order.
  for (auto it = slot.in_flight.rbegin(); it != slot.in_flight.rend(); ++it) {
    InFlight& record = *it;
    record.lost_with.push_back(slot.rank);
    if (record.initializer || record.state->done()) {  // nothing waits on it any more
      settle(*record.queue, 1);
      continue;
    }
    const int configured = record.queue->retries();
    const auto retries = static_cast<std::uint32_t>(configured < 0 ? options_.retries : configured);
    if (record.attempts < retries && !record.queue->broken()) {
      requeue(record, record.attempts + 1);
      ++again;
      continue;
    }
    const auto error =
        worker_lost(record.id, *record.entry, record.item_count, record.items.size(),
                    record.lost_with, fmt::format("is not run again (retries = {})", retries));
    if (record.state->fail(error)) {
      completed_.emplace_back(record.state, record.queue);
    } else {
      settle(*record.queue, 1);
    }
    ++failed;
  }
  return {again, failed};
}

void ProgressEngine::go_on_without_worker_ranks(int last_rank, const std::string& reason) {
  // A task that was running when a rank was lost may be what killed it (a bad input that crashes
  // a decoder): it never runs on the driver's own thread, which it would kill with the whole job.
  std::size_t suspects = 0;
  {
    std::lock_guard lock(submit_mutex_);
    suspects = fail_suspects(
        "no worker rank is left to run it again (a task running when its rank was lost never runs "
        "on the driver, whose process it could kill too)");
  }
  if (local_slot_ >= 0) {
    spdlog::error(
        "multirank: every worker rank is lost; {} task(s) lost with them failed, the "
        "driver's worker thread runs the rest",
        suspects);
    return;
  }
  if (options_.driver_works != DriverWorks::never) {
    // The driver is the last rank standing: it runs the rest itself, on a worker thread.
    spdlog::error(
        "multirank: every worker rank is lost; {} task(s) lost with them failed, the "
        "driver runs the remaining tasks",
        suspects);
    local_slot_ = static_cast<int>(slots_.size());
    slots_.push_back(WorkerSlot{0, {}, {}});
    {
      std::lock_guard lock(submit_mutex_);
      for (auto& queue : queues_) queue->initialized_slots_.resize(slots_.size(), false);
    }
    local_worker_ = std::thread([this] { local_worker_main(); });
    return;
  }
  // Nobody can run the rest: every queue is broken and what waits in it fails now.
  std::lock_guard lock(submit_mutex_);
  break_all_queues(std::make_exception_ptr(BrokenPool("every worker rank is lost (the last: rank " +
                                                      std::to_string(last_rank) + ", " + reason +
                                                      "); nothing can run")));
}

std::exception_ptr ProgressEngine::worker_lost(std::uint64_t task_id, const TaskEntry& entry,
                                               std::uint32_t items, std::size_t bytes,
                                               const std::vector<int>& lost_with,
                                               const std::string& outcome) const {
  std::string ranks;
  for (int lost : lost_with) {
    ranks += fmt::format("{}{} ({})", ranks.empty() ? "" : ", ", lost, host_of(lost));
  }
  const auto open = entry.signature.find('(');
  return std::make_exception_ptr(WorkerLost(fmt::format(
      "task {} ('{}' on {} item(s), arguments ({}) in {} bytes) was lost with rank(s) {} and {}",
      task_id, entry.name, items,
      entry.signature.substr(open + 1, entry.signature.size() - open - 2), bytes, ranks, outcome)));
}

std::size_t ProgressEngine::fail_suspects(const std::string& outcome) {
  std::size_t failed = 0;
  for (auto& queue : queues_) {
    for (auto it = queue->pending_.begin(); it != queue->pending_.end();) {
      if (it->lost_with.empty()) {
        ++it;
        continue;
      }
      const auto error =
          worker_lost(it->id, *it->entry, it->item_count, it->items.size(), it->lost_with, outcome);
      if (it->state->fail(error)) {
        // Counted and hooked like any completion, by the next progress round.
        failed_before_dispatch_.emplace_back(it->state, it->queue);
      } else {
        settle(*queue, 1);
      }
      it = queue->pending_.erase(it);
      pending_records_.fetch_sub(1, std::memory_order_acq_rel);
      ++failed;
    }
  }
  if (failed > 0) has_failed_before_dispatch_.store(true, std::memory_order_release);
  return failed;
}

}  // namespace multirank::detail
