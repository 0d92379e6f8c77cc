// The driver's shared-object table on its own, without MPI: parking, timeouts, ownership and
// the diagnostics, driven call by call with a clock the test controls.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <string_view>

#include "objects/object_table.hpp"

using namespace multirank::detail;
using namespace std::chrono_literals;

namespace {

/// Records every reply by request id.
struct RecordingSink : ReplySink {
  struct Reply {
    int rank;
    ReplyStatus status;
    std::int64_t value;
    std::string payload;
  };
  std::map<std::uint64_t, Reply> replies;
  void deliver(int rank, const ObjectReplyHeader& header, std::span<const char> payload) override {
    replies[header.request_id] = Reply{rank, static_cast<ReplyStatus>(header.status), header.value,
                                       std::string(payload.begin(), payload.end())};
  }
};

struct Harness {
  RecordingSink sink;
  ObjectTable table{sink};
  std::uint64_t next_request = 1;
  ObjectClock::time_point now = ObjectClock::time_point{} + 1h;

  /// Sends one call; returns its request id.
  std::uint64_t call(std::uint64_t client, std::uint64_t object, ObjectOp op, std::uint32_t arg = 0,
                     std::int64_t value = 0, std::int64_t timeout_ns = -1, std::string payload = {},
                     int rank = 1) {
    ObjectCall c;
    c.rank = rank;
    c.header.request_id = next_request++;
    c.header.client = client;
    c.header.object = object;
    c.header.op = static_cast<std::uint16_t>(op);
    c.header.arg = arg;
    c.header.value = value;
    c.header.timeout_ns = timeout_ns;
    c.payload.assign(payload.begin(), payload.end());
    c.since = now;
    if (timeout_ns > 0) c.deadline = now + std::chrono::nanoseconds(timeout_ns);
    table.handle(std::move(c));
    return c.header.request_id;
  }
  std::uint64_t create(ObjectKind kind, std::int64_t parameter = 0, std::uint32_t flags = 0,
                       std::string_view name = {}) {
    const auto request = encode_create_request(name, {});
    const auto id = call(1, 0, ObjectOp::create, static_cast<std::uint32_t>(kind) | (flags << 8),
                         parameter, -1, std::string(request.begin(), request.end()));
    REQUIRE(sink.replies.at(id).status == ReplyStatus::ok);
    return static_cast<std::uint64_t>(sink.replies.at(id).value);
  }
  bool answered(std::uint64_t request) const { return sink.replies.count(request) > 0; }
  const RecordingSink::Reply& reply(std::uint64_t request) const {
    return sink.replies.at(request);
  }
  void advance(ObjectClock::duration by) {
    now += by;
    table.expire_due(now);
  }
};

constexpr std::int64_t ms = 1'000'000;

}  // namespace

