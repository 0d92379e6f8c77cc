// The one exception hierarchy of multirank. Every message names the thing that failed and why,
// so a user reading a log line from rank 7 of 256 knows where to look.
#pragma once

#include <stdexcept>
#include <string>

namespace multirank {

/// Base of every exception multirank throws.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An MPI call returned an error code; carries the code and MPI's own description.
class MpiError : public Error {
 public:
  /// `call` failed with MPI error `code`; the message has MPI's own description.
  MpiError(const std::string& call, int code);
  /// MPI's error code.
  int code() const noexcept { return code_; }

 private:
  int code_;
};

/// A task raised on some rank. Carries the original exception's type and message, where it ran,
/// which task it was and at which stage, like mpi4py.futures' "Worker r of n on host" header. An
/// exception thrown by user code anywhere in a task's life after submit (the arguments' load(), the
/// task, the result's save() and, on the driver, its load()) arrives as one, or as itself with one
/// nested where its type is registered (multirank/remote_exception.hpp).
class RemoteError : public Error {
 public:
  /// `stage`: where in the task's life it was raised, as a phrase ("while decoding its
  /// arguments"); empty for the task function itself.
  RemoteError(std::string type_name, std::string message, int rank, std::string host,
              std::string task_name, std::string stage = {});
  /// The original exception's type ("std::out_of_range", a registered type's name).
  const std::string& type_name() const noexcept { return type_name_; }
  /// The original exception's what().
  const std::string& message() const noexcept { return message_; }
  /// The rank it was raised on.
  int rank() const noexcept { return rank_; }
  /// That rank's host.
  const std::string& host() const noexcept { return host_; }
  /// The task's registered name.
  const std::string& task_name() const noexcept { return task_name_; }
  /// Where in the task's life it was raised; empty for the task function itself.
  const std::string& stage() const noexcept { return stage_; }

 private:
  std::string type_name_;
  std::string message_;
  int rank_;
  std::string host_;
  std::string task_name_;
  std::string stage_;
};

/// The pool or executor can no longer run tasks (shut down, terminated, or a worker was lost).
class BrokenPool : public Error {
 public:
  using Error::Error;
};

/// A task was lost with the worker rank running it (the rank died or fell silent) as many times
/// as its executor's `retries` allow. Names the task, its arguments' types and the ranks lost.
class WorkerLost : public BrokenPool {
 public:
  using BrokenPool::BrokenPool;
};

/// A blocking call ran past its timeout.
class TimeoutError : public Error {
 public:
  using Error::Error;
};

/// The job was interrupted (SIGINT, SIGTERM): the task never started, or was still running when
/// the grace period (MULTIRANK_GRACE_S) ended. The message names the signal.
class Interrupted : public Error {
 public:
  /// Interrupted by `signal`; `what` names it and what was stopped.
  Interrupted(int signal, const std::string& what);
  /// The signal number (SIGINT = 2, SIGTERM = 15); the job exits with 128 + it.
  int signal() const noexcept { return signal_; }

 private:
  int signal_;
};

/// A task ran longer than its executor's or pool's task_timeout (MULTIRANK_TASK_TIMEOUT_S).
/// The job goes on; the task's late result, if it ever comes, is dropped.
class TaskTimeout : public TimeoutError {
 public:
  using TimeoutError::TimeoutError;
};

/// The future was cancelled before it ran.
class CancelledError : public Error {
 public:
  using Error::Error;
};

/// A non-blocking or timed `get` found the queue empty.
class Empty : public Error {
 public:
  using Error::Error;
};

/// A non-blocking or timed `put` found the queue full.
class Full : public Error {
 public:
  using Error::Error;
};

/// The other end of a pipe closed and everything it sent was received.
class EOFError : public Error {
 public:
  using Error::Error;
};

/// A pipe end was written to after its peer closed (Python's BrokenPipeError).
class BrokenPipeError : public Error {
 public:
  using Error::Error;
};

/// A barrier was aborted, reset, or a party's wait timed out (Python's BrokenBarrierError).
class BrokenBarrierError : public Error {
 public:
  using Error::Error;
};

/// An operation that the object's state does not allow: a process started twice or joined before
/// it started, a queue or pipe used after close(), a lock released by a process that does not
/// hold it, a bounded semaphore released too often.
class StateError : public Error {
 public:
  using Error::Error;
};

/// Bytes on the wire do not decode as the type they are read as (truncated, corrupted, or another
/// type was sent).
class DecodeError : public Error {
 public:
  using Error::Error;
};

/// A setting (a RuntimeOptions field or a MULTIRANK_* variable) has a value that cannot be used.
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Tasks: an unregistered function, a name registered twice, a signature that does not match.
class TaskError : public Error {
 public:
  using Error::Error;
};

}  // namespace multirank
