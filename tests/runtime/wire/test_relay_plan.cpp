// The dispatch tree's plan and envelope (runtime/src/wire/communicator.hpp, relay_envelope.hpp),
// without MPI: which rank relays for which, and messages packed for a relay and taken out again,
// with an envelope that is not sound refused by what is wrong with it.
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "wire/communicator.hpp"
#include "wire/relay_envelope.hpp"

using namespace multirank::detail;

namespace {
/// A Message as the transport would deliver `bytes` (a whole message) from `source`.
Message delivered(int source, std::vector<char> bytes) {
  Message message;
  message.source = source;
  MessageHeader header;
  std::memcpy(&header, bytes.data(), sizeof(header));
  message.kind = static_cast<MessageKind>(header.kind);
  message.record_count = header.record_count;
  message.bytes.assign(bytes.begin(), bytes.end());
  return message;
}

std::vector<char> results_message(std::uint32_t records, char fill) {
  MessageBuilder builder;
  for (std::uint32_t i = 0; i < records; ++i) {
    builder.writer().write_pod(std::uint64_t{i});
    builder.writer().write(&fill, 1);
    builder.count_record();
  }
  return builder.finish(MessageKind::results);
}
}  // namespace

TEST_CASE("relay plan", "[wire][tree]") {
  SECTION("each node but the driver's is relayed by its lowest rank") {
    // Ranks 0-3 on node 0, 4-7 on node 4, 8 alone on node 8.
    const std::vector<int> leaders{0, 0, 0, 0, 4, 4, 4, 4, 8};
    CHECK(plan_relays(leaders, 0) == std::vector<int>{0, 0, 0, 0, 4, 4, 4, 4, 0});
  }
  SECTION("pseudo-nodes leave the driver alone and split the other ranks into groups") {
    const std::vector<int> leaders(10, 0);
    CHECK(plan_relays(leaders, 4) == std::vector<int>{0, 1, 1, 1, 1, 5, 5, 5, 5, 0});
    CHECK(plan_relays(leaders, 3) == std::vector<int>{0, 1, 1, 1, 4, 4, 4, 7, 7, 7});
  }
  SECTION("a pseudo-node never spans two real nodes") {
    const std::vector<int> leaders{0, 0, 2, 2, 2, 5, 5};
    CHECK(plan_relays(leaders, 4) == std::vector<int>{0, 0, 2, 2, 2, 5, 5});
    CHECK(plan_relays(leaders, 2) == std::vector<int>{0, 0, 0, 3, 3, 5, 5});
  }
}

TEST_CASE("relay envelope", "[wire][tree]") {
  SECTION("messages packed for ranks come out whole, each from its rank, in order") {
    MessageBuilder envelope;
    const auto first = results_message(2, 'a');
    const auto second = results_message(1, 'b');
    append_relayed(envelope, 5, first);
    append_relayed(envelope, 6, second);
    const auto message = delivered(4, envelope.finish(MessageKind::relayed));
    std::vector<Message> out;
    CHECK(
        for_each_relayed(message, [&](Message inner) { out.push_back(std::move(inner)); }).empty());
    REQUIRE(out.size() == 2);
    CHECK(out[0].source == 5);
    CHECK(out[0].kind == MessageKind::results);
    CHECK(out[0].record_count == 2);
    CHECK(std::vector<char>(out[0].bytes.begin(), out[0].bytes.end()) == first);
    CHECK(out[1].source == 6);
    CHECK(std::vector<char>(out[1].bytes.begin(), out[1].bytes.end()) == second);
  }
  SECTION("a message cut off names itself, and those before it are delivered") {
    MessageBuilder envelope;
    append_relayed(envelope, 5, results_message(1, 'a'));
    append_relayed(envelope, 6, results_message(1, 'b'));
    auto bytes = envelope.finish(MessageKind::relayed);
    bytes.resize(bytes.size() - 3);
    int delivered_count = 0;
    const auto problem = for_each_relayed(delivered(4, bytes), [&](Message) { ++delivered_count; });
    CHECK(delivered_count == 1);
    CHECK_THAT(problem, Catch::Contains("message 2 claims"));
  }
  SECTION("an envelope inside an envelope is refused") {
    MessageBuilder inner;
    append_relayed(inner, 5, results_message(1, 'a'));
    MessageBuilder outer;
    append_relayed(outer, 5, inner.finish(MessageKind::relayed));
    const auto problem =
        for_each_relayed(delivered(4, outer.finish(MessageKind::relayed)), [](Message) {});
    CHECK_THAT(problem, Catch::Contains("cannot travel inside another"));
  }
  SECTION("a message whose size disagrees with its header is refused") {
    auto message = results_message(1, 'a');
    message.push_back('x');
    MessageBuilder envelope;
    append_relayed(envelope, 5, message);
    const auto problem =
        for_each_relayed(delivered(4, envelope.finish(MessageKind::relayed)), [](Message) {});
    CHECK_THAT(problem, Catch::Contains("claims"));
  }
}
