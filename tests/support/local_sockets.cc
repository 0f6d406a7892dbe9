#include "support/local_sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/sockios.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace inflow::test {
namespace {

std::string Errno(std::string_view what) { return std::string(what) + ": " + std::strerror(errno); }

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  return address;
}

// Fills *address for `path`; false if the path is too long for sun_path.
bool UnixAddress(const std::string& path, sockaddr_un* address) {
  *address = sockaddr_un{};
  address->sun_family = AF_UNIX;
  if (path.size() >= sizeof address->sun_path) return false;
  std::memcpy(address->sun_path, path.c_str(), path.size() + 1);
  return true;
}

// The sockets API takes every address family's struct as a sockaddr; there
// is no cast-free way.
template <typename Address>
const sockaddr* Generic(const Address* address) {
  return reinterpret_cast<const sockaddr*>(address);
}

// Sends one datagram on a new socket of `domain` to `address`.
template <typename Address>
Status SendDatagram(int domain, const Address& address, std::string_view datagram,
                    const std::string& destination) {
  int fd = socket(domain, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(Errno("cannot create a datagram socket"));
  ssize_t n;
  do {
    n = sendto(fd, datagram.data(), datagram.size(), 0, Generic(&address), sizeof address);
  } while (n < 0 && errno == EINTR);
  Status status = Status::Ok();
  if (n < 0) {
    status = Status::Error(Errno("cannot send a datagram to " + destination));
  } else if (static_cast<size_t>(n) != datagram.size()) {
    status = Status::Error("sent " + std::to_string(n) + " of " + std::to_string(datagram.size()) +
                           " bytes to " + destination);
  }
  close(fd);
  return status;
}

}  // namespace

Status FreeUdpPort(uint16_t* port) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Status::Error(Errno("FreeUdpPort: socket"));
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  auto* generic = reinterpret_cast<sockaddr*>(&address);  // as in Generic
  const char* failed = nullptr;
  if (bind(fd, generic, sizeof address) != 0) {
    failed = "FreeUdpPort: bind";
  } else if (getsockname(fd, generic, &length) != 0) {
    failed = "FreeUdpPort: getsockname";
  }
  Status status = failed != nullptr ? Status::Error(Errno(failed)) : Status::Ok();
  close(fd);
  if (status.ok()) *port = ntohs(address.sin_port);
  return status;
}

Status SendUdpDatagram(uint16_t port, std::string_view datagram) {
  return SendDatagram(AF_INET, Loopback(port), datagram, "127.0.0.1:" + std::to_string(port));
}

Status SendUnixDatagram(const std::string& path, std::string_view datagram) {
  sockaddr_un address;
  if (!UnixAddress(path, &address)) return Status::Error("socket path too long: " + path);
  return SendDatagram(AF_UNIX, address, datagram, path);
}

UnixStreamConnection::~UnixStreamConnection() { Close(); }

Status UnixStreamConnection::Connect(const std::string& path) {
  path_ = path;
  sockaddr_un address;
  if (!UnixAddress(path, &address)) return Status::Error("socket path too long: " + path);
  // Blocking: connecting to a listening Unix socket completes or fails at
  // once (a full backlog fails with EAGAIN rather than waiting).
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::Error(Errno("cannot create a Unix stream socket"));
  int result;
  do {
    result = connect(fd_, Generic(&address), sizeof address);
  } while (result != 0 && errno == EINTR);
  if (result != 0) {
    Status status = Status::Error(Errno("cannot connect to " + path));
    Close();
    return status;
  }
  return Status::Ok();
}

Status UnixStreamConnection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return Status::Error(Errno("cannot send to " + path_));
    }
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) return Status::Error("timed out sending to " + path_);
    pollfd entry{fd_, POLLOUT, 0};
    if (poll(&entry, 1, static_cast<int>(left.count())) < 0 && errno != EINTR) {
      return Status::Error(Errno("poll failed sending to " + path_));
    }
  }
  return Status::Ok();
}

void UnixStreamConnection::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

StreamSender::~StreamSender() { Close(); }

Status StreamSender::Connect(const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.size() >= sizeof address.sun_path) return Status::Error("path too long: " + path);
  std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
  fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) return Status::Error(Errno("cannot create a Unix stream socket"));
  // The sockets API takes every address family's struct as a sockaddr.
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    Status status = Status::Error(Errno("cannot connect to " + path));
    Close();
    return status;
  }
  return Status::Ok();
}

Status StreamSender::Send(std::string_view data, std::chrono::milliseconds stall,
                          Clock::time_point deadline, size_t* sent) {
  using std::chrono::milliseconds;
  size_t done = 0;
  Status status = Status::Ok();
  while (done < data.size() && Clock::now() < deadline) {
    ssize_t n = send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      status = Status::Error(Errno("send"));
      break;
    }
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    pollfd entry{fd_, POLLOUT, 0};
    int ready = poll(&entry, 1, static_cast<int>(std::clamp(left, milliseconds(1), stall).count()));
    if (ready == 0 && left >= stall) break;  // stalled
    if (ready < 0 && errno != EINTR) {
      status = Status::Error(Errno("poll"));
      break;
    }
  }
  *sent += done;
  return status;
}

Status StreamSender::Unread(size_t* bytes) const {
  int queued = 0;
  if (ioctl(fd_, SIOCOUTQ, &queued) != 0) return Status::Error(Errno("ioctl SIOCOUTQ"));
  *bytes = static_cast<size_t>(queued);
  return Status::Ok();
}

void StreamSender::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

}  // namespace inflow::test
