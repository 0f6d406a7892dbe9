// RedisClient: JSON values stored in and read from a Redis server, the
// seed's RedisClient (save_in_redis, safe_read_from_redis,
// save_in_redis_with_expiration), on hiredis's synchronous API.
//
// This is the client for programs and the `inflow` tool: each call blocks
// until the server answers or a timeout passes. inflowd's last-value cache
// does not use it (it runs on the daemon's loop, with hiredis's async API).
//
// Values are JSON text, stored as Redis strings byte for byte: Save refuses
// text that is not exactly one JSON value, and Read refuses a stored string
// that is not, so that a key holding something else is reported, not
// passed on.
//
// Every error names the server (RedisAddress::Name) and the command, e.g.
// "Redis 127.0.0.1:6379: GET 'k': WRONGTYPE Operation against a key...".
//
// Thread: not thread-safe. Use one RedisClient per thread (or guard one
// with a lock of your own); a client may move between threads between
// calls.

#ifndef INFLOW_REDIS_CLIENT_H_
#define INFLOW_REDIS_CLIENT_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/redis_url.h"
#include "inflow/redis_value.h"
#include "inflow/status.h"

struct redisContext;

namespace inflow {

struct RedisOptions {
  RedisAddress address;
  // How long connecting (TCP or unix socket) may take.
  std::chrono::milliseconds connect_timeout{2000};
  // How long one command may wait for the server to read it and answer.
  std::chrono::milliseconds command_timeout{2000};
};

class RedisClient {
 public:
  // Connects to options.address, then sends AUTH when a password is given
  // and SELECT when db is not 0. On success sets *client. On failure
  // (connection refused, timeout, AUTH or SELECT refused) returns an error
  // naming the server and the step, and leaves *client unchanged.
  // REQUIRES: both timeouts are longer than 0.
  static Status Connect(const RedisOptions& options, std::unique_ptr<RedisClient>* client);

  // As Connect, with the address RedisAddressFromEnvironment finds through
  // `getenv` (the process's environment by default) and default timeouts.
  static Status FromEnvironment(std::unique_ptr<RedisClient>* client,
                                const GetEnvironment& getenv = nullptr);

  // Whether `json` is exactly one JSON value (surrounding white space
  // allowed). OK, or an error naming simdjson's reason. Save checks this;
  // callers may check first, e.g. to tell a bad value from a server error.
  static Status CheckJson(std::string_view json);

  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // SET key json: stores `json` under `key` (any bytes), replacing any
  // value and removing any expiry the key had. If `json` is not one JSON
  // value, returns CheckJson's error (prefixed with the key) and sends
  // nothing. On a server or connection error returns it.
  Status Save(std::string_view key, std::string_view json);

  // As Save, with SET ... EX: the key expires after `expiration`.
  // REQUIRES (else an error, and nothing is sent): expiration > 0s.
  Status SaveWithExpiration(std::string_view key, std::string_view json,
                            std::chrono::seconds expiration);

  // GET key. On success sets *json to the stored text, or to std::nullopt
  // when the key does not exist (not an error). Returns an error, leaving
  // *json unchanged, when the key holds another Redis type (the server's
  // WRONGTYPE), when the stored string is not one JSON value, and on a
  // server or connection error.
  Status Read(std::string_view key, std::optional<std::string>* json);

  // Sends `commands` (each an argv) pipelined and reads their replies, one
  // per command, in order, into *replies; a server's error reply is a
  // RedisValue of kind kError there, not an error. Returns an error (and
  // *replies is then unspecified) when the connection fails. A connection
  // broken before the first reply is opened again and everything sent once
  // more, so send only commands that may run twice (reads, idempotent
  // writes).
  Status Pipeline(std::span<const std::vector<std::string>> commands,
                  std::vector<RedisValue>* replies);

  const RedisOptions& options() const { return options_; }

 private:
  struct ContextFree {
    void operator()(redisContext* context) const;
  };
  using Context = std::unique_ptr<redisContext, ContextFree>;

  explicit RedisClient(const RedisOptions& options) : options_(options) {}

  // Opens context_: connects, sets the command timeout, AUTH, SELECT.
  Status Open();

  class Reply;
  // Sends one command (argv; `name` for errors) and reads its answer into
  // *reply. A connection that broke since the last command (EOF, reset) is
  // opened again and the command sent once more; a timeout is not retried.
  // After any I/O error the connection is dropped, to be opened again by
  // the next command. Server error replies are returned as *reply, not as
  // an error.
  Status Run(std::string_view name, std::initializer_list<std::string_view> argv, Reply* reply);
  // Runs `once` (which sets *broken when the connection broke under it),
  // opening the connection first, and again on a fresh connection once if a
  // kept connection broke; errors are prefixed with the server and `name`.
  Status Retried(std::string_view name, const std::function<Status(bool*)>& once);
  Status PipelineOnce(std::span<const std::vector<std::string>> commands,
                      std::vector<RedisValue>* replies, bool* broken);
  // After a command failed on the connection: drops it, sets *broken when
  // the connection was broken (not a timeout), returns hiredis's error.
  Status Failed(int saved_errno, bool* broken);
  Status RunOnce(std::initializer_list<std::string_view> argv, Reply* reply, bool* broken);
  Status Set(std::string_view key, std::string_view json, std::string_view expire_seconds);
  std::string Prefix(std::string_view command) const;

  RedisOptions options_;
  Context context_;
};

}  // namespace inflow

#endif  // INFLOW_REDIS_CLIENT_H_
