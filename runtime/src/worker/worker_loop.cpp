// The serve loop of worker ranks.
#include "worker/worker_loop.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <memory>
#include <unordered_map>

#include "core/backoff.hpp"
#include "multirank/detail/runtime_access.hpp"
#include "multirank/runtime.hpp"
#include "tasks/task_execution.hpp"
#include "wire/transport.hpp"
#include "worker/worker_port.hpp"

namespace multirank::detail {

namespace {

/// A received record waiting to run; it keeps its message alive.
struct QueuedRecord {
  std::shared_ptr<const Message> message;
  std::span<const char> bytes;
};

/// Results are batched so tiny tasks cost one message per batch, but sent at once after a task
/// that took long enough for the message to be cheap in comparison, or when the queue ran dry.
constexpr std::int64_t flush_after_task_ns = 20'000;
constexpr std::uint32_t flush_after_records = 64;

class WorkerLoop {
 public:
  WorkerLoop(WorkerPort& port, int rank, const RuntimeOptions& options, ProfileRecorder* recorder)
      : port_(port), rank_(rank), backoff_(WaitPolicy::of(options)) {
    port_.record_to(recorder);
    context_.recorder = recorder;
  }

  int run() {
    while (!port_.stop_requested()) {
      bool progressed = port_.pump();
      progressed |= receive();
      if (!queue_.empty()) {
        run_next();
        progressed = true;
      } else if (!results_.empty()) {
        flush();
      }
      if (progressed) {
        backoff_.reset();
      } else {
        backoff_.pause();
      }
    }
    flush();
    return 0;
  }

 private:
  bool receive() {
    if (port_.take_drop_request()) queue_.clear();
    auto messages = port_.take_task_messages();
    for (auto& message : messages) enqueue(std::move(message));
    return !messages.empty();
  }

  void enqueue(std::shared_ptr<const Message> message) {
    const std::string problem = split_task_records(message->body(), message->record_count,
                                                   [&](std::span<const char> record) {
                                                     queue_.push_back({message, record});
                                                   });
    if (!problem.empty()) {
      // Records that could be found still run; what could not names no task to fail.
      spdlog::error("multirank rank {}: a tasks message from rank {} is garbled: {}", rank_,
                    message->source, problem);
    }
  }

  void run_next() {
    QueuedRecord record = std::move(queue_.front());
    queue_.pop_front();
    if (!context_.skip_with && port_.interrupted()) {
      context_.skip_with = ErrorInfo{"multirank::Interrupted",
                                     "the job was interrupted before this task started on rank " +
                                         std::to_string(port_.rank())};
    }
    ByteReader in(record.bytes);
    const auto header = ByteReader(record.bytes).read_pod<TaskRecordHeader>();
    // Results held back for batching must not wait behind a task that may take long.
    auto known = item_ns_.find(header.function_id);
    if (known == item_ns_.end() || known->second * header.item_count >= flush_after_task_ns)
      flush();
    const std::int64_t took_ns = execute_record(in, results_.writer(), context_);
    results_.count_record();
    const double item_ns =
        static_cast<double>(took_ns) / std::max<std::uint32_t>(1, header.item_count);
    if (known == item_ns_.end()) {
      item_ns_.emplace(header.function_id, item_ns);
    } else {
      known->second = 0.8 * known->second + 0.2 * item_ns;
    }
    if (took_ns >= flush_after_task_ns || results_.records() >= flush_after_records ||
        queue_.empty()) {
      flush();
    }
  }

  void flush() {
    if (results_.empty()) return;
    port_.send_results(results_.finish(MessageKind::results));
  }

  WorkerPort& port_;
  int rank_;
  Backoff backoff_;
  std::deque<QueuedRecord> queue_;
  MessageBuilder results_;
  ExecutionContext context_;
  std::unordered_map<std::uint64_t, double> item_ns_;  // per task id, measured here
};

}  // namespace

ServeOutcome serve_tasks(const Communicator& comm, const RuntimeOptions& options,
                         ProfileRecorder* recorder) {
  ServeOutcome outcome;
  auto port = std::make_unique<WorkerPort>(comm, options);
  RuntimeAccess::set_object_channel(Runtime::current(), port.get());
  outcome.status = WorkerLoop(*port, comm.rank(), options, recorder).run();
  outcome.ranks_lost = port->ranks_lost();
  outcome.processes_left_running = port->close() > 0;
  RuntimeAccess::set_object_channel(Runtime::current(), nullptr);
  // Daemon processes still running keep using the port until the rank exits, which follows at
  // once: it is left to them rather than freed under their feet.
  if (outcome.processes_left_running) port.release();
  return outcome;
}

}  // namespace multirank::detail
