#include "last_command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "inflow/host_port.h"
#include "inflow/influx_url.h"
#include "inflow/last_value_influx.h"
#include "inflow/last_value_lookup.h"
#include "inflow/redis_client.h"
#include "inflow/redis_url.h"

namespace inflow::cli {
namespace {

constexpr int kExitServer = 1;
constexpr int kExitUsage = 2;
constexpr int kExitNothing = 3;

struct LastOptions {
  std::string measurement;
  std::vector<std::string> tags;  // KEY=VALUE
  std::vector<std::string> fields;
  std::string database;
  std::string retention_policy;
  int last = 1;
  std::string config_file;
  std::string redis_url;
  std::string influxdb_url;
  std::optional<std::string> prefix;
};

void PrintError(const std::string& message) {
  std::fprintf(stderr, "inflow last: %s\n", message.c_str());
}

// Where to look, from the options and the config file.
struct Sources {
  RedisAddress redis;
  std::string prefix = LastValueOptions().key_prefix;
  std::optional<InfluxEndpoint> influxdb;
  std::optional<std::string> database;  // the config's, or the URL's
};

Status FindSources(const LastOptions& options, Sources* sources) {
  daemon::Config config;
  bool have_config = !options.config_file.empty();
  if (have_config) {
    if (Status status = daemon::LoadConfig(options.config_file, &config); !status.ok()) {
      return status;
    }
  }
  if (!options.redis_url.empty()) {
    if (Status status = ParseRedisUrl(options.redis_url, &sources->redis); !status.ok()) {
      return Status::Error("--url: " + status.message());
    }
  } else if (have_config && config.redis.enabled) {
    sources->redis = config.redis.address;
  } else if (Status status = RedisAddressFromEnvironment(
                 [](const char* name) -> const char* { return std::getenv(name); },
                 &sources->redis);
             !status.ok()) {
    return status;
  }
  if (options.prefix) {
    sources->prefix = *options.prefix;
  } else if (have_config && config.redis.enabled) {
    sources->prefix = config.redis.cache.key_prefix;
  }
  if (!options.influxdb_url.empty()) {
    InfluxEndpoint endpoint;
    if (Status status = ParseInfluxUrl(options.influxdb_url, &endpoint.url); !status.ok()) {
      return Status::Error("--influxdb: " + status.message());
    }
    if (!endpoint.url.database.empty()) sources->database = endpoint.url.database;
    sources->influxdb = std::move(endpoint);
  } else if (have_config) {
    sources->influxdb = static_cast<const InfluxEndpoint&>(config.influxdb);
  }
  if (have_config && !sources->database) sources->database = config.influxdb.database;
  return Status::Ok();
}

Status MakeQuery(const LastOptions& options, LastValueQuery* query) {
  query->measurement = options.measurement;
  for (const std::string& tag : options.tags) {
    size_t equals = tag.find('=');
    if (equals == std::string::npos) {
      return Status::Error("--tag " + tag + ": KEY=VALUE expected");
    }
    query->tags.emplace_back(tag.substr(0, equals), tag.substr(equals + 1));
  }
  query->fields = options.fields;
  if (!options.database.empty()) query->database = options.database;
  if (!options.retention_policy.empty()) query->retention_policy = options.retention_policy;
  query->last = options.last;
  return CheckLastValueQuery(*query);
}

bool Print(const std::vector<LastValueRecord>& records) {
  for (const LastValueRecord& record : records) {
    std::string line = FormatLastValueRecord(record);
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  return std::fflush(stdout) == 0;
}

int Run(const LastOptions& options) {
  LastValueQuery query;
  Sources sources;
  if (Status status = MakeQuery(options, &query); !status.ok()) {
    PrintError(status.message());
    return kExitUsage;
  }
  if (Status status = FindSources(options, &sources); !status.ok()) {
    PrintError(status.message());
    return kExitUsage;
  }
  const std::string redis_name = "Redis " + sources.redis.Name();
  std::vector<LastValueRecord> records;
  std::unique_ptr<RedisClient> client;
  RedisOptions redis;
  redis.address = sources.redis;
  Status cache = RedisClient::Connect(redis, &client);
  if (cache.ok()) cache = LookupLastValues(client.get(), sources.prefix, query, &records);
  if (cache.ok() && !records.empty()) return Print(records) ? 0 : kExitServer;

  std::string why = cache.ok() ? "the cache (" + redis_name + ") has no matching series"
                               : "the cache cannot be read: " + cache.message();
  if (!sources.influxdb) {
    PrintError(why + "; no InfluxDB to ask (--influxdb or --config)");
    return cache.ok() ? kExitNothing : kExitServer;
  }
  LastValueQuery in_influx = query;
  if (!in_influx.database) in_influx.database = sources.database;
  if (!in_influx.database || in_influx.database->empty()) {
    PrintError(why + "; InfluxDB needs a database (--db, or one in --influxdb or --config)");
    return cache.ok() ? kExitNothing : kExitServer;
  }
  std::string influx_name = "InfluxDB ";
  AppendHostPort(sources.influxdb->url.host, sources.influxdb->url.port, &influx_name);
  PrintError(why + "; asking " + influx_name + " (database " + *in_influx.database + ")");
  std::string absent;
  Status fallback = LookupLastValuesInInfluxDb(*sources.influxdb, in_influx, &records, &absent);
  if (!fallback.ok()) {
    PrintError(fallback.message());
    return kExitServer;
  }
  if (records.empty()) {
    PrintError("no matching series in " + influx_name + " either" +
               (absent.empty() ? "" : " (" + absent + ")"));
    return cache.ok() ? kExitNothing : kExitServer;
  }
  return Print(records) ? 0 : kExitServer;
}

}  // namespace

void AddLastCommand(CLI::App* app, int* exit_code) {
  auto options = std::make_shared<LastOptions>();
  CLI::App* last = app->add_subcommand(
      "last", "Print the last values of a measurement's series, one JSON object per line "
              "(exit 3 when nothing is found)");
  last->add_option("measurement", options->measurement, "The measurement")->required();
  // One value per occurrence: else `--tag k=v MEASUREMENT` would take the
  // measurement as a second tag, and `--field --url U` the URL as fields.
  last->add_option("--tag", options->tags, "Only series with this tag: KEY=VALUE (repeatable)")
      ->allow_extra_args(false);
  last->add_option("--field", options->fields, "Only this field (repeatable; default: all)")
      ->allow_extra_args(false);
  last->add_option("--db", options->database,
                   "The database (default: any in the cache; InfluxDB: the config's)");
  last->add_option("--rp", options->retention_policy,
                   "The retention policy (default: any in the cache; InfluxDB: the default)");
  last->add_option("--last", options->last, "Also the N latest points of each series (1..100)")
      ->check(CLI::Range(1, LastValueQuery::kMaxLast));
  last->add_option("--config", options->config_file,
                   "inflowd's config file: Redis, the key prefix and InfluxDB from it");
  last->add_option("--url", options->redis_url,
                   "Redis: redis://[:password@]host:port/db or unix:///path/redis.sock "
                   "(default: the config's, else $INFLOW_REDIS_URL, else $REDIS_HOST, "
                   "$REDIS_PORT, $REDIS_PASSWORD)");
  last->add_option("--influxdb", options->influxdb_url,
                   "InfluxDB for the fallback: http://[user:pass@]host:port[/database]");
  last->add_option("--prefix", options->prefix,
                   "The cache's key prefix (default: the config's, else inflow:)");
  last->callback([options, exit_code] { *exit_code = Run(*options); });
}

}  // namespace inflow::cli
