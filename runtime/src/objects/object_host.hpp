// The driver's side of shared objects and processes: the ObjectTable behind a lock, the calls of
// the driver's own threads, the requests of other ranks (through the engine's progress rounds),
// starting processes and printing what they write, and the deadlock diagnostics (SIGINT,
// SIGTERM, or the watchdog).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/progress_engine.hpp"
#include "multirank/detail/object_client.hpp"
#include "multirank/options.hpp"
#include "objects/object_table.hpp"
#include "process/process_output.hpp"
#include "process/process_runner.hpp"
#include "wire/communicator.hpp"

namespace multirank::detail {

class ObjectHost final : public ObjectChannel, public EngineExtension, private ReplySink {
 public:
  ObjectHost(const Communicator& comm, ProgressEngine& engine, const RuntimeOptions& options);
  ~ObjectHost() override;

  ObjectReply call(ObjectRequestHeader header, std::span<const char> payload) override;
  bool on_message(Message& message, Transport& transport) override;
  bool poll(Transport& transport) override;
  void on_rank_lost(int rank) override;
  /// Once the program has used shared objects or processes: prints the blocked calls and ends
  /// the job (status 128 + signal), since its processes cannot be stopped one by one.
  void on_interrupt(int signal) override;

  struct StartedProcess {
    std::uint64_t id;
    int rank;
  };
  /// Registers a process and starts it on the rank hosting the fewest live processes (the driver
  /// itself only when it is the only rank).
  StartedProcess start_process(const TaskEntry& target, std::vector<char> args, std::string name,
                               bool daemon);
  /// "Process-N", numbered as Python numbers its children.
  std::string next_process_name() { return "Process-" + std::to_string(++process_count_); }
  /// Waits for every started non-daemon process (as Python does at exit).
  void join_processes();
  /// Answers every waiting call with JobEnding, and every later one at once: daemon processes
  /// stop at their next call. Returns once no driver thread is inside a call (or after a
  /// second), so the engine can go.
  void shut_down();
  /// The parked calls, one line each, for a person looking at a hung job.
  std::vector<std::string> blocked_calls();

 private:
  void deliver(int rank, const ObjectReplyHeader& header, std::span<const char> payload) override;
  void process_exited(std::uint64_t id, int exitcode);  // caller holds mutex_
  void print_process_output(std::uint64_t process, int stream, std::string_view text);
  /// Prints the blocked calls with `reason`, then ends the job with `status`.
  [[noreturn]] void report_and_abort(const std::string& reason, int status);
  void check_watchdog();
  /// Marks the program as one that gets the blocked-call report on interruption.
  void watch_signals();
  void note_next_deadline();  // caller holds mutex_

  struct LocalReply {
    std::atomic<bool> ready{false};
    ObjectReply reply;
  };
  struct ProcessRecord {
    std::string name;
    int rank;
    bool daemon;
    bool exited = false;
  };

  const Communicator& comm_;
  ProgressEngine& engine_;
  RuntimeOptions options_;
  std::mutex mutex_;  // everything below
  ObjectTable table_;
  std::uint64_t next_request_id_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<LocalReply>> local_replies_;
  std::vector<std::pair<int, std::vector<char>>> outbox_;
  std::unordered_map<std::uint64_t, ProcessRecord> processes_;
  std::vector<int> live_per_rank_;
  std::vector<bool> lost_ranks_;
  std::unique_ptr<ProcessOutput> output_;        // made with the first process
  std::unique_ptr<ProcessRunner> local_runner_;  // single-rank jobs
  std::atomic<bool> outbox_ready_{false};
  std::atomic<bool> shut_down_{false};
  std::atomic<int> calls_in_flight_{0};  // driver threads inside call()
  std::atomic<std::int64_t> next_deadline_ns_{INT64_MAX};
  std::atomic<std::uint32_t> process_count_{0};
  std::chrono::steady_clock::time_point next_watch_{};
  std::atomic<bool> reports_on_interrupt_{false};
};

}  // namespace multirank::detail
