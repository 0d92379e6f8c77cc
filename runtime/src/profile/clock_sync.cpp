// Ping-pong clock offset estimation against rank 0, one rank after another.
#include "profile/clock_sync.hpp"

#include <array>
#include <limits>

#include "multirank/detail/communicator.hpp"

namespace multirank::detail {

namespace {
constexpr int rounds = 24;
constexpr int ping_tag = 1;
constexpr int estimate_tag = 2;
}  // namespace

ClockSample synchronise_clock(MPI_Comm comm, const std::function<std::int64_t()>& now) {
  int rank = 0;
  int size = 1;
  check_mpi(MPI_Comm_rank(comm, &rank), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm, &size), "MPI_Comm_size");
  if (rank == 0) {
    for (int peer = 1; peer < size; ++peer) {
      std::int64_t best_rtt = std::numeric_limits<std::int64_t>::max();
      std::array<std::int64_t, 3> estimate{};  // peer's clock at the ping, offset, error
      for (int round = 0; round < rounds; ++round) {
        const std::int64_t sent = now();
        std::int64_t remote = 0;
        check_mpi(MPI_Send(&sent, 1, MPI_INT64_T, peer, ping_tag, comm), "MPI_Send");
        check_mpi(MPI_Recv(&remote, 1, MPI_INT64_T, peer, ping_tag, comm, MPI_STATUS_IGNORE),
                  "MPI_Recv");
        const std::int64_t received = now();
        const std::int64_t rtt = received - sent;
        if (rtt < best_rtt) {
          best_rtt = rtt;
          // The answer was stamped, at best guess, half way through the round trip.
          estimate = {remote, remote - (sent + rtt / 2), rtt / 2};
        }
      }
      check_mpi(MPI_Send(estimate.data(), 3, MPI_INT64_T, peer, estimate_tag, comm), "MPI_Send");
    }
    return ClockSample{now(), 0, 0};
  }
  for (int round = 0; round < rounds; ++round) {
    std::int64_t ping = 0;
    check_mpi(MPI_Recv(&ping, 1, MPI_INT64_T, 0, ping_tag, comm, MPI_STATUS_IGNORE), "MPI_Recv");
    const std::int64_t stamp = now();
    check_mpi(MPI_Send(&stamp, 1, MPI_INT64_T, 0, ping_tag, comm), "MPI_Send");
  }
  std::array<std::int64_t, 3> estimate{};
  check_mpi(MPI_Recv(estimate.data(), 3, MPI_INT64_T, 0, estimate_tag, comm, MPI_STATUS_IGNORE),
            "MPI_Recv");
  return ClockSample{estimate[0], estimate[1], estimate[2]};
}

}  // namespace multirank::detail
