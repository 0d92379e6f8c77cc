// Runs Process targets on threads of this rank: a rank may host any number of processes at once,
// so start() never waits for a free rank. Used on worker ranks (told by process_start messages)
// and on the driver when the job is a single rank.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "multirank/detail/object_client.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/wire.hpp"
#include "process/process_output.hpp"

namespace multirank::detail {

class ProcessRunner {
 public:
  /// Told when a process ends: its id, exit code (0, or 1 when the target threw) and error.
  using ExitReport = std::function<void(std::uint64_t process, int exitcode, const ErrorInfo&)>;

  ProcessRunner(ExitReport on_exit, ProcessOutput::Sink output);
  /// Joins the processes that have ended; daemon processes still running are left behind with
  /// what they use (the rank is about to exit and ends them with it), and report nothing more.
  ~ProcessRunner();
  ProcessRunner(const ProcessRunner&) = delete;
  ProcessRunner& operator=(const ProcessRunner&) = delete;

  /// Starts `function_id`'s target on a new thread. An unknown task or argument types that do not
  /// match become the process's error (exit code 1), as if the target had thrown.
  void start(std::uint64_t process, std::string name, std::uint64_t function_id,
             std::uint64_t args_signature, std::vector<char> args);
  /// Processes started here and still running.
  std::size_t running() const;

 private:
  struct Running {
    ProcessContext context;
    std::thread thread;
    bool finished = false;
  };
  /// Shared with the threads, so a daemon thread outlives the runner safely.
  struct State {
    State(ExitReport on_exit, ProcessOutput::Sink output)
        : on_exit(std::move(on_exit)), output(std::move(output)) {}
    ExitReport on_exit;
    ProcessOutput output;
    std::mutex mutex;
    std::list<Running> processes;
    bool abandoned = false;  // the runner is gone: report nothing
    void reap();             // joins the threads of finished processes; caller holds mutex
  };
  static void run(const std::shared_ptr<State>& state, Running& process, std::uint64_t function_id,
                  std::uint64_t args_signature, std::vector<char> args);

  std::shared_ptr<State> state_;
};

/// Prints a failed process's error as Python prints a traceback: "Process NAME:" then
/// "TYPE: MESSAGE", on the process's stderr.
void print_process_error(std::string_view name, const ErrorInfo& error);

}  // namespace multirank::detail
