// The serve loop of worker ranks.
#include "multirank/detail/worker_loop.hpp"

#include <spdlog/spdlog.h>

#include <deque>
#include <memory>
#include <unordered_map>

#include "multirank/detail/backoff.hpp"
#include "multirank/detail/task_execution.hpp"
#include "multirank/detail/transport.hpp"

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
  WorkerLoop(const Communicator& comm, const RuntimeOptions& options, ProfileRecorder* recorder)
      : comm_(comm),
        transport_(comm.get(), options.max_message_bytes),
        backoff_(WaitPolicy::of(options)) {
    transport_.record_to(recorder);
    context_.recorder = recorder;
  }

  int run() {
    while (!stopping_) {
      bool progressed = transport_.progress_sends();
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
    while (transport_.sends_pending()) {
      if (!transport_.progress_sends()) backoff_.pause();
    }
    return 0;
  }

 private:
  bool receive() {
    bool received = false;
    while (auto message = transport_.poll()) {
      received = true;
      if (message->kind == MessageKind::stop) {
        stopping_ = true;
      } else if (message->kind == MessageKind::tasks) {
        enqueue(std::make_shared<const Message>(std::move(*message)));
      } else {
        spdlog::error("rank {}: unexpected message kind {} from rank {}", comm_.rank(),
                      static_cast<int>(message->kind), message->source);
      }
    }
    return received;
  }

  void enqueue(std::shared_ptr<const Message> message) {
    ByteReader in(message->body());
    for (std::uint32_t i = 0; i < message->record_count; ++i) {
      const std::size_t start = in.position();
      const auto header = in.read_pod<TaskRecordHeader>();
      in.take(header.items_bytes);
      queue_.push_back({message, message->body().subspan(start, in.position() - start)});
    }
  }

  void run_next() {
    QueuedRecord record = std::move(queue_.front());
    queue_.pop_front();
    ByteReader in(record.bytes);
    const auto header = ByteReader(record.bytes).read_pod<TaskRecordHeader>();
    // Results held back for batching must not wait behind a task that may take long.
    auto known = item_ns_.find(header.function_id);
    if (known == item_ns_.end() || known->second * header.item_count >= flush_after_task_ns) flush();
    const std::int64_t took_ns = execute_record(in, results_.writer(), context_);
    results_.count_record();
    const double item_ns = static_cast<double>(took_ns) / std::max<std::uint32_t>(1, header.item_count);
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
    transport_.send(0, results_.finish(MessageKind::results));
  }

  const Communicator& comm_;
  Transport transport_;
  Backoff backoff_;
  std::deque<QueuedRecord> queue_;
  MessageBuilder results_;
  ExecutionContext context_;
  std::unordered_map<std::uint64_t, double> item_ns_;  // per task id, measured here
  bool stopping_ = false;
};

}  // namespace

int serve_tasks(const Communicator& comm, const RuntimeOptions& options, ProfileRecorder* recorder) {
  return WorkerLoop(comm, options, recorder).run();
}

}  // namespace multirank::detail
