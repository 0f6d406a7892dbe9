// RedisServer: a real redis-server for one test or suite, on loopback, with
// its folder in a temporary folder.
//
// The binary is $INFLOW_REDIS_SERVER, or /usr/bin/redis-server. The
// generated config (redis.conf in dir()) binds a free port on 127.0.0.1,
// turns persistence off (no RDB snapshots, no AOF), runs in the foreground
// and logs to log_path(). Options add a password (requirepass) and a unix
// socket (unixsocket, beside the TCP port).
//
// Thread: one thread at a time; start it from the test's main thread (see
// ChildProcess).

#ifndef INFLOW_TESTS_SUPPORT_REDIS_SERVER_H_
#define INFLOW_TESTS_SUPPORT_REDIS_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "inflow/status.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace inflow::test {

class RedisServer {
 public:
  static constexpr std::chrono::milliseconds kStartTimeout{30'000};
  static constexpr std::chrono::milliseconds kStopTimeout{15'000};

  struct Options {
    // When not empty, the server requires it (requirepass); Ping and
    // Command send AUTH first.
    std::string password;
    // Whether the server also listens on socket_path().
    bool unix_socket = false;
  };

  // Creates the folder; does not start the server.
  RedisServer() : RedisServer(Options{}) {}
  explicit RedisServer(Options options);
  // Stops the server if it runs; then removes the folder.
  ~RedisServer();

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts redis-server and waits until PING answers PONG. The first call
  // chooses the port and writes the config, trying another port if one was
  // taken first; later calls restart on the same port (with an empty
  // dataset, as nothing is persisted). On failure returns an error with the
  // end of the log, and the server it tried to start is not left running. If
  // the server already runs, returns an error and leaves it running.
  Status Start();

  // SIGTERM, then SIGKILL if the server has not exited after `timeout`.
  // Returns an error if it had to be killed. No-op if not running.
  Status Stop(std::chrono::milliseconds timeout = kStopTimeout);

  // SIGKILL. No-op if not running.
  void Kill();

  bool running() { return process_.running(); }
  pid_t pid() const { return process_.pid(); }

  // The port; 0 before the first Start.
  uint16_t port() const { return port_; }
  std::string host() const { return "127.0.0.1"; }

  const std::string& dir() const { return dir_.path(); }
  std::string log_path() const { return dir_.File("redis.log"); }
  // The end of the log, for failure messages.
  std::string LogTail(size_t max_bytes = 4096) const { return process_.LogTail(max_bytes); }

  // The unix socket, when Options::unix_socket; its path either way.
  std::string socket_path() const { return dir_.File("redis.sock"); }
  const std::string& password() const { return options_.password; }

  // The bytes clients have sent the server over TCP that it has not read
  // yet: the receive queues of its established sockets (/proc/net/tcp).
  // What a server stopped with SIGSTOP, or one holding clients back, has
  // been sent. 0 if the table cannot be read.
  uint64_t UnreadBytes() const;

  // Sends PING; OK if the answer is +PONG, else an error naming what came
  // back or what failed.
  Status Ping(std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

  // Sends one command (`args`, each a bulk string) over TCP on a connection
  // of its own, after AUTH when there is a password, so that tests look at
  // the server independently of the client under test. Sets *reply to the
  // reply as text: a simple string, error or integer as its line without
  // the type byte ("OK", "ERR ...", "42"), a bulk string as its contents,
  // a nil bulk string as "(nil)". Arrays are not read (an error). On an
  // I/O failure, or an error answer to AUTH, returns an error.
  Status Command(const std::vector<std::string>& args, std::string* reply,
                 std::chrono::milliseconds timeout = std::chrono::milliseconds(1000));

 private:
  Status ChoosePortAndWriteConfig();
  Status Launch();

  Options options_;
  TempDir dir_;
  ChildProcess process_;
  uint16_t port_ = 0;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_REDIS_SERVER_H_
