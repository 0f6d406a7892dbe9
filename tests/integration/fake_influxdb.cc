#include "fake_influxdb.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string_view>

namespace inflow::test {

struct FakeInfluxDb::Connection {
  int fd = -1;
  size_t id = 0;
  std::string input;         // bytes received and not yet taken as a request
  bool closing = false;      // to be closed: by the client, by "Connection: close", on error
};

namespace {

// A request head beyond this is taken as garbage rather than waited for.
constexpr size_t kMaxHeadBytes = 64 << 10;
// How long one answer may take to go out into a full socket buffer.
constexpr int kSendTimeoutMs = 5'000;

std::string Errno(std::string_view call) {
  return std::string(call) + ": " + std::strerror(errno);
}

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 413:
      return "Request Entity Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string HttpDate() {
  std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[64];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return text;
}

// As InfluxDB 1.8 answers: JSON error bodies with a trailing newline (Go's
// encoder), the version headers on every answer, no body for 204.
std::string AnswerBytes(const FakeInfluxDb::Answer& answer, bool close) {
  std::string body;
  if (!answer.error.empty()) body = "{\"error\":" + JsonString(answer.error) + "}\n";
  std::string out = "HTTP/1.1 " + std::to_string(answer.status) + " " +
                    std::string(Reason(answer.status)) + "\r\n";
  out += "Content-Type: application/json\r\n";
  out += "X-Influxdb-Build: OSS\r\n";
  out += "X-Influxdb-Version: 1.8.10\r\n";
  out += "Date: " + HttpDate() + "\r\n";
  for (const auto& [name, value] : answer.headers) out += name + ": " + value + "\r\n";
  if (close) out += "Connection: close\r\n";
  if (answer.status != 204) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  out += "\r\n";
  return out + body;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](char x, char y) {
    return std::tolower(static_cast<unsigned char>(x)) ==
           std::tolower(static_cast<unsigned char>(y));
  });
}

bool ContainsIgnoringCase(std::string_view text, std::string_view word) {
  for (size_t i = 0; i + word.size() <= text.size(); ++i) {
    if (EqualsIgnoringCase(text.substr(i, word.size()), word)) return true;
  }
  return false;
}

std::string_view Trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Sends all of `bytes` on the non-blocking socket `fd`. False if the client
// has gone (or the socket stays full past kSendTimeoutMs).
bool SendAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      pollfd writable{fd, POLLOUT, 0};
      if (poll(&writable, 1, kSendTimeoutMs) <= 0) return false;
    } else if (errno != EINTR) {
      return false;
    }
  }
  return true;
}

}  // namespace

FakeInfluxDb::FakeInfluxDb(std::vector<Answer> script, Answer after_script)
    : script_(std::move(script)), after_script_(std::move(after_script)) {}

FakeInfluxDb::~FakeInfluxDb() { Stop(); }

std::string FakeInfluxDb::url() const { return "http://127.0.0.1:" + std::to_string(port_); }

Status FakeInfluxDb::Start() {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return Status::Error("FakeInfluxDb: " + Errno("socket"));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  // sockaddr_in is designed to be passed as a sockaddr; the sockets API
  // offers no cast-free way.
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  std::string failed;
  if (bind(listen_fd_, generic, sizeof address) != 0) {
    failed = Errno("bind");
  } else if (listen(listen_fd_, 16) != 0) {
    failed = Errno("listen");
  } else if (getsockname(listen_fd_, generic, &length) != 0) {
    failed = Errno("getsockname");
  } else if (pipe2(wake_fds_, O_CLOEXEC | O_NONBLOCK) != 0) {
    failed = Errno("pipe2");
  }
  if (!failed.empty()) {
    close(listen_fd_);
    listen_fd_ = -1;
    return Status::Error("FakeInfluxDb on 127.0.0.1:0: " + failed);
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread([this] { Serve(); });
  return Status::Ok();
}

void FakeInfluxDb::Stop() {
  if (thread_.joinable()) {
    char byte = 0;
    while (write(wake_fds_[1], &byte, 1) < 0 && errno == EINTR) {
    }
    thread_.join();
  }
  for (int* fd : {&listen_fd_, &wake_fds_[0], &wake_fds_[1]}) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
  }
}

std::vector<FakeInfluxDb::Request> FakeInfluxDb::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

bool FakeInfluxDb::WaitForRequests(size_t count, Clock::time_point deadline) const {
  std::unique_lock lock(mutex_);
  return answered_.wait_until(lock, deadline, [&] { return requests_.size() >= count; });
}

std::string FakeInfluxDb::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

void FakeInfluxDb::NoteProblem(std::string what) {
  std::lock_guard lock(mutex_);
  if (problem_.empty()) problem_ = "FakeInfluxDb: " + std::move(what);
}

