// Process: run a registered function as its own process of the job, as multiprocessing.Process.
// It runs on a thread of a worker rank (the rank hosting the fewest live processes), so start()
// never waits for a free rank and any number of processes run at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multirank/detail/submission.hpp"
#include "multirank/task.hpp"
#include "multirank/timeout.hpp"

namespace multirank {

/// @code
///   void worker(int num);
///   MULTIRANK_TASK(worker);
///   std::vector<multirank::Process> processes;
///   for (int i = 0; i < 5; ++i) processes.emplace_back(worker, i).start();
///   for (auto& p : processes) p.join();
/// @endcode
/// The target is a registered task; its arguments are copied when the Process is made and may
/// include Queue, Pipe ends, locks and other shared handles. What the target writes to std::cout
/// and std::cerr reaches the driver's output line by line (MULTIRANK_TAG_OUTPUT=1 prefixes each
/// line with the process's name, rank and host). A target that throws ends with exit code 1 and
/// prints "Process NAME:" and the exception, as Python prints a traceback. Non-daemon processes
/// are joined when the Runtime ends; daemon ones are stopped at their next blocking call (one
/// busy computing runs until its rank exits). Created, started and joined on the driver only.
/// Thread safety: one thread at a time per Process object.
class Process {
 public:
  template <class Task, class... Args>
  /// A process that will run `target(args...)`: `target` a registered task, `args` copied now.
  /// @code multirank::Process p(worker, 3); p.start(); p.join(); @endcode
  explicit Process(Task target, Args&&... args) : Process(detail::as_task(target).entry()) {
    encode_arguments(detail::as_task(target), std::forward<Args>(args)...);
  }
  /// Moves the process (not copyable: one object per process).
  Process(Process&&) noexcept = default;
  /// Moves the process.
  Process& operator=(Process&&) noexcept = default;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  /// Starts it; a StateError if it was started before. Returns *this.
  Process& start();
  /// Waits until it ends, or `timeout` passes; true if it ended. A StateError before start().
  bool join(Timeout timeout = {});
  /// Whether it has started and not yet ended.
  bool is_alive() const;
  /// 0 after success, 1 if the target threw, -15 if stopped as a daemon; nothing while it runs
  /// or before it starts.
  std::optional<int> exitcode() const;

  /// Its name: "Process-N" unless set.
  const std::string& name() const noexcept { return name_; }
  /// Names it, for its output's tag and every diagnostic.
  void set_name(std::string name);
  /// Whether it is a daemon (stopped, not joined, when the Runtime ends).
  bool daemon() const noexcept { return daemon_; }
  /// Only before start(), as in Python.
  void set_daemon(bool daemon);
  /// Where it runs: -1 and "" before start().
  int rank() const noexcept { return rank_; }
  /// The host of the rank it runs on; empty before start().
  std::string host() const;
  /// The process's id in this job (0 before start()).
  std::uint64_t pid() const noexcept { return id_; }

 private:
  explicit Process(const detail::TaskEntry& target);
  template <class R, class... P, class... A>
  void encode_arguments(const TaskRef<R(P...)>&, A&&... args) {
    static_assert(sizeof...(P) == sizeof...(A), "wrong number of arguments for the target");
    detail::ByteWriter out(args_);
    (detail::encode_argument<P>(out, std::forward<A>(args)), ...);
  }
  void check_started(const char* operation) const;

  const detail::TaskEntry* target_;
  std::vector<char> args_;
  std::string name_;
  bool daemon_ = false;
  bool started_ = false;
  std::uint64_t id_ = 0;
  int rank_ = -1;
};

/// The name of the process running this code ("MainProcess" outside any Process).
std::string current_process_name();

}  // namespace multirank
