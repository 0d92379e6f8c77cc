// The driver's own worker thread: when the driver rank has a core to itself, it runs tasks from
// the same queues as the worker ranks, through the same execute_record path.
#include <spdlog/spdlog.h>

#include "multirank/detail/driver_engine.hpp"
#include "tasks/task_execution.hpp"

namespace multirank::detail {

namespace {
constexpr double local_batch_ns = 50'000;
constexpr double local_min_record_ns = 20'000;
}  // namespace

void DriverEngine::local_worker_main() {
  Backoff backoff(wait_policy_);
  std::vector<TaskRecord> batch;
  ExecutionContext context;
  context.recorder = recorder_;
  while (!stopping_.load(std::memory_order_acquire)) {
    // Long (or unmeasured) tasks are taken one by one, so the rest stay free for whichever worker
    // asks next; without worker ranks, tiny ones a batch at a time to spare the lock. No
    // prefetch: there is no round trip to hide.
    {
      std::lock_guard lock(submit_mutex_);
      Load load;
      Window window = plenty_pending() ? Window{local_batch_ns, 1} : Window{0, 1};
      // Records of tiny tasks are left to the worker ranks: running them here would take the
      // driver thread's core, and feeding the ranks is then what limits throughput.
      const bool has_worker_ranks = live_remote_.load(std::memory_order_acquire) > 0;
      if (has_worker_ranks) window.min_estimate_ns = local_min_record_ns;
      while (pending_records_.load(std::memory_order_acquire) > 0 &&
             take_records_for(local_slot_, load, window, batch)) {
      }
      for (auto& record : batch) {
        local_running_.push_back(
            InFlight{record.id, record.item_count, record.state, record.queue, record.entry, 0});
      }
    }
    if (batch.empty()) {
      backoff.saw_activity(Clock::time_point(Clock::duration(last_activity_.load())));
      backoff.pause();
      continue;
    }
    for (auto& record : batch) {
      if (!context.skip_with && interrupted_by() != 0) {
        context.skip_with = ErrorInfo{"multirank::Interrupted",
                                      "the job was interrupted before this task started on the driver"};
      }
      std::vector<char> result;
      ByteWriter result_out(result);
      execute_record(task_header(record), record.items, result_out, context);
      {
        std::lock_guard lock(submit_mutex_);
        std::erase_if(local_running_, [&](const InFlight& running) { return running.id == record.id; });
      }
      {
        std::lock_guard lock(local_results_mutex_);
        local_results_.push_back(LocalResult{
            InFlight{record.id, record.item_count, std::move(record.state), std::move(record.queue),
                     record.entry, 0},
            std::move(result)});
      }
      local_results_ready_.store(true, std::memory_order_release);
    }
    batch.clear();
    last_activity_.store(Clock::now().time_since_epoch().count());
    backoff.reset();
  }
}

}  // namespace multirank::detail
