// The worker rank's connection to the driver: routing of what arrives, replies to waiting
// process threads, and the processes this rank runs.
#include "worker/worker_port.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "core/exit_status.hpp"
#include "engine/worker_watch.hpp"
#include "tasks/task_execution.hpp"
#include "wire/relay_envelope.hpp"

namespace multirank::detail {

WorkerPort::WorkerPort(const Communicator& comm, const RuntimeOptions& options)
    : comm_(comm),
      wait_policy_(WaitPolicy::of(options)),
      transport_(comm.get(), options.max_message_bytes),
      driver_timeout_(options.worker_timeout),
      last_from_driver_ns_(steady_now_ns()) {
  const auto& relays = comm.relays();
  const int me = comm.rank();
  const int my_relay = relays[static_cast<std::size_t>(me)];
  is_relay_ = my_relay == me;
  upstream_ = is_relay_ ? 0 : my_relay;
  if (is_relay_) {
    for (int rank = 0; rank < comm.size(); ++rank) {
      if (rank != me && relays[static_cast<std::size_t>(rank)] == me) mates_.push_back(rank);
    }
    mate_gone_.assign(mates_.size(), false);
  }
  heartbeat_ = std::thread([this] { heartbeat_main(); });
  if (is_relay_) relay_ = std::thread([this] { relay_main(); });
}

void WorkerPort::relay_main() {
  Backoff backoff(wait_policy_);
  auto next_look = std::chrono::steady_clock::now();
  while (!relay_stopping_.load(std::memory_order_acquire)) {
    if (std::chrono::steady_clock::now() >= next_look) {
      report_gone_mates();
      next_look = std::chrono::steady_clock::now() + WorkerWatch::check_interval;
    }
    if (pump()) {
      backoff.reset();
    } else {
      backoff.pause();
    }
  }
}

void WorkerPort::report_gone_mates() {
  for (std::size_t i = 0; i < mates_.size(); ++i) {
    if (mate_gone_[i] || !comm_.process_gone(mates_[i])) continue;
    mate_gone_[i] = true;
    std::lock_guard lock(mutex_);
    if (closed_) return;
    transport_.abandon(mates_[i]);
    append_relayed(envelope_, mates_[i], MessageBuilder().finish(MessageKind::rank_gone));
    send_relayed();
  }
}

bool WorkerPort::relay(Message& message) {
  if (message.kind == MessageKind::relayed && message.source == 0) {
    const auto problem = for_each_relayed(message, [&](Message inner) {
      const int dest = inner.source;
      inner.source = 0;  // from the driver, through this relay
      if (dest == comm_.rank()) {
        route(std::move(inner));
      } else if (std::find(mates_.begin(), mates_.end(), dest) != mates_.end()) {
        transport_.send(dest, std::vector<char>(inner.bytes.begin(), inner.bytes.end()));
      } else {
        spdlog::error(
            "multirank relay rank {}: the driver sent a message for rank {}, not of its node",
            comm_.rank(), dest);
      }
    });
    if (!problem.empty()) {
      spdlog::error("multirank relay rank {}: dropped the rest of a garbled envelope: {}",
                    comm_.rank(), problem);
    }
    return true;
  }
  if (message.source == 0) return false;
  if (message.kind == MessageKind::results) {
    append_relayed(envelope_, message.source, message.bytes);
    return true;
  }
  return false;
}

void WorkerPort::send_relayed() {
  if (envelope_.empty()) return;
  transport_.send(0, envelope_.finish(MessageKind::relayed));
}

void WorkerPort::send_results(std::vector<char> message) {
  std::lock_guard lock(mutex_);
  if (closed_)
    throw JobEnding("the job is ending: rank " + std::to_string(comm_.rank()) +
                    " sends nothing more");
  if (is_relay_) {
    append_relayed(envelope_, comm_.rank(), message);
    send_relayed();
  } else {
    transport_.send(upstream_, std::move(message));
  }
  transport_.progress_sends();
}

void WorkerPort::heartbeat_main() {
  using std::chrono::steady_clock;
  const auto heartbeat_every = heartbeat_interval(driver_timeout_);
  // A driver on this node is looked at directly, and often: once it is gone nothing else will
  // end this rank, and a job whose outcome is decided should be gone at once.
  const auto look_interval = std::chrono::milliseconds(100);
  auto next_heartbeat = steady_clock::now();
  std::unique_lock lock(heartbeat_mutex_);
  while (!heartbeat_stop_.wait_for(lock, look_interval, [this] { return heartbeat_stopping_; })) {
    // With no worker timeout (0) nobody listens for heartbeats nor counts silence; a rank behind
    // a relay sends none (its relay watches its process) and hears none.
    const bool heartbeats = driver_timeout_.count() > 0;
    if (heartbeats && upstream_ == 0 && steady_clock::now() >= next_heartbeat) {
      // A port busy taking in a large message is hearing from the driver, and a driver taking in
      // a large message from this rank may be too busy to send heartbeats: both are news of it.
      // A port merely busy is not: sends to a driver that is cut off pile up and keep it busy.
      std::unique_lock port(mutex_, std::try_to_lock);
      if (!port.owns_lock()) {
        if (transport_.receiving_large_message()) last_from_driver_ns_.store(steady_now_ns());
      } else {
        if (closed_) return;  // the rank is ending
        if (transport_.sending_large_message_to(0)) last_from_driver_ns_.store(steady_now_ns());
        MessageBuilder builder;
        transport_.send(0, builder.finish(MessageKind::heartbeat));
        transport_.progress_sends();
        next_heartbeat = steady_clock::now() + heartbeat_every;
      }
    }
    // A driver elsewhere is watched by its heartbeats, with a wide margin (a silent driver may
    // only be busy), since ending a live job's rank is worse.
    const auto silent = std::chrono::nanoseconds(steady_now_ns() - last_from_driver_ns_.load());
    // A rank behind a relay hears from the driver through it, and the relay shares its node.
    const bool gone = comm_.on_my_node(upstream_) ? comm_.process_gone(upstream_)
                                                  : heartbeats && silent > 3 * driver_timeout_;
    // A driver that stopped this rank may end before the rank has: that is no loss. After losing
    // a rank the driver ends right after sending its stop, without waiting for the others, so the
    // stop may still be on its way through this rank's serve loop (slow on a loaded node): it
    // gets a moment to arrive before the driver is called lost.
    if (gone && !stop_requested()) {
      heartbeat_stop_.wait_for(lock, std::chrono::seconds(1),
                               [this] { return heartbeat_stopping_ || stop_requested(); });
    }
    if (gone && (stop_requested() || heartbeat_stopping_)) return;
    if (gone && upstream_ != 0) {
      // The driver takes this node's ranks for lost with their relay and goes on without them.
      spdlog::error("rank {} ({}): its node's relay, rank {}, is gone; this rank ends",
                    comm_.rank(), comm_.hosts()[static_cast<std::size_t>(comm_.rank())], upstream_);
      std::fflush(nullptr);
      std::_Exit(1);
    }
    if (gone) {
      spdlog::critical(
          "rank {} ({}): the driver (rank 0 on {}) is lost ({}); this rank ends", comm_.rank(),
          comm_.hosts()[static_cast<std::size_t>(comm_.rank())], comm_.hosts()[0],
          comm_.on_my_node(0)
              ? std::string("its process is gone")
              : "nothing heard from it for " +
                    std::to_string(
                        std::chrono::duration_cast<std::chrono::seconds>(silent).count()) +
                    " s");
      std::fflush(nullptr);
      fail_launcher_for_lost_driver();
      std::_Exit(1);
    }
  }
}

WorkerPort::~WorkerPort() { close(); }

void WorkerPort::send(int dest, std::vector<char> message) {
  std::lock_guard lock(mutex_);
  if (closed_)
    throw JobEnding("the job is ending: rank " + std::to_string(comm_.rank()) +
                    " sends nothing more");
  transport_.send(dest, std::move(message));
  transport_.progress_sends();
}

bool WorkerPort::pump() {
  std::unique_lock lock(mutex_, std::try_to_lock);
  if (!lock.owns_lock() || closed_) return false;
  bool progressed = transport_.progress_sends();
  while (auto message = transport_.poll()) {
    progressed = true;
    const int source = message->source;
    const auto kind = static_cast<int>(message->kind);
    try {
      if (message->source == 0)
        last_from_driver_ns_.store(steady_now_ns(), std::memory_order_relaxed);
      if (!is_relay_ || !relay(*message)) route(std::move(*message));
    } catch (const DecodeError& e) {
      spdlog::error("multirank rank {}: dropped a garbled message of kind {} from rank {}: {}",
                    comm_.rank(), kind, source, e.what());
    }
  }
  // Whatever the node's ranks returned goes now, in one message: a result never waits for more.
  if (is_relay_) send_relayed();
  return progressed;
}

void WorkerPort::route(Message message) {
  switch (message.kind) {
    case MessageKind::heartbeat:
      return;
    case MessageKind::tasks:
      task_messages_.push_back(std::make_shared<const Message>(std::move(message)));
      has_task_messages_.store(true, std::memory_order_release);
      return;
    case MessageKind::stop_after_loss:
      ranks_lost_.store(true, std::memory_order_release);
      stop_requested_.store(true, std::memory_order_release);
      return;
    case MessageKind::stop:
      stop_requested_.store(true, std::memory_order_release);
      return;
    case MessageKind::interrupt:
      interrupted_.store(true, std::memory_order_release);
      return;
    case MessageKind::drop_queued:
      task_messages_.clear();
      has_task_messages_.store(false, std::memory_order_release);
      drop_queued_.store(true, std::memory_order_release);
      return;
    case MessageKind::object_reply: {
      ByteReader in(message.body());
      const auto header = read_message_header<ObjectReplyHeader>(message, in);
      const auto payload = in.take(header.payload_bytes);
      replies_[header.request_id] =
          ObjectReply{static_cast<ReplyStatus>(header.status), header.value,
                      std::vector<char>(payload.begin(), payload.end())};
      return;
    }
    case MessageKind::process_start:
      start_process(message);
      return;
    default:
      spdlog::error("rank {}: unexpected message kind {} from rank {}", comm_.rank(),
                    static_cast<int>(message.kind), message.source);
  }
}

void WorkerPort::start_process(const Message& message) {
  ByteReader in(message.body());
  const auto header = read_message_header<ProcessStartHeader>(message, in);
  const auto name = in.take(header.name_bytes);
  const auto args = in.take(header.args_bytes);
  if (!processes_) {
    // Output and exits go to the driver from the process's own thread, in order with its calls.
    auto send_output = [this](std::uint64_t process, int stream, std::string_view text) {
      MessageBuilder builder;
      builder.writer().write_pod(
          ProcessOutputHeader{process, static_cast<std::uint32_t>(stream), 0, text.size()});
      builder.writer().write(text.data(), text.size());
      builder.count_record();
      try {
        send(0, builder.finish(MessageKind::process_output));
      } catch (const JobEnding&) {
      }
    };
    auto send_exit = [this](std::uint64_t process, int exitcode, const ErrorInfo& error) {
      MessageBuilder builder;
      builder.writer().write_pod(
          ProcessExitHeader{process, exitcode, static_cast<std::uint32_t>(error.type_name.size()),
                            error.message.size()});
      builder.writer().write(error.type_name.data(), error.type_name.size());
      builder.writer().write(error.message.data(), error.message.size());
      builder.count_record();
      try {
        send(0, builder.finish(MessageKind::process_exit));
      } catch (const JobEnding&) {
      }
    };
    processes_ = std::make_unique<ProcessRunner>(send_exit, send_output);
  }
  processes_->start(header.process_id, std::string(name.begin(), name.end()), header.function_id,
                    header.args_signature, std::vector<char>(args.begin(), args.end()));
}

std::deque<std::shared_ptr<const Message>> WorkerPort::take_task_messages() {
  std::deque<std::shared_ptr<const Message>> taken;
  if (!has_task_messages_.load(std::memory_order_acquire)) return taken;
  std::lock_guard lock(mutex_);
  taken.swap(task_messages_);
  has_task_messages_.store(false, std::memory_order_release);
  return taken;
}

std::size_t WorkerPort::close() {
  if (relay_.joinable()) {
    relay_stopping_.store(true, std::memory_order_release);
    relay_.join();
  }
  if (heartbeat_.joinable()) {
    {
      std::lock_guard lock(heartbeat_mutex_);
      heartbeat_stopping_ = true;
    }
    heartbeat_stop_.notify_all();
    heartbeat_.join();
  }
  {
    std::unique_lock lock(mutex_);
    if (closed_) return 0;
    Backoff backoff(wait_policy_);
    while (transport_.sends_pending()) {
      if (transport_.progress_sends()) {
        backoff.reset();
      } else {
        lock.unlock();
        backoff.pause();
        lock.lock();
      }
    }
    closed_ = true;
  }
  const std::size_t running = processes_ ? processes_->running() : 0;
  processes_.reset();
  return running;
}

ObjectReply WorkerPort::call(ObjectRequestHeader header, std::span<const char> payload) {
  {
    std::lock_guard lock(mutex_);
    header.request_id = next_request_id_++;
  }
  MessageBuilder builder;
  builder.writer().write_pod(header);
  builder.writer().write(payload.data(), payload.size());
  builder.count_record();
  send(0, builder.finish(MessageKind::object_request));
  Backoff backoff(wait_policy_);
  while (true) {
    const bool progressed = pump();
    {
      std::lock_guard lock(mutex_);
      auto it = replies_.find(header.request_id);
      if (it != replies_.end()) {
        ObjectReply reply = std::move(it->second);
        replies_.erase(it);
        return reply;
      }
      if (closed_) {
        const std::string reason = "the job is ending: the driver has finished";
        return ObjectReply{ReplyStatus::shutting_down, 0, {reason.begin(), reason.end()}};
      }
    }
    if (progressed) {
      backoff.reset();
    } else {
      backoff.pause();
    }
  }
}

}  // namespace multirank::detail
