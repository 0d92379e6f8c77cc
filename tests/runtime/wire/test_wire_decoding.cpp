// What a rank does with bytes another rank sent, checked without MPI: every prefix of a valid
// value, task message or result record, garbled headers and counts, and random bytes are turned
// into a DecodeError or an error for the task concerned, never a crash or an unbounded allocation.
#include <algorithm>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <catch2/catch.hpp>
#include <cstring>
#include <optional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/submission.hpp"
#include "multirank/detail/task_state.hpp"
#include "multirank/detail/wire.hpp"
#include "multirank/error.hpp"
#include "multirank/task.hpp"
#include "tasks/task_execution.hpp"
#include "wire/transport.hpp"

namespace {

using namespace multirank;
using namespace multirank::detail;

struct Labelled {
  double x = 0;
  std::vector<std::string> labels;
  template <class Archive>
  void serialize(Archive& archive, unsigned) {
    archive& x& labels;
  }
  bool operator==(const Labelled&) const = default;
};

struct Nothing {
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  bool operator==(const Nothing&) const = default;
};

/// State that does not travel: each element of a vector of these takes no bytes in an archive.
struct Transient {
  int cached = 0;
  template <class Archive>
  void serialize(Archive&, unsigned) {}
  bool operator==(const Transient&) const = default;
};

int add(int a, int b) { return a + b; }
const auto add_task = register_task("wire_add", &add);

using Nested = std::tuple<int, std::string, std::optional<std::vector<int>>>;

std::span<const char> prefix(const std::vector<char>& bytes, std::size_t length) {
  return std::span<const char>(bytes).first(length);
}

/// Every strict prefix of `value`'s encoding must fail to decode with a DecodeError.
template <class T>
void check_every_prefix_rejected(const T& value) {
  const auto bytes = encode_to_bytes(value);
  REQUIRE(decode_all<T>(bytes) == value);
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    INFO("prefix of " << length << " of " << bytes.size() << " bytes");
    CHECK_THROWS_AS(decode_all<T>(prefix(bytes, length)), DecodeError);
  }
}

/// Decoding random bytes as T yields a T or a DecodeError, nothing else.
template <class T>
void check_random_bytes(std::mt19937_64& random, int rounds) {
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<std::size_t> length(0, 80);
  for (int round = 0; round < rounds; ++round) {
    std::vector<char> bytes(length(random));
    for (auto& b : bytes) b = static_cast<char>(byte(random));
    // A plausible length up front, so decoding gets past the first count more often.
    if (bytes.size() >= 8 && round % 2 == 0) {
      const std::uint64_t claimed = bytes.size() - 8 - static_cast<std::uint64_t>(round % 5);
      std::memcpy(bytes.data(), &claimed, sizeof(claimed));
    }
    try {
      (void)decode_all<T>(bytes);
    } catch (const DecodeError&) {
    }
  }
}

std::vector<char> items_of_add(const std::vector<std::pair<int, int>>& calls) {
  std::vector<char> items;
  ByteWriter out(items);
  for (const auto& [a, b] : calls) append_item<int, int>(out, a, b);
  return items;
}

TaskRecordHeader record_header(std::uint64_t task_id, std::uint32_t item_count,
                               std::size_t items_bytes) {
  const TaskEntry& entry = add_task.entry();
  return TaskRecordHeader{task_id, entry.id, entry.args_signature, 0, item_count, 0, items_bytes};
}

/// A tasks message body: records of wire_add with 1, 3 and 2 items.
std::vector<char> three_records() {
  std::vector<char> body;
  ByteWriter out(body);
  const std::vector<std::vector<std::pair<int, int>>> records = {
      {{1, 2}}, {{3, 4}, {5, 6}, {7, 8}}, {{9, 10}, {11, 12}}};
  std::uint64_t id = 100;
  for (const auto& calls : records) {
    const auto items = items_of_add(calls);
    out.write_pod(record_header(id++, static_cast<std::uint32_t>(calls.size()), items.size()));
    out.write(items.data(), items.size());
  }
  return body;
}

struct ItemOutcome {
  bool ok;
  std::string text;  // the value, or the error's type and message
};

