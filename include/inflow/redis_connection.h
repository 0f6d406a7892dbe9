// RedisConnection: one connection to a Redis server on a libuv loop, on
// hiredis's async API and a libuv adapter like the one hiredis ships (but
// that a reset connection is seen at once: io/redis_connection.cc). inflowd's
// last-value cache writes through it, and its GET /last reads through it.
//
// It connects at Start (AUTH and SELECT first, when the address asks for
// them), and whenever the connection is lost it connects again after a
// backoff (capped exponential, full jitter: backoff.h), for as long as it
// lives; on_state tells the owner each time it comes up or goes down, with
// the reason. Connecting, and each answer, may take `timeout`: a server
// that does not answer in time (hung, or stopped with SIGSTOP) has its
// connection dropped and made again.
//
// Commands are pipelined: Send queues one and returns at once; its `done`
// runs once, on the loop and never inside Send, with the reply (an error
// reply such as NOSCRIPT is a reply, kind kError, with an OK status), or
// with an error status when the connection was lost, timed out or closed
// before the answer. A command whose answer was lost may or may not have
// run: callers send only what is safe to send again.
//
// The host name is resolved by hiredis with a blocking getaddrinfo; give an
// address or a name in /etc/hosts (or a unix socket).
//
// Ownership: the owner runs the loop; Close, then let the loop run until
// on_closed, before destroying it (checked: handle_set.h). Thread: the
// loop's.

#ifndef INFLOW_REDIS_CONNECTION_H_
#define INFLOW_REDIS_CONNECTION_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "inflow/backoff.h"
#include "inflow/handle_set.h"
#include "inflow/redis_url.h"
#include "inflow/redis_value.h"
#include "inflow/status.h"

struct redisAsyncContext;
struct redisReply;

namespace inflow {

struct RedisConnectionOptions {
  RedisAddress address;
  // How long connecting (with AUTH and SELECT) and each answer may take.
  // REQUIRES: > 0.
  std::chrono::milliseconds timeout{2000};
  // The backoff between attempts to connect. REQUIRES: 0 < initial <= max.
  std::chrono::milliseconds retry_initial_interval{100};
  std::chrono::milliseconds retry_max_interval{5000};
};

class RedisConnection {
 public:
  // up: connected and logged in; !up: lost (or an attempt failed), `why`
  // says why, and the next attempt is scheduled.
  using StateChange = std::function<void(bool up, const Status& why)>;
  using Done = std::function<void(const Status& status, const RedisValue& reply)>;

  RedisConnection(uv_loop_t* loop, RedisConnectionOptions options, StateChange on_state);
  ~RedisConnection();

  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Begins connecting. REQUIRES: once.
  void Start();

  // Whether commands may be sent.
  bool up() const { return up_; }

  // Sends argv as one command. REQUIRES: up(), argv not empty.
  void Send(std::span<const std::string> argv, Done done);

  // Commands sent whose answer has not come.
  size_t in_flight() const { return deadlines_.size(); }

  // The server, for messages (RedisAddress::Name).
  const std::string& name() const { return name_; }

  // Ends the connection (commands in flight are done with an error) and
  // closes the handles; on_closed runs once they are. REQUIRES: once.
  void Close(std::function<void()> on_closed);

 private:
  struct Pending;

  void Connect();
  void SendLogin(std::initializer_list<std::string_view> argv);
  // Drops the connection from a callback of the loop's own (never from
  // inside hiredis): commands in flight are done with `why`.
  void Drop(const Status& why);
  void Lost(const Status& why);
  void ArmTimeout();
  void MaybeClosed();

  static void OnConnect(const redisAsyncContext* context, int status);
  static void OnDisconnect(const redisAsyncContext* context, int status);
  static void OnReply(redisAsyncContext* context, void* reply, void* privdata);
  static void OnLoginReply(redisAsyncContext* context, void* reply, void* privdata);
  static void OnTimeout(uv_timer_t* timer);
  static void OnRetry(uv_timer_t* timer);
  static void OnLater(uv_timer_t* timer);

  uv_loop_t* loop_;
  RedisConnectionOptions options_;
  StateChange on_state_;
  std::string name_;
  Backoff backoff_;
  redisAsyncContext* context_ = nullptr;
  bool up_ = false;
  bool closing_ = false;
  size_t login_pending_ = 0;
  uint64_t connect_deadline_ = 0;  // uv_now, while connecting
  // Deadlines (uv_now) of the answers awaited, oldest first: Redis answers
  // in order.
  std::deque<uint64_t> deadlines_;
  // Set by Drop for OnLater: the connection to end, and why.
  bool drop_ = false;
  Status drop_why_ = Status::Ok();
  HandleSet handles_{"RedisConnection"};
  TrackedHandle<uv_timer_t> timeout_timer_;
  TrackedHandle<uv_timer_t> retry_timer_;
  TrackedHandle<uv_timer_t> later_timer_;
  size_t open_handles_ = 0;
  std::function<void()> on_closed_;
};

// A hiredis reply as a RedisValue (nullptr: kNil).
RedisValue ToRedisValue(const ::redisReply* reply);

}  // namespace inflow

#endif  // INFLOW_REDIS_CONNECTION_H_
