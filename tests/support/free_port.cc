#include "support/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace inflow::test {

Status FreePort(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(std::string("FreePort: socket: ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof address;
  // sockaddr_in is designed to be passed as a sockaddr; the sockets API
  // offers no cast-free way.
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  const char* failed = nullptr;
  if (bind(fd, generic, sizeof address) != 0) {
    failed = "bind";
  } else if (getsockname(fd, generic, &length) != 0) {
    failed = "getsockname";
  }
  int error = errno;
  close(fd);
  if (failed != nullptr) {
    return Status::Error(std::string("FreePort: ") + failed + ": " + std::strerror(error));
  }
  *port = ntohs(address.sin_port);
  return Status::Ok();
}

}  // namespace inflow::test
