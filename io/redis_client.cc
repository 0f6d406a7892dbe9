#include "inflow/redis_client.h"

#include <hiredis/hiredis.h>
#include <simdjson.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <vector>

#include "inflow/redis_connection.h"  // ToRedisValue

namespace inflow {
namespace {

// Keys in error messages: at most this many bytes, the rest elided.
constexpr size_t kMaxKeyInMessage = 64;

timeval ToTimeval(std::chrono::milliseconds duration) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(duration.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((duration.count() % 1000) * 1000);
  return tv;
}

// `key` quoted for a message: bytes outside printable ASCII as '?', and
// long keys cut, so that a message stays one readable line.
std::string QuotedKey(std::string_view key) {
  std::string quoted = "'";
  for (size_t i = 0; i < key.size() && i < kMaxKeyInMessage; ++i) {
    char c = key[i];
    quoted += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (key.size() > kMaxKeyInMessage) quoted += "...";
  return quoted + "'";
}

std::string ReplyText(const redisReply* reply) {
  return std::string(reply->str, reply->len);
}

}  // namespace

class RedisClient::Reply {
 public:
  Reply() = default;
  ~Reply() { reset(nullptr); }
  Reply(const Reply&) = delete;
  Reply& operator=(const Reply&) = delete;

  redisReply* get() const { return reply_; }
  redisReply* operator->() const { return reply_; }
  void reset(void* reply) {
    if (reply_ != nullptr) freeReplyObject(reply_);
    reply_ = static_cast<redisReply*>(reply);
  }

 private:
  redisReply* reply_ = nullptr;
};

void RedisClient::ContextFree::operator()(redisContext* context) const { redisFree(context); }

Status RedisClient::Connect(const RedisOptions& options, std::unique_ptr<RedisClient>* client) {
  std::unique_ptr<RedisClient> connected(new RedisClient(options));
  if (Status status = connected->Open(); !status.ok()) return status;
  *client = std::move(connected);
  return Status::Ok();
}

Status RedisClient::FromEnvironment(std::unique_ptr<RedisClient>* client,
                                    const GetEnvironment& getenv) {
  RedisOptions options;
  Status status = RedisAddressFromEnvironment(
      getenv ? getenv : [](const char* name) -> const char* { return std::getenv(name); },
      &options.address);
  if (!status.ok()) return status;
  return Connect(options, client);
}

Status RedisClient::CheckJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::error_code error = parser.parse(padded).error();
  if (error != simdjson::SUCCESS) {
    return Status::Error("not a JSON value (" + std::to_string(json.size()) +
                         " bytes): " + simdjson::error_message(error));
  }
  return Status::Ok();
}

RedisClient::~RedisClient() = default;

std::string RedisClient::Prefix(std::string_view command) const {
  std::string prefix = "Redis ";
  prefix += options_.address.Name();
  prefix += ": ";
  prefix += command;
  prefix += ": ";
  return prefix;
}

Status RedisClient::Open() {
  context_.reset();
  const RedisAddress& address = options_.address;
  const timeval connect_timeout = ToTimeval(options_.connect_timeout);
  Context context(address.unix_socket.empty()
                      ? redisConnectWithTimeout(address.host.c_str(), address.port,
                                                connect_timeout)
                      : redisConnectUnixWithTimeout(address.unix_socket.c_str(),
                                                    connect_timeout));
  if (context == nullptr) return Status::Error(Prefix("connect") + "out of memory");
  if (context->err != 0) return Status::Error(Prefix("connect") + context->errstr);
  if (redisSetTimeout(context.get(), ToTimeval(options_.command_timeout)) != REDIS_OK) {
    return Status::Error(Prefix("connect") + "cannot set the command timeout: " +
                         context->errstr);
  }
  context_ = std::move(context);

  bool broken = false;
  Reply reply;
  if (!address.password.empty()) {
    Status status =
        address.username.empty()
            ? RunOnce({"AUTH", address.password}, &reply, &broken)
            : RunOnce({"AUTH", address.username, address.password}, &reply, &broken);
    if (status.ok() && reply->type == REDIS_REPLY_ERROR) {
      status = Status::Error(ReplyText(reply.get()));
    }
    if (!status.ok()) {
      context_.reset();
      return Status::Error(Prefix("AUTH") + status.message());
    }
  }
  if (address.db != 0) {
    const std::string db = std::to_string(address.db);
    Status status = RunOnce({"SELECT", db}, &reply, &broken);
    if (status.ok() && reply->type == REDIS_REPLY_ERROR) {
      status = Status::Error(ReplyText(reply.get()));
    }
    if (!status.ok()) {
      context_.reset();
      return Status::Error(Prefix("SELECT " + db) + status.message());
    }
  }
  return Status::Ok();
}

Status RedisClient::RunOnce(std::initializer_list<std::string_view> argv, Reply* reply,
                            bool* broken) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (std::string_view arg : argv) {
    pointers.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  errno = 0;
  reply->reset(redisCommandArgv(context_.get(), static_cast<int>(argv.size()), pointers.data(),
                                lengths.data()));
  const int saved_errno = errno;
  if (reply->get() != nullptr) return Status::Ok();
  return Failed(saved_errno, broken);
}

Status RedisClient::Failed(int saved_errno, bool* broken) {
  // A timeout (EAGAIN from the socket's SO_RCVTIMEO) means a slow server,
  // not a broken connection: sending again would double the wait.
  *broken = context_->err == REDIS_ERR_EOF ||
            (context_->err == REDIS_ERR_IO && saved_errno != EAGAIN &&
             saved_errno != EWOULDBLOCK);
  std::string message = context_->errstr;
  if (message.empty()) message = "no reply";
  // hiredis leaves a context unusable after an I/O or protocol error.
  context_.reset();
  return Status::Error(message, saved_errno);
}

Status RedisClient::Run(std::string_view name, std::initializer_list<std::string_view> argv,
                        Reply* reply) {
  return Retried(name, [&](bool* broken) { return RunOnce(argv, reply, broken); });
}

Status RedisClient::Retried(std::string_view name, const std::function<Status(bool*)>& once) {
  const bool reused = context_ != nullptr;
  if (!reused) {
    if (Status status = Open(); !status.ok()) return status;
  }
  bool broken = false;
  Status status = once(&broken);
  // A connection kept from an earlier command may have been closed by the
  // server since (a restart, a timeout, a failover): one fresh connection
  // and one more try. Sending twice is safe for the commands sent here
  // (SET, GET and the lookup's reads are idempotent).
  if (!status.ok() && broken && reused) {
    const std::string first = status.message();
    if (status = Open(); !status.ok()) {
      return Status::Error(Prefix(name) + first + "; reconnecting failed: " + status.message());
    }
    status = once(&broken);
  }
  if (!status.ok()) return Status::Error(Prefix(name) + status.message(), status.sys_errno());
  return Status::Ok();
}

Status RedisClient::PipelineOnce(std::span<const std::vector<std::string>> commands,
                                 std::vector<RedisValue>* replies, bool* broken) {
  std::vector<const char*> pointers;
  std::vector<size_t> lengths;
  for (const std::vector<std::string>& argv : commands) {
    pointers.clear();
    lengths.clear();
    for (const std::string& arg : argv) {
      pointers.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    // Only memory can fail here: the commands are written when read below.
    if (redisAppendCommandArgv(context_.get(), static_cast<int>(argv.size()), pointers.data(),
                               lengths.data()) != REDIS_OK) {
      std::string message = context_->errstr;
      context_.reset();
      return Status::Error(message.empty() ? "out of memory" : message);
    }
  }
  replies->clear();
  replies->reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(context_.get(), &raw) != REDIS_OK || raw == nullptr) {
      // Broken after a reply came: the commands before it ran, and the
      // pipeline is not sent again.
      bool after_a_reply = false;
      return Failed(errno, i == 0 ? broken : &after_a_reply);
    }
    Reply reply;
    reply.reset(raw);
    replies->push_back(ToRedisValue(reply.get()));
  }
  return Status::Ok();
}

