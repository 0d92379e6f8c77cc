// Sending and receiving whole messages, split into continuations above the MPI count limit.
#include "wire/transport.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <deque>
#include <mutex>
#include <new>
#include <stdexcept>

#include "multirank/error.hpp"
#include "recording/profile_recorder.hpp"
#include "wire/communicator.hpp"

namespace multirank::detail {

namespace {
constexpr int tag_of(MessageKind kind) { return static_cast<int>(kind); }

bool known_first_kind(std::uint16_t kind) {
  return kind >= static_cast<std::uint16_t>(MessageKind::tasks) &&
         kind <= static_cast<std::uint16_t>(last_message_kind) &&
         kind != static_cast<std::uint16_t>(MessageKind::continuation);
}
}  // namespace

std::string header_problem(const MessageHeader& header, int tag, std::size_t arrived) {
  if (header.magic != wire_magic) return "not a multirank message (bad magic number)";
  if (!known_first_kind(header.kind)) return "unknown message kind " + std::to_string(header.kind);
  if (tag != header.kind) {
    return "its header says kind " + std::to_string(header.kind) + " but it came with tag " +
           std::to_string(tag);
  }
  if (header.continuation_count == 0) {
    if (header.total_bytes != arrived) {
      return "it claims " + std::to_string(header.total_bytes) + " bytes but " +
             std::to_string(arrived) + " arrived";
    }
    return {};
  }
  // Every part but the last is as long as the first; the counts must agree with the total, so a
  // garbled total cannot make this rank allocate or wait for parts that were never sent.
  if (header.total_bytes <= arrived ||
      (header.total_bytes - 1) / arrived != header.continuation_count) {
    return "it claims " + std::to_string(header.total_bytes) + " bytes in " +
           std::to_string(header.continuation_count) +
           " continuation part(s) after a first part of " + std::to_string(arrived) +
           " bytes, which does not add up";
  }
  return {};
}

std::vector<char> MessageBuilder::finish(MessageKind kind) {
  MessageHeader header;
  header.kind = static_cast<std::uint16_t>(kind);
  header.record_count = records_;
  header.total_bytes = bytes_.size();
  std::memcpy(bytes_.data(), &header, sizeof(header));
  std::vector<char> message = std::move(bytes_);
  reset();
  return message;
}

namespace {
/// The buffers of sends that can never complete (to a lost rank, or still posted when the job is
/// torn down): MPI may still read them, and such a request can be neither waited for nor freed,
/// so they live until the process exits. Held from a static rather than dropped, so that leak
/// checkers see memory that is kept, not lost; never destroyed, since MPI_Finalize and the exit
/// handlers after it may still read them.
void keep_until_exit(std::vector<char>&& bytes) {
  static auto* const guard = new std::mutex;
  static auto* const kept = new std::deque<std::vector<char>>;
  std::lock_guard lock(*guard);
  kept->push_back(std::move(bytes));
}
}  // namespace

Transport::Transport(MPI_Comm comm, std::size_t max_message_bytes)
    : comm_(comm), max_message_bytes_(std::max<std::size_t>(max_message_bytes, 256)) {
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  memory_bytes_ = static_cast<std::uint64_t>(sysconf(_SC_PHYS_PAGES)) *
                  static_cast<std::uint64_t>(sysconf(_SC_PAGE_SIZE));
}

Transport::~Transport() {
  // Buffers still posted at destruction belong to a job that is being torn down; MPI may still
  // read them, so they are kept to the end of the process rather than freed under its feet.
  for (auto& outgoing : outgoing_) {
    for (auto& request : outgoing.requests) {
      if (request != MPI_REQUEST_NULL) {
        keep_until_exit(std::move(outgoing.bytes));
        break;
      }
    }
  }
}

void Transport::send(int dest, std::vector<char> message) {
  if (!abandoned_.empty() &&
      std::find(abandoned_.begin(), abandoned_.end(), dest) != abandoned_.end()) {
    return;
  }
  const std::int64_t started = recorder_ != nullptr ? recorder_->now() : 0;
  Outgoing outgoing{dest, std::move(message), {}};
  const std::size_t total = outgoing.bytes.size();
  const std::size_t parts = (total + max_message_bytes_ - 1) / max_message_bytes_;
  auto* header = reinterpret_cast<MessageHeader*>(outgoing.bytes.data());
  header->continuation_count = static_cast<std::uint32_t>(parts - 1);
  const int first_tag = header->kind;
  outgoing.requests.resize(parts, MPI_REQUEST_NULL);
  for (std::size_t part = 0; part < parts; ++part) {
    const std::size_t offset = part * max_message_bytes_;
    const int count = static_cast<int>(std::min(max_message_bytes_, total - offset));
    const int tag = part == 0 ? first_tag : tag_of(MessageKind::continuation);
    check_mpi(MPI_Isend(outgoing.bytes.data() + offset, count, MPI_BYTE, dest, tag, comm_,
                        &outgoing.requests[part]),
              "MPI_Isend");
  }
  if (recorder_ != nullptr) {
    recorder_->record_message(MessageDirection::sent, dest, header->kind, total, started,
                              recorder_->now() - started);
  }
  outgoing_.push_back(std::move(outgoing));
}

void Transport::abandon(int dest) {
  abandoned_.push_back(dest);
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    if (it->dest == dest) {
      keep_until_exit(std::move(it->bytes));  // MPI may still read them, as above
      it = outgoing_.erase(it);
    } else {
      ++it;
    }
  }
}

