// Clock offset estimation against rank 0 along a binomial tree: each rank is measured by a parent
// that already knows its own offset, so all pairs of a level run at once and the whole estimate
// takes log2(ranks) levels of ping-pong instead of one rank after another through rank 0.
#include "profile/clock_sync.hpp"

#include <array>
#include <cstdint>
#include <limits>

#include "wire/communicator.hpp"

namespace multirank::detail {

namespace {
constexpr int rounds = 24;
// Enough once a round trip this short came back after this many rounds: the offset is then
// known within 5 us, far below a task's length, and the remaining rounds (most of the estimate's
// time on an idle node) would sharpen it to no purpose.
constexpr int least_rounds = 4;
constexpr std::int64_t good_round_trip_ns = 10'000;
constexpr int ping_tag = 1;
constexpr int estimate_tag = 2;

/// The largest power of two below `size` (the first level's distance), or 0 for one rank.
int first_distance(int size) {
  int distance = 1;
  while (distance * 2 < size) distance *= 2;
  return size > 1 ? distance : 0;
}

/// Measures `child`'s clock from this rank; returns the child's estimate relative to this rank.
std::array<std::int64_t, 3> measure_child(MPI_Comm comm, int child,
                                          const std::function<std::int64_t()>& now) {
  std::int64_t best_rtt = std::numeric_limits<std::int64_t>::max();
  std::array<std::int64_t, 3> estimate{};  // child's clock at the ping, offset, error
  for (int round = 0; round < rounds; ++round) {
    const std::int64_t sent = now();
    std::int64_t remote = 0;
    check_mpi(MPI_Send(&sent, 1, MPI_INT64_T, child, ping_tag, comm), "MPI_Send");
    check_mpi(MPI_Recv(&remote, 1, MPI_INT64_T, child, ping_tag, comm, MPI_STATUS_IGNORE),
              "MPI_Recv");
    const std::int64_t rtt = now() - sent;
    if (rtt < best_rtt) {
      best_rtt = rtt;
      // The answer was stamped, at best guess, half way through the round trip.
      estimate = {remote, remote - (sent + rtt / 2), rtt / 2};
    }
    if (round + 1 >= least_rounds && best_rtt <= good_round_trip_ns) break;
  }
  return estimate;
}

/// Answers `parent`'s pings until it sends this rank's estimate relative to rank 0 instead (the
/// parent decides how many rounds it needs).
ClockSample answer_parent(MPI_Comm comm, int parent, const std::function<std::int64_t()>& now) {
  for (;;) {
    std::array<std::int64_t, 3> message{};  // a ping's one value, or the estimate's three
    MPI_Status status;
    check_mpi(MPI_Recv(message.data(), 3, MPI_INT64_T, parent, MPI_ANY_TAG, comm, &status),
              "MPI_Recv");
    if (status.MPI_TAG == estimate_tag) return ClockSample{message[0], message[1], message[2]};
    const std::int64_t stamp = now();
    check_mpi(MPI_Send(&stamp, 1, MPI_INT64_T, parent, ping_tag, comm), "MPI_Send");
  }
}

}  // namespace

ClockSample synchronise_clock(MPI_Comm comm, const std::function<std::int64_t()>& now) {
  int rank = 0;
  int size = 1;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  ClockSample mine{now(), 0, 0};
  // At the level of distance d, every rank that is a multiple of 2d (and so already knows its
  // offset) measures rank + d; a rank r joins at the level of its lowest set bit.
  for (int distance = first_distance(size); distance >= 1; distance /= 2) {
    if (rank % (2 * distance) == 0) {
      const int child = rank + distance;
      if (child >= size) continue;
      auto estimate = measure_child(comm, child, now);
      // Offsets and their errors add along the path to rank 0.
      estimate[1] += mine.offset_ns;
      estimate[2] += mine.error_ns;
      check_mpi(MPI_Send(estimate.data(), 3, MPI_INT64_T, child, estimate_tag, comm), "MPI_Send");
    } else if (rank % distance == 0) {
      mine = answer_parent(comm, rank - distance, now);
    }
  }
  return mine;
}

}  // namespace multirank::detail
