// Sending and receiving whole messages, split into continuations above the MPI count limit.
#include "multirank/detail/transport.hpp"

#include <algorithm>
#include <climits>
#include <cstring>

#include "multirank/detail/communicator.hpp"
#include "multirank/detail/profile_recorder.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

namespace {
constexpr int tag_of(MessageKind kind) { return static_cast<int>(kind); }
}  // namespace

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

Transport::Transport(MPI_Comm comm, std::size_t max_message_bytes)
    : comm_(comm), max_message_bytes_(std::max<std::size_t>(max_message_bytes, 256)) {}

Transport::~Transport() {
  // Buffers still posted at destruction belong to a job that is being torn down; MPI may still
  // read them, so they are deliberately leaked rather than freed under its feet.
  for (auto& outgoing : outgoing_) {
    for (auto& request : outgoing.requests) {
      if (request != MPI_REQUEST_NULL) {
        new std::vector<char>(std::move(outgoing.bytes));
        break;
      }
    }
  }
}

void Transport::send(int dest, std::vector<char> message) {
  const std::int64_t started = recorder_ != nullptr ? recorder_->now() : 0;
  Outgoing outgoing{std::move(message), {}};
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

std::optional<Message> Transport::poll() {
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
  check_mpi(MPI_Mrecv(message.bytes.data(), count, MPI_BYTE, &handle, MPI_STATUS_IGNORE),
            "MPI_Mrecv");
  if (static_cast<std::size_t>(count) < sizeof(MessageHeader)) {
    throw DecodeError("message of " + std::to_string(count) + " bytes from rank " +
                      std::to_string(message.source) + " is shorter than a multirank header");
  }
  MessageHeader header;
  std::memcpy(&header, message.bytes.data(), sizeof(header));
  if (header.magic != wire_magic) {
    throw DecodeError("message from rank " + std::to_string(message.source) +
                      " is not a multirank message (bad magic number)");
  }
  if (header.continuation_count > 0) {
    // The rest follows from the same source with the continuation tag, in order (MPI does not
    // let messages from one sender overtake each other).
    const std::size_t first = message.bytes.size();
    message.bytes.resize(header.total_bytes);
    std::size_t offset = first;
    for (std::uint32_t part = 0; part < header.continuation_count; ++part) {
      const int length = static_cast<int>(std::min(max_message_bytes_, header.total_bytes - offset));
      check_mpi(MPI_Recv(message.bytes.data() + offset, length, MPI_BYTE, message.source,
                         tag_of(MessageKind::continuation), comm_, MPI_STATUS_IGNORE),
                "MPI_Recv");
      offset += static_cast<std::size_t>(length);
    }
  } else if (header.total_bytes != message.bytes.size()) {
    throw DecodeError("message from rank " + std::to_string(message.source) + " claims " +
                      std::to_string(header.total_bytes) + " bytes but " +
                      std::to_string(message.bytes.size()) + " arrived");
  }
  message.kind = static_cast<MessageKind>(header.kind);
  message.record_count = header.record_count;
  if (recorder_ != nullptr) {
    recorder_->record_message(MessageDirection::received, message.source, header.kind,
                              message.bytes.size(), started, recorder_->now() - started);
  }
  return message;
}

}  // namespace multirank::detail
