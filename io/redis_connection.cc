#include "inflow/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <cstdlib>
#include <cstdio>
#include <memory>
#include <utility>

namespace inflow {
namespace {

// hiredis's async context on a libuv loop: the adapter hiredis ships
// (hiredis/adapters/libuv.h), but for one thing. hiredis 0.14's drops a
// poll error (a connection reset with commands unanswered, which libuv
// reports as a status, not as readable), and libuv has stopped watching the
// socket by then: the loss would be seen only at the answer timeout. Here,
// as in hiredis 1.x's adapter, an error makes hiredis read (or write), so
// that it finds the error at once and disconnects.
struct LoopEvents {
  redisAsyncContext* context;
  uv_poll_t handle;
  int events;
};

void OnPoll(uv_poll_t* handle, int status, int events) {
  auto* p = static_cast<LoopEvents*>(handle->data);
  const int ready = status < 0 ? p->events : events;
  if (p->context != nullptr && (ready & UV_READABLE) != 0) redisAsyncHandleRead(p->context);
  if (p->context != nullptr && (ready & UV_WRITABLE) != 0) redisAsyncHandleWrite(p->context);
}

void Watch(LoopEvents* p, int events) {
  p->events = events;
  if (events != 0) {
    uv_poll_start(&p->handle, events, OnPoll);
  } else {
    uv_poll_stop(&p->handle);
  }
}

void AddRead(void* data) {
  auto* p = static_cast<LoopEvents*>(data);
  Watch(p, p->events | UV_READABLE);
}

void DelRead(void* data) {
  auto* p = static_cast<LoopEvents*>(data);
  Watch(p, p->events & ~UV_READABLE);
}

void AddWrite(void* data) {
  auto* p = static_cast<LoopEvents*>(data);
  Watch(p, p->events | UV_WRITABLE);
}

void DelWrite(void* data) {
  auto* p = static_cast<LoopEvents*>(data);
  Watch(p, p->events & ~UV_WRITABLE);
}

void Cleanup(void* data) {
  auto* p = static_cast<LoopEvents*>(data);
  p->context = nullptr;  // hiredis frees it after this call
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle),
           [](uv_handle_t* handle) { delete static_cast<LoopEvents*>(handle->data); });
}

// Watches `context`'s socket on `loop`; false if it cannot (then nothing
// is attached, and the caller frees the context).
bool AttachToLoop(redisAsyncContext* context, uv_loop_t* loop) {
  if (context->ev.data != nullptr) return false;
  auto* p = new LoopEvents{context, {}, 0};
  if (uv_poll_init(loop, &p->handle, context->c.fd) != 0) {
    delete p;
    return false;
  }
  p->handle.data = p;
  context->ev.addRead = AddRead;
  context->ev.delRead = DelRead;
  context->ev.addWrite = AddWrite;
  context->ev.delWrite = DelWrite;
  context->ev.cleanup = Cleanup;
  context->ev.data = p;
  return true;
}

}  // namespace

RedisValue ToRedisValue(const redisReply* reply) {
  RedisValue value;
  if (reply == nullptr) return value;
  switch (reply->type) {
    case REDIS_REPLY_STRING:
      value.kind = RedisValue::Kind::kString;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_STATUS:
      value.kind = RedisValue::Kind::kStatus;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_ERROR:
      value.kind = RedisValue::Kind::kError;
      value.text.assign(reply->str, reply->len);
      break;
    case REDIS_REPLY_INTEGER:
      value.kind = RedisValue::Kind::kInteger;
      value.integer = reply->integer;
      break;
    case REDIS_REPLY_ARRAY:
      value.kind = RedisValue::Kind::kArray;
      value.elements.reserve(reply->elements);
      for (size_t i = 0; i < reply->elements; ++i) {
        value.elements.push_back(ToRedisValue(reply->element[i]));
      }
      break;
    default:  // REDIS_REPLY_NIL
      break;
  }
  return value;
}

// A command's callback: its owner and `done`, freed when it is answered.
struct RedisConnection::Pending {
  RedisConnection* connection;
  Done done;
};

namespace {

std::string ContextError(const redisAsyncContext* context) {
  if (context != nullptr && context->errstr != nullptr && context->errstr[0] != '\0') {
    return context->errstr;
  }
  return "connection closed";
}

}  // namespace

