// Process on the driver: naming, starting through the object host, joining and state queries.
#include "multirank/process.hpp"

#include "multirank/detail/runtime_access.hpp"
#include "multirank/runtime.hpp"
#include "objects/object_host.hpp"

namespace multirank {

Process::Process(const detail::TaskEntry& target)
    : target_(&target),
      name_(detail::RuntimeAccess::object_host(Runtime::current()).next_process_name()) {}

Process& Process::start() {
  if (started_) throw StateError(name_ + ": start() called twice (a process starts once)");
  auto started = detail::RuntimeAccess::object_host(Runtime::current())
                     .start_process(*target_, std::move(args_), name_, daemon_);
  started_ = true;
  id_ = started.id;
  rank_ = started.rank;
  return *this;
}

void Process::check_started(const char* operation) const {
  if (!started_) throw StateError(name_ + ": " + operation + "() before start()");
}

bool Process::join(Timeout timeout) {
  check_started("join");
  const auto reply = detail::call_object(id_, detail::ObjectOp::process_join, 0, 0, timeout);
  if (reply.status == detail::ReplyStatus::timed_out) return false;
  detail::throw_if_failed(reply);
  return true;
}

bool Process::is_alive() const { return started_ && !exitcode(); }

std::optional<int> Process::exitcode() const {
  if (!started_) return std::nullopt;
  const auto reply = detail::call_object(id_, detail::ObjectOp::process_state);
  detail::throw_if_failed(reply);
  if (reply.value == -1) return std::nullopt;
  return static_cast<int>(reply.value);
}

void Process::set_name(std::string name) { name_ = std::move(name); }

void Process::set_daemon(bool daemon) {
  if (started_) throw StateError(name_ + ": set_daemon() after start()");
  daemon_ = daemon;
}

std::string Process::host() const {
  if (rank_ < 0) return "";
  return detail::progress_engine_of_runtime().host_of(rank_);
}

std::string current_process_name() {
  const detail::ProcessContext* context = detail::current_process_context();
  return context ? context->name : std::string("MainProcess");
}

}  // namespace multirank