/// Runs every record found in `body` as a worker does and reads back what each item became.
std::vector<std::vector<ItemOutcome>> run_records(std::span<const char> body, std::uint32_t count,
                                                  std::string& problem) {
  std::vector<std::span<const char>> records;
  problem = split_task_records(body, count, [&](std::span<const char> r) { records.push_back(r); });
  std::vector<char> results;
  ByteWriter out(results);
  ExecutionContext context;
  for (const auto record : records) {
    ByteReader in(record);
    execute_record(in, out, context);
  }
  std::vector<std::vector<ItemOutcome>> outcomes;
  ByteReader in(results);
  for (std::size_t r = 0; r < records.size(); ++r) {
    const auto [header, item_bytes] = read_result_record(in);
    ByteReader items(item_bytes);
    auto& record = outcomes.emplace_back();
    for (std::uint32_t i = 0; i < header.item_count; ++i) {
      const auto status = read_item_status(items);
      const auto bytes = read_blob(items);
      if (status == ItemStatus::ok) {
        record.push_back({true, std::to_string(decode_all<int>(bytes))});
      } else {
        const auto info = decode_error_info(bytes);
        record.push_back({false, info.type_name + ": " + info.message});
      }
    }
    REQUIRE(items.remaining() == 0);
  }
  REQUIRE(in.remaining() == 0);
  return outcomes;
}

/// One task record, as a message body of one record, run on this rank.
std::vector<ItemOutcome> run_one(const TaskRecordHeader& header, const std::vector<char>& items) {
  std::vector<char> body;
  ByteWriter out(body);
  out.write_pod(header);
  out.write(items.data(), items.size());
  std::string problem;
  auto outcomes = run_records(body, 1, problem);
  REQUIRE(problem.empty());
  REQUIRE(outcomes.size() == 1);
  return outcomes[0];
}

/// A result record as a worker writes it, for `calls` of wire_add.
std::vector<char> result_items(const std::vector<std::pair<int, int>>& calls,
                               std::uint32_t& item_count) {
  const auto items = items_of_add(calls);
  std::vector<char> results;
  ByteWriter out(results);
  ExecutionContext context;
  execute_record(record_header(7, static_cast<std::uint32_t>(calls.size()), items.size()), items,
                 out, context);
  ByteReader in(results);
  const auto [header, item_bytes] = read_result_record(in);
  item_count = header.item_count;
  return std::vector<char>(item_bytes.begin(), item_bytes.end());
}

std::string error_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

const std::string host = "testhost";
const std::string task_name = "wire_add";
const Origin origin{3, host, task_name};

}  // namespace

