// What each caller of the shared objects has been doing lately, for the watchdog: whether it has
// been waiting without a break (a call parked, or polling with timeouts that keep expiring) and
// since when, which of its polls timed out meanwhile, and when any call last succeeded. Pure
// bookkeeping, fed by the ObjectTable as it parks and answers calls.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "multirank/detail/object_protocol.hpp"

namespace multirank::detail {

/// How an answered call ended, as far as telling a stuck job from a slow one goes.
enum class CallOutcome : std::uint8_t {
  succeeded,  // it did what it asked for: the job moves
  timed_out,  // its wait ran out (Empty, Full, false from acquire/wait/join...)
  failed,     // an error the caller will act on (EOF, broken pipe or barrier, misuse)
};

class ClientActivity {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;  // the ObjectTable's clock

  /// A call of `header.client` (running on `rank`) was parked; it arrived at `since`.
  void parked(const ObjectRequestHeader& header, int rank, TimePoint since);
  /// A call of `header.client` was answered at `now`; `was_parked` when it had waited.
  void answered(const ObjectRequestHeader& header, int rank, bool was_parked, CallOutcome outcome,
                TimePoint now);
  /// Forgets a client that is gone: a process that ended, or every client of a lost rank.
  void forget(std::uint64_t client);
  void forget_rank(int rank);

  /// The clients waiting now (a call parked, or the last one timed out so recently that it is
  /// taken to be polling again) that will not stop by themselves: a call of theirs waits without
  /// a timeout, or a wait of theirs already ran out and they asked again. Each with when it began
  /// waiting without a break.
  std::vector<std::pair<std::uint64_t, TimePoint>> waiting(TimePoint now) const;
  /// When a call last succeeded; the clock's epoch if none has.
  TimePoint last_success() const noexcept { return last_success_; }

  /// The polls of one waiting client on one object: the same operation, timing out again and
  /// again since the client began waiting.
  struct Poll {
    std::uint64_t client;
    int rank;
    std::uint64_t object;
    ObjectOp op;
    std::int64_t timeout_ns;  // the last one's; 0: a call that did not wait (nowait)
    std::uint64_t timed_out;
    TimePoint waiting_since;
  };
  std::vector<Poll> polls(TimePoint now) const;

 private:
  struct PollCount {
    std::int64_t timeout_ns = 0;
    std::uint64_t timed_out = 0;
  };
  struct Client {
    int rank = 0;
    std::uint32_t parked = 0;                // its calls parked now
    std::uint32_t parked_for_ever = 0;       // those of them without a timeout
    std::optional<TimePoint> waiting_since;  // the start of its current stretch of waiting
    TimePoint polling_until{};               // after a timed-out wait: counts as waiting until
    std::map<std::pair<std::uint64_t, ObjectOp>, PollCount> polls;  // this stretch's time-outs
  };
  /// The start of the client's current stretch of waiting, if it waits now.
  std::optional<TimePoint> waiting_since(const Client& client, TimePoint now) const;

  std::unordered_map<std::uint64_t, Client> clients_;
  TimePoint last_success_{};
};

}  // namespace multirank::detail
