#include "support/redis_server.h"

#include <cstdlib>

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

}  // namespace

RedisServer::RedisServer() : dir_("inflow-redis") {}

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

Status RedisServer::Ping(std::chrono::milliseconds timeout) {
  TcpConnection connection(TcpConnection::Clock::now() + timeout);
  Status status = connection.Connect(host(), port_);
  if (status.ok()) status = connection.WriteAll("*1\r\n$4\r\nPING\r\n");
  std::string reply;
  while (status.ok() && reply.find("\r\n") == std::string::npos) {
    bool eof = false;
    status = connection.Read(&reply, &eof);
    if (status.ok() && eof) status = Status::Error("the connection closed before a reply");
  }
  if (!status.ok()) return Status::Error("PING: " + status.message());
  if (reply != "+PONG\r\n") return Status::Error("PING: unexpected reply " + reply);
  return Status::Ok();
}

}  // namespace inflow::test
