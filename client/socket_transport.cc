#include "client/socket_transport.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "inflow/batch_lines.h"
#include "inflow/host_port.h"

namespace inflow {
namespace {

using Clock = std::chrono::steady_clock;

// The time a cut line is given to be finished once the deadline has passed.
constexpr std::chrono::seconds kLineGrace{1};
// Connections kept for the next write.
constexpr size_t kMaxIdleConnections = 16;

std::string ErrnoText(const char* call, int error) {
  std::string text = call;
  text += ": ";
  text += std::strerror(error);
  return text;
}

std::string_view WithoutNewline(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// Sends bytes[*sent..] on a non-blocking socket until all are sent or the
// deadline passes.
Status SendUntil(int fd, std::string_view bytes, Deadline deadline, size_t* sent) {
  while (*sent < bytes.size()) {
    const ssize_t n = send(fd, bytes.data() + *sent, bytes.size() - *sent, MSG_NOSIGNAL);
    if (n > 0) {
      *sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return Status::Error("timed out: inflowd takes no more", ETIMEDOUT);
      pollfd waiting{fd, POLLOUT, 0};
      poll(&waiting, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
      continue;
    }
    return Status::Error(ErrnoText("send", errno), errno);
  }
  return Status::Ok();
}

// Keeps in `batch` the lines from byte `sent` on (a line boundary); returns
// the points left out.
uint64_t DropSentLines(Batch* batch, size_t sent) {
  uint64_t points = 0;
  size_t offset = 0;
  for (std::string_view line : SplitPoints(batch->body)) {
    if (offset + line.size() > sent) break;
    offset += line.size();
    ++points;
  }
  batch->body.erase(0, offset);
  batch->points -= points;
  return points;
}

// The end of the line holding byte `sent - 1`: where a cut line ends.
size_t EndOfLineAt(std::string_view body, size_t sent) {
  size_t offset = 0;
  for (std::string_view line : SplitPoints(body)) {
    offset += line.size();
    if (offset >= sent) return offset;
  }
  return body.size();
}

class UnixStreamTransport final : public Transport {
 public:
  UnixStreamTransport(std::string path, std::string tag)
      : path_(std::move(path)), tag_(std::move(tag)) {}

  ~UnixStreamTransport() override {
    for (int fd : idle_) close(fd);
  }

  void Write(const std::string& /*retention_policy*/, std::deque<Batch>* batches,
             Deadline deadline, WriteResult* result) override {
    bool reused = false;
    int fd = Take(&reused);
    while (!batches->empty()) {
      if (fd < 0) {
        Status connected = Connect(&fd);
        if (!connected.ok()) {
          Fail(connected.message(), result);
          return;
        }
      }
      Batch& batch = batches->front();
      size_t sent = 0;
      Status status = SendUntil(fd, batch.body, deadline, &sent);
      if (status.ok()) {
        result->written_points += batch.points;
        batches->pop_front();
        reused = false;
        continue;
      }
      if (sent == 0 && reused && status.sys_errno() != ETIMEDOUT) {
        // A kept connection inflowd had closed (a restart): once more, on
        // a new one.
        close(fd);
        fd = -1;
        reused = false;
        continue;
      }
      std::string what = status.message();
      bool broken = status.sys_errno() != ETIMEDOUT;
      const size_t line_end = EndOfLineAt(batch.body, sent);
      if (sent > 0 && sent < line_end) {
        // Never leave inflowd half a line: it would take it whole at the
        // close.
        Status finished = SendUntil(fd, std::string_view(batch.body).substr(0, line_end),
                                    Clock::now() + kLineGrace, &sent);
        if (!finished.ok()) {
          what += "; a line was cut short (" + finished.message() + ")";
          broken = true;
        }
      }
      result->written_points += DropSentLines(&batch, sent);
      if (broken) {
        close(fd);
      } else {
        GiveBack(fd);
      }
      Fail(what, result);
      return;
    }
    if (fd >= 0) GiveBack(fd);
  }

  const std::string& retention_policy_tag() const override { return tag_; }
  bool writes_retention_policy() const override { return false; }

 private:
  void Fail(const std::string& what, WriteResult* result) const {
    result->error = WriteError::kFailed;
    result->message = "inflowd at unix://" + path_ + ": " + what;
  }

  int Take(bool* reused) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (idle_.empty()) return -1;
    const int fd = idle_.back();
    idle_.pop_back();
    *reused = true;
    return fd;
  }

  void GiveBack(int fd) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (idle_.size() < kMaxIdleConnections) {
        idle_.push_back(fd);
        return;
      }
    }
    close(fd);
  }

  Status Connect(int* out) const {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path_.size() >= sizeof(address.sun_path)) {
      return Status::Error("the socket path is longer than " +
                           std::to_string(sizeof(address.sun_path) - 1) + " bytes");
    }
    std::memcpy(address.sun_path, path_.data(), path_.size());
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return Status::Error(ErrnoText("socket", errno), errno);
    if (connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      const int error = errno;
      close(fd);
      return Status::Error(ErrnoText("connect", error), error);
    }
    *out = fd;
    return Status::Ok();
  }

  const std::string path_;
  const std::string tag_;
  std::mutex mutex_;
  std::vector<int> idle_;
};

