// TCP_NODELAY on the connection to the launcher's PMIx server (see launcher_connection.hpp).
#include "core/launcher_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <vector>

namespace multirank::detail {

namespace {

/// The peer of socket `fd` as an endpoint, if it is a connected TCP socket over IPv4 or IPv6.
std::optional<TcpEndpoint> peer_of(int fd) {
  sockaddr_storage peer{};
  socklen_t length = sizeof(peer);
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) return std::nullopt;
  char text[INET6_ADDRSTRLEN] = {};
  if (peer.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(peer);
    if (inet_ntop(AF_INET, &v4.sin_addr, text, sizeof(text)) == nullptr) return std::nullopt;
    return TcpEndpoint{text, ntohs(v4.sin_port)};
  }
  if (peer.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(peer);
    if (inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof(text)) == nullptr) return std::nullopt;
    return TcpEndpoint{text, ntohs(v6.sin6_port)};
  }
  return std::nullopt;
}

}  // namespace

std::optional<TcpEndpoint> pmix_server_endpoint(const std::string& uri) {
  const auto scheme = uri.find("://");
  if (scheme == std::string::npos) return std::nullopt;
  const auto separator = uri.rfind(';', scheme);
  const std::size_t begins = separator == std::string::npos ? 0 : separator + 1;
  const std::string transport = uri.substr(begins, scheme - begins);
  if (transport != "tcp4" && transport != "tcp6" && transport != "tcp") return std::nullopt;
  const std::string rest = uri.substr(scheme + 3);
  std::string address;
  std::string port;
  if (!rest.empty() && rest.front() == '[') {
    const auto closing = rest.find("]:");
    if (closing == std::string::npos) return std::nullopt;
    address = rest.substr(1, closing - 1);
    port = rest.substr(closing + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    address = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
    return std::nullopt;
  }
  // Written the way getpeername's address will be (IPv6 has several spellings of one address).
  const int family = address.find(':') == std::string::npos ? AF_INET : AF_INET6;
  unsigned char binary[sizeof(in6_addr)] = {};
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_pton(family, address.c_str(), binary) != 1 ||
      inet_ntop(family, binary, text, sizeof(text)) == nullptr) {
    return std::nullopt;
  }
  return TcpEndpoint{text, static_cast<std::uint16_t>(value)};
}

std::optional<TcpEndpoint> pmix_server_endpoint_from_environment() {
  for (const char* name : {"PMIX_SERVER_URI41", "PMIX_SERVER_URI4", "PMIX_SERVER_URI3",
                           "PMIX_SERVER_URI21", "PMIX_SERVER_URI2"}) {
    if (const char* value = std::getenv(name)) return pmix_server_endpoint(value);
  }
  return std::nullopt;
}

std::vector<int> sockets_connected_to(const TcpEndpoint& server) {
  std::vector<int> sockets;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    const std::string name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc()) continue;
    if (peer_of(fd) == server) sockets.push_back(fd);
  }
  return sockets;
}

int set_nodelay_towards(const TcpEndpoint& server) {
  int set = 0;
  for (const int fd : sockets_connected_to(server)) {
    const int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0) ++set;
  }
  return set;
}

bool has_nodelay(int fd) {
  int value = 0;
  socklen_t length = sizeof(value);
  return getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &value, &length) == 0 && value != 0;
}

}  // namespace multirank::detail
