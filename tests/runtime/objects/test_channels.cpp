// Queue, JoinableQueue and Pipe between processes on any ranks, one section per behaviour.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "multirank/multirank.hpp"

using namespace std::chrono_literals;

namespace {

using Items = multirank::Queue<std::optional<std::int64_t>>;
using Totals = multirank::Queue<std::pair<std::int64_t, std::int64_t>>;  // (count, checksum)

void produce_range(Items queue, std::int64_t first, std::int64_t count) {
  for (std::int64_t i = first; i < first + count; ++i) queue.put(i);
}
MULTIRANK_TASK(produce_range);

/// Gets until the sentinel; reports how many items it got and a checksum that catches both a lost
/// and a duplicated item (each value weighted by itself).
void consume_until_sentinel(Items queue, Totals totals) {
  std::int64_t count = 0;
  std::int64_t checksum = 0;
  while (auto item = queue.get()) {
    ++count;
    checksum += *item * *item % 1000003;
  }
  totals.put({count, checksum});
}
MULTIRANK_TASK(consume_until_sentinel);

void put_all_then_set(multirank::Queue<int> queue, int count, multirank::Event done) {
  for (int i = 0; i < count; ++i) queue.put(i);
  done.set();
}
MULTIRANK_TASK(put_all_then_set);

void work_and_mark_done(multirank::JoinableQueue<int> queue, int count) {
  for (int i = 0; i < count; ++i) {
    queue.get();
    std::this_thread::sleep_for(5ms);
    queue.task_done();
  }
}
MULTIRANK_TASK(work_and_mark_done);

void get_one(multirank::Queue<int> queue, multirank::Queue<int> out) { out.put(queue.get()); }
MULTIRANK_TASK(get_one);

/// Answers each message with its upper-case form until the other end closes.
void shout_back(multirank::Connection<std::string> conn) {
  try {
    while (true) {
      std::string text = conn.recv();
      for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      conn.send(text);
    }
  } catch (const multirank::EOFError&) {
  }
}
MULTIRANK_TASK(shout_back);

void send_three_and_close(multirank::Connection<int> conn) {
  for (int i = 1; i <= 3; ++i) conn.send(i);
  conn.close();
}
MULTIRANK_TASK(send_three_and_close);

/// What `call` raised, as its message: "no error" if it raised nothing.
template <class Error, class Call>
std::string error_of(Call call) {
  try {
    call();
  } catch (const Error& error) {
    return error.what();
  }
  return "no error";
}

/// Empty, Full and StateError from a named queue bounded at 1, as this process sees them.
void report_queue_errors(multirank::Queue<int> queue, multirank::Queue<std::string> said) {
  said.put(error_of<multirank::Empty>([&] { queue.get(50ms); }));
  queue.put(1);
  said.put(error_of<multirank::Full>([&] { queue.put(2, 50ms); }));
  queue.close();
  said.put(error_of<multirank::StateError>([&] { queue.get_nowait(); }));
}
MULTIRANK_TASK(report_queue_errors);

/// What a named pipe's end raises in this process: a recv that times out, then a send to a
/// closed peer.
void report_pipe_errors(multirank::Connection<int> conn, multirank::Event closed,
                        multirank::Queue<std::string> said) {
  said.put(error_of<multirank::TimeoutError>([&] { conn.recv(50ms); }));
  closed.wait(60s);
  said.put(error_of<multirank::BrokenPipeError>([&] { conn.send(1); }));
}
MULTIRANK_TASK(report_pipe_errors);

/// 4 producer and 3 consumer processes share one bounded queue; every item must arrive once.
void exchange_between_processes(std::int64_t per_producer) {
  constexpr int producers = 4;
  constexpr int consumers = 3;
  Items q(1000);
  Totals totals;
  std::vector<multirank::Process> started;
  for (int c = 0; c < consumers; ++c)
    started.emplace_back(consume_until_sentinel, q, totals).start();
  std::vector<multirank::Process> producing;
  for (int p = 0; p < producers; ++p) {
    producing.emplace_back(produce_range, q, p * per_producer, per_producer).start();
  }
  for (auto& p : producing) {
    p.join();
    CHECK(p.exitcode() == 0);
  }
  for (int c = 0; c < consumers; ++c) q.put(std::nullopt);
  std::int64_t count = 0;
  std::int64_t checksum = 0;
  for (int c = 0; c < consumers; ++c) {
    const auto [n, sum] = totals.get(120s);
    count += n;
    checksum += sum;
  }
  std::int64_t expected = 0;
  for (std::int64_t i = 0; i < producers * per_producer; ++i) expected += i * i % 1000003;
  CHECK(count == producers * per_producer);
  CHECK(checksum == expected);
  for (auto& c : started) c.join();
}

}  // namespace

