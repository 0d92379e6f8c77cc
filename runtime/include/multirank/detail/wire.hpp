// The wire format: one MPI message = a fixed header + records. Task records go driver -> worker,
// result records come back. A message larger than the MPI count limit is split into continuation
// messages by the transport; nothing above the transport sees that.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "multirank/detail/byte_buffer.hpp"

namespace multirank::detail {

enum class MessageKind : std::uint16_t {
  tasks = 1,             // driver -> worker: task records
  results = 2,           // worker -> driver: result records
  stop = 3,              // driver -> worker: finish and leave the serve loop
  continuation = 4,      // the rest of a message over the size limit
  object_request = 5,    // any rank -> driver: an operation on a shared object (queue, lock...)
  object_reply = 6,      // driver -> the rank that asked
  process_start = 7,     // driver -> worker: run a Process's target on a new thread
  process_exit = 8,      // worker -> driver: a process ended, with its exit code
  process_output = 9,    // worker -> driver: text a process wrote to std::cout or std::cerr
  heartbeat = 10,        // either way: I am alive (a rank silent for too long is taken for lost)
  stop_after_loss = 11,  // driver -> worker: stop; ranks were lost, so skip what needs them all
  interrupt = 12,        // driver -> worker: the job was interrupted; answer queued tasks unrun
  drop_queued = 13,      // driver -> worker: forget the tasks queued so far (they run elsewhere)
  relayed = 14,          // driver <-> a node's relay: whole messages for or from the node's ranks
  rank_gone = 15,        // relay -> driver, inside `relayed`: the process of its source is gone
};
/// The highest kind a message may start with: receivers refuse anything above it, so a kind added
/// to the enum must move this too (the wire test sends every kind up to it).
inline constexpr MessageKind last_message_kind = MessageKind::rank_gone;

inline constexpr std::uint32_t wire_magic = 0x4d524b31;  // "MRK1"

struct MessageHeader {
  std::uint32_t magic = wire_magic;
  std::uint16_t kind = 0;
  std::uint16_t reserved = 0;
  std::uint32_t record_count = 0;
  std::uint32_t continuation_count = 0;  // messages that follow with the rest of the body
  std::uint64_t total_bytes = 0;         // header included
};

/// Precedes each message inside a `relayed` one: the rank the message is for (driver to relay)
/// or from (relay to driver), and the message's size, its own MessageHeader included.
struct RelayedHeader {
  std::int32_t rank;
  std::uint32_t reserved = 0;
  std::uint64_t bytes;
};

/// One unit of scheduled work: a task applied to `item_count` argument tuples (a map chunk;
/// a plain submit is a chunk of one).
struct TaskRecordHeader {
  std::uint64_t task_id;
  std::uint64_t function_id;
  std::uint64_t args_signature;
  std::uint64_t group;  // the submitting Executor/Pool: its initializer's failure spreads
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

/// Reads the next result record. Items cut off by the end of the message are returned as far as
/// they go, so decoding them fails item by item, naming the task; only a record header that is
/// itself cut off is a DecodeError (nothing then says which task it was).
inline ResultRecordView read_result_record(ByteReader& in) {
  const auto header = in.read_pod<ResultRecordHeader>();
  return {header, in.take(std::min<std::uint64_t>(header.items_bytes, in.remaining()))};
}

/// Calls `on_record` with the bytes (header and items) of each of the `record_count` task records
/// in `body`. A record whose items run past the end keeps what is there: its unreadable items
/// then fail one by one, with its task id. Returns what was wrong with the message as a whole
/// (records missing, bytes left over), or an empty string.
template <class OnRecord>
std::string split_task_records(std::span<const char> body, std::uint32_t record_count,
                               OnRecord&& on_record) {
  ByteReader in(body);
  for (std::uint32_t i = 0; i < record_count; ++i) {
    const std::size_t start = in.position();
    if (in.remaining() < sizeof(TaskRecordHeader)) {
      return "record " + std::to_string(i + 1) + " of " + std::to_string(record_count) +
             " is cut off (" + std::to_string(in.remaining()) +
             " bytes left, a record header takes " + std::to_string(sizeof(TaskRecordHeader)) + ")";
    }
    const auto header = in.read_pod<TaskRecordHeader>();
    in.take(std::min<std::uint64_t>(header.items_bytes, in.remaining()));
    on_record(body.subspan(start, in.position() - start));
  }
  if (in.remaining() != 0) {
    return std::to_string(in.remaining()) + " bytes follow the last of its " +
           std::to_string(record_count) + " records";
  }
  return {};
}

enum class ItemStatus : std::uint8_t { ok = 0, error = 1 };

/// An item's status byte, checked: anything but ok or error means the bytes are not an item.
inline ItemStatus read_item_status(ByteReader& in) {
  const auto status = in.read_pod<std::uint8_t>();
  if (status > static_cast<std::uint8_t>(ItemStatus::error)) {
    throw DecodeError("item status byte " + std::to_string(status) +
                      " is neither ok (0) nor error (1)");
  }
  return static_cast<ItemStatus>(status);
}

/// Appends one length-prefixed blob.
inline void write_blob(ByteWriter& out, std::span<const char> bytes) {
  out.write_pod<std::uint64_t>(bytes.size());
  out.write(bytes.data(), bytes.size());
}

inline std::span<const char> read_blob(ByteReader& in) {
  const auto size = in.read_pod<std::uint64_t>();
  return in.take(size);
}

/// What a failed item carries back: the exception's type and message, the stage of the task's
/// life it came from (a TaskStage), and, for an exception type registered to cross ranks as
/// itself, its id and encoded value.
struct ErrorInfo {
  std::string type_name;
  std::string message;
  std::uint8_t stage = 0;
  std::uint64_t exception_id = 0;
  std::vector<char> exception_bytes;
};

}  // namespace multirank::detail
