// Timeout: how long a blocking call may wait. Every blocking call of multirank takes one, so a
// program can always bound its waits (futures, queues, pipes, locks, joins).
#pragma once

#include <chrono>
#include <optional>

#include "multirank/detail/deadline.hpp"

namespace multirank {

/// How long a blocking call may wait: nothing (the default) waits for ever; any
/// std::chrono::duration sets a limit (`future.result(2s)`, `queue.get(100ms)`).
class Timeout {
 public:
  Timeout() = default;
  /// A limit of `limit` from now (`2s`, `100ms`).
  template <class Rep, class Period>
  Timeout(std::chrono::duration<Rep, Period> limit)  // NOLINT: implicit by design
      : limit_(std::chrono::duration_cast<detail::Clock::duration>(limit)) {}

  /// When the limit passes, from now; none without a limit.
  detail::Deadline deadline() const {
    if (!limit_) return std::nullopt;
    return detail::Clock::now() + *limit_;
  }
  /// The limit, if any.
  const std::optional<detail::Clock::duration>& limit() const noexcept { return limit_; }

 private:
  std::optional<detail::Clock::duration> limit_;
};

}  // namespace multirank
