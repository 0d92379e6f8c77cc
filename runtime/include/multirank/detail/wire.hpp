// The wire format: one MPI message = a fixed header + records. Task records go driver -> worker,
// result records come back. A message larger than the MPI count limit is split into continuation
// messages by the transport; nothing above the transport sees that.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"

namespace multirank::detail {

enum class MessageKind : std::uint16_t {
  tasks = 1,        // driver -> worker: task records
  results = 2,      // worker -> driver: result records
  stop = 3,         // driver -> worker: finish and leave the serve loop
  continuation = 4, // the rest of a message over the size limit
  object_request = 5,  // any rank -> driver: an operation on a shared object (queue, lock...)
  object_reply = 6,    // driver -> the rank that asked
  process_start = 7,   // driver -> worker: run a Process's target on a new thread
  process_exit = 8,    // worker -> driver: a process ended, with its exit code
  process_output = 9,  // worker -> driver: text a process wrote to std::cout or std::cerr
  heartbeat = 10,      // either way: I am alive (a rank silent for too long is taken for lost)
  stop_after_loss = 11,  // driver -> worker: stop; ranks were lost, so skip what needs them all
  interrupt = 12,        // driver -> worker: the job was interrupted; answer queued tasks unrun
  drop_queued = 13,      // driver -> worker: forget the tasks queued so far (they run elsewhere)
};

inline constexpr std::uint32_t wire_magic = 0x4d524b31;  // "MRK1"

struct MessageHeader {
  std::uint32_t magic = wire_magic;
  std::uint16_t kind = 0;
  std::uint16_t reserved = 0;
  std::uint32_t record_count = 0;
  std::uint32_t continuation_count = 0;  // messages that follow with the rest of the body
  std::uint64_t total_bytes = 0;         // header included
};

/// One unit of scheduled work: a task applied to `item_count` argument tuples (a map chunk;
/// a plain submit is a chunk of one).
struct TaskRecordHeader {
  std::uint64_t task_id;
  std::uint64_t function_id;
  std::uint64_t args_signature;
  std::uint64_t group;        // the submitting Executor/Pool: its initializer's failure spreads
  std::uint32_t item_count;
  std::uint32_t flags;        // TaskFlags
  std::uint64_t items_bytes;  // lets a receiver skip a record it cannot run
};

enum TaskFlags : std::uint32_t { task_flag_initializer = 1 };

struct ResultRecordHeader {
  std::uint64_t task_id;
  std::int64_t start_ns;  // steady clock of the executing rank
  std::int64_t end_ns;
  std::uint32_t item_count;
  std::uint32_t reserved = 0;
  std::uint64_t items_bytes;  // lets the driver skip a record whose future is already settled
};

/// A result record as read off a message: its header and its items' bytes.
struct ResultRecordView {
  ResultRecordHeader header;
  std::span<const char> items;
};

inline ResultRecordView read_result_record(ByteReader& in) {
  const auto header = in.read_pod<ResultRecordHeader>();
  return {header, in.take(header.items_bytes)};
}

enum class ItemStatus : std::uint8_t { ok = 0, error = 1 };

/// Appends one length-prefixed blob.
inline void write_blob(ByteWriter& out, std::span<const char> bytes) {
  out.write_pod<std::uint64_t>(bytes.size());
  out.write(bytes.data(), bytes.size());
}

inline std::span<const char> read_blob(ByteReader& in) {
  const auto size = in.read_pod<std::uint64_t>();
  return in.take(size);
}

/// What a failed item carries back: the exception's type and message.
struct ErrorInfo {
  std::string type_name;
  std::string message;
};

}  // namespace multirank::detail
