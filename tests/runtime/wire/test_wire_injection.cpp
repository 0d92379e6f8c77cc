// Hand-made bytes put on the wire for real, both ways: a garbled message that names a task fails
// that task's future with the reason; one that names none is dropped with a logged diagnostic,
// and every rank keeps serving. Runs with MULTIRANK_WORKER_TIMEOUT_S=0 (no heartbeat thread), so
// a task on a worker's serve loop is the only thread of its rank making MPI calls, as
// MPI_THREAD_SERIALIZED requires, and with MULTIRANK_DRIVER_WORKS=0, so records go to workers.
#include <mpi.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/library_log.hpp"
#include "engine/progress_engine.hpp"
#include "multirank/detail/runtime_access.hpp"
#include "multirank/detail/submission.hpp"
#include "multirank/detail/wire.hpp"
#include "multirank/multirank.hpp"
#include "wire/communicator.hpp"

namespace {

using namespace multirank;
using namespace multirank::detail;

/// What this rank logged, kept for the test to read (every rank installs it at start-up).
class CapturedLog final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    text_.append(message.payload.data(), message.payload.size());
    text_ += '\n';
  }
  void flush_() override {}

 private:
  std::string text_;
};

CapturedLog& captured_log() {
  static const auto sink = [] {
    // Added to the logger the library keeps, not to spdlog's stock one it replaces.
    install_library_log();
    auto made = std::make_shared<CapturedLog>();
    spdlog::default_logger()->sinks().push_back(made);
    return made;
  }();
  return *sink;
}
[[maybe_unused]] CapturedLog& installed_log = captured_log();

int add(int a, int b) { return a + b; }
MULTIRANK_TASK(add);

struct Garbage {
  int tag;
  std::vector<char> bytes;
};

std::vector<char> header_bytes(MessageHeader header, std::size_t body_bytes) {
  std::vector<char> bytes(sizeof(header) + body_bytes, '\x5a');
  std::memcpy(bytes.data(), &header, sizeof(header));
  return bytes;
}

MessageHeader header_of(MessageKind kind, std::uint64_t total_bytes) {
  MessageHeader header;
  header.kind = static_cast<std::uint16_t>(kind);
  header.total_bytes = total_bytes;
  return header;
}

/// Messages of kind `kind` garbled every way that leaves no task to blame, and one whose record
/// names task 999999999, which nobody runs.
std::vector<Garbage> garbage(MessageKind kind, MessageKind truncated_kind) {
  const int tag = static_cast<int>(kind);
  std::vector<Garbage> out;
  out.push_back({tag, std::vector<char>(5, 'x')});  // shorter than a header
  auto bad_magic = header_of(kind, sizeof(MessageHeader));
  bad_magic.magic = 0;
  out.push_back({tag, header_bytes(bad_magic, 0)});
  out.push_back(
      {99, header_bytes(header_of(static_cast<MessageKind>(99), sizeof(MessageHeader)), 0)});
  out.push_back({tag == 1 ? 2 : 1, header_bytes(header_of(kind, sizeof(MessageHeader)), 0)});
  out.push_back({tag, header_bytes(header_of(kind, std::uint64_t{1} << 62), 0)});
  auto uneven = header_of(kind, std::uint64_t{1} << 40);
  uneven.continuation_count = 1;
  out.push_back({tag, header_bytes(uneven, 0)});
  // Consistent counts, but more bytes than the node has: refused before allocating or waiting.
  auto huge = header_of(kind, std::uint64_t{sizeof(MessageHeader) + 1000} * 0xFFFFFFFFu + 1);
  huge.continuation_count = 0xFFFFFFFFu;
  out.push_back({tag, header_bytes(huge, 1000)});
  out.push_back({static_cast<int>(MessageKind::continuation), std::vector<char>(100, 'c')});
  std::vector<char> random(1000);
  std::uint32_t state = 12345;
  for (auto& b : random) b = static_cast<char>((state = state * 1664525u + 1013904223u) >> 24);
  out.push_back({tag, random});
  auto cut = header_of(kind, sizeof(MessageHeader) + 10);
  cut.record_count = 3;
  out.push_back({tag, header_bytes(cut, 10)});
  auto short_body = header_of(truncated_kind, sizeof(MessageHeader) + 3);
  short_body.record_count = 1;
  out.push_back({static_cast<int>(truncated_kind), header_bytes(short_body, 3)});

  // A sound record for a task nobody is running.
  std::vector<char> message(sizeof(MessageHeader));
  ByteWriter writer(message);
  const TaskEntry& entry = TaskRef<int(int, int)>::of(&add).entry();
  if (kind == MessageKind::tasks) {
    std::vector<char> items;
    ByteWriter item_writer(items);
    append_item<int, int>(item_writer, 1, 2);
    writer.write_pod(
        TaskRecordHeader{999999999, entry.id, entry.args_signature, 0, 1, 0, items.size()});
    writer.write(items.data(), items.size());
  } else {
    writer.write_pod(ResultRecordHeader{999999999, 0, 0, 0, 0, 0});
  }
  auto sound = header_of(kind, message.size());
  sound.record_count = 1;
  std::memcpy(message.data(), &sound, sizeof(sound));
  out.push_back({tag, message});
  return out;
}

