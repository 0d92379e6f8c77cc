// The dispatch tree's envelope: several whole messages in one `relayed` message, each behind a
// RelayedHeader naming the rank it is for or from. The driver packs a node's messages into one for
// the node's relay, which forwards each; the relay packs its node's results the same way back.
#pragma once

#include <cstring>
#include <span>
#include <string>

#include "wire/transport.hpp"

namespace multirank::detail {

/// Appends `message` (a whole message, header included) for or from `rank` to `envelope`.
void append_relayed(MessageBuilder& envelope, int rank, std::span<const char> message);

/// Calls `on_message` with each message inside `envelope`, as a Message whose source is the rank
/// its RelayedHeader names. Returns what was wrong with the envelope (a message cut off, unsound,
/// an envelope inside an envelope), or an empty string; the messages before the fault are
/// delivered.
template <class OnMessage>
std::string for_each_relayed(const Message& envelope, OnMessage&& on_message);

/// Why `bytes` cannot be a whole message inside an envelope, or an empty string.
std::string relayed_message_problem(std::span<const char> bytes);

template <class OnMessage>
std::string for_each_relayed(const Message& envelope, OnMessage&& on_message) {
  ByteReader in(envelope.body());
  for (std::uint32_t i = 0; i < envelope.record_count; ++i) {
    if (in.remaining() < sizeof(RelayedHeader)) {
      return "message " + std::to_string(i + 1) + " of " + std::to_string(envelope.record_count) +
             " is cut off";
    }
    const auto header = in.read_pod<RelayedHeader>();
    if (header.bytes > in.remaining()) {
      return "message " + std::to_string(i + 1) + " claims " + std::to_string(header.bytes) +
             " bytes but " + std::to_string(in.remaining()) + " are left";
    }
    const auto bytes = in.take(header.bytes);
    if (auto problem = relayed_message_problem(bytes); !problem.empty()) {
      return "message " + std::to_string(i + 1) + ": " + problem;
    }
    Message message;
    message.source = header.rank;
    MessageHeader inner;
    std::memcpy(&inner, bytes.data(), sizeof(inner));
    message.kind = static_cast<MessageKind>(inner.kind);
    message.record_count = inner.record_count;
    message.bytes.assign(bytes.begin(), bytes.end());
    on_message(std::move(message));
  }
  if (in.remaining() != 0) {
    return std::to_string(in.remaining()) + " bytes follow its last message";
  }
  return {};
}

}  // namespace multirank::detail