TEST_CASE("ObjectTable parks calls and answers them when it can", "[objects]") {
  Harness h;

  SECTION("a get waits for the next put, and gets that item") {
    const auto q = h.create(ObjectKind::queue);
    const auto get = h.call(2, q, ObjectOp::queue_get);
    CHECK_FALSE(h.answered(get));
    h.call(3, q, ObjectOp::queue_put, 0, 0, -1, "item");
    REQUIRE(h.answered(get));
    CHECK(h.reply(get).payload == "item");
    CHECK(h.reply(get).rank == 1);
  }

  SECTION("a timed get is answered timed_out at its deadline and loses nothing") {
    const auto q = h.create(ObjectKind::queue);
    const auto get = h.call(2, q, ObjectOp::queue_get, 0, 0, 100 * ms);
    h.advance(50ms);
    CHECK_FALSE(h.answered(get));
    h.advance(60ms);
    CHECK(h.reply(get).status == ReplyStatus::timed_out);
    h.call(3, q, ObjectOp::queue_put, 0, 0, -1, "later");
    const auto second = h.call(2, q, ObjectOp::queue_get);
    CHECK(h.reply(second).payload == "later");
  }

  SECTION("a full queue parks the put with its item until a get makes room") {
    const auto q = h.create(ObjectKind::queue, 1);
    h.call(2, q, ObjectOp::queue_put, 0, 0, -1, "a");
    const auto blocked = h.call(2, q, ObjectOp::queue_put, 0, 0, -1, "b");
    CHECK_FALSE(h.answered(blocked));
    CHECK(h.reply(h.call(3, q, ObjectOp::queue_get)).payload == "a");
    CHECK(h.answered(blocked));
    CHECK(h.reply(h.call(3, q, ObjectOp::queue_get)).payload == "b");
  }

  SECTION("a lock is granted in arrival order and only its owner may release it") {
    const auto lock = h.create(ObjectKind::lock);
    CHECK(h.reply(h.call(10, lock, ObjectOp::lock_acquire)).status == ReplyStatus::ok);
    const auto second = h.call(11, lock, ObjectOp::lock_acquire);
    const auto third = h.call(12, lock, ObjectOp::lock_acquire);
    const auto wrong = h.call(11, lock, ObjectOp::lock_release);
    CHECK(h.reply(wrong).status == ReplyStatus::state_error);
    h.call(10, lock, ObjectOp::lock_release);
    CHECK(h.answered(second));
    CHECK_FALSE(h.answered(third));
  }

  SECTION("a condition waiter that times out takes the lock back before it returns") {
    const auto lock = h.create(ObjectKind::lock);
    const auto condition = h.create(ObjectKind::condition, static_cast<std::int64_t>(lock));
    h.call(10, lock, ObjectOp::lock_acquire);
    const auto wait = h.call(10, condition, ObjectOp::condition_wait, 0, 0, 100 * ms);
    // While it waits the lock is free: another client takes it.
    CHECK(h.reply(h.call(11, lock, ObjectOp::lock_acquire)).status == ReplyStatus::ok);
    h.advance(200ms);
    CHECK_FALSE(h.answered(wait));  // timed out, but the lock is held by client 11
    h.call(11, lock, ObjectOp::lock_release);
    REQUIRE(h.answered(wait));
    CHECK(h.reply(wait).value == 0);  // not notified
    CHECK(h.reply(h.call(10, lock, ObjectOp::lock_release)).status == ReplyStatus::ok);
  }

  SECTION("a barrier party that times out breaks the barrier for everyone waiting") {
    const auto barrier = h.create(ObjectKind::barrier, 3);
    const auto first = h.call(10, barrier, ObjectOp::barrier_wait);
    const auto second = h.call(11, barrier, ObjectOp::barrier_wait, 0, 0, 100 * ms);
    h.advance(200ms);
    CHECK(h.reply(first).status == ReplyStatus::broken_barrier);
    CHECK(h.reply(second).status == ReplyStatus::broken_barrier);
  }

  SECTION("the diagnostics name every blocked call, and a deadlock is recognised") {
    const auto q = h.create(ObjectKind::queue);
    h.table.set_process_name(7, "Process-1");
    h.table.set_live_processes(1);
    h.call(7, q, ObjectOp::queue_get);
    h.call(thread_client_id(0, 1), q, ObjectOp::queue_get, 0, 0, -1, {}, 0);
    h.now += 5s;
    const auto lines = h.table.blocked_calls(h.now);
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines[0], Catch::Contains("Process-1 on rank 1 waits in get() on Queue"));
    CHECK_THAT(lines[1], Catch::Contains("the driver's main thread on rank 0"));
    CHECK(h.table.deadlocked(h.now, 2s));
    CHECK_FALSE(h.table.deadlocked(h.now, 10s));
  }

  SECTION("a named object is called by its name in every message, an unnamed one by its id") {
    const auto chunks = h.create(ObjectKind::queue, 0, 0, "chunks");
    CHECK_THAT(h.reply(h.call(2, chunks, ObjectOp::queue_task_done)).payload,
               Catch::Equals("Queue 'chunks': task_done() needs a JoinableQueue"));
    const auto jobs = h.create(ObjectKind::queue, 0, joinable_queue_flag, "jobs");
    CHECK_THAT(h.reply(h.call(2, jobs, ObjectOp::queue_task_done)).payload,
               Catch::StartsWith("JoinableQueue 'jobs': task_done() called more times"));
    const auto output = h.create(ObjectKind::lock, 0, 0, "output");
    CHECK_THAT(h.reply(h.call(2, output, ObjectOp::lock_release)).payload,
               Catch::StartsWith("Lock 'output' released by"));
    const auto unnamed = h.create(ObjectKind::lock);
    CHECK_THAT(h.reply(h.call(2, unnamed, ObjectOp::lock_release)).payload,
               Catch::StartsWith("Lock " + std::to_string(unnamed) + " released by"));
    const auto slots = h.create(ObjectKind::bounded_semaphore, 1, 0, "slots");
    CHECK_THAT(h.reply(h.call(2, slots, ObjectOp::semaphore_release, 0, 1)).payload,
               Catch::StartsWith("BoundedSemaphore 'slots' released too many times"));
    const auto ready =
        h.create(ObjectKind::condition, static_cast<std::int64_t>(output), 0, "ready");
    CHECK_THAT(h.reply(h.call(2, ready, ObjectOp::condition_notify)).payload,
               Catch::StartsWith("Condition 'ready' (on Lock 'output'): notify() by"));
    h.table.set_process_name(7, "Process-1");
    h.call(7, chunks, ObjectOp::queue_get);
    CHECK_THAT(h.table.blocked_calls(h.now).at(0),
               Catch::Contains("Process-1 on rank 1 waits in get() on Queue 'chunks'"));
  }

  SECTION("a creation refused or malformed says so, naming the object if it has a name") {
    const auto request = encode_create_request("slots", {});
    const auto negative =
        h.call(1, 0, ObjectOp::create, static_cast<std::uint32_t>(ObjectKind::semaphore), -1, -1,
               std::string(request.begin(), request.end()));
    CHECK_THAT(h.reply(negative).payload,
               Catch::Equals("Semaphore 'slots': the initial value must be 0 or more, not -1"));
    const auto empty = h.call(1, 0, ObjectOp::create, static_cast<std::uint32_t>(ObjectKind::lock));
    CHECK(h.reply(empty).status == ReplyStatus::state_error);
    CHECK_THAT(h.reply(empty).payload, Catch::Contains("is malformed"));
  }

  SECTION("a job whose every process only polls with timeouts that expire is stuck") {
    const auto chunks = h.create(ObjectKind::queue, 0, 0, "chunks");
    const auto finished = h.create(ObjectKind::event, 0, 0, "finished");
    const std::uint64_t driver = thread_client_id(0, 1);
    h.table.set_process_name(7, "Process-1");
    h.table.set_live_processes(1);
    // Each second: the process's get and the driver's wait time out, and both ask again at once.
    for (int round = 0; round < 3; ++round) {
      h.call(7, chunks, ObjectOp::queue_get, 0, 0, 1000 * ms);
      h.call(driver, finished, ObjectOp::event_wait, 0, 0, 500 * ms, {}, 0);
      h.advance(500ms);
      h.call(driver, finished, ObjectOp::event_wait, 0, 0, 500 * ms, {}, 0);
      h.advance(500ms);
      if (round == 0) CHECK_FALSE(h.table.stuck(h.now, 2s));  // only 1 s so far
    }
    CHECK_FALSE(h.table.deadlocked(h.now, 2s));  // every call here returns by itself
    CHECK(h.table.stuck(h.now, 2s));
    CHECK_FALSE(h.table.stuck(h.now, 4s));
    const auto lines = h.table.polling_loops(h.now);
    REQUIRE(lines.size() == 2);
    CHECK_THAT(lines, Catch::VectorContains(std::string(
                          "Process-1 on rank 1 polls get() on Queue 'chunks' with a 1 s timeout: "
                          "3 timed out, none succeeded in the last 3.0 s")));
    CHECK_THAT(lines, Catch::VectorContains(std::string(
                          "the driver's main thread on rank 0 polls wait() on Event 'finished' "
                          "with a 0.5 s timeout: 6 timed out, none succeeded in the last 3.0 s")));

    // One call that succeeds within the window, from anyone, and the job is not stuck.
    h.call(7, chunks, ObjectOp::queue_get, 0, 0, 1000 * ms);
    h.call(thread_client_id(2, 1), chunks, ObjectOp::queue_put, 0, 0, -1, "item", 2);
    CHECK_FALSE(h.table.stuck(h.now, 2s));
    CHECK(h.table.polling_loops(h.now).size() == 1);  // the driver still polls in vain
  }

  SECTION("a process that computes between its polls is not taken for a stuck one") {
    const auto chunks = h.create(ObjectKind::queue, 0, 0, "chunks");
    const auto finished = h.create(ObjectKind::event);
    h.table.set_live_processes(2);
    h.call(thread_client_id(0, 1), finished, ObjectOp::event_wait, 0, 0, -1, {}, 0);
    // Process 7 waits 0.1 s for an item now and then; process 8 checks without waiting.
    for (int chunk = 0; chunk < 10; ++chunk) {
      h.call(7, chunks, ObjectOp::queue_get, 0, 0, 100 * ms);
      h.call(8, chunks, ObjectOp::queue_get, 0, 0, 0);
      h.advance(100ms);  // 7's get times out
      h.advance(900ms);  // both compute
    }
    h.call(7, chunks, ObjectOp::queue_get, 0, 0, 100 * ms);
    CHECK_FALSE(h.table.stuck(h.now, 2s));
    CHECK_FALSE(h.table.deadlocked(h.now, 2s));
  }

  SECTION("a wait whose long timeout has not run out yet is not taken for polling") {
    const auto chunks = h.create(ObjectKind::queue);
    const auto finished = h.create(ObjectKind::event);
    h.table.set_live_processes(1);
    h.call(thread_client_id(0, 1), finished, ObjectOp::event_wait, 0, 0, -1, {}, 0);
    h.call(7, chunks, ObjectOp::queue_get, 0, 0, 10'000 * ms);
    h.advance(5s);
    CHECK_FALSE(h.table.stuck(h.now, 2s));
    h.advance(5s);  // it ran out
    h.call(7, chunks, ObjectOp::queue_get, 0, 0, 10'000 * ms);
    CHECK(h.table.stuck(h.now, 2s));
  }

  SECTION("a call on an unknown object is an error, not a crash") {
    CHECK(h.reply(h.call(1, 999, ObjectOp::queue_get)).status == ReplyStatus::state_error);
  }

  SECTION("shutting down answers every parked call") {
    const auto event = h.create(ObjectKind::event);
    const auto wait = h.call(2, event, ObjectOp::event_wait);
    h.table.shut_down();
    CHECK(h.reply(wait).status == ReplyStatus::shutting_down);
  }
}
