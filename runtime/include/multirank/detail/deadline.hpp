// The clock every wait of multirank measures against, and a deadline on it: what a Timeout turns
// into, kept apart from the engine so that timeout.hpp (included by every blocking call's header)
// needs nothing else.
#pragma once

#include <chrono>
#include <optional>

namespace multirank::detail {

using Clock = std::chrono::steady_clock;
/// When a wait gives up; none: never.
using Deadline = std::optional<Clock::time_point>;

}  // namespace multirank::detail