RedisConnection::RedisConnection(uv_loop_t* loop, RedisConnectionOptions options,
                                 StateChange on_state)
    : loop_(loop),
      options_(std::move(options)),
      on_state_(std::move(on_state)),
      name_(options_.address.Name()),
      backoff_(options_.retry_initial_interval, options_.retry_max_interval,
               reinterpret_cast<uintptr_t>(this)) {
  for (TrackedHandle<uv_timer_t>* timer : {&timeout_timer_, &retry_timer_, &later_timer_}) {
    uv_timer_init(loop_, &timer->handle);
    timer->handle.data = this;
    handles_.Adopt(timer);
    ++open_handles_;
  }
}

RedisConnection::~RedisConnection() {
  if (context_ != nullptr) {
    std::fprintf(stderr, "RedisConnection destroyed before Close\n");
    std::abort();
  }
}

void RedisConnection::Start() { Connect(); }

void RedisConnection::Connect() {
  const RedisAddress& address = options_.address;
  redisAsyncContext* context =
      address.unix_socket.empty()
          ? redisAsyncConnect(address.host.c_str(), address.port)
          : redisAsyncConnectUnix(address.unix_socket.c_str());
  if (context == nullptr) {
    Lost(Status::Error("Redis " + name_ + ": cannot connect: out of memory"));
    return;
  }
  if (context->err != 0) {
    Status why = Status::Error("Redis " + name_ + ": cannot connect: " + ContextError(context));
    redisAsyncFree(context);
    Lost(why);
    return;
  }
  if (!AttachToLoop(context, loop_)) {
    redisAsyncFree(context);
    Lost(Status::Error("Redis " + name_ + ": cannot watch the socket"));
    return;
  }
  context->data = this;
  context_ = context;
  redisAsyncSetConnectCallback(context, OnConnect);
  redisAsyncSetDisconnectCallback(context, OnDisconnect);
  // AUTH and SELECT are sent at once, to be written as soon as the socket
  // is connected, before any command of the owner's.
  login_pending_ = 0;
  if (!address.password.empty()) {
    if (address.username.empty()) {
      SendLogin({"AUTH", address.password});
    } else {
      SendLogin({"AUTH", address.username, address.password});
    }
  }
  if (address.db != 0) {
    std::string db = std::to_string(address.db);
    SendLogin({"SELECT", db});
  }
  connect_deadline_ = uv_now(loop_) + static_cast<uint64_t>(options_.timeout.count());
  ArmTimeout();
}

void RedisConnection::SendLogin(std::initializer_list<std::string_view> argv) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  for (std::string_view a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  if (redisAsyncCommandArgv(context_, OnLoginReply, this, static_cast<int>(args.size()),
                            args.data(), lengths.data()) == REDIS_OK) {
    ++login_pending_;
  }
}

void RedisConnection::OnConnect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    self->context_ = nullptr;
    self->Lost(Status::Error("Redis " + self->name_ + ": cannot connect: " +
                             ContextError(context)));
    return;
  }
  if (self->login_pending_ == 0) {
    self->up_ = true;
    self->backoff_.Reset();
    self->ArmTimeout();
    self->on_state_(true, Status::Ok());
  }
}

void RedisConnection::OnLoginReply(redisAsyncContext* context, void* reply, void*) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self == nullptr || self->context_ != context) return;  // being freed
  auto* r = static_cast<redisReply*>(reply);
  if (r == nullptr) return;  // the connection is going: OnDisconnect reports it
  if (r->type == REDIS_REPLY_ERROR) {
    self->Drop(Status::Error("Redis " + self->name_ + ": login refused: " +
                             std::string(r->str, r->len)));
    return;
  }
  if (--self->login_pending_ == 0 && !self->drop_) {
    self->up_ = true;
    self->backoff_.Reset();
    self->ArmTimeout();
    self->on_state_(true, Status::Ok());
  }
}

void RedisConnection::OnDisconnect(const redisAsyncContext* context, int) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (self == nullptr || self->context_ != context) return;  // freed by us
  // hiredis frees the context after this callback.
  self->context_ = nullptr;
  if (self->closing_) return;
  self->Lost(Status::Error("Redis " + self->name_ + ": connection lost: " +
                           ContextError(context)));
}