TEST_CASE("values read off the wire are checked", "[wire]") {
  SECTION("every prefix of an encoded value is rejected") {
    check_every_prefix_rejected(42);
    check_every_prefix_rejected(std::string("grayscale"));
    check_every_prefix_rejected(std::vector<double>{1.5, 2.5, 3.5});
    check_every_prefix_rejected(std::vector<std::string>{"a", "bc", ""});
    check_every_prefix_rejected(Nested{7, "seven", std::vector<int>{7, 7}});
    check_every_prefix_rejected(Labelled{2.5, {"left", "right"}});
    check_every_prefix_rejected(std::vector<Labelled>{{1.0, {"a"}}, {2.0, {}}, {3.0, {"b", "c"}}});
    check_every_prefix_rejected(std::vector<Labelled>{});
  }
  SECTION("a vector of Boost-serialised elements is one archive, not one per element") {
    const std::vector<Labelled> values(50, Labelled{1.0, {"x"}});
    std::size_t separately = sizeof(std::uint64_t);
    for (const auto& value : values) separately += encode_to_bytes(value).size();
    const auto together = encode_to_bytes(values);
    CHECK(together.size() < separately);
    CHECK(decode_all<std::vector<Labelled>>(together) == values);
  }
  SECTION("a long vector of an empty Boost-serialised class travels whole") {
    const std::vector<Nothing> values(5000);
    CHECK(decode_all<std::vector<Nothing>>(encode_to_bytes(values)) == values);
  }
  SECTION("a vector of elements that write no bytes travels whole, up to the archive's limit") {
    const std::vector<Transient> values(CheckedBinaryIarchive::always_allowed_count);
    CHECK(decode_all<std::vector<Transient>>(encode_to_bytes(values)) == values);
  }
  SECTION("a Boost archive cut short inside is a DecodeError, not a Boost exception") {
    const auto whole = encode_to_bytes(Labelled{1.0, {"one", "two", "three"}});
    const std::span<const char> archive = std::span<const char>(whole).subspan(8);
    for (std::size_t length = 0; length < archive.size(); ++length) {
      std::vector<char> bytes;
      ByteWriter out(bytes);
      write_blob(out, archive.first(length));
      INFO("archive cut to " << length << " of " << archive.size() << " bytes");
      CHECK_THROWS_AS(decode_all<Labelled>(bytes), DecodeError);
    }
  }
  SECTION("a container count larger than the bytes left is refused before allocating") {
    std::vector<char> bytes;
    ByteWriter out(bytes);
    out.write_pod<std::uint64_t>(std::uint64_t{1} << 60);
    out.write_pod<std::uint64_t>(0);
    CHECK_THROWS_WITH(decode_all<std::vector<std::string>>(bytes), Catch::Contains("claims"));
    CHECK_THROWS_WITH(decode_all<std::vector<double>>(bytes), Catch::Contains("claims"));
    CHECK_THROWS_WITH(decode_all<std::string>(bytes), Catch::Contains("claims"));
    CHECK_THROWS_AS(decode_all<std::vector<std::tuple<>>>(bytes), DecodeError);
    CHECK_THROWS_WITH(decode_all<std::vector<Labelled>>(bytes), Catch::Contains("claims"));
  }
  SECTION("a garbled container count inside a Boost archive is refused before allocating") {
    auto bytes = encode_to_bytes(Labelled{1.0, {"one", "two", "three"}});
    // After the blob length (8 bytes) and the archive's class information, x (8 bytes), then
    // the labels' count (8 bytes): found by its value, 3.
    const auto count_at = std::search_n(bytes.begin() + 8, bytes.end(), 1, char{3}) - bytes.begin();
    REQUIRE(count_at + 8 <= static_cast<std::ptrdiff_t>(bytes.size()));
    const std::uint64_t garbled = std::uint64_t{1} << 61;
    std::memcpy(bytes.data() + count_at, &garbled, sizeof garbled);
    CHECK_THROWS_WITH(decode_all<Labelled>(bytes),
                      Catch::Contains("claims 2305843009213693952 elements"));
  }
  SECTION("bytes left after the value mean another type was sent") {
    const auto bytes = encode_to_bytes(std::string("two words"));
    CHECK_THROWS_WITH(decode_all<int>(bytes), Catch::Contains("unexpected bytes"));
  }
  SECTION("random bytes decode as a value or a DecodeError, nothing else") {
    std::mt19937_64 random(20261125);
    check_random_bytes<int>(random, 2000);
    check_random_bytes<std::string>(random, 2000);
    check_random_bytes<std::vector<std::string>>(random, 2000);
    check_random_bytes<Nested>(random, 2000);
    check_random_bytes<Labelled>(random, 2000);
    check_random_bytes<std::vector<Labelled>>(random, 2000);
  }
}