void send_all(const std::vector<Garbage>& messages, int dest, MPI_Comm comm) {
  for (const auto& m : messages) {
    check_mpi(
        MPI_Send(m.bytes.data(), static_cast<int>(m.bytes.size()), MPI_BYTE, dest, m.tag, comm),
        "MPI_Send");
  }
}

/// On a worker: puts garbage on the wire to the driver, then returns `value`.
int send_garbage_to_driver(int value) {
  send_all(garbage(MessageKind::results, MessageKind::object_request), 0,
           detail::RuntimeAccess::communicator(Runtime::current()).get());
  return value;
}
MULTIRANK_TASK(send_garbage_to_driver);

/// On a worker: sends the driver a garbled result for `task_id` (this very task), then returns
/// 1, which arrives after it and finds the task already failed.
int garble_own_result(std::uint64_t task_id, int how) {
  std::vector<char> message(sizeof(MessageHeader));
  ByteWriter out(message);
  std::vector<char> item;
  ByteWriter item_out(item);
  item_out.write_pod(static_cast<std::uint8_t>(how == 1 ? 7 : 0));  // 7: no item status
  write_blob(item_out, encode_to_bytes(42));
  std::uint32_t item_count = how == 2 ? 5 : 1;
  std::uint64_t items_bytes = how == 0 ? item.size() + 100 : item.size();  // 0: cut off
  out.write_pod(ResultRecordHeader{task_id, 0, 0, item_count, 0, items_bytes});
  out.write(item.data(), how == 0 ? item.size() - 2 : item.size());
  auto header = header_of(MessageKind::results, message.size());
  header.record_count = 1;
  std::memcpy(message.data(), &header, sizeof(header));
  send_all({{static_cast<int>(MessageKind::results), message}}, 0,
           detail::RuntimeAccess::communicator(Runtime::current()).get());
  return 1;
}
MULTIRANK_TASK(garble_own_result);

/// Where it ran and what that rank logged, after a nap that keeps its slot busy.
std::string rank_log(int milliseconds) {
  std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
  return "rank " + std::to_string(Runtime::current().rank()) + "\n" + captured_log().text();
}
MULTIRANK_TASK(rank_log);

/// Submits one record of `entry` with hand-made items; `items_for` gets the record's task id.
template <class R>
std::shared_ptr<ResultState<R>> submit_record(
    const TaskEntry& entry, const std::function<std::vector<char>(std::uint64_t)>& items_for) {
  DriverEngine& engine = detail::RuntimeAccess::engine(Runtime::current());
  auto queue = engine.open_queue(0);
  TaskRecord record = make_record<R>(engine, entry, queue, {}, 1);
  record.items = items_for(record.id);
  auto state = std::static_pointer_cast<ResultState<R>>(record.state);
  engine.submit(std::move(record));
  engine.close_queue(*queue);
  engine.wait_until([&] { return state->done(); }, std::nullopt);
  return state;
}

std::vector<char> one_item(const std::vector<char>& argument_bytes) {
  std::vector<char> items;
  ByteWriter out(items);
  write_blob(out, argument_bytes);
  return items;
}

std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

/// What every worker rank logged, asked of each at once (an idle rank takes one record each).
std::vector<std::string> worker_logs(Executor& executor, int workers) {
  std::vector<Future<std::string>> futures;
  for (int i = 0; i < workers; ++i) futures.push_back(executor.submit(rank_log, 300));
  std::vector<std::string> logs;
  for (auto& future : futures) logs.push_back(future.result());
  return logs;
}

}  // namespace