// One thread serves every connection: the listening socket, the wake-up
// pipe and each connection are polled together, so a client that opens a
// new connection while an old one is idle is never kept waiting.
void FakeInfluxDb::Serve() {
  while (true) {
    std::vector<pollfd> fds = {{wake_fds_[0], POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (const auto& connection : connections_) fds.push_back({connection->fd, POLLIN, 0});
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      NoteProblem(Errno("poll"));
      break;
    }
    if (fds[0].revents != 0) break;
    // Connections accepted now go after those polled, so fds[2 + i] is
    // still connections_[i].
    size_t polled = connections_.size();
    if (fds[1].revents != 0) Accept();
    for (size_t i = 0; i < polled; ++i) {
      if (fds[2 + i].revents != 0 && !ReadAndAnswer(connections_[i].get())) {
        connections_[i]->closing = true;
      }
    }
    std::erase_if(connections_, [](const std::unique_ptr<Connection>& connection) {
      if (connection->closing) close(connection->fd);
      return connection->closing;
    });
  }
  for (const auto& connection : connections_) close(connection->fd);
  connections_.clear();
}

void FakeInfluxDb::Accept() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) NoteProblem(Errno("accept4"));
      return;
    }
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    connection->id = ++connections_accepted_;
    connections_.push_back(std::move(connection));
  }
}

bool FakeInfluxDb::ReadAndAnswer(Connection* connection) {
  bool open = true;
  char buffer[1 << 16];
  while (true) {
    ssize_t n = recv(connection->fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      connection->input.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || errno == ECONNRESET) {
      open = false;  // the requests complete before the end are still answered
    } else if (errno == EINTR) {
      continue;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK) {
      NoteProblem(Errno("recv"));
      return false;
    }
    break;
  }
  bool answered = true;
  while (answered) {
    if (!AnswerOne(connection, &answered)) return false;
  }
  return open;
}

bool FakeInfluxDb::AnswerOne(Connection* connection, bool* answered) {
  *answered = false;
  const std::string where = "connection " + std::to_string(connection->id) + ": ";
  std::string& input = connection->input;
  size_t head_end = input.find("\r\n\r\n");
  if (head_end == std::string::npos) {
    if (input.size() <= kMaxHeadBytes) return true;
    NoteProblem(where + "no end of the request head in " + std::to_string(input.size()) +
                " bytes");
    return false;
  }
  std::string_view head(input.data(), head_end);
  size_t line_end = std::min(head.find("\r\n"), head.size());
  std::string_view request_line = head.substr(0, line_end);
  size_t first_space = request_line.find(' ');
  size_t last_space = request_line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    NoteProblem(where + "malformed request line: " + std::string(request_line));
    return false;
  }
  Request request;
  request.connection = connection->id;
  request.method = std::string(request_line.substr(0, first_space));
  std::string_view target = request_line.substr(first_space + 1, last_space - first_space - 1);
  std::string_view version = request_line.substr(last_space + 1);
  size_t question = std::min(target.find('?'), target.size());
  request.path = std::string(target.substr(0, question));
  if (question < target.size()) request.query = std::string(target.substr(question + 1));

  size_t content_length = 0;
  bool close_asked = version == "HTTP/1.0";
  std::string_view headers = head.substr(line_end);
  while (!headers.empty()) {
    headers.remove_prefix(std::min<size_t>(2, headers.size()));  // the "\r\n" before each
    size_t end = std::min(headers.find("\r\n"), headers.size());
    std::string_view header = headers.substr(0, end);
    headers.remove_prefix(end);
    size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = Trimmed(header.substr(0, colon));
    std::string_view value = Trimmed(header.substr(colon + 1));
    if (EqualsIgnoringCase(name, "Content-Length")) {
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), content_length);
      if (ec != std::errc() || ptr != value.data() + value.size()) {
        NoteProblem(where + "bad Content-Length: " + std::string(value));
        return false;
      }
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      NoteProblem(where + "Transfer-Encoding is not supported: " + std::string(value));
      return false;
    } else if (EqualsIgnoringCase(name, "Connection")) {
      if (ContainsIgnoringCase(value, "close")) close_asked = true;
      if (ContainsIgnoringCase(value, "keep-alive")) close_asked = false;
    }
  }
  size_t body_start = head_end + 4;
  if (input.size() - body_start < content_length) return true;
  request.received_at = Clock::now();
  request.body = input.substr(body_start, content_length);
  input.erase(0, body_start + content_length);

  // Only this thread appends to requests_, so its size needs no lock here.
  size_t index = requests_.size();
  const Answer& answer = index < script_.size() ? script_[index] : after_script_;
  request.status = answer.status;
  std::string bytes = AnswerBytes(answer, close_asked);
  request.answered_at = Clock::now();
  bool sent = SendAll(connection->fd, bytes);
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(request));
  }
  answered_.notify_all();
  *answered = true;
  return sent && !close_asked;
}

}  // namespace inflow::test