TEST_CASE("task records from the driver are checked on the worker", "[wire]") {
  SECTION("a whole message runs every item") {
    std::string problem;
    const auto outcomes = run_records(three_records(), 3, problem);
    CHECK(problem.empty());
    REQUIRE(outcomes.size() == 3);
    CHECK(outcomes[1][2].ok);
    CHECK(outcomes[1][2].text == "15");
  }
  SECTION("every prefix of a message is rejected: a named problem or an error item") {
    const auto body = three_records();
    for (std::size_t length = 0; length < body.size(); ++length) {
      INFO("body cut to " << length << " of " << body.size() << " bytes");
      std::string problem;
      const auto outcomes = run_records(prefix(body, length), 3, problem);
      bool any_error = false;
      for (const auto& record : outcomes) {
        for (const auto& item : record) any_error |= !item.ok;
      }
      CHECK((!problem.empty() || any_error));
    }
  }
  SECTION("bytes after the last record are reported") {
    auto body = three_records();
    body.push_back('x');
    std::string problem;
    run_records(body, 3, problem);
    CHECK_THAT(problem, Catch::Contains("1 bytes follow the last of its 3 records"));
  }
  SECTION("an absurd record count stops at the end of the message") {
    std::string problem;
    const auto outcomes = run_records(three_records(), 0xFFFFFFFFu, problem);
    CHECK(outcomes.size() == 3);
    CHECK_THAT(problem, Catch::Contains("record 4 of 4294967295 is cut off"));
  }
  SECTION("a task id unknown here fails the item, naming the id") {
    auto header = record_header(1, 1, 0);
    header.function_id = 12345;
    const auto items = items_of_add({{1, 1}});
    header.items_bytes = items.size();
    const auto outcome = run_one(header, items);
    REQUIRE_FALSE(outcome[0].ok);
    CHECK_THAT(outcome[0].text, Catch::Contains("no task with id 12345 is registered"));
  }
  SECTION("arguments sent as other types fail the item, naming the task") {
    auto header = record_header(1, 1, 0);
    header.args_signature ^= 1;
    const auto items = items_of_add({{1, 1}});
    header.items_bytes = items.size();
    const auto outcome = run_one(header, items);
    REQUIRE_FALSE(outcome[0].ok);
    CHECK_THAT(outcome[0].text, Catch::Contains("task 'wire_add' expects int(int, int)"));
  }
  SECTION("arguments that do not deserialise as the registered types fail the item") {
    std::vector<char> items;
    ByteWriter out(items);
    write_blob(out, encode_to_bytes(std::string("not two ints")));
    const auto outcome = run_one(record_header(1, 1, items.size()), items);
    REQUIRE_FALSE(outcome[0].ok);
    CHECK_THAT(outcome[0].text,
               Catch::Contains("the arguments of task 'wire_add' could not be (de)serialised"));
  }
  SECTION("an item count its bytes cannot hold fails the record as a whole") {
    const auto items = items_of_add({{1, 1}});
    const auto outcome = run_one(record_header(1, 0xFFFFFFFFu, items.size()), items);
    REQUIRE(outcome.size() == 1);
    REQUIRE_FALSE(outcome[0].ok);
    CHECK_THAT(outcome[0].text, Catch::Contains("record of task 'wire_add' is garbled: it claims "
                                                "4294967295 item(s)"));
  }
}

TEST_CASE("result records from a worker are checked on the driver", "[wire]") {
  std::uint32_t count = 0;
  const auto items = result_items({{1, 2}, {3, 4}, {5, 6}}, count);
  REQUIRE(count == 3);
  SECTION("a whole record gives every value") {
    ResultState<int> state(3);
    ByteReader in(items);
    REQUIRE(state.complete(in, count, origin));
    CHECK(state.value(2) == 11);
  }
  SECTION("every prefix fails the items it cuts, naming the task and the rank") {
    for (std::size_t length = 0; length < items.size(); ++length) {
      INFO("items cut to " << length << " of " << items.size() << " bytes");
      ResultState<int> state(3);
      ByteReader in(prefix(items, length));
      REQUIRE(state.complete(in, count, origin));
      REQUIRE(state.error(2));
      CHECK_THAT(error_text(state.error(2)),
                 Catch::Contains("result of task 'wire_add' from rank 3 could not be decoded"));
    }
  }
  SECTION("an item status that is neither ok nor error is refused") {
    auto garbled = items;
    garbled[0] = 7;
    ResultState<int> state(3);
    ByteReader in(garbled);
    REQUIRE(state.complete(in, count, origin));
    CHECK_THAT(error_text(state.error(0)), Catch::Contains("item status byte 7"));
    CHECK(state.error(2));  // nothing after an unreadable item can be found
  }
  SECTION("a record failed as a whole where it ran fails every item with that error") {
    const auto one = items_of_add({{1, 1}});
    std::vector<char> results;
    ByteWriter out(results);
    ExecutionContext context;
    execute_record(record_header(7, 0xFFFFFFFFu, one.size()), one, out, context);
    ByteReader in(results);
    const auto [header, item_bytes] = read_result_record(in);
    ResultState<int> state(3);
    ByteReader record(item_bytes);
    REQUIRE(state.complete(record, header.item_count, origin));
    CHECK_THAT(error_text(state.error(1)),
               Catch::Contains("task 'wire_add' raised multirank::DecodeError on rank 3") &&
                   Catch::Contains("is garbled"));
  }
  SECTION("another item count fails every item, naming both counts") {
    ResultState<int> state(3);
    ByteReader in(items);
    REQUIRE(state.complete(in, 2, origin));
    CHECK_THAT(error_text(state.error(0)), Catch::Contains("has 2 items, expected 3"));
  }
  SECTION("a record header cut off is a DecodeError for the message") {
    std::vector<char> results(sizeof(ResultRecordHeader) - 1);
    ByteReader in(results);
    CHECK_THROWS_AS(read_result_record(in), DecodeError);
  }
}

