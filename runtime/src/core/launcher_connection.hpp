// Each rank's connection to its launcher's PMIx server (mpirun's, or the node daemon's). Open MPI
// 4.1 talks to it over loopback TCP without TCP_NODELAY, and MPI_Finalize writes four small
// requests in a row: Nagle's algorithm holds the second one until the server acknowledges the
// first, and the server delays that acknowledgement (Linux's delayed ACK), so every MPI_Finalize
// waited for a timer, not for work (the trace and timings: apps/bench/startup_results.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace multirank::detail {

/// A TCP endpoint, as numbers: the address as text (dotted IPv4 or IPv6 without brackets).
struct TcpEndpoint {
  std::string address;
  std::uint16_t port = 0;
  bool operator==(const TcpEndpoint&) const = default;
};

/// The TCP endpoint in a PMIx server URI ("NSPACE.RANK;tcp4://127.0.0.1:34515", or tcp6 with
/// "[::1]:port"); nothing for another transport or a URI that is not of that form.
std::optional<TcpEndpoint> pmix_server_endpoint(const std::string& uri);

/// The launcher's PMIx server endpoint from this process's environment (PMIX_SERVER_URI41, 4, 3,
/// 21 or 2, the first set), if it is a TCP one.
std::optional<TcpEndpoint> pmix_server_endpoint_from_environment();

/// This process's sockets (file descriptors) connected to `server`.
std::vector<int> sockets_connected_to(const TcpEndpoint& server);

/// Sets TCP_NODELAY on this process's sockets connected to `server`; returns how many it set (0
/// where the connection is not TCP, e.g. a Unix socket, or not found). Call after MPI_Init.
int set_nodelay_towards(const TcpEndpoint& server);

/// Whether the socket `fd` has TCP_NODELAY set (false for anything that is not a TCP socket).
bool has_nodelay(int fd);

}  // namespace multirank::detail
