// The one place that sends and receives multirank messages. Sends are non-blocking and their
// buffers are kept until MPI is done with them; receives use MPI_Improbe/MPI_Mrecv so a message
// is taken whole. Bodies over the size limit (MPI counts are int) travel as continuation messages.
#pragma once

#include <mpi.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "multirank/detail/wire.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

class ProfileRecorder;

/// Leaves elements default-initialised, so a receive buffer is not zero-filled before MPI
/// overwrites it (a measurable cost for payloads of gigabytes).
template <class T>
struct UninitializedAllocator : std::allocator<T> {
  template <class U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  template <class U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <class U, class... A>
  void construct(U* p, A&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<A>(args)...);
  }
};

struct Message {
  int source = -1;
  MessageKind kind{};
  std::uint32_t record_count = 0;
  std::vector<char, UninitializedAllocator<char>> bytes;  // the whole message, header included
  /// The records, after the header.
  std::span<const char> body() const {
    return std::span<const char>(bytes).subspan(sizeof(MessageHeader));
  }
};

/// The fixed-size header at the start of `message`'s body, read from `in`; a DecodeError naming
/// the sender when the message is too short to hold one.
template <class Header>
Header read_message_header(const Message& message, ByteReader& in) {
  if (message.body().size() < sizeof(Header)) {
    throw DecodeError("a message of kind " + std::to_string(static_cast<int>(message.kind)) +
                      " from rank " + std::to_string(message.source) + " is truncated");
  }
  return in.read_pod<Header>();
}

/// Why a received message's header cannot be trusted, or an empty string when it is sound. Checked
/// before anything past the header is read or allocated: `tag` is the MPI tag the message came
/// with and `arrived` the size of its first part (the sender's part size, when continuations
/// follow).
std::string header_problem(const MessageHeader& header, int tag, std::size_t arrived);

/// Builds a message in place: header space first, records appended after.
class MessageBuilder {
 public:
  MessageBuilder() { reset(); }
  MessageBuilder(const MessageBuilder&) = delete;
  MessageBuilder& operator=(const MessageBuilder&) = delete;
  ByteWriter& writer() noexcept { return writer_; }
  void count_record() noexcept { ++records_; }
  std::uint32_t records() const noexcept { return records_; }
  bool empty() const noexcept { return records_ == 0; }
  std::size_t size() const noexcept { return bytes_.size(); }
  /// The finished message; the builder starts over, empty.
  std::vector<char> finish(MessageKind kind);
  void reset() {
    bytes_.clear();
    bytes_.resize(sizeof(MessageHeader));
    records_ = 0;
  }

 private:
  std::vector<char> bytes_;
  ByteWriter writer_{bytes_};
  std::uint32_t records_ = 0;
};

class Transport {
 public:
  Transport(MPI_Comm comm, std::size_t max_message_bytes);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Posts `message` (from MessageBuilder::finish) to `dest`; returns at once.
  void send(int dest, std::vector<char> message);
  /// Sends a message with no records.
  void send_signal(int dest, MessageKind kind);
  /// A waiting message, if any. A message that is not sound (see header_problem) is dropped with
  /// a logged diagnostic naming its sender, and the next one is tried: nothing here throws for
  /// what another rank sent.
  std::optional<Message> poll();
  /// Tests posted sends and frees finished buffers; true if any finished.
  bool progress_sends();
  bool sends_pending() const noexcept { return !outgoing_.empty(); }
  /// Messages at least this big may take longer than a worker timeout to move on a live link;
  /// smaller ones leave at once, unless the link or the receiver is gone.
  static constexpr std::size_t large_message_bytes = std::size_t{1} << 20;
  /// Whether a send of a large message (large_message_bytes or more) to `dest` is still in
  /// progress: the receiver may be busy taking it in rather than silent. A small send that stays
  /// pending says nothing of the kind (heartbeats pile up unsent to a host whose link is cut).
  bool sending_large_message_to(int dest) const noexcept {
    for (const auto& outgoing : outgoing_) {
      if (outgoing.dest == dest && outgoing.bytes.size() >= large_message_bytes) return true;
    }
    return false;
  }
  /// Whether this transport is taking in a large message (large_message_bytes or more) right now:
  /// its sender is alive and busy with it. Safe to ask from any thread.
  bool receiving_large_message() const noexcept {
    return receiving_large_.load(std::memory_order_relaxed);
  }
  /// Gives up on `dest`, a rank that is gone: its pending sends would never complete (their
  /// buffers are kept until the process exits, since MPI may still read them) and later sends to
  /// it are dropped.
  void abandon(int dest);
  /// From now on, every message sent or received is logged to `recorder` (profiling).
  void record_to(ProfileRecorder* recorder) noexcept { recorder_ = recorder; }

 private:
  struct Outgoing {
    int dest;
    std::vector<char> bytes;
    std::vector<MPI_Request> requests;
  };

  MPI_Comm comm_;
  std::size_t max_message_bytes_;
  /// Receives the continuation parts announced by `header` into `message`; an empty string, or
  /// why the message is dropped.
  std::string receive_continuations(Message& message, const MessageHeader& header);
  void drop(int source, std::size_t bytes, const std::string& reason) const;

  int rank_ = 0;
  std::uint64_t memory_bytes_ = 0;  // this node's: no message claiming more is waited for
  std::deque<Outgoing> outgoing_;
  std::atomic<bool> receiving_large_{false};
  std::vector<int> abandoned_;
  ProfileRecorder* recorder_ = nullptr;
};

}  // namespace multirank::detail
