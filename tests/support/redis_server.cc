#include "support/redis_server.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "support/files.h"
#include "support/free_port.h"
#include "support/tcp_connection.h"

namespace inflow::test {
namespace {

constexpr int kPortAttempts = 3;

std::string RedisServerPath() {
  const char* path = std::getenv("INFLOW_REDIS_SERVER");
  return (path != nullptr && *path != '\0') ? path : "/usr/bin/redis-server";
}

// A string argument of redis.conf, quoted.
std::string RedisQuoted(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// The request for `args` in RESP: an array of bulk strings.
std::string RespCommand(const std::vector<std::string>& args) {
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict in
  // `"*" + std::to_string(n)`.
  std::string request = "*";
  request += std::to_string(args.size());
  request += "\r\n";
  for (const std::string& arg : args) {
    request += '$';
    request += std::to_string(arg.size());
    request += "\r\n";
    request += arg;
    request += "\r\n";
  }
  return request;
}

// Reads one reply from `buffer` (refilled from `connection`) into *reply,
// as RedisServer::Command describes, and removes it from `buffer`.
Status ReadReply(TcpConnection* connection, std::string* buffer, std::string* reply) {
  auto fill = [&](size_t want) -> Status {
    while (buffer->size() < want) {
      bool eof = false;
      if (Status status = connection->Read(buffer, &eof); !status.ok()) return status;
      if (eof) return Status::Error("the connection closed before a reply");
    }
    return Status::Ok();
  };
  size_t line_end;
  while ((line_end = buffer->find("\r\n")) == std::string::npos) {
    if (Status status = fill(buffer->size() + 1); !status.ok()) return status;
  }
  std::string line = buffer->substr(0, line_end);
  buffer->erase(0, line_end + 2);
  if (line.empty()) return Status::Error("an empty reply line");
  switch (line[0]) {
    case '+':
    case '-':
    case ':':
      *reply = line.substr(1);
      return Status::Ok();
    case '$': {
      long length = std::stol(line.substr(1));
      if (length < 0) {
        *reply = "(nil)";
        return Status::Ok();
      }
      size_t size = static_cast<size_t>(length);
      if (Status status = fill(size + 2); !status.ok()) return status;
      *reply = buffer->substr(0, size);
      buffer->erase(0, size + 2);
      return Status::Ok();
    }
    default:
      return Status::Error("a reply this helper does not read: " + line);
  }
}

}  // namespace

RedisServer::RedisServer(Options options)
    : options_(std::move(options)), dir_("inflow-redis") {}

RedisServer::~RedisServer() { (void)Stop(); }

Status RedisServer::Start() {
  if (port_ != 0) return Launch();
  // As in InfluxDbServer::Start: the free port may be taken before the
  // server binds it.
  for (int attempt = 1;; ++attempt) {
    if (Status status = ChoosePortAndWriteConfig(); !status.ok()) return status;
    Status status = Launch();
    if (status.ok() || attempt == kPortAttempts ||
        !process_.LogMentions("address already in use")) {
      if (!status.ok()) port_ = 0;
      return status;
    }
  }
}

Status RedisServer::ChoosePortAndWriteConfig() {
  if (Status status = FreePort(&port_); !status.ok()) return status;
  std::string config;
  config += "bind 127.0.0.1\n";
  config += "port " + std::to_string(port_) + "\n";
  config += "dir " + RedisQuoted(dir_.path()) + "\n";
  config += "daemonize no\n";
  config += "save \"\"\n";
  config += "appendonly no\n";
  config += "logfile \"\"\n";  // stdout, which goes to the log file
  if (!options_.password.empty()) {
    config += "requirepass " + RedisQuoted(options_.password) + "\n";
  }
  if (options_.unix_socket) {
    config += "unixsocket " + RedisQuoted(socket_path()) + "\n";
    config += "unixsocketperm 700\n";
  }
  // A fresh log, so that LogMentions sees only this attempt.
  if (Status status = WriteFile(log_path(), ""); !status.ok()) return status;
  return WriteFile(dir_.File("redis.conf"), config);
}

Status RedisServer::Launch() {
  std::vector<std::string> argv = {RedisServerPath(), dir_.File("redis.conf")};
  if (Status status = process_.Start(argv, EnvironmentWithout(""), log_path()); !status.ok()) {
    return status;
  }
  Status ready = process_.WaitUntil([this] { return Ping().ok(); }, kStartTimeout,
                                    "redis-server on port " + std::to_string(port_));
  if (!ready.ok()) process_.Kill();
  return ready;
}

Status RedisServer::Stop(std::chrono::milliseconds timeout) { return process_.Stop(timeout); }

void RedisServer::Kill() { process_.Kill(); }

uint64_t RedisServer::UnreadBytes() const {
  // Lines of "sl local_address rem_address st tx_queue:rx_queue ...", the
  // addresses as HEX_IP:HEX_PORT, state 01 for established.
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // the heading
  char suffix[8];
  std::snprintf(suffix, sizeof suffix, ":%04X", port_);
  uint64_t unread = 0;
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (state != "01" || !local.ends_with(suffix)) continue;
    size_t colon = queues.find(':');
    if (colon != std::string::npos) unread += std::stoull(queues.substr(colon + 1), nullptr, 16);
  }
  return unread;
}

Status RedisServer::Ping(std::chrono::milliseconds timeout) {
  std::string reply;
  if (Status status = Command({"PING"}, &reply, timeout); !status.ok()) {
    return Status::Error("PING: " + status.message());
  }
  if (reply != "PONG") return Status::Error("PING: unexpected reply " + reply);
  return Status::Ok();
}

Status RedisServer::Command(const std::vector<std::string>& args, std::string* reply,
                            std::chrono::milliseconds timeout) {
  TcpConnection connection(TcpConnection::Clock::now() + timeout);
  Status status = connection.Connect(host(), port_);
  std::string buffer;
  if (status.ok() && !options_.password.empty()) {
    status = connection.WriteAll(RespCommand({"AUTH", options_.password}));
    std::string auth;
    if (status.ok()) status = ReadReply(&connection, &buffer, &auth);
    if (status.ok() && auth != "OK") status = Status::Error("AUTH: " + auth);
  }
  if (status.ok()) status = connection.WriteAll(RespCommand(args));
  if (status.ok()) status = ReadReply(&connection, &buffer, reply);
  return status;
}

}  // namespace inflow::test
