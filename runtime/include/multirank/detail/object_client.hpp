// How any thread, on any rank, operates on a shared object: it names the object and the
// operation, and the rank's ObjectChannel carries the call to the driver's ObjectTable (directly
// on the driver, as a message elsewhere) and brings the reply back.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "multirank/detail/object_protocol.hpp"
#include "multirank/error.hpp"
#include "multirank/timeout.hpp"

namespace multirank::detail {

struct ObjectReply {
  ReplyStatus status = ReplyStatus::ok;
  std::int64_t value = 0;
  std::vector<char> payload;
  /// The payload as text: the reason of an error reply.
  std::string text() const { return std::string(payload.begin(), payload.end()); }
};

/// One rank's way to the driver's shared objects.
class ObjectChannel {
 public:
  virtual ~ObjectChannel() = default;
  /// Sends the call (its request id is filled in here) and waits for the reply.
  virtual ObjectReply call(ObjectRequestHeader header, std::span<const char> payload) = 0;
};

/// The job is ending: what a daemon process sees in a blocking call when the driver finishes.
class JobEnding : public Error {
 public:
  using Error::Error;
};

/// The process this thread runs, if it is a Process's thread.
struct ProcessContext {
  std::uint64_t id;
  std::string name;
};
ProcessContext* current_process_context() noexcept;
void set_current_process_context(ProcessContext* context) noexcept;

/// The caller's identity as shared objects see it (lock owners, diagnostics).
std::uint64_t current_client();

/// One operation on `object`. `timeout`: nothing waits for ever, zero does not wait.
ObjectReply call_object(std::uint64_t object, ObjectOp op, std::uint32_t arg = 0,
                        std::int64_t value = 0, const Timeout& timeout = Timeout(),
                        std::span<const char> payload = {});
/// Same, with an explicit "do not wait".
ObjectReply call_object_now(std::uint64_t object, ObjectOp op, std::uint32_t arg = 0,
                            std::int64_t value = 0, std::span<const char> payload = {});
/// Creates a shared object on the driver, called `name` in messages (empty: by its id); returns
/// its id.
std::uint64_t create_object(ObjectKind kind, std::int64_t parameter, std::uint32_t flags,
                            std::string_view name, std::span<const char> initial = {});

/// Throws the exception that `reply`'s status stands for (JobEnding, StateError, EOFError,
/// BrokenPipeError, BrokenBarrierError, TimeoutError), with the driver's reason. Does nothing
/// for ok.
void throw_if_failed(const ObjectReply& reply);

}  // namespace multirank::detail
