// Calls on shared objects from any thread of any rank, and the errors their replies stand for.
#include "multirank/detail/object_client.hpp"

#include <atomic>

#include "multirank/detail/runtime_access.hpp"
#include "multirank/runtime.hpp"
#include "objects/object_table.hpp"

namespace multirank::detail {

namespace {
thread_local ProcessContext* this_thread_process = nullptr;
thread_local std::uint32_t this_thread_number = 0;

std::int64_t timeout_ns(const Timeout& timeout) {
  if (!timeout.limit()) return -1;
  return std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::nanoseconds>(*timeout.limit()).count());
}
}  // namespace

ProcessContext* current_process_context() noexcept { return this_thread_process; }
void set_current_process_context(ProcessContext* context) noexcept {
  this_thread_process = context;
}

std::uint64_t current_client() {
  if (this_thread_process != nullptr) return this_thread_process->id;
  Runtime& runtime = Runtime::current();
  if (this_thread_number == 0) this_thread_number = RuntimeAccess::next_thread_number(runtime);
  return thread_client_id(runtime.rank(), this_thread_number);
}

namespace {
ObjectReply call_with_timeout_ns(std::uint64_t object, ObjectOp op, std::uint32_t arg,
                                 std::int64_t value, std::int64_t timeout,
                                 std::span<const char> payload) {
  ObjectRequestHeader header{};
  header.client = current_client();
  header.object = object;
  header.op = static_cast<std::uint16_t>(op);
  header.arg = arg;
  header.value = value;
  header.timeout_ns = timeout;
  header.payload_bytes = payload.size();
  return RuntimeAccess::object_channel(Runtime::current()).call(header, payload);
}
}  // namespace

ObjectReply call_object(std::uint64_t object, ObjectOp op, std::uint32_t arg, std::int64_t value,
                        const Timeout& timeout, std::span<const char> payload) {
  return call_with_timeout_ns(object, op, arg, value, timeout_ns(timeout), payload);
}

ObjectReply call_object_now(std::uint64_t object, ObjectOp op, std::uint32_t arg,
                            std::int64_t value, std::span<const char> payload) {
  return call_with_timeout_ns(object, op, arg, value, 0, payload);
}

std::uint64_t create_object(ObjectKind kind, std::int64_t parameter, std::uint32_t flags,
                            std::string_view name, std::span<const char> initial) {
  const std::vector<char> request = encode_create_request(name, initial);
  const ObjectReply reply =
      call_object(0, ObjectOp::create, static_cast<std::uint32_t>(kind) | (flags << 8), parameter,
                  Timeout(), request);
  throw_if_failed(reply);
  return static_cast<std::uint64_t>(reply.value);
}

void throw_if_failed(const ObjectReply& reply) {
  switch (reply.status) {
    case ReplyStatus::ok:
      return;
    case ReplyStatus::timed_out:
      throw TimeoutError("the call timed out");
    case ReplyStatus::eof:
      throw EOFError(reply.text());
    case ReplyStatus::broken_pipe:
      throw BrokenPipeError(reply.text());
    case ReplyStatus::broken_barrier:
      throw BrokenBarrierError(reply.text());
    case ReplyStatus::state_error:
      throw StateError(reply.text());
    case ReplyStatus::shutting_down:
      throw JobEnding(reply.text());
  }
  throw DecodeError("a shared-object reply has unknown status " +
                    std::to_string(static_cast<int>(reply.status)));
}

}  // namespace multirank::detail