Status RedisClient::Pipeline(std::span<const std::vector<std::string>> commands,
                             std::vector<RedisValue>* replies) {
  if (commands.empty()) {
    replies->clear();
    return Status::Ok();
  }
  std::string name = commands.front().empty() ? "" : commands.front().front();
  if (commands.size() > 1) name += " and " + std::to_string(commands.size() - 1) + " more";
  return Retried(name, [&](bool* broken) { return PipelineOnce(commands, replies, broken); });
}

Status RedisClient::Set(std::string_view key, std::string_view json,
                        std::string_view expire_seconds) {
  const std::string name = "SET " + QuotedKey(key);
  if (Status status = CheckJson(json); !status.ok()) {
    return Status::Error(Prefix(name) + "the value is " + status.message() +
                         "; nothing was stored");
  }
  Reply reply;
  Status status = expire_seconds.empty()
                      ? Run(name, {"SET", key, json}, &reply)
                      : Run(name, {"SET", key, json, "EX", expire_seconds}, &reply);
  if (!status.ok()) return status;
  if (reply->type == REDIS_REPLY_ERROR) {
    return Status::Error(Prefix(name) + ReplyText(reply.get()));
  }
  if (reply->type != REDIS_REPLY_STATUS || ReplyText(reply.get()) != "OK") {
    return Status::Error(Prefix(name) + "unexpected reply of type " +
                         std::to_string(reply->type));
  }
  return Status::Ok();
}

Status RedisClient::Save(std::string_view key, std::string_view json) {
  return Set(key, json, "");
}

Status RedisClient::SaveWithExpiration(std::string_view key, std::string_view json,
                                       std::chrono::seconds expiration) {
  if (expiration.count() <= 0) {
    return Status::Error(Prefix("SET " + QuotedKey(key)) +
                         "the expiration must be at least 1s, not " +
                         std::to_string(expiration.count()) + "s; nothing was stored");
  }
  return Set(key, json, std::to_string(expiration.count()));
}

Status RedisClient::Read(std::string_view key, std::optional<std::string>* json) {
  const std::string name = "GET " + QuotedKey(key);
  Reply reply;
  if (Status status = Run(name, {"GET", key}, &reply); !status.ok()) return status;
  switch (reply->type) {
    case REDIS_REPLY_NIL:
      *json = std::nullopt;
      return Status::Ok();
    case REDIS_REPLY_STRING: {
      std::string text = ReplyText(reply.get());
      if (Status status = CheckJson(text); !status.ok()) {
        return Status::Error(Prefix(name) + "the key holds a string that is " +
                             status.message());
      }
      *json = std::move(text);
      return Status::Ok();
    }
    case REDIS_REPLY_ERROR:
      return Status::Error(Prefix(name) + ReplyText(reply.get()));
    default:
      return Status::Error(Prefix(name) + "unexpected reply of type " +
                           std::to_string(reply->type));
  }
}

}  // namespace inflow
