// The driver's own worker thread: when the driver rank has a core to itself, it runs tasks from
// the same queues as the worker ranks, through the same execute_record path.
#include <spdlog/spdlog.h>

#include <algorithm>

#include "engine/progress_engine.hpp"
#include "tasks/task_execution.hpp"

namespace multirank::detail {

namespace {
constexpr double local_batch_ns = 50'000;
constexpr double local_min_record_ns = 20'000;
}  // namespace

void ProgressEngine::local_worker_main() {
  Backoff backoff(wait_policy_);
  std::vector<TaskRecord> batch;
  // What this thread runs of each record taken; the record itself waits in local_running_ (for
  // timeouts and interruption) until its result goes to the engine.
  struct Run {
    TaskRecordHeader header;
    std::vector<char> items;
  };
  std::vector<Run> runs;
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
        runs.push_back(Run{task_header(record), std::move(record.items)});
        local_running_.push_back(InFlight{std::move(record), 0});
      }
      batch.clear();
    }
    if (runs.empty()) {
      backoff.saw_activity(activity_.last());
      backoff.pause();
      continue;
    }
    for (auto& run : runs) {
      if (!context.skip_with && interrupted_by() != 0) {
        context.skip_with =
            ErrorInfo{"multirank::Interrupted",
                      "the job was interrupted before this task started on the driver"};
      }
      std::vector<char> result;
      ByteWriter result_out(result);
      execute_record(run.header, run.items, result_out, context);
      InFlight done;
      {
        // Only this thread takes records out of local_running_, so the record is there.
        std::lock_guard lock(submit_mutex_);
        auto it =
            std::find_if(local_running_.begin(), local_running_.end(),
                         [&](const InFlight& running) { return running.id == run.header.task_id; });
        done = std::move(*it);
        local_running_.erase(it);
      }
      {
        std::lock_guard lock(local_results_mutex_);
        local_results_.push_back(LocalResult{std::move(done), std::move(result)});
      }
      local_results_ready_.store(true, std::memory_order_release);
    }
    runs.clear();
    note_activity();
    backoff.reset();
  }
}

}  // namespace multirank::detail
