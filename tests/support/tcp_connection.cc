#include "support/tcp_connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace inflow::test {

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) close(fd_);
}

Status TcpConnection::Connect(std::string_view host, uint16_t port) {
  peer_ = std::string(host) + ":" + std::to_string(port);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  if (inet_pton(AF_INET, std::string(host).c_str(), &address.sin_addr) != 1) {
    return Status::Error("cannot connect to " + peer_ + ": not an IPv4 address");
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::Error("cannot create a socket: " + std::string(std::strerror(errno)));
  // sockaddr_in is designed to be passed as a sockaddr.
  if (connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0) {
    return Status::Ok();
  }
  if (errno != EINPROGRESS) {
    return Status::Error("cannot connect to " + peer_ + ": " + std::strerror(errno));
  }
  if (Status status = Await(POLLOUT, "connecting"); !status.ok()) return status;
  int error = 0;
  socklen_t length = sizeof error;
  if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  if (error != 0) return Status::Error("cannot connect to " + peer_ + ": " + std::strerror(error));
  return Status::Ok();
}

Status TcpConnection::WriteAll(std::string_view data) {
  while (!data.empty()) {
    ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (Status status = Await(POLLOUT, "sending"); !status.ok()) return status;
    } else if (errno != EINTR) {
      return Status::Error("cannot send to " + peer_ + ": " + std::strerror(errno));
    }
  }
  return Status::Ok();
}

Status TcpConnection::Read(std::string* out, bool* eof) {
  char buffer[1 << 16];
  while (true) {
    ssize_t n = recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      out->append(buffer, static_cast<size_t>(n));
      *eof = false;
      return Status::Ok();
    }
    if (n == 0) {
      *eof = true;
      return Status::Ok();
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (Status status = Await(POLLIN, "receiving"); !status.ok()) return status;
    } else if (errno != EINTR) {
      return Status::Error("cannot receive from " + peer_ + ": " + std::strerror(errno));
    }
  }
}

Status TcpConnection::Await(short events, std::string_view what) {
  while (true) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      return Status::Error("timed out " + std::string(what) + " (" + peer_ + ")");
    }
    pollfd entry{fd_, events, 0};
    int ready = poll(&entry, 1, static_cast<int>(left.count()));
    if (ready > 0) return Status::Ok();  // errors and hang-ups show in the next call
    if (ready < 0 && errno != EINTR) {
      return Status::Error("poll failed " + std::string(what) + ": " + std::strerror(errno));
    }
  }
}

}  // namespace inflow::test
