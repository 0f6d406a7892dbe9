// A plain synchronous hiredis connection for the last-value cache's script
// tests, and the script sent through it as a cache output will send it:
// EVALSHA, then EVAL when Redis answers NOSCRIPT. Each command sent is
// counted, so a test can hold its count against Redis's INFO commandstats.

#ifndef INFLOW_TESTS_INTEGRATION_CACHE_REDIS_CONNECTION_H_
#define INFLOW_TESTS_INTEGRATION_CACHE_REDIS_CONNECTION_H_

#include <hiredis/hiredis.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/last_value_buffer.h"
#include "inflow/last_value_script.h"

namespace inflow::test {

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using Reply = std::unique_ptr<redisReply, ReplyDeleter>;

class CacheRedisConnection {
 public:
  CacheRedisConnection(const std::string& host, uint16_t port) {
    timeval timeout{5, 0};
    context_ = redisConnectWithTimeout(host.c_str(), port, timeout);
    if (context_ != nullptr && context_->err == 0) redisSetTimeout(context_, timeout);
  }
  ~CacheRedisConnection() {
    if (context_ != nullptr) redisFree(context_);
  }
  CacheRedisConnection(const CacheRedisConnection&) = delete;
  CacheRedisConnection& operator=(const CacheRedisConnection&) = delete;

  bool ok() const { return context_ != nullptr && context_->err == 0; }
  std::string error() const { return context_ == nullptr ? "no context" : context_->errstr; }

  // Sends one command; null (and a test failure) if the connection failed.
  Reply Command(const std::vector<std::string>& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    for (const std::string& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    ++commands_sent_;
    Reply reply(static_cast<redisReply*>(redisCommandArgv(
        context_, static_cast<int>(argv.size()), ptrs.data(), lens.data())));
    EXPECT_NE(reply, nullptr) << error();
    return reply;
  }

  // The script with one update: EVALSHA, and EVAL on NOSCRIPT.
  Reply Send(const LastValueUpdate& update) {
    std::vector<std::string> argv = {"EVALSHA", LastValueScriptSha1(),
                                     std::to_string(update.keys.size())};
    argv.insert(argv.end(), update.keys.begin(), update.keys.end());
    argv.insert(argv.end(), update.args.begin(), update.args.end());
    ++evalsha_sent_;
    Reply reply = Command(argv);
    if (reply && reply->type == REDIS_REPLY_ERROR &&
        std::string_view(reply->str, reply->len).starts_with("NOSCRIPT")) {
      argv[0] = "EVAL";
      argv[1] = std::string(LastValueScript());
      ++eval_sent_;
      reply = Command(argv);
    }
    EXPECT_TRUE(reply && reply->type == REDIS_REPLY_ARRAY)
        << (reply && reply->type == REDIS_REPLY_ERROR ? reply->str : "no array");
    return reply;
  }

  // HGETALL as a map; empty if the key is absent.
  std::map<std::string, std::string> HashOf(const std::string& key) {
    std::map<std::string, std::string> out;
    Reply r = Command({"HGETALL", key});
    if (!r || r->type != REDIS_REPLY_ARRAY) return out;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
      out[std::string(r->element[i]->str, r->element[i]->len)] =
          std::string(r->element[i + 1]->str, r->element[i + 1]->len);
    }
    return out;
  }

  std::vector<std::string> ListOf(const std::string& key) {
    std::vector<std::string> out;
    Reply r = Command({"LRANGE", key, "0", "-1"});
    if (!r || r->type != REDIS_REPLY_ARRAY) return out;
    for (size_t i = 0; i < r->elements; ++i) {
      out.emplace_back(r->element[i]->str, r->element[i]->len);
    }
    return out;
  }

  long long Integer(const std::vector<std::string>& argv) {
    Reply r = Command(argv);
    return r && r->type == REDIS_REPLY_INTEGER ? r->integer : -1000;
  }

  // `calls=` of cmdstat_<command> in INFO commandstats; 0 if absent.
  long long CommandCalls(const std::string& command) {
    Reply r = Command({"INFO", "commandstats"});
    if (!r || r->type != REDIS_REPLY_STRING) return -1;
    std::string info(r->str, r->len);
    std::string needle = "cmdstat_" + command + ":calls=";
    size_t at = info.find(needle);
    return at == std::string::npos ? 0 : std::stoll(info.substr(at + needle.size()));
  }

  uint64_t commands_sent() const { return commands_sent_; }
  uint64_t evalsha_sent() const { return evalsha_sent_; }
  uint64_t eval_sent() const { return eval_sent_; }

 private:
  redisContext* context_ = nullptr;
  uint64_t commands_sent_ = 0;
  uint64_t evalsha_sent_ = 0;
  uint64_t eval_sent_ = 0;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_INTEGRATION_CACHE_REDIS_CONNECTION_H_
