#include "listeners/socket_address.h"

#include <netdb.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace inflow::daemon {

Status ResolveHostPort(std::string_view text, int socktype, sockaddr_storage* address,
                       socklen_t* length) {
  std::string host;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return Status::Error("address \"" + std::string(text) + "\": expected [ipv6]:port");
    }
    host.assign(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::Error("address \"" + std::string(text) + "\": expected host:port");
    }
    host.assign(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (host.empty() || port.empty() || port.find_first_not_of("0123456789") != port.npos ||
      port.size() > 5 || std::stoul(std::string(port)) > 65535) {
    return Status::Error("address \"" + std::string(text) + "\": expected host:port");
  }
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = socktype;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  struct addrinfo* result = nullptr;
  std::string port_text(port);
  int rc = getaddrinfo(host.c_str(), port_text.c_str(), &hints, &result);
  if (rc != 0) {
    return Status::Error("address \"" + std::string(text) + "\": " + gai_strerror(rc));
  }
  std::memcpy(address, result->ai_addr, result->ai_addrlen);
  *length = result->ai_addrlen;
  freeaddrinfo(result);
  return Status::Ok();
}

Status PrepareUnixSocketPath(const std::string& path, int socktype) {
  struct sockaddr_un address = {};
  if (path.empty() || path.size() >= sizeof(address.sun_path)) {
    return Status::Error("socket path \"" + path + "\": empty or longer than " +
                         std::to_string(sizeof(address.sun_path) - 1) + " bytes");
  }
  struct stat info;
  if (lstat(path.c_str(), &info) != 0) {
    if (errno == ENOENT) return Status::Ok();
    return Status::Error("socket path \"" + path + "\": " + std::strerror(errno));
  }
  if (!S_ISSOCK(info.st_mode)) {
    return Status::Error("socket path \"" + path + "\": exists and is not a socket");
  }
  // A socket file outlives its server. Remove it only if nobody answers.
  address.sun_family = AF_UNIX;
  std::memcpy(address.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, socktype | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("socket: ") + std::strerror(errno));
  int rc = connect(fd, reinterpret_cast<struct sockaddr*>(&address), sizeof(address));
  int connect_errno = errno;
  close(fd);
  if (rc == 0) {
    return Status::Error("socket path \"" + path + "\": in use by a running server");
  }
  if (connect_errno != ECONNREFUSED) {
    return Status::Error("socket path \"" + path + "\": " + std::strerror(connect_errno));
  }
  if (unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Status::Error("socket path \"" + path + "\": cannot remove the stale socket: " +
                         std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace inflow::daemon
