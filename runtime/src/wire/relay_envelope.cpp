// Packing and checking the messages a relay forwards (relay_envelope.hpp).
#include "wire/relay_envelope.hpp"

#include <cstring>

namespace multirank::detail {

void append_relayed(MessageBuilder& envelope, int rank, std::span<const char> message) {
  ByteWriter& out = envelope.writer();
  out.make_room(sizeof(RelayedHeader) + message.size());
  out.write_pod(RelayedHeader{rank, 0, message.size()});
  out.write(message.data(), message.size());
  envelope.count_record();
}

std::string relayed_message_problem(std::span<const char> bytes) {
  if (bytes.size() < sizeof(MessageHeader)) return "shorter than a multirank header";
  MessageHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  // The size is the whole message's: the relay took in its continuation parts, if any.
  if (header.total_bytes != bytes.size()) {
    return "it claims " + std::to_string(header.total_bytes) + " bytes but has " +
           std::to_string(bytes.size());
  }
  if (header.kind == static_cast<std::uint16_t>(MessageKind::relayed) ||
      header.kind == static_cast<std::uint16_t>(MessageKind::continuation)) {
    return "a message of kind " + std::to_string(header.kind) + " cannot travel inside another";
  }
  // The rest as for any message off the wire, with its own kind as its tag and as one part.
  header.continuation_count = 0;
  return header_problem(header, header.kind, bytes.size());
}

}  // namespace multirank::detail
