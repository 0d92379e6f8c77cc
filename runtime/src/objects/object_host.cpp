// The driver's shared-object host: local calls, remote requests, processes and their output,
// and what a hung job prints when interrupted.
#include "objects/object_host.hpp"

#include <mpi.h>

#include <csignal>
#include <cstdio>
#include <iostream>
#include <thread>

#include "core/interruption.hpp"
#include "objects/shared_objects.hpp"

namespace multirank::detail {

namespace {

std::int64_t ns_since_epoch(ObjectClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

ObjectHost::ObjectHost(const Communicator& comm, ProgressEngine& engine,
                       const RuntimeOptions& options)
    : comm_(comm),
      engine_(engine),
      options_(options),
      table_(*this),
      live_per_rank_(static_cast<std::size_t>(comm.size()), 0),
      lost_ranks_(static_cast<std::size_t>(comm.size()), false) {
  engine_.attach(this);
}

ObjectHost::~ObjectHost() {
  engine_.attach(nullptr);
  local_runner_.reset();
  output_.reset();
}

void ObjectHost::watch_signals() {
  // Only programs that use processes and shared objects change how Ctrl-C acts: interrupting
  // them prints who waits for what before the job ends.
  reports_on_interrupt_.store(true, std::memory_order_release);
}

void ObjectHost::on_interrupt(int signal) {
  if (!reports_on_interrupt_.load(std::memory_order_acquire)) return;
  report_and_abort("interrupted by " + signal_name(signal), 128 + signal);
}

void ObjectHost::note_next_deadline() {
  const auto next = table_.next_deadline();
  next_deadline_ns_.store(next ? ns_since_epoch(*next) : INT64_MAX, std::memory_order_release);
}

ObjectReply ObjectHost::call(ObjectRequestHeader header, std::span<const char> payload) {
  struct InFlight {
    std::atomic<int>& count;
    explicit InFlight(std::atomic<int>& c) : count(c) { count.fetch_add(1); }
    ~InFlight() { count.fetch_sub(1); }
  } in_flight(calls_in_flight_);
  if (shut_down_.load(std::memory_order_acquire)) {
    const std::string reason = "the job is ending: shared objects are gone";
    return ObjectReply{ReplyStatus::shutting_down, 0, {reason.begin(), reason.end()}};
  }
  watch_signals();
  auto reply = std::make_shared<LocalReply>();
  {
    std::lock_guard lock(mutex_);
    header.request_id = next_request_id_++;
    local_replies_.emplace(header.request_id, reply);
    ObjectCall call{0, header, std::vector<char>(payload.begin(), payload.end()),
                    ObjectClock::now(), std::nullopt};
    if (header.timeout_ns > 0)
      call.deadline = call.since + std::chrono::nanoseconds(header.timeout_ns);
    table_.handle(std::move(call));
    note_next_deadline();
  }
  if (outbox_ready_.load(std::memory_order_acquire)) engine_.poke();
  if (!reply->ready.load(std::memory_order_acquire)) {
    engine_.wait_until([&] { return reply->ready.load(std::memory_order_acquire); }, std::nullopt);
  }
  return std::move(reply->reply);
}

void ObjectHost::deliver(int rank, const ObjectReplyHeader& header, std::span<const char> payload) {
  if (rank == comm_.rank()) {
    auto it = local_replies_.find(header.request_id);
    if (it == local_replies_.end()) return;
    it->second->reply = ObjectReply{static_cast<ReplyStatus>(header.status), header.value,
                                    std::vector<char>(payload.begin(), payload.end())};
    it->second->ready.store(true, std::memory_order_release);
    local_replies_.erase(it);
    return;
  }
  MessageBuilder builder;
  builder.writer().write_pod(header);
  builder.writer().write(payload.data(), payload.size());
  builder.count_record();
  outbox_.emplace_back(rank, builder.finish(MessageKind::object_reply));
  outbox_ready_.store(true, std::memory_order_release);
}

bool ObjectHost::on_message(Message& message, Transport&) {
  ByteReader in(message.body());
  switch (message.kind) {
    case MessageKind::object_request: {
      const auto header = read_message_header<ObjectRequestHeader>(message, in);
      const auto payload = in.take(header.payload_bytes);
      ObjectCall call{message.source, header, std::vector<char>(payload.begin(), payload.end()),
                      ObjectClock::now(), std::nullopt};
      if (header.timeout_ns > 0) {
        call.deadline = call.since + std::chrono::nanoseconds(header.timeout_ns);
      }
      std::lock_guard lock(mutex_);
      table_.handle(std::move(call));
      note_next_deadline();
      return true;
    }
    case MessageKind::process_exit: {
      const auto header = read_message_header<ProcessExitHeader>(message, in);
      std::lock_guard lock(mutex_);
      process_exited(header.process_id, header.exitcode);
      return true;
    }
    case MessageKind::process_output: {
      const auto header = read_message_header<ProcessOutputHeader>(message, in);
      const auto text = in.take(header.bytes);
      print_process_output(header.process_id, static_cast<int>(header.stream),
                           std::string_view(text.data(), text.size()));
      return true;
    }
    default:
      return false;
  }
}

bool ObjectHost::poll(Transport& transport) {
  bool progressed = false;
  const auto now = ObjectClock::now();
  if (next_deadline_ns_.load(std::memory_order_acquire) <= ns_since_epoch(now)) {
    std::lock_guard lock(mutex_);
    table_.expire_due(now);
    note_next_deadline();
  }
  if (outbox_ready_.exchange(false, std::memory_order_acq_rel)) {
    std::vector<std::pair<int, std::vector<char>>> outgoing;
    {
      std::lock_guard lock(mutex_);
      outgoing.swap(outbox_);
    }
    for (auto& [rank, message] : outgoing) transport.send(rank, std::move(message));
    progressed = !outgoing.empty();
  }
  check_watchdog();
  return progressed;
}

void ObjectHost::on_rank_lost(int rank) {
  std::vector<std::string> lost;
  {
    std::lock_guard lock(mutex_);
    table_.drop_calls_from(rank);
    lost_ranks_[static_cast<std::size_t>(rank)] = true;
    for (auto& [id, record] : processes_) {
      if (record.rank != rank || record.exited) continue;
      lost.push_back(record.name);
      process_exited(id, -9);  // as if SIGKILLed, which is most often what happened
    }
  }
  for (const auto& name : lost) {
    const std::string text = "Process " + name + ": lost with rank " + std::to_string(rank) + " (" +
                             comm_.hosts()[static_cast<std::size_t>(rank)] + ")\n";
    if (output_) {
      output_->write(2, text);
    } else {
      std::fputs(text.c_str(), stderr);
    }
  }
}

ObjectHost::StartedProcess ObjectHost::start_process(const TaskEntry& target,
                                                     std::vector<char> args, std::string name,
                                                     bool daemon) {
  watch_signals();
  StartedProcess started{};
  {
    std::lock_guard lock(mutex_);
    if (!output_) {
      output_ = std::make_unique<ProcessOutput>(
          [this](std::uint64_t process, int stream, std::string_view text) {
            print_process_output(process, stream, text);
          });
    }
    started.id =
        table_.add([&](std::uint64_t id) { return std::make_unique<ProcessObject>(id, name); });
    // Fewest live processes first, so processes spread over the worker ranks; the driver's own
    // threads run them only in a single-rank job.
    // (When every worker rank is lost, the driver's threads run them.)
    started.rank = 0;
    for (int rank = 1; rank < comm_.size(); ++rank) {
      if (lost_ranks_[static_cast<std::size_t>(rank)]) continue;
      if (started.rank == 0 || live_per_rank_[rank] < live_per_rank_[started.rank])
        started.rank = rank;
    }
    ++live_per_rank_[started.rank];
    processes_.emplace(started.id, ProcessRecord{name, started.rank, daemon});
    table_.set_process_name(started.id, name);
    table_.set_live_processes(processes_.size());
    if (started.rank != 0) {
      MessageBuilder builder;
      builder.writer().write_pod(ProcessStartHeader{started.id, target.id, target.args_signature,
                                                    static_cast<std::uint32_t>(name.size()), 0,
                                                    args.size()});
      builder.writer().write(name.data(), name.size());
      builder.writer().write(args.data(), args.size());
      builder.count_record();
      outbox_.emplace_back(started.rank, builder.finish(MessageKind::process_start));
      outbox_ready_.store(true, std::memory_order_release);
    } else if (!local_runner_) {
      local_runner_ = std::make_unique<ProcessRunner>(
          [this](std::uint64_t process, int exitcode, const ErrorInfo&) {
            std::lock_guard lock(mutex_);
            process_exited(process, exitcode);
          },
          [this](std::uint64_t process, int stream, std::string_view text) {
            print_process_output(process, stream, text);
          });
    }
  }
  if (started.rank == 0) {
    local_runner_->start(started.id, std::move(name), target.id, target.args_signature,
                         std::move(args));
  } else {
    engine_.poke();
  }
  return started;
}

void ObjectHost::process_exited(std::uint64_t id, int exitcode) {
  auto it = processes_.find(id);
  if (it == processes_.end() || it->second.exited) return;
  it->second.exited = true;
  --live_per_rank_[it->second.rank];
  if (auto* process = table_.find_as<ProcessObject>(id)) process->exited(exitcode, table_);
  table_.client_gone(id);
  std::size_t live = 0;
  for (const auto& [pid, record] : processes_) live += record.exited ? 0 : 1;
  table_.set_live_processes(live);
}

void ObjectHost::print_process_output(std::uint64_t process, int stream, std::string_view text) {
  if (!output_) return;
  if (!options_.tag_output) {
    output_->write(stream, text);
    return;
  }
  std::string name;
  int rank = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = processes_.find(process);
    name = it == processes_.end() ? "process " + std::to_string(process) : it->second.name;
    rank = it == processes_.end() ? -1 : it->second.rank;
  }
  // One prefix per line, so each line says whose it is.
  std::string tagged;
  const std::string prefix =
      "[" + name + " rank " + std::to_string(rank) + "@" +
      (rank >= 0 ? comm_.hosts()[static_cast<std::size_t>(rank)] : std::string("?")) + "] ";
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    const auto stop = end == std::string_view::npos ? text.size() : end + 1;
    tagged += prefix;
    tagged.append(text.substr(start, stop - start));
    start = stop;
  }
  output_->write(stream, tagged);
}

void ObjectHost::join_processes() {
  engine_.wait_until(
      [this] {
        std::lock_guard lock(mutex_);
        for (const auto& [id, record] : processes_) {
          if (!record.daemon && !record.exited) return false;
        }
        return true;
      },
      std::nullopt);
}

void ObjectHost::shut_down() {
  shut_down_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(mutex_);
    table_.shut_down();
  }
  engine_.poke();
  // Threads answered just now (daemon processes on the driver) leave their wait within a nap.
  const auto limit = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  while (calls_in_flight_.load() > 0 && std::chrono::steady_clock::now() < limit) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::vector<std::string> ObjectHost::blocked_calls() {
  std::lock_guard lock(mutex_);
  return table_.blocked_calls(ObjectClock::now());
}

void ObjectHost::check_watchdog() {
  if (options_.watchdog.count() == 0) return;
  const auto now = ObjectClock::now();
  if (now < next_watch_) return;
  next_watch_ = now + std::chrono::milliseconds(100);
  bool deadlocked = false;
  bool stuck = false;
  {
    std::lock_guard lock(mutex_);
    deadlocked = table_.deadlocked(now, options_.watchdog);
    stuck = !deadlocked && table_.stuck(now, options_.watchdog);
  }
  const std::string window = std::to_string(options_.watchdog.count()) + " s";
  if (deadlocked) {
    report_and_abort("deadlock: every process has been blocked for " + window +
                         " or more (MULTIRANK_WATCHDOG_S)",
                     1);
  }
  if (stuck) {
    report_and_abort("stuck: for " + window +
                         " or more every process has been blocked or polling with timeouts "
                         "that keep expiring, and no call on a shared object succeeded "
                         "(MULTIRANK_WATCHDOG_S)",
                     1);
  }
}

void ObjectHost::report_and_abort(const std::string& reason, int status) {
  std::vector<std::string> blocked;
  std::vector<std::string> polling;
  {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (lock.owns_lock()) {
      const auto now = ObjectClock::now();
      blocked = table_.blocked_calls(now);
      polling = table_.polling_loops(now);
    }
  }
  std::string report = "multirank: " + reason + "; ";
  if (blocked.empty() && polling.empty()) {
    report += "no call was blocked on a shared object\n";
  } else {
    if (!polling.empty()) report += std::to_string(polling.size()) + " polling loop(s), ";
    report += std::to_string(blocked.size()) + " blocked call(s):\n";
    for (const auto& line : polling) report += "  " + line + "\n";
    for (const auto& line : blocked) report += "  " + line + "\n";
  }
  std::fputs(report.c_str(), stderr);
  std::fflush(stderr);
  std::cout.flush();
  end_job_now(status);
}

}  // namespace multirank::detail