void RedisConnection::Send(std::span<const std::string> argv, Done done) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  args.reserve(argv.size());
  lengths.reserve(argv.size());
  for (const std::string& a : argv) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  }
  auto pending = std::make_unique<Pending>(Pending{this, std::move(done)});
  if (!up_ || redisAsyncCommandArgv(context_, OnReply, pending.get(),
                                    static_cast<int>(args.size()), args.data(),
                                    lengths.data()) != REDIS_OK) {
    std::fprintf(stderr, "RedisConnection::Send while the connection is not up\n");
    std::abort();
  }
  pending.release();
  deadlines_.push_back(uv_now(loop_) + static_cast<uint64_t>(options_.timeout.count()));
  if (deadlines_.size() == 1) ArmTimeout();
}

void RedisConnection::OnReply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(privdata));
  RedisConnection* self = pending->connection;
  if (!self->deadlines_.empty()) self->deadlines_.pop_front();
  if (reply == nullptr) {
    // The connection is going (lost, dropped or closed): hiredis refuses
    // commands from here on, before OnDisconnect tells.
    self->up_ = false;
    Status why = self->drop_ ? self->drop_why_
                 : self->closing_
                     ? Status::Error("Redis " + self->name_ + ": connection closed")
                     : Status::Error("Redis " + self->name_ + ": connection lost: " +
                                     ContextError(context));
    pending->done(why, RedisValue{});
    return;
  }
  self->ArmTimeout();
  pending->done(Status::Ok(), ToRedisValue(static_cast<redisReply*>(reply)));
}

void RedisConnection::ArmTimeout() {
  uint64_t deadline = 0;
  if (context_ != nullptr && !up_) {
    deadline = connect_deadline_;
  } else if (!deadlines_.empty()) {
    deadline = deadlines_.front();
  } else {
    uv_timer_stop(&timeout_timer_.handle);
    return;
  }
  uint64_t now = uv_now(loop_);
  uv_timer_start(&timeout_timer_.handle, OnTimeout, deadline > now ? deadline - now : 0, 0);
}

void RedisConnection::OnTimeout(uv_timer_t* timer) {
  auto* self = static_cast<RedisConnection*>(timer->data);
  if (self->context_ == nullptr || self->closing_) return;
  std::string what = self->up_ ? "no answer within " : "not connected within ";
  what += std::to_string(self->options_.timeout.count());
  what += " ms";
  self->Drop(Status::Error("Redis " + self->name_ + ": " + what));
}

void RedisConnection::Drop(const Status& why) {
  up_ = false;
  if (drop_) return;
  drop_ = true;
  drop_why_ = why;
  uv_timer_start(&later_timer_.handle, OnLater, 0, 0);
}

void RedisConnection::OnLater(uv_timer_t* timer) {
  auto* self = static_cast<RedisConnection*>(timer->data);
  if (!self->drop_) return;
  if (self->context_ != nullptr) {
    redisAsyncContext* context = self->context_;
    // Answers in flight are done with drop_why_ (OnReply); OnDisconnect,
    // called from the free, sees context_ no longer ours and stays quiet.
    self->context_ = nullptr;
    redisAsyncFree(context);
  }
  Status why = self->drop_why_;
  self->drop_ = false;
  self->drop_why_ = Status::Ok();
  if (!self->closing_) self->Lost(why);
}

void RedisConnection::Lost(const Status& why) {
  up_ = false;
  deadlines_.clear();
  uv_timer_stop(&timeout_timer_.handle);
  if (closing_) return;
  auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(backoff_.NextDelay());
  uv_timer_start(&retry_timer_.handle, OnRetry, static_cast<uint64_t>(delay.count()), 0);
  on_state_(false, why);
}

void RedisConnection::OnRetry(uv_timer_t* timer) {
  auto* self = static_cast<RedisConnection*>(timer->data);
  if (!self->closing_) self->Connect();
}

void RedisConnection::Close(std::function<void()> on_closed) {
  closing_ = true;
  up_ = false;
  on_closed_ = std::move(on_closed);
  if (context_ != nullptr) {
    redisAsyncContext* context = context_;
    context_ = nullptr;
    redisAsyncFree(context);  // commands in flight are done: "connection closed"
  }
  deadlines_.clear();
  for (TrackedHandle<uv_timer_t>* timer : {&timeout_timer_, &retry_timer_, &later_timer_}) {
    handles_.Close(timer, [](uv_timer_t* t) {
      auto* self = static_cast<RedisConnection*>(t->data);
      if (--self->open_handles_ == 0 && self->on_closed_) {
        auto callback = std::move(self->on_closed_);
        callback();
      }
    });
  }
}

}  // namespace inflow
