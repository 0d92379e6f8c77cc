// Process threads: decode the target's arguments, run it, report how it ended.
#include "process/process_runner.hpp"

#include <iostream>

#include "multirank/detail/byte_buffer.hpp"
#include "multirank/error.hpp"
#include "tasks/task_execution.hpp"

namespace multirank::detail {

ProcessRunner::ProcessRunner(ExitReport on_exit, ProcessOutput::Sink output)
    : state_(std::make_shared<State>(std::move(on_exit), std::move(output))) {}

ProcessRunner::~ProcessRunner() {
  std::lock_guard lock(state_->mutex);
  state_->reap();
  state_->abandoned = true;
  for (auto& process : state_->processes) process.thread.detach();
}

void ProcessRunner::start(std::uint64_t process, std::string name, std::uint64_t function_id,
                          std::uint64_t args_signature, std::vector<char> args) {
  std::lock_guard lock(state_->mutex);
  state_->reap();
  Running& running = state_->processes.emplace_back();
  running.context = ProcessContext{process, std::move(name)};
  running.thread = std::thread(
      [state = state_, &running, function_id, args_signature, args = std::move(args)]() mutable {
        run(state, running, function_id, args_signature, std::move(args));
      });
}

std::size_t ProcessRunner::running() const {
  std::lock_guard lock(state_->mutex);
  std::size_t count = 0;
  for (const auto& process : state_->processes) count += process.finished ? 0 : 1;
  return count;
}

void ProcessRunner::run(const std::shared_ptr<State>& state, Running& process,
                        std::uint64_t function_id, std::uint64_t args_signature,
                        std::vector<char> args) {
  set_current_process_context(&process.context);
  int exitcode = 0;
  ErrorInfo error;
  bool report = true;
  try {
    const TaskEntry* entry = Registry::instance().find(function_id);
    if (entry == nullptr) {
      throw TaskError("no task with id " + std::to_string(function_id) +
                      " is registered on this rank (was it built from another binary?)");
    }
    if (entry->args_signature != args_signature) {
      throw TaskError("the arguments sent to '" + entry->name +
                      "' are not of the types it takes (" + entry->signature + ")");
    }
    ByteReader in(args);
    std::vector<char> ignored;
    ByteWriter result(ignored);
    entry->invoke(entry->function, in, result, nullptr);
  } catch (const JobEnding&) {
    // A daemon process stopped because the job ends: Python's terminate() exit code, no report.
    exitcode = -15;
    report = false;
  } catch (...) {
    error = describe_current_exception();
    exitcode = 1;
    print_process_error(process.context.name, error);
  }
  state->output.flush_this_thread();
  {
    std::lock_guard lock(state->mutex);
    report &= !state->abandoned;
  }
  if (report) state->on_exit(process.context.id, exitcode, error);
  set_current_process_context(nullptr);
  std::lock_guard lock(state->mutex);
  process.finished = true;
}

void ProcessRunner::State::reap() {
  for (auto it = processes.begin(); it != processes.end();) {
    if (it->finished) {
      it->thread.join();
      it = processes.erase(it);
    } else {
      ++it;
    }
  }
}

void print_process_error(std::string_view name, const ErrorInfo& error) {
  std::cerr << "Process " << name << ":\n" << error.type_name << ": " << error.message << "\n";
  std::cerr.flush();
}

}  // namespace multirank::detail
