// The rank's connection to the launcher's PMIx server: its TCP endpoint read from the URI Open MPI
// passes, and TCP_NODELAY set on it once the Runtime is up (MPI_Finalize's 40 ms wait otherwise).
#include <catch2/catch.hpp>

#include "core/launcher_connection.hpp"

using multirank::detail::pmix_server_endpoint;
using multirank::detail::TcpEndpoint;

TEST_CASE("the PMIx server's endpoint is read from its URI", "[launcher]") {
  SECTION("an IPv4 TCP URI") {
    CHECK(pmix_server_endpoint("2101805056.0;tcp4://127.0.0.1:34515") ==
          TcpEndpoint{"127.0.0.1", 34515});
  }
  SECTION("an IPv6 TCP URI, in brackets, written as getpeername writes it") {
    CHECK(pmix_server_endpoint("1.0;tcp6://[0:0:0:0:0:0:0:1]:4000") == TcpEndpoint{"::1", 4000});
  }
  SECTION("another transport or a malformed URI gives nothing") {
    CHECK_FALSE(pmix_server_endpoint("1.0;usock:///tmp/pmix-1234"));
    CHECK_FALSE(pmix_server_endpoint("1.0;tcp4://127.0.0.1"));
    CHECK_FALSE(pmix_server_endpoint("1.0;tcp4://127.0.0.1:0"));
    CHECK_FALSE(pmix_server_endpoint("1.0;tcp4://127.0.0.1:70000"));
    CHECK_FALSE(pmix_server_endpoint("1.0;tcp4://127.0.0.1:80x"));
    CHECK_FALSE(pmix_server_endpoint("1.0;tcp4://localhost:80"));
    CHECK_FALSE(pmix_server_endpoint("1.0;tcp6://[::1:80"));
    CHECK_FALSE(pmix_server_endpoint(""));
  }
}

TEST_CASE("under mpirun the connection to the PMIx server has TCP_NODELAY", "[launcher]") {
  const auto server = multirank::detail::pmix_server_endpoint_from_environment();
  // Open MPI's mpirun serves PMIx over loopback TCP: the variable is there and names it.
  REQUIRE(server);
  const auto sockets = multirank::detail::sockets_connected_to(*server);
  REQUIRE_FALSE(sockets.empty());
  for (const int fd : sockets) CHECK(multirank::detail::has_nodelay(fd));
}
