// What the driver does on SIGINT or SIGTERM: stop handing out work, fail what has not started,
// give running tasks the grace period, and end the job without them if they outlive it.
#include <fmt/format.h>

#include <cstdio>

#include "core/interruption.hpp"
#include "engine/progress_engine.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

std::vector<std::shared_ptr<TaskState>> ProgressEngine::check_interrupt() {
  const int signal = interrupted_by_.load(std::memory_order_relaxed);
  if (signal == 0) {
    const int received = received_interrupt();
    return received == 0 ? std::vector<std::shared_ptr<TaskState>>{} : begin_interrupt(received);
  }
  if (Clock::now() < grace_end_) return {};
  // A remote task past its task_timeout still runs too, and would hold up the workers' stop.
  bool running = std::any_of(slots_.begin(), slots_.end(), [](const WorkerSlot& slot) {
    return !slot.lost && (!slot.in_flight.empty() || (slot.rank != 0 && slot.stuck_task != 0));
  });
  {
    std::lock_guard lock(submit_mutex_);
    running |= !local_running_.empty();
  }
  if (running) abandon_running(signal);
  return {};
}

std::vector<std::shared_ptr<TaskState>> ProgressEngine::begin_interrupt(int signal) {
  const std::string name = signal_name(signal);
  interrupt_error_ = std::make_exception_ptr(
      Interrupted(signal, "interrupted by " + name + ": the task was not started"));
  grace_end_ = Clock::now() + options_.grace;
  interrupted_by_.store(signal, std::memory_order_release);
  // Programs using shared objects print who waits for what and end here (object_host.cpp).
  if (auto* extension = extension_.load(std::memory_order_acquire)) extension->on_interrupt(signal);

  std::vector<std::shared_ptr<TaskState>> failed;
  std::size_t not_started = 0;
  std::size_t running = 0;
  std::lock_guard lock(submit_mutex_);
  // Later submissions throw the same error.
  not_started += break_all_queues(interrupt_error_);
  // Each slot runs its records in order: the first runs, the rest wait in its window and are
  // answered unrun (the worker is told below; the driver's own thread sees interrupted_by_).
  // They stay in flight until then, so every record is settled exactly once.
  auto fail_queued = [&](std::deque<InFlight>::iterator first,
                         std::deque<InFlight>::iterator last) {
    for (auto it = first; it != last; ++it) {
      ++not_started;
      if (it->state->fail(interrupt_error_)) failed.push_back(it->state);
    }
  };
  for (auto& slot : slots_) {
    if (slot.lost || slot.in_flight.empty()) continue;
    ++running;
    fail_queued(slot.in_flight.begin() + 1, slot.in_flight.end());
  }
  for (std::size_t i = 1; i < local_running_.size(); ++i) {
    ++not_started;
    if (local_running_[i].state->fail(interrupt_error_)) failed.push_back(local_running_[i].state);
  }
  running += local_running_.empty() ? 0 : 1;
  for (const auto& slot : slots_) {
    if (!slot.lost && slot.rank != 0)
      send_to_worker(slot.rank, MessageBuilder().finish(MessageKind::interrupt));
  }
  send_envelopes();
  std::fprintf(
      stderr,
      "multirank: interrupted by %s: no new tasks; %zu not started fail with "
      "multirank::Interrupted; %zu running get up to %lld s to finish (MULTIRANK_GRACE_S)\n",
      name.c_str(), not_started, running, static_cast<long long>(options_.grace.count()));
  std::fflush(stderr);
  return failed;
}

void ProgressEngine::abandon_running(int signal) {
  std::string running;
  for (const auto& slot : slots_) {
    if (slot.lost) continue;
    if (slot.rank != 0 && slot.stuck_task != 0) {
      running += fmt::format("\n  task {} (past its task_timeout) on rank {} ({})", slot.stuck_task,
                             slot.rank, host_of(slot.rank));
    }
    if (slot.in_flight.empty()) continue;
    const InFlight& record = slot.in_flight.front();
    running += fmt::format("\n  task {} ('{}') on rank {} ({})", record.id, record.entry->name,
                           slot.rank, host_of(slot.rank));
  }
  {
    std::lock_guard lock(submit_mutex_);
    if (!local_running_.empty()) {
      running += fmt::format("\n  task {} ('{}') on the driver's worker thread",
                             local_running_.front().id, local_running_.front().entry->name);
    }
  }
  std::fprintf(stderr,
               "multirank: interrupted by %s: still running after the grace of %lld s "
               "(MULTIRANK_GRACE_S); the job ends without them:%s\n",
               signal_name(signal).c_str(), static_cast<long long>(options_.grace.count()),
               running.c_str());
  end_job_now(128 + signal);
}

}  // namespace multirank::detail