class UdpTransport final : public Transport {
 public:
  UdpTransport(int fd, std::string where, std::string tag, size_t max_datagram_bytes)
      : fd_(fd),
        where_(std::move(where)),
        tag_(std::move(tag)),
        max_datagram_bytes_(max_datagram_bytes) {}

  ~UdpTransport() override { close(fd_); }

  void Write(const std::string& /*retention_policy*/, std::deque<Batch>* batches,
             Deadline /*deadline*/, WriteResult* result) override {
    // A connected datagram socket: send() is thread-safe, each datagram
    // goes whole or not at all, and loopback sends do not wait.
    while (!batches->empty()) {
      Batch& batch = batches->front();
      std::string datagram;
      std::string unsent;  // the lines from a failed send on
      uint64_t unsent_points = 0;
      uint64_t points_in_datagram = 0;
      Status failed;
      auto flush = [&] {
        if (datagram.empty()) return;
        if (failed.ok() && send(fd_, datagram.data(), datagram.size(), MSG_NOSIGNAL) < 0) {
          failed = Status::Error(ErrnoText("send", errno), errno);
        }
        if (failed.ok()) {
          result->written_points += points_in_datagram;
        } else {
          unsent += datagram;
          unsent_points += points_in_datagram;
        }
        datagram.clear();
        points_in_datagram = 0;
      };
      for (std::string_view line : SplitPoints(batch.body)) {
        if (line.size() > max_datagram_bytes_) {
          ++result->refused_points;
          result->refused_lines.push_back(
              {std::string(WithoutNewline(line)),
               "larger than a datagram (" + std::to_string(line.size()) + " bytes, at most " +
                   std::to_string(max_datagram_bytes_) + ")"});
          continue;
        }
        if (datagram.size() + line.size() > max_datagram_bytes_) flush();
        datagram.append(line);
        ++points_in_datagram;
      }
      flush();
      if (!failed.ok()) {
        batch.body = std::move(unsent);
        batch.points = unsent_points;
        result->error = WriteError::kFailed;
        result->message = "inflowd at " + where_ + ": " + failed.message();
        return;
      }
      batches->pop_front();
    }
  }

  const std::string& retention_policy_tag() const override { return tag_; }
  bool writes_retention_policy() const override { return false; }

 private:
  const int fd_;
  const std::string where_;
  const std::string tag_;
  const size_t max_datagram_bytes_;
};

// Splits "?retention_policy_tag=TAG" off *rest.
Status TakeQuery(std::string_view url, std::string_view* rest, std::string* tag) {
  const size_t question = rest->find('?');
  if (question == std::string_view::npos) return Status::Ok();
  std::string_view query = rest->substr(question + 1);
  *rest = rest->substr(0, question);
  constexpr std::string_view kKey = "retention_policy_tag=";
  if (!query.starts_with(kKey) || query.size() == kKey.size() ||
      query.find_first_of("&=", kKey.size()) != std::string_view::npos) {
    return Status::Error(std::string(url) +
                         ": the only query is ?retention_policy_tag=TAG, not '" +
                         std::string(query) + "'");
  }
  *tag = std::string(query.substr(kKey.size()));
  return Status::Ok();
}

Status MakeUdp(std::string_view url, std::string_view authority, std::string tag,
               const ClientOptions& options, std::unique_ptr<Transport>* out) {
  std::string host;
  uint16_t port = 0;
  Status status = ParseHostPort(authority, &host, &port);
  if (!status.ok()) return Status::Error(std::string(url) + " has " + status.message());
  if (port == 0) return Status::Error(std::string(url) + " has no port (udp://host:8089)");
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  const int error = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (error != 0) {
    return Status::Error(std::string(url) + ": cannot resolve " + host + ": " +
                         gai_strerror(error));
  }
  const int fd = socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
    const int saved = errno;
    if (fd >= 0) close(fd);
    freeaddrinfo(found);
    return Status::Error(std::string(url) + ": " + ErrnoText("socket", saved), saved);
  }
  freeaddrinfo(found);
  *out = std::make_unique<UdpTransport>(fd, std::string(url), std::move(tag),
                                        options.max_datagram_bytes);
  return Status::Ok();
}

}  // namespace

Status MakeSocketTransport(std::string_view url, const ClientOptions& options,
                           std::unique_ptr<Transport>* out) {
  std::string tag;
  if (url.starts_with("unix://")) {
    std::string_view path = url.substr(std::string_view("unix://").size());
    if (Status status = TakeQuery(url, &path, &tag); !status.ok()) return status;
    if (!path.starts_with('/')) {
      return Status::Error(std::string(url) +
                           " names no absolute socket path (unix:///run/inflowd/inflowd.sock)");
    }
    *out = std::make_unique<UnixStreamTransport>(std::string(path), std::move(tag));
    return Status::Ok();
  }
  std::string_view authority = url.substr(std::string_view("udp://").size());
  if (Status status = TakeQuery(url, &authority, &tag); !status.ok()) return status;
  if (options.max_datagram_bytes == 0 || options.max_datagram_bytes > 65507) {
    return Status::Error("max_datagram_bytes must be 1 to 65507, not " +
                         std::to_string(options.max_datagram_bytes));
  }
  return MakeUdp(url, authority, std::move(tag), options, out);
}

}  // namespace inflow
