// Estimating each rank's clock offset against rank 0 by ping-pong, as NTP does within a job:
// a parent stamps a ping, the rank answers with its own clock, and of several round trips the
// shortest gives the estimate, within half its length; ranks are measured along a binomial tree.
#pragma once

#include <mpi.h>

#include <functional>

#include "recording/profile_log.hpp"

namespace multirank::detail {

/// Collective over `comm`: every rank returns its own estimate (rank 0's is offset 0, error 0).
/// `now` is the rank's profile clock.
ClockSample synchronise_clock(MPI_Comm comm, const std::function<std::int64_t()>& now);

}  // namespace multirank::detail