TEST_CASE("Queue passes items between processes", "[queue]") {
  SECTION("first in, first out, from the driver itself") {
    multirank::Queue<std::string> q;
    q.put("a");
    q.put("b");
    CHECK(q.qsize() == 2);
    CHECK_FALSE(q.empty());
    CHECK(q.get() == "a");
    CHECK(q.get() == "b");
    CHECK(q.empty());
  }

  SECTION("get and put time out with Empty and Full; nowait does not wait") {
    multirank::Queue<int> q(1);
    CHECK_THROWS_AS(q.get(50ms), multirank::Empty);
    CHECK_THROWS_AS(q.get_nowait(), multirank::Empty);
    CHECK_THROWS_AS(q.get(false), multirank::Empty);
    q.put(1);
    CHECK(q.full());
    CHECK_THROWS_AS(q.put(2, 50ms), multirank::Full);
    CHECK_THROWS_AS(q.put_nowait(2), multirank::Full);
    CHECK(q.get() == 1);
  }

  SECTION("maxsize holds a producer back until items are taken") {
    multirank::Queue<int> q(2);
    multirank::Event done;
    multirank::Process producer(put_all_then_set, q, 6, done);
    producer.start();
    // The producer cannot finish before we take items, whatever the timing.
    CHECK_FALSE(done.wait(300ms));
    CHECK(q.qsize() <= 2);
    for (int i = 0; i < 6; ++i) CHECK(q.get(30s) == i);
    CHECK(done.wait(30s));
    producer.join();
  }

  SECTION("the sentinel pattern: a consumer stops at nullopt") {
    Items q;
    Totals totals;
    multirank::Process consumer(consume_until_sentinel, q, totals);
    consumer.start();
    for (std::int64_t i = 0; i < 10; ++i) q.put(i);
    q.put(std::nullopt);
    const auto [count, checksum] = totals.get(30s);
    CHECK(count == 10);
    CHECK(checksum == 285);  // 0^2 + ... + 9^2
    consumer.join();
  }

  SECTION("close() ends this handle; another handle on the queue still works") {
    multirank::Queue<int> q;
    multirank::Queue<int> out;
    multirank::Process reader(get_one, q, out);
    reader.start();
    q.put(7);
    q.close();
    CHECK_THROWS_AS(q.put(8), multirank::StateError);
    CHECK_THROWS_WITH(q.get_nowait(), Catch::Contains("after close()"));
    CHECK(out.get(30s) == 7);  // the process's own handle was not closed
    reader.join();
  }
}

TEST_CASE("A named queue or pipe is called by its name in its errors, on every rank",
          "[queue][pipe][names]") {
  SECTION("Queue<int> q(5) is bounded at 5; Queue<int> q(\"x\") is named and unbounded") {
    multirank::Queue<int> bounded(5);
    CHECK(bounded.maxsize() == 5);
    CHECK(bounded.name().empty());
    for (int i = 0; i < 5; ++i) bounded.put_nowait(i);
    CHECK_THROWS_WITH(bounded.put_nowait(5), Catch::Matches("Queue [0-9]+ is full"));
    multirank::Queue<int> named("x");
    CHECK(named.name() == "x");
    CHECK(named.maxsize() == 0);
    multirank::Queue<int> both("chunks", 10);
    CHECK(both.name() == "chunks");
    CHECK(both.maxsize() == 10);
  }

  SECTION("Empty, Full and StateError name the queue on the driver") {
    multirank::Queue<int> chunks("chunks", 1);
    CHECK_THROWS_WITH(chunks.get(50ms), "Queue 'chunks' is empty");
    chunks.put(1);
    CHECK_THROWS_WITH(chunks.put(2, 50ms), "Queue 'chunks' is full");
    chunks.close();
    CHECK_THROWS_WITH(chunks.get_nowait(), "Queue 'chunks': get() after close()");
  }

  SECTION("Empty, Full and StateError name the queue in a process on another rank") {
    multirank::Queue<int> chunks("chunks", 1);
    multirank::Queue<std::string> said;
    multirank::Process reporter(report_queue_errors, chunks, said);
    reporter.start();
    CHECK(said.get(30s) == "Queue 'chunks' is empty");
    CHECK(said.get(30s) == "Queue 'chunks' is full");
    CHECK(said.get(30s) == "Queue 'chunks': get() after close()");
    reporter.join();
    CHECK(chunks.get_nowait() == 1);  // the process's close() ended only its own handle
  }

  SECTION("a JoinableQueue's misuse and join timeout name it") {
    multirank::JoinableQueue<int> jobs("jobs");
    CHECK_THROWS_WITH(jobs.task_done(),
                      "JoinableQueue 'jobs': task_done() called more times than items were put");
    jobs.put(1);
    CHECK_THROWS_WITH(jobs.join(50ms),
                      "JoinableQueue 'jobs': join() timed out with items not done");
  }

  SECTION("a pipe's errors name it, on the driver and in a process on another rank") {
    auto [mine, theirs] = multirank::Pipe<int>("results");
    CHECK(mine.name() == "results");
    CHECK_THROWS_WITH(mine.recv(50ms), "end 0 of Pipe 'results': recv() timed out");
    multirank::Event closed;
    multirank::Queue<std::string> said;
    multirank::Process reporter(report_pipe_errors, theirs, closed, said);
    reporter.start();
    CHECK(said.get(30s) == "end 1 of Pipe 'results': recv() timed out");
    mine.close();
    closed.set();
    CHECK(said.get(30s) == "end 0 of Pipe 'results' is closed");
    reporter.join();
  }

  SECTION("Pipe(\"name\") names a duplex pipe; Pipe(\"name\", false) a one-way one") {
    auto [a, b] = multirank::Pipe<int>("duplex");
    CHECK(a.name() == "duplex");  // a string literal is a name, not the `duplex` flag
    a.send(1);
    b.send(2);
    CHECK(b.recv(30s) == 1);
    CHECK(a.recv(30s) == 2);
    auto [reader, writer] = multirank::Pipe<int>("one-way", false);
    CHECK_THROWS_WITH(reader.send(1), "end 0 of one-way Pipe 'one-way' only receives");
  }
}

