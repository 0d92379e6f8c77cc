// The shared-object protocol: processes on any rank operate on queues, pipes, locks and the like
// that live on the driver (as multiprocessing's Manager does), one request and one reply per
// operation. A call that cannot complete yet is parked on the driver until it can or its timeout
// runs out, so a timeout never loses an item that was already on its way.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"

namespace multirank::detail {

enum class ObjectKind : std::uint8_t {
  queue = 1,
  pipe,
  lock,
  rlock,
  semaphore,
  bounded_semaphore,
  event,
  barrier,
  condition,
  value,
  process,
};

/// The creation flag that makes a queue a JoinableQueue.
inline constexpr std::uint32_t joinable_queue_flag = 1;

enum class ObjectOp : std::uint16_t {
  create = 1,  // object 0; arg: ObjectKind | flags << 8; value: kind parameter; payload: below
  queue_put,
  queue_get,
  queue_size,  // reply value: items; arg of reply unused
  queue_task_done,
  queue_join,
  pipe_send,   // arg: the sending end (0 or 1)
  pipe_recv,   // arg: the receiving end
  pipe_poll,   // arg: the receiving end; reply value 1 when recv would not block
  pipe_close,  // arg: the end
  lock_acquire,
  lock_release,
  semaphore_acquire,
  semaphore_release,  // value: how many
  event_set,
  event_clear,
  event_is_set,
  event_wait,
  barrier_wait,  // reply value: this party's arrival index
  barrier_abort,
  barrier_reset,
  barrier_info,  // reply value: waiting parties; payload: parties (u32), broken (u8)
  condition_wait,
  condition_notify,  // value: how many (-1 all)
  value_get,
  value_set,
  process_join,
  process_state,  // reply value: exit code, or -1 while it runs; arg of reply: started
};

/// What the caller sends. `timeout_ns` < 0 waits for ever; 0 does not wait.
struct ObjectRequestHeader {
  std::uint64_t request_id;
  std::uint64_t client;  // the calling process (0: the driver's main process)
  std::uint64_t object;
  std::uint16_t op;
  std::uint16_t reserved = 0;
  std::uint32_t arg;
  std::int64_t value;
  std::int64_t timeout_ns;
  std::uint64_t payload_bytes;
};

enum class ReplyStatus : std::uint8_t {
  ok = 0,
  timed_out,       // the wait ran out (queue Empty/Full, lock not acquired, event not set)
  eof,             // pipe: the peer closed and everything it sent was received
  broken_pipe,     // pipe: sending to an end whose peer closed
  broken_barrier,  // barrier aborted, reset, or a party timed out
  state_error,     // misuse; payload: the reason
  shutting_down,   // the job is ending; nothing more will complete
};

struct ObjectReplyHeader {
  std::uint64_t request_id;
  std::uint8_t status;
  std::uint8_t reserved[7] = {};
  std::int64_t value;
  std::uint64_t payload_bytes;
};

/// A create request's payload: the object's name (empty: unnamed), then the initial bytes its
/// kind takes (a Value's first value).
struct CreateRequest {
  std::string name;
  std::span<const char> initial;
};

inline std::vector<char> encode_create_request(std::string_view name,
                                               std::span<const char> initial) {
  std::vector<char> bytes;
  ByteWriter out(bytes);
  out.write_pod(static_cast<std::uint32_t>(name.size()));
  out.write(name.data(), name.size());
  out.write(initial.data(), initial.size());
  return bytes;
}

/// The request's parts, viewing `payload`; a DecodeError when the name's length runs past it.
inline CreateRequest decode_create_request(std::span<const char> payload) {
  ByteReader in(payload);
  const auto name_bytes = in.read_pod<std::uint32_t>();
  const auto name = in.take(name_bytes);
  return CreateRequest{std::string(name.begin(), name.end()), in.take(in.remaining())};
}

/// Driver -> worker: run a process. Followed by the name, then the encoded arguments.
struct ProcessStartHeader {
  std::uint64_t process_id;
  std::uint64_t function_id;
  std::uint64_t args_signature;
  std::uint32_t name_bytes;
  std::uint32_t reserved = 0;
  std::uint64_t args_bytes;
};

/// Worker -> driver: a process ended. Followed by the error's type name and message (empty on
/// success).
struct ProcessExitHeader {
  std::uint64_t process_id;
  std::int32_t exitcode;
  std::uint32_t type_bytes;
  std::uint64_t message_bytes;
};

/// Worker -> driver: output of a process. Followed by the text.
struct ProcessOutputHeader {
  std::uint64_t process_id;
  std::uint32_t stream;  // 1 stdout, 2 stderr
  std::uint32_t reserved = 0;
  std::uint64_t bytes;
};

}  // namespace multirank::detail