TEST_CASE("messages between ranks are checked", "[wire]") {
  Runtime& runtime = Runtime::current();
  const int workers = runtime.size() - 1;
  if (workers < 1) {
    WARN("needs worker ranks: run under mpirun -np 2 or more");
    return;
  }
  const TaskEntry& add_entry = TaskRef<int(int, int)>::of(&add).entry();
  std::vector<char> two_ints;
  {
    ByteWriter out(two_ints);
    encode(out, 20);
    encode(out, 22);
  }

  SECTION("a task unknown on the worker fails its future, naming the task") {
    const TaskEntry ghost{
        "ghost_task", "int(int, int)", fnv1a("ghost_task"), add_entry.args_signature,
        nullptr,      nullptr};
    auto state = submit_record<int>(ghost, [&](std::uint64_t) { return one_item(two_ints); });
    CHECK_THAT(error_of([&] { state->value(0); }),
               Catch::Contains("task 'ghost_task' raised multirank::TaskError on rank") &&
                   Catch::Contains("is registered on this rank"));
  }
  SECTION("arguments sent as other types than registered fail the future") {
    TaskEntry other = add_entry;
    other.args_signature ^= 1;
    auto state = submit_record<int>(other, [&](std::uint64_t) { return one_item(two_ints); });
    CHECK_THAT(
        error_of([&] { state->value(0); }),
        Catch::Contains("task 'add' expects int(int, int) but was sent other argument types"));
  }
  SECTION("arguments that do not deserialise as the registered types fail the future") {
    auto state = submit_record<int>(add_entry, [](std::uint64_t) {
      return one_item(encode_to_bytes(std::string("not two ints")));
    });
    CHECK_THAT(error_of([&] { state->value(0); }),
               Catch::Contains("task 'add' raised multirank::DecodeError") &&
                   Catch::Contains("could not be (de)serialised"));
  }
  SECTION("a task record cut off fails the future") {
    auto state = submit_record<int>(add_entry, [&](std::uint64_t) {
      auto items = one_item(two_ints);
      items.resize(items.size() - 3);
      return items;
    });
    CHECK_THAT(error_of([&] { state->value(0); }),
               Catch::Contains("task 'add' raised multirank::DecodeError") &&
                   Catch::Contains("truncated"));
  }
  SECTION(
      "garbled messages to a worker are dropped with a diagnostic; every worker keeps serving") {
    detail::progress_engine_of_runtime().with_communicator([&](MPI_Comm comm) {
      for (int rank = 1; rank <= workers; ++rank) {
        send_all(garbage(MessageKind::tasks, MessageKind::object_reply), rank, comm);
      }
    });
    Executor executor;
    const auto logs = worker_logs(executor, workers);
    std::set<std::string> ranks;
    for (const auto& log : logs) {
      INFO(log);
      ranks.insert(log.substr(0, log.find('\n')));
      CHECK_THAT(log,
                 Catch::Contains(
                     "dropped a message of 5 bytes from rank 0: shorter than a multirank header"));
      CHECK_THAT(log, Catch::Contains("from rank 0: not a multirank message (bad magic number)"));
      CHECK_THAT(log, Catch::Contains("from rank 0: unknown message kind 99"));
      CHECK_THAT(log, Catch::Contains("says kind 1 but it came with tag 2"));
      CHECK_THAT(log, Catch::Contains("claims 4611686018427387904 bytes but " +
                                      std::to_string(sizeof(MessageHeader)) + " arrived"));
      CHECK_THAT(log, Catch::Contains("which does not add up"));
      CHECK_THAT(log, Catch::Contains("bytes are more than this node's memory"));
      CHECK_THAT(log, Catch::Contains("a continuation part with no message before it"));
      CHECK_THAT(
          log, Catch::Contains("a tasks message from rank 0 is garbled: record 1 of 3 is cut off"));
      CHECK_THAT(log, Catch::Contains("dropped a garbled message of kind 6 from rank 0"));
    }
    CHECK(ranks.size() == static_cast<std::size_t>(workers));
    int right = 0;
    for (const int sum : executor.starmap(add, std::vector<std::tuple<int, int>>(100, {20, 22})))
      right += sum == 42;
    CHECK(right == 100);
    // The sound record was run, and its answer for a task the driver never sent was not taken.
    CHECK_THAT(captured_log().text(),
               Catch::Contains("returned task 999999999 which it was not running"));
  }
  SECTION(
      "garbled messages to the driver are dropped with a diagnostic; the driver keeps serving") {
    Executor executor;
    CHECK(executor.submit(send_garbage_to_driver, 7).result() == 7);
    const std::string log = captured_log().text();
    INFO(log);
    CHECK_THAT(log, Catch::Contains("dropped a message of 5 bytes from rank"));
    CHECK_THAT(log, Catch::Contains("not a multirank message (bad magic number)"));
    CHECK_THAT(log, Catch::Contains("unknown message kind 99"));
    CHECK_THAT(log, Catch::Contains("says kind 2 but it came with tag 1"));
    CHECK_THAT(log, Catch::Contains("which does not add up"));
    CHECK_THAT(log, Catch::Contains("bytes are more than this node's memory"));
    CHECK_THAT(log, Catch::Contains("a continuation part with no message before it"));
    CHECK_THAT(log, Catch::Contains("dropped the rest of a garbled message of kind 2 from rank"));
    CHECK_THAT(log, Catch::Contains("dropped the rest of a garbled message of kind 5 from rank"));
    CHECK_THAT(log, Catch::Contains("returned task 999999999 which it was not running"));
    int right = 0;
    for (const int sum : executor.starmap(add, std::vector<std::tuple<int, int>>(100, {1, 2})))
      right += sum == 3;
    CHECK(right == 100);
  }
  SECTION("a garbled result fails its task's future, naming the task and the reason") {
    const TaskEntry& garble = TaskRef<int(std::uint64_t, int)>::of(&garble_own_result).entry();
    const char* reasons[] = {"truncated message", "item status byte 7", "has 5 items, expected 1"};
    for (int how = 0; how < 3; ++how) {
      auto state = submit_record<int>(garble, [&](std::uint64_t id) {
        std::vector<char> items;
        ByteWriter out(items);
        append_item<std::uint64_t, int>(out, id, how);
        return items;
      });
      const std::string error = error_of([&] { state->value(0); });
      INFO(error);
      CHECK_THAT(error,
                 Catch::Contains("task 'garble_own_result'") && Catch::Contains(reasons[how]));
    }
    Executor executor;
    CHECK(executor.submit(add, 2, 3).result() == 5);
  }
}