void Transport::send_signal(int dest, MessageKind kind) {
  MessageBuilder builder;
  send(dest, builder.finish(kind));
}

bool Transport::progress_sends() {
  bool finished_any = false;
  for (auto it = outgoing_.begin(); it != outgoing_.end();) {
    int done = 0;
    check_mpi(MPI_Testall(static_cast<int>(it->requests.size()), it->requests.data(), &done,
                          MPI_STATUSES_IGNORE),
              "MPI_Testall");
    if (done) {
      it = outgoing_.erase(it);
      finished_any = true;
    } else {
      ++it;
    }
  }
  return finished_any;
}

void Transport::drop(int source, std::size_t bytes, const std::string& reason) const {
  spdlog::error("multirank rank {}: dropped a message of {} bytes from rank {}: {}", rank_, bytes,
                source, reason);
}

std::optional<Message> Transport::poll() {
  while (true) {
    int flag = 0;
    MPI_Message handle = MPI_MESSAGE_NULL;
    MPI_Status status;
    check_mpi(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm_, &flag, &handle, &status),
              "MPI_Improbe");
    if (!flag) return std::nullopt;
    const std::int64_t started = recorder_ != nullptr ? recorder_->now() : 0;
    int count = 0;
    check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");

    Message message;
    message.source = status.MPI_SOURCE;
    message.bytes.resize(static_cast<std::size_t>(count));
    // Set until the whole message (continuation parts included) is in, or dropped.
    struct ReceivingLarge {
      std::atomic<bool>& flag;
      ~ReceivingLarge() { flag.store(false, std::memory_order_relaxed); }
    } receiving{receiving_large_};
    if (static_cast<std::size_t>(count) >= large_message_bytes)
      receiving_large_.store(true, std::memory_order_relaxed);
    check_mpi(MPI_Mrecv(message.bytes.data(), count, MPI_BYTE, &handle, MPI_STATUS_IGNORE),
              "MPI_Mrecv");
    const std::size_t arrived = message.bytes.size();
    if (status.MPI_TAG == tag_of(MessageKind::continuation)) {
      drop(message.source, arrived, "a continuation part with no message before it");
      continue;
    }
    if (arrived < sizeof(MessageHeader)) {
      drop(message.source, arrived, "shorter than a multirank header");
      continue;
    }
    MessageHeader header;
    std::memcpy(&header, message.bytes.data(), sizeof(header));
    std::string problem = header_problem(header, status.MPI_TAG, arrived);
    if (problem.empty() && header.continuation_count > 0) {
      problem = receive_continuations(message, header);
    }
    if (!problem.empty()) {
      drop(message.source, arrived, problem);
      continue;
    }
    message.kind = static_cast<MessageKind>(header.kind);
    message.record_count = header.record_count;
    if (recorder_ != nullptr) {
      recorder_->record_message(MessageDirection::received, message.source, header.kind,
                                message.bytes.size(), started, recorder_->now() - started);
    }
    return message;
  }
}

std::string Transport::receive_continuations(Message& message, const MessageHeader& header) {
  // The rest follows from the same source with the continuation tag, in order (MPI does not let
  // messages from one sender overtake each other). Parts are as long as the first, which is the
  // sender's limit: this rank's own limit may differ.
  const std::size_t part_bytes = message.bytes.size();
  if (header.total_bytes > memory_bytes_) {
    return "its " + std::to_string(header.total_bytes) + " bytes are more than this node's memory";
  }
  try {
    message.bytes.resize(header.total_bytes);
  } catch (const std::bad_alloc&) {
    return "its " + std::to_string(header.total_bytes) + " bytes cannot be held in memory here";
  } catch (const std::length_error&) {
    return "its " + std::to_string(header.total_bytes) + " bytes cannot be held in memory here";
  }
  std::size_t offset = part_bytes;
  for (std::uint32_t part = 0; part < header.continuation_count; ++part) {
    MPI_Message handle = MPI_MESSAGE_NULL;
    MPI_Status status;
    check_mpi(
        MPI_Mprobe(message.source, tag_of(MessageKind::continuation), comm_, &handle, &status),
        "MPI_Mprobe");
    int count = 0;
    check_mpi(MPI_Get_count(&status, MPI_BYTE, &count), "MPI_Get_count");
    const std::size_t expected = std::min(part_bytes, message.bytes.size() - offset);
    if (static_cast<std::size_t>(count) != expected) {
      // Taken off the wire all the same, so it is not mistaken for the start of a message.
      std::vector<char, UninitializedAllocator<char>> discarded(static_cast<std::size_t>(count));
      check_mpi(MPI_Mrecv(discarded.data(), count, MPI_BYTE, &handle, MPI_STATUS_IGNORE),
                "MPI_Mrecv");
      return "continuation part " + std::to_string(part + 1) + " of " +
             std::to_string(header.continuation_count) + " has " + std::to_string(count) +
             " bytes, expected " + std::to_string(expected);
    }
    check_mpi(MPI_Mrecv(message.bytes.data() + offset, count, MPI_BYTE, &handle, MPI_STATUS_IGNORE),
              "MPI_Mrecv");
    offset += expected;
  }
  return {};
}

}  // namespace multirank::detail