TEST_CASE("Queue carries 4 000 items between 4 producers and 3 consumers: none lost, none twice",
          "[queue]") {
  exchange_between_processes(1'000);
}

// The same at a volume that takes seconds; the sanitizer jobs leave [scale] out (the smaller
// exchange above takes the same paths).
TEST_CASE("Queue carries 100 000 items between 4 producers and 3 consumers: none lost, none twice",
          "[queue][scale]") {
  exchange_between_processes(25'000);
}

TEST_CASE("JoinableQueue waits until every item is done", "[queue]") {
  SECTION("join returns once consumers marked every item done") {
    multirank::JoinableQueue<int> q;
    for (int i = 0; i < 5; ++i) q.put(i);
    CHECK_THROWS_AS(q.join(50ms), multirank::TimeoutError);
    multirank::Process worker(work_and_mark_done, q, 5);
    worker.start();
    CHECK_NOTHROW(q.join(60s));
    worker.join();
  }

  SECTION("task_done more often than items were put is an error") {
    multirank::JoinableQueue<int> q;
    q.put(1);
    q.get();
    q.task_done();
    CHECK_THROWS_AS(q.task_done(), multirank::StateError);
  }
}

TEST_CASE("Pipe connects two ends", "[pipe]") {
  SECTION("messages go both ways on a duplex pipe") {
    auto [mine, theirs] = multirank::Pipe<std::string>();
    multirank::Process echo(shout_back, theirs);
    echo.start();
    mine.send("hello");
    CHECK(mine.recv(30s) == "HELLO");
    mine.send("again");
    CHECK(mine.recv(30s) == "AGAIN");
    mine.close();  // the echo process sees end of file and returns
    CHECK(echo.join(30s));
    CHECK(echo.exitcode() == 0);
  }

  SECTION("poll says whether recv would wait") {
    auto [a, b] = multirank::Pipe<int>();
    CHECK_FALSE(a.poll());
    CHECK_FALSE(a.poll(50ms));
    b.send(5);
    CHECK(a.poll(30s));
    CHECK(a.recv() == 5);
  }

  SECTION("recv raises EOFError once the peer closed and all it sent was received") {
    auto [a, b] = multirank::Pipe<int>();
    multirank::Process sender(send_three_and_close, b);
    sender.start();
    CHECK(a.recv(30s) == 1);
    CHECK(a.recv(30s) == 2);
    CHECK(a.recv(30s) == 3);
    CHECK_THROWS_AS(a.recv(30s), multirank::EOFError);
    CHECK(a.poll());  // end of file counts as readable, as in Python
    sender.join();
  }

  SECTION("sending to a closed peer raises BrokenPipeError") {
    auto [a, b] = multirank::Pipe<int>();
    b.close();
    CHECK_THROWS_AS(a.send(1), multirank::BrokenPipeError);
  }

  SECTION("recv with a timeout raises TimeoutError") {
    auto [a, b] = multirank::Pipe<int>();
    CHECK_THROWS_AS(a.recv(50ms), multirank::TimeoutError);
  }

  SECTION("a one-way pipe's first end only receives, its second only sends") {
    auto [reader, writer] = multirank::Pipe<int>(false);
    CHECK_THROWS_AS(reader.send(1), multirank::StateError);
    CHECK_THROWS_AS(writer.recv(50ms), multirank::StateError);
    writer.send(2);
    CHECK(reader.recv() == 2);
  }

  SECTION("an end used after close() is an error") {
    auto [a, b] = multirank::Pipe<int>();
    a.close();
    CHECK_THROWS_AS(a.send(1), multirank::StateError);
    CHECK_THROWS_WITH(a.recv(), Catch::Contains("is closed"));
    CHECK_NOTHROW(a.close());  // closing twice is harmless, as in Python
  }
}
