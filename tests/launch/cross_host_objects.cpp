// Queue, Pipe and Lock traffic between processes on different hosts: one process per worker rank
// (each lands on the rank hosting the fewest), so they spread over every host. Checks, each
// printed as one line the test reads:
//   lock:  every process adds INCREMENTS to one Value under its lock: the count is exact;
//   queue: the first half put ITEMS each into one Queue, the second half take them out and hand
//          them to the driver: every item arrives exactly once;
//   pipe:  process i of the first half and process i of the second half (on another host) make
//          ROUND_TRIPS round trips over a Pipe, each reply checked.
// Exit status 0 when all three are exact and every pipe pair spans two hosts.
//   cross_host_objects HOSTS
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "multirank/multirank.hpp"

namespace {
constexpr int increments = 5;
constexpr int items = 20;
constexpr int round_trips = 20;
}  // namespace

void add_under_lock(multirank::Value<int> counter) {
  for (int i = 0; i < increments; ++i) {
    std::lock_guard hold(counter.get_lock());
    counter.set(counter.get() + 1);
  }
}
MULTIRANK_TASK(add_under_lock);

using ItemQueue = multirank::Queue<std::optional<int>>;

void produce(ItemQueue work, int first) {
  for (int i = first; i < first + items; ++i) work.put(i);
}
MULTIRANK_TASK(produce);

/// Takes items until an empty one, handing each to the driver through `done`.
void consume(ItemQueue work, multirank::Queue<int> done) {
  while (auto item = work.get(std::chrono::seconds(120))) done.put(*item);
}
MULTIRANK_TASK(consume);

using Conn = multirank::Connection<long>;

/// Sends 0..round_trips-1 and checks each reply is the square; throws on a wrong one.
void ping(Conn conn) {
  for (long k = 0; k < round_trips; ++k) {
    conn.send(k);
    const long reply = conn.recv(std::chrono::seconds(120));
    if (reply != k * k) {
      throw std::runtime_error("pipe reply " + std::to_string(reply) + " to " + std::to_string(k));
    }
  }
  conn.close();
}
MULTIRANK_TASK(ping);

/// Answers each number with its square until the other end closes.
void pong(Conn conn) {
  try {
    for (;;) {
      const long k = conn.recv(std::chrono::seconds(120));
      conn.send(k * k);
    }
  } catch (const multirank::EOFError&) {
  }
}
MULTIRANK_TASK(pong);

namespace {

/// Joins every process; true if each ended with exit code 0.
bool join_all(std::vector<multirank::Process>& processes) {
  bool clean = true;
  for (auto& p : processes) {
    p.join();
    clean = clean && p.exitcode() == 0;
  }
  return clean;
}

std::size_t distinct_hosts(const std::vector<multirank::Process>& processes) {
  std::set<std::string> hosts;
  for (const auto& p : processes) hosts.insert(p.host());
  return hosts.size();
}

}  // namespace

int main(int argc, char** argv) {
  multirank::Runtime runtime(argc, argv);
  if (argc != 2 || std::atoi(argv[1]) < 2) {
    std::cerr << "usage: cross_host_objects HOSTS (the number of hosts, at least 2)\n";
    return 2;
  }
  const std::size_t hosts = static_cast<std::size_t>(std::atoi(argv[1]));
  const int count = runtime.size() - 1;  // one process per worker rank
  const int half = count / 2;
  if (half < 1) {
    std::cerr << "cross_host_objects: needs at least 2 worker ranks\n";
    return 2;
  }
  bool exact = true;

  {
    multirank::Value<int> counter(0);
    std::vector<multirank::Process> adders;
    for (int p = 0; p < count; ++p) adders.emplace_back(add_under_lock, counter).start();
    const bool clean = join_all(adders);
    const int expected = count * increments;
    std::cout << "lock: counter " << counter.get() << " of " << expected << " from " << count
              << " processes on " << distinct_hosts(adders) << " hosts" << std::endl;
    exact = exact && clean && counter.get() == expected && distinct_hosts(adders) == hosts;
  }

  {
    ItemQueue work("work");
    multirank::Queue<int> done("done");
    std::vector<multirank::Process> producers;
    std::vector<multirank::Process> consumers;
    for (int p = 0; p < half; ++p) producers.emplace_back(produce, work, p * items).start();
    for (int c = half; c < count; ++c) consumers.emplace_back(consume, work, done).start();
    bool clean = join_all(producers);
    for (int c = half; c < count; ++c) work.put(std::nullopt);
    clean = join_all(consumers) && clean;
    const int expected = half * items;
    std::vector<int> seen(static_cast<std::size_t>(expected), 0);
    int received = 0;
    int strays = 0;
    try {
      for (;;) {
        const int item = done.get_nowait();
        ++received;
        if (item < 0 || item >= expected) {
          ++strays;
        } else {
          ++seen[static_cast<std::size_t>(item)];
        }
      }
    } catch (const multirank::Empty&) {
    }
    int once = 0;
    for (int n : seen) once += n == 1 ? 1 : 0;
    std::cout << "queue: " << once << " of " << expected << " items through exactly once, "
              << received << " received, from " << distinct_hosts(producers) << " hosts to "
              << distinct_hosts(consumers) << " hosts" << std::endl;
    exact = exact && clean && once == expected && received == expected && strays == 0;
  }

  {
    std::vector<multirank::Process> pingers;
    std::vector<multirank::Process> pongers;
    for (int p = 0; p < half; ++p) {
      auto [a, b] = multirank::Pipe<long>("pair " + std::to_string(p));
      pingers.emplace_back(ping, a);
      pongers.emplace_back(pong, b);
    }
    for (auto& p : pingers) p.start();
    for (auto& p : pongers) p.start();
    int across = 0;
    for (int p = 0; p < half; ++p) {
      if (pingers[static_cast<std::size_t>(p)].host() !=
          pongers[static_cast<std::size_t>(p)].host())
        ++across;
    }
    const bool pings = join_all(pingers);
    const bool clean = join_all(pongers) && pings;
    std::cout << "pipe: " << half << " pairs, " << across << " across hosts, " << half * round_trips
              << " round trips " << (clean ? "exact" : "NOT exact") << std::endl;
    exact = exact && clean && across == half;
  }
  return exact ? 0 : 1;
}
