#include "redis_command.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "inflow/redis_client.h"
#include "inflow/redis_url.h"

namespace inflow::cli {
namespace {

constexpr int kExitServer = 1;
constexpr int kExitUsage = 2;
constexpr int kExitAbsent = 3;
// Redis's own limit for EX is far larger; a century is enough.
constexpr long long kMaxExpireSeconds = 100LL * 366 * 24 * 3600;

struct RedisCommandOptions {
  std::string url;
  std::string key;
  std::string json;
  long long expire_seconds = 0;  // 0: no expiry
};

void PrintError(const char* command, const std::string& message) {
  std::fprintf(stderr, "inflow redis %s: %s\n", command, message.c_str());
}

// The server --url names, else the environment's. On failure prints why
// and returns false.
bool Address(const char* command, const RedisCommandOptions& options, RedisAddress* address) {
  Status status = options.url.empty()
                      ? RedisAddressFromEnvironment(
                            [](const char* name) -> const char* { return std::getenv(name); },
                            address)
                      : ParseRedisUrl(options.url, address);
  if (!status.ok()) {
    PrintError(command, (options.url.empty() ? "" : "--url: ") + status.message());
  }
  return status.ok();
}

int Connect(const char* command, const RedisCommandOptions& options,
            std::unique_ptr<RedisClient>* client) {
  RedisOptions redis;
  if (!Address(command, options, &redis.address)) return kExitUsage;
  if (Status status = RedisClient::Connect(redis, client); !status.ok()) {
    PrintError(command, status.message());
    return kExitServer;
  }
  return 0;
}

int RunGet(const RedisCommandOptions& options) {
  std::unique_ptr<RedisClient> client;
  if (int code = Connect("get", options, &client); code != 0) return code;
  std::optional<std::string> json;
  if (Status status = client->Read(options.key, &json); !status.ok()) {
    PrintError("get", status.message());
    return kExitServer;
  }
  if (!json) {
    PrintError("get", "no key '" + options.key + "' on " + client->options().address.Name());
    return kExitAbsent;
  }
  std::fwrite(json->data(), 1, json->size(), stdout);
  std::fputc('\n', stdout);
  return std::fflush(stdout) == 0 ? 0 : kExitServer;
}

int RunSet(const RedisCommandOptions& options) {
  // Checked before connecting, so that a bad value is a usage error
  // whether or not a server is reachable.
  if (Status status = RedisClient::CheckJson(options.json); !status.ok()) {
    PrintError("set", "the value for '" + options.key + "' is " + status.message());
    return kExitUsage;
  }
  std::unique_ptr<RedisClient> client;
  if (int code = Connect("set", options, &client); code != 0) return code;
  Status status = options.expire_seconds > 0
                      ? client->SaveWithExpiration(options.key, options.json,
                                                   std::chrono::seconds(options.expire_seconds))
                      : client->Save(options.key, options.json);
  if (!status.ok()) {
    PrintError("set", status.message());
    return kExitServer;
  }
  return 0;
}

void AddUrlOption(CLI::App* command, RedisCommandOptions* options) {
  command->add_option("--url", options->url,
                      "redis://[:password@]host:port/db or unix:///path/redis.sock; "
                      "default: $INFLOW_REDIS_URL, else $REDIS_HOST, $REDIS_PORT, "
                      "$REDIS_PASSWORD (127.0.0.1, 6379, none)");
}

}  // namespace

void AddRedisCommand(CLI::App* app, int* exit_code) {
  auto options = std::make_shared<RedisCommandOptions>();
  CLI::App* redis = app->add_subcommand("redis", "Read and store JSON values in Redis");
  redis->require_subcommand(1);

  CLI::App* get = redis->add_subcommand(
      "get", "Print the JSON stored under KEY (exit 3 when there is no such key)");
  get->add_option("key", options->key, "The key")->required();
  AddUrlOption(get, options.get());
  get->callback([options, exit_code] { *exit_code = RunGet(*options); });

  CLI::App* set = redis->add_subcommand("set", "Store JSON under KEY");
  set->add_option("key", options->key, "The key")->required();
  set->add_option("json", options->json, "The value: one JSON value")->required();
  set->add_option("--expire", options->expire_seconds, "Remove the key after this many seconds")
      ->check(CLI::Range(1LL, kMaxExpireSeconds));
  AddUrlOption(set, options.get());
  set->callback([options, exit_code] { *exit_code = RunSet(*options); });
}

}  // namespace inflow::cli
