// Who has been waiting on shared objects, and polling in vain, since when (client_activity.hpp).
#include "objects/client_activity.hpp"

#include <algorithm>
#include <tuple>

namespace multirank::detail {

namespace {

// After a wait of `timeout` ran out, its caller counts as still waiting for this long: time
// enough to get the answer, catch Empty and ask again. As long as the timeout, so that a process
// that waits briefly between longer computations is not taken for a polling one; but at least
// 0.1 s, so that a loaded machine's round trip does not break a loop of short polls, and at most
// 1 s, so that a long timeout does not cover a computation after it.
ClientActivity::TimePoint::duration polling_grace(std::int64_t timeout_ns) {
  using namespace std::chrono_literals;
  const auto timeout = std::chrono::nanoseconds(timeout_ns);
  return std::clamp<std::chrono::nanoseconds>(timeout, 100ms, 1s);
}

}  // namespace

void ClientActivity::parked(const ObjectRequestHeader& header, int rank, TimePoint since) {
  Client& client = clients_[header.client];
  client.rank = rank;
  // A client neither waiting nor just after a timed-out wait has been doing something else:
  // its waiting starts afresh.
  if (!client.waiting_since || (client.parked == 0 && since > client.polling_until)) {
    client.waiting_since = since;
    client.polls.clear();
  }
  ++client.parked;
  if (header.timeout_ns < 0) ++client.parked_for_ever;
}

void ClientActivity::answered(const ObjectRequestHeader& header, int rank, bool was_parked,
                              CallOutcome outcome, TimePoint now) {
  if (outcome == CallOutcome::succeeded) last_success_ = now;
  auto it = clients_.find(header.client);
  if (it == clients_.end()) {
    if (outcome != CallOutcome::timed_out) return;  // only what waits or polls needs a record
    it = clients_.emplace(header.client, Client{}).first;
  }
  Client& client = it->second;
  client.rank = rank;
  if (was_parked && client.parked > 0) --client.parked;
  if (was_parked && header.timeout_ns < 0 && client.parked_for_ever > 0) --client.parked_for_ever;
  switch (outcome) {
    case CallOutcome::succeeded:
      // Progress: it waits, if at all, from now on (another of its threads may still be parked).
      client.polls.clear();
      client.polling_until = {};
      if (client.parked > 0) {
        client.waiting_since = now;
      } else {
        client.waiting_since.reset();
      }
      return;
    case CallOutcome::timed_out: {
      if (was_parked) client.polling_until = now + polling_grace(header.timeout_ns);
      if (!waiting_since(client, now)) return;  // a nowait call between computations
      PollCount& count = client.polls[{header.object, static_cast<ObjectOp>(header.op)}];
      count.timeout_ns = header.timeout_ns;
      ++count.timed_out;
      return;
    }
    case CallOutcome::failed:
      return;
  }
}

void ClientActivity::forget(std::uint64_t client) { clients_.erase(client); }

void ClientActivity::forget_rank(int rank) {
  std::erase_if(clients_, [rank](const auto& entry) { return entry.second.rank == rank; });
}

std::optional<ClientActivity::TimePoint> ClientActivity::waiting_since(const Client& client,
                                                                       TimePoint now) const {
  if (!client.waiting_since) return std::nullopt;
  if (client.parked == 0 && now > client.polling_until) return std::nullopt;
  return client.waiting_since;
}

std::vector<std::pair<std::uint64_t, ClientActivity::TimePoint>> ClientActivity::waiting(
    TimePoint now) const {
  std::vector<std::pair<std::uint64_t, TimePoint>> result;
  for (const auto& [id, client] : clients_) {
    const auto since = waiting_since(client, now);
    // A wait with a timeout that has not run out yet returns by itself: the program may then do
    // something else. Once it ran out and the client asked again, it polls.
    if (since && (client.parked_for_ever > 0 || !client.polls.empty())) {
      result.emplace_back(id, *since);
    }
  }
  return result;
}

std::vector<ClientActivity::Poll> ClientActivity::polls(TimePoint now) const {
  std::vector<Poll> result;
  for (const auto& [id, client] : clients_) {
    const auto since = waiting_since(client, now);
    if (!since) continue;
    for (const auto& [key, count] : client.polls) {
      result.push_back(
          Poll{id, client.rank, key.first, key.second, count.timeout_ns, count.timed_out, *since});
    }
  }
  std::sort(result.begin(), result.end(), [](const Poll& a, const Poll& b) {
    return std::tie(a.waiting_since, a.client, a.object) <
           std::tie(b.waiting_since, b.client, b.object);
  });
  return result;
}

}  // namespace multirank::detail