TEST_CASE("message headers are checked before the body is read", "[wire]") {
  MessageHeader sound;
  sound.kind = static_cast<std::uint16_t>(MessageKind::tasks);
  sound.total_bytes = 200;
  const int tag = static_cast<int>(MessageKind::tasks);
  SECTION("a sound header passes") { CHECK(header_problem(sound, tag, 200).empty()); }
  SECTION("a wrong magic number is not a multirank message") {
    auto header = sound;
    header.magic = 0xdeadbeef;
    CHECK_THAT(header_problem(header, tag, 200), Catch::Contains("bad magic"));
  }
  SECTION("every kind the runtime sends passes") {
    const auto last = static_cast<std::uint16_t>(last_message_kind);
    for (std::uint16_t kind = 1; kind <= last; ++kind) {
      if (kind == static_cast<std::uint16_t>(MessageKind::continuation)) continue;
      auto header = sound;
      header.kind = kind;
      CHECK(header_problem(header, kind, 200).empty());
    }
    // The control messages added last are the ones a stale bound would refuse.
    for (const MessageKind kind : {MessageKind::interrupt, MessageKind::drop_queued}) {
      auto header = sound;
      header.kind = static_cast<std::uint16_t>(kind);
      CHECK(header_problem(header, static_cast<int>(kind), 200).empty());
    }
  }
  SECTION("unknown kinds, and a continuation as a first part, are refused") {
    const auto past_last = static_cast<std::uint16_t>(static_cast<int>(last_message_kind) + 1);
    for (const std::uint16_t kind :
         {std::uint16_t{0}, std::uint16_t{4}, past_last, std::uint16_t{999}}) {
      auto header = sound;
      header.kind = kind;
      CHECK_THAT(header_problem(header, kind, 200),
                 Catch::Contains("unknown message kind " + std::to_string(kind)));
    }
  }
  SECTION("a kind that disagrees with the MPI tag is refused") {
    CHECK_THAT(header_problem(sound, static_cast<int>(MessageKind::results), 200),
               Catch::Contains("says kind 1 but it came with tag 2"));
  }
  SECTION("every prefix of a message is refused for its size") {
    for (std::size_t arrived = sizeof(MessageHeader); arrived < 200; ++arrived) {
      CHECK_THAT(header_problem(sound, tag, arrived), Catch::Contains("claims 200 bytes but"));
    }
  }
  SECTION("continuation counts must add up with the total") {
    auto header = sound;
    header.total_bytes = 1000;
    header.continuation_count = 3;
    CHECK(header_problem(header, tag, 300).empty());  // 300 + 300 + 300 + 100
    header.continuation_count = 2;
    CHECK_THAT(header_problem(header, tag, 300), Catch::Contains("does not add up"));
    header.total_bytes = std::uint64_t{1} << 62;
    CHECK_THAT(header_problem(header, tag, 300), Catch::Contains("does not add up"));
    header.total_bytes = 300;
    header.continuation_count = 1;
    CHECK_THAT(header_problem(header, tag, 300), Catch::Contains("does not add up"));
  }
}
