// inflowd's configuration: what it reads, and that every error names the
// file, the line and the key.

#include "config/config.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>
#include <string>

namespace inflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr std::string_view kMinimal =
    "influxdb:\n"
    "  url: http://127.0.0.1:8086/telemetry\n"
    "sessions:\n"
    "  - retention_policy: autogen\n";

Config Parse(std::string_view yaml) {
  Config config;
  Status status = ParseConfig(yaml, "test.yaml", &config);
  EXPECT_TRUE(status.ok()) << status.message();
  return config;
}

std::string Error(std::string_view yaml) {
  Config config;
  Status status = ParseConfig(yaml, "test.yaml", &config);
  EXPECT_FALSE(status.ok()) << yaml;
  return status.message();
}

std::string ReadFile(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

TEST(ConfigTest, MinimalConfigTakesTheDefaults) {
  Config config = Parse(kMinimal);
  EXPECT_EQ(config.influxdb.url.host, "127.0.0.1");
  EXPECT_EQ(config.influxdb.database, "telemetry");  // from the URL's path
  EXPECT_FALSE(config.influxdb.unsigned_fields);
  EXPECT_EQ(config.influxdb.request_timeout, seconds(10));
  EXPECT_TRUE(config.influxdb.create_database);
  EXPECT_EQ(config.influxdb.retry_initial_interval, milliseconds(200));
  EXPECT_EQ(config.influxdb.retry_max_interval, seconds(30));
  EXPECT_EQ(config.influxdb.retry_max_elapsed, seconds(0));
  EXPECT_EQ(config.influxdb.max_attempts, 10u);
  ASSERT_EQ(config.sessions.size(), 1u);
  EXPECT_EQ(config.sessions[0].retention_policy, "autogen");
  EXPECT_EQ(config.sessions[0].autocommit_every, 5000u);
  EXPECT_EQ(config.sessions[0].commit_interval, seconds(1));
  EXPECT_EQ(config.sessions[0].max_batch_bytes, 1048576u);
  EXPECT_EQ(config.sessions[0].max_pending_bytes, 16777216u);
  EXPECT_TRUE(config.listeners.empty());
  EXPECT_EQ(config.retention_policy_tag, "");
  EXPECT_FALSE(config.redis.enabled);
  EXPECT_EQ(config.redis.cache.key_prefix, "inflow:");
  EXPECT_EQ(config.redis.cache.keep_last, 1);
  EXPECT_EQ(config.redis.cache.ttl_seconds, 0);
  EXPECT_EQ(config.redis.cache.max_pending_series, 100000u);
  EXPECT_EQ(config.redis.flush_interval, milliseconds(100));
  EXPECT_EQ(config.redis.timeout, seconds(2));
  EXPECT_EQ(config.spool.directory, "/var/lib/inflowd");
  EXPECT_EQ(config.spool.fsync, FsyncPolicy::kInterval);
  EXPECT_EQ(config.spool.fsync_interval, seconds(1));
  EXPECT_EQ(config.spool.max_bytes, 1073741824u);
  EXPECT_EQ(config.spool.when_full, WhenFull::kBlock);
  EXPECT_EQ(config.spool.segment_bytes, 16777216u);
  EXPECT_EQ(config.log_level, "info");
  EXPECT_EQ(config.shutdown_timeout, seconds(10));
}

TEST(ConfigTest, ReadsTheExampleConfig) {
  Config config;
  Status status = LoadConfig(INFLOW_SOURCE_DIR "/config/inflowd.example.yaml", &config);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(config.influxdb.database, "telemetry");
  ASSERT_EQ(config.sessions.size(), 2u);
  EXPECT_EQ(config.sessions[1].retention_policy, "rp_four_weeks");
  EXPECT_EQ(config.sessions[1].autocommit_every, 500u);
  EXPECT_EQ(config.sessions[1].commit_interval, seconds(10));
  ASSERT_EQ(config.listeners.size(), 4u);
  EXPECT_EQ(config.listeners[0].type, ListenerType::kUdp);
  EXPECT_EQ(config.listeners[0].address, "127.0.0.1:8089");
  EXPECT_EQ(config.listeners[1].type, ListenerType::kUnixStream);
  EXPECT_EQ(config.listeners[1].path, "/run/inflowd/inflowd.sock");
  EXPECT_EQ(config.listeners[2].type, ListenerType::kUnixDgram);
  EXPECT_EQ(config.listeners[2].read_buffer_bytes, 8388608u);
  EXPECT_EQ(config.listeners[3].type, ListenerType::kHttp);
  EXPECT_EQ(config.retention_policy_tag, "rp");
}

// Whether `node` gives the option `key` (influxdb.url, shutdown_timeout,
// sessions[].commit_interval: in a list, some entry gives it).
bool Gives(const YAML::Node& node, std::string_view key) {
  size_t dot = key.find('.');
  std::string head(key.substr(0, dot));
  if (head.ends_with("[]")) {
    const YAML::Node list = node[head.substr(0, head.size() - 2)];
    if (!list.IsSequence()) return false;
    for (const YAML::Node& entry : list) {
      if (Gives(entry, key.substr(dot + 1))) return true;
    }
    return false;
  }
  if (!node.IsMap() || !node[head]) return false;
  return dot == std::string_view::npos || Gives(node[head], key.substr(dot + 1));
}

// Every option is declared once; the example config gives each, and the
// README's table shows each as declared.
TEST(ConfigTest, ExampleConfigAndReadmeDocumentEveryOption) {
  const YAML::Node example = YAML::LoadFile(INFLOW_SOURCE_DIR "/config/inflowd.example.yaml");
  const std::string readme = ReadFile(INFLOW_SOURCE_DIR "/README.md");
  for (const ConfigOption& option : ConfigOptions()) {
    EXPECT_TRUE(Gives(example, option.key)) << option.key << " not in the example";
    std::string row = "| `" + option.key + "` | " + option.type + " | " + option.default_value +
                      " | " + option.description + " |\n";
    EXPECT_NE(readme.find(row), std::string::npos)
        << "README.md's reference lacks the row\n" << row;
  }
}

TEST(ConfigTest, DatabaseOverridesTheUrlsPath) {
  Config config = Parse(
      "influxdb:\n  url: http://u:p@h:1/a\n  database: b\n"
      "sessions:\n  - retention_policy: autogen\n");
  EXPECT_EQ(config.influxdb.database, "b");
  EXPECT_EQ(config.influxdb.url.username, "u");
  EXPECT_EQ(config.influxdb.url.port, 1);
}

TEST(ConfigTest, ReadsDurations) {
  std::chrono::nanoseconds d;
  ASSERT_TRUE(ParseDuration("1500ms", &d).ok());
  EXPECT_EQ(d, milliseconds(1500));
  ASSERT_TRUE(ParseDuration("2h", &d).ok());
  EXPECT_EQ(d, std::chrono::hours(2));
  ASSERT_TRUE(ParseDuration("0s", &d).ok());
  EXPECT_EQ(d.count(), 0);
  for (const char* bad : {"", "s", "10", "1.5s", "-1s", "10 s", "10sec", "99999999999h"}) {
    EXPECT_FALSE(ParseDuration(bad, &d).ok()) << bad;
  }
}

TEST(ConfigTest, UnknownKeyNamesItsLineAndKey) {
  EXPECT_EQ(Error(std::string(kMinimal) + "sesions: []\n"), "test.yaml:5: sesions: unknown option");
  EXPECT_EQ(Error("sessions:\n  - retention_policy: a\n    autocommit_evry: 5\n"
                  "influxdb:\n  database: d\n"),
            "test.yaml:3: sessions[0].autocommit_evry: unknown option");
}

TEST(ConfigTest, BadValuesNameTheirLineAndKey) {
  EXPECT_EQ(Error(std::string(kMinimal) + "    commit_interval: 1x\n"),
            "test.yaml:5: sessions[0].commit_interval: invalid duration '1x': a whole number and "
            "one of ns, us, ms, s, m, h, such as 500ms");
  EXPECT_EQ(Error(std::string(kMinimal) + "    autocommit_every: many\n"),
            "test.yaml:5: sessions[0].autocommit_every: must be a whole number, not 'many'");
  EXPECT_EQ(Error(std::string(kMinimal) + "    max_batch_bytes: 0\n"),
            "test.yaml:5: sessions[0].max_batch_bytes: must be at least 1, not 0");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: tcp\n    address: h:1\n"),
            "test.yaml:6: listeners[0].type: must be udp, unix_dgram, unix_stream or http, not 'tcp'");
  EXPECT_EQ(Error(std::string(kMinimal) + "log:\n  level: loud\n"),
            "test.yaml:6: log.level: must be one of trace, debug, info, warn, error, critical, off");
  EXPECT_EQ(Error("influxdb:\n  url: localhost:8086\n  database: d\nsessions:\n  - retention_policy: a\n"),
            "test.yaml:2: influxdb.url: InfluxDB URL must start with http:// or https://");
  // A TLS URL is refused, not spoken to in plain HTTP (it was, before).
  EXPECT_EQ(Error("influxdb:\n  url: https://h:8086\n  database: d\nsessions:\n  - retention_policy: a\n"),
            "test.yaml:2: influxdb.url: https:// is not supported yet: inflowd does not speak TLS");
  EXPECT_EQ(Error("influxdb:\n  unsigned_fields: yes\n"),
            "test.yaml:2: influxdb.unsigned_fields: must be true or false");
}

TEST(ConfigTest, ChecksWhatSpansOptions) {
  EXPECT_EQ(Error("influxdb:\n  database: d\n"), "test.yaml: sessions: at least one session is needed");
  EXPECT_EQ(Error("sessions:\n  - retention_policy: a\n"),
            "test.yaml: influxdb.database: no database: set it, or give it as the URL's path");
  EXPECT_EQ(Error(std::string(kMinimal) + "  - retention_policy: autogen\n"),
            "test.yaml:5: sessions[1].retention_policy: 'autogen' has a session already");
  EXPECT_EQ(Error(std::string(kMinimal) + "  - autocommit_every: 5\n"),
            "test.yaml:5: sessions[1]: retention_policy is required");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: udp\n"),
            "test.yaml:6: listeners[0]: address is required");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: unix_stream\n    address: h:1\n"),
            "test.yaml:6: listeners[0]: path is required");
  EXPECT_EQ(Error(std::string(kMinimal) + "listeners:\n  - type: http\n    address: 8186\n"),
            "test.yaml:6: listeners[0].address: must be host:port, not '8186'");
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "listeners:\n  - type: udp\n    address: h:1\n    retention_policy: nope\n"),
            "test.yaml:6: listeners[0].retention_policy: no session has retention policy 'nope'");
}

// The options of durable delivery: the retries, the spool, the memory a
// session holds, the sockets' buffers.

TEST(ConfigTest, ReadsTheDeliveryOptions) {
  Config config = Parse(
      "influxdb:\n"
      "  url: http://127.0.0.1:8086/telemetry\n"
      "  create_database: false\n"
      "  retry_initial_interval: 50ms\n"
      "  retry_max_interval: 2m\n"
      "  retry_max_elapsed: 24h\n"
      "  max_attempts: 0\n"
      "sessions:\n"
      "  - retention_policy: autogen\n"
      "    max_batch_bytes: 65536\n"
      "    max_pending_bytes: 65536\n"
      "listeners:\n"
      "  - type: udp\n"
      "    address: 127.0.0.1:8089\n"
      "    read_buffer_bytes: 65536\n"
      "  - type: unix_dgram\n"
      "    path: /tmp/d.sock\n"
      "    read_buffer_bytes: 2147483647\n"
      "spool:\n"
      "  fsync: always\n"
      "  fsync_interval: 100ms\n"
      "  max_bytes: 1048576\n"
      "  when_full: drop_oldest\n"
      "  segment_bytes: 1048576\n");
  EXPECT_FALSE(config.influxdb.create_database);
  EXPECT_EQ(config.influxdb.retry_initial_interval, milliseconds(50));
  EXPECT_EQ(config.influxdb.retry_max_interval, std::chrono::minutes(2));
  EXPECT_EQ(config.influxdb.retry_max_elapsed, std::chrono::hours(24));
  EXPECT_EQ(config.influxdb.max_attempts, 0u);
  EXPECT_EQ(config.sessions[0].max_pending_bytes, 65536u);
  EXPECT_EQ(config.listeners[0].read_buffer_bytes, 65536u);
  EXPECT_EQ(config.listeners[1].read_buffer_bytes, 2147483647u);
  EXPECT_EQ(config.spool.fsync, FsyncPolicy::kAlways);
  EXPECT_EQ(config.spool.fsync_interval, milliseconds(100));
  EXPECT_EQ(config.spool.max_bytes, 1048576u);
  EXPECT_EQ(config.spool.when_full, WhenFull::kDropOldest);
  EXPECT_EQ(config.spool.segment_bytes, 1048576u);

  EXPECT_EQ(Parse(std::string(kMinimal) + "spool:\n  fsync: never\n  when_full: drop_newest\n")
                .spool.fsync,
            FsyncPolicy::kNever);
  EXPECT_EQ(Parse(std::string(kMinimal) + "spool:\n  when_full: drop_newest\n").spool.when_full,
            WhenFull::kDropNewest);
  EXPECT_TRUE(Parse("influxdb:\n  database: d\n  create_database: true\n"
                    "sessions:\n  - retention_policy: a\n")
                  .influxdb.create_database);
}

TEST(ConfigTest, BadDeliveryValuesNameTheirLineAndKey) {
  const std::string influxdb = "sessions:\n  - retention_policy: a\ninfluxdb:\n  database: d\n";
  EXPECT_EQ(Error(influxdb + "  create_database: yes\n"),
            "test.yaml:5: influxdb.create_database: must be true or false");
  EXPECT_EQ(Error(influxdb + "  retry_initial_interval: 0s\n"),
            "test.yaml:5: influxdb.retry_initial_interval: must be longer than 0s");
  EXPECT_EQ(Error(influxdb + "  retry_initial_interval: 200\n"),
            "test.yaml:5: influxdb.retry_initial_interval: invalid duration '200': a whole "
            "number and one of ns, us, ms, s, m, h, such as 500ms");
  EXPECT_EQ(Error(influxdb + "  retry_max_interval: 0ms\n"),
            "test.yaml:5: influxdb.retry_max_interval: must be longer than 0s");
  EXPECT_EQ(Error(influxdb + "  retry_max_elapsed: -1s\n"),
            "test.yaml:5: influxdb.retry_max_elapsed: invalid duration '-1s': a whole number "
            "and one of ns, us, ms, s, m, h, such as 500ms");
  EXPECT_EQ(Error(influxdb + "  max_attempts: -1\n"),
            "test.yaml:5: influxdb.max_attempts: must be a whole number, not '-1'");

  EXPECT_EQ(Error(std::string(kMinimal) + "    max_pending_bytes: 16MiB\n"),
            "test.yaml:5: sessions[0].max_pending_bytes: must be a whole number, not '16MiB'");

  const std::string udp = std::string(kMinimal) + "listeners:\n  - type: udp\n    address: h:1\n";
  EXPECT_EQ(Error(udp + "    read_buffer_bytes: 65535\n"),
            "test.yaml:8: listeners[0].read_buffer_bytes: must be at least 65536 (64 KiB), "
            "not 65535");
  EXPECT_EQ(Error(udp + "    read_buffer_bytes: 2147483648\n"),
            "test.yaml:8: listeners[0].read_buffer_bytes: must be at most 2147483647, not "
            "2147483648");

  const std::string spool = std::string(kMinimal) + "spool:\n";
  EXPECT_EQ(Error(spool + "  fsync: sometimes\n"),
            "test.yaml:6: spool.fsync: must be always, interval or never, not 'sometimes'");
  EXPECT_EQ(Error(spool + "  fsync_interval: 0s\n"),
            "test.yaml:6: spool.fsync_interval: must be longer than 0s");
  EXPECT_EQ(Error(spool + "  max_bytes: 1048575\n"),
            "test.yaml:6: spool.max_bytes: must be at least 1048576 (1 MiB), not 1048575");
  EXPECT_EQ(Error(spool + "  max_bytes: 1GiB\n"),
            "test.yaml:6: spool.max_bytes: must be a whole number, not '1GiB'");
  EXPECT_EQ(Error(spool + "  when_full: drop\n"),
            "test.yaml:6: spool.when_full: must be block, drop_oldest or drop_newest, not 'drop'");
  EXPECT_EQ(Error(spool + "  segment_bytes: 65535\n"),
            "test.yaml:6: spool.segment_bytes: must be at least 65536 (64 KiB), not 65535");
}

// Of two options out of order, the error names the one the file gives (the
// later one if it gives both), at its line.
TEST(ConfigTest, RetryMaxIntervalIsAtLeastTheInitialInterval) {
  const std::string influxdb = "sessions:\n  - retention_policy: a\ninfluxdb:\n  database: d\n";
  EXPECT_EQ(Error(influxdb + "  retry_initial_interval: 1m\n"),
            "test.yaml:5: influxdb.retry_initial_interval: must be at most retry_max_interval "
            "(30s), not 1m");
  EXPECT_EQ(Error(influxdb + "  retry_max_interval: 100ms\n"),
            "test.yaml:5: influxdb.retry_max_interval: must be at least retry_initial_interval "
            "(200ms), not 100ms");
  EXPECT_EQ(Error(influxdb + "  retry_max_interval: 1s\n  retry_initial_interval: 1500ms\n"),
            "test.yaml:5: influxdb.retry_max_interval: must be at least retry_initial_interval "
            "(1500ms), not 1s");
  EXPECT_EQ(Parse(influxdb + "  retry_initial_interval: 30s\n").influxdb.retry_initial_interval,
            seconds(30));
}

TEST(ConfigTest, SpoolSegmentBytesIsAtMostMaxBytes) {
  const std::string spool = std::string(kMinimal) + "spool:\n";
  EXPECT_EQ(Error(spool + "  max_bytes: 1048576\n"),
            "test.yaml:6: spool.max_bytes: must be at least segment_bytes (16777216), not "
            "1048576");
  EXPECT_EQ(Error(spool + "  segment_bytes: 2147483648\n"),
            "test.yaml:6: spool.segment_bytes: must be at most max_bytes (1073741824), not "
            "2147483648");
  EXPECT_EQ(Error(spool + "  max_bytes: 2097152\n  segment_bytes: 4194304\n"),
            "test.yaml:6: spool.max_bytes: must be at least segment_bytes (4194304), not "
            "2097152");
  EXPECT_EQ(Parse(spool + "  max_bytes: 1048576\n  segment_bytes: 65536\n").spool.segment_bytes,
            65536u);
}

TEST(ConfigTest, MaxPendingBytesIsAtLeastMaxBatchBytes) {
  EXPECT_EQ(Error(std::string(kMinimal) + "    max_pending_bytes: 1048575\n"),
            "test.yaml:5: sessions[0].max_pending_bytes: must be at least max_batch_bytes "
            "(1048576), not 1048575");
  EXPECT_EQ(Error(std::string(kMinimal) + "    max_pending_bytes: 0\n"),
            "test.yaml:5: sessions[0].max_pending_bytes: must be at least max_batch_bytes "
            "(1048576), not 0");
  EXPECT_EQ(Error(std::string(kMinimal) + "  - retention_policy: b\n"
                  "    max_batch_bytes: 33554432\n"),
            "test.yaml:6: sessions[1].max_batch_bytes: must be at most max_pending_bytes "
            "(16777216), not 33554432");
  EXPECT_EQ(Parse(std::string(kMinimal) + "    max_batch_bytes: 33554432\n"
                  "    max_pending_bytes: 33554432\n")
                .sessions[0]
                .max_pending_bytes,
            33554432u);
}

TEST(ConfigTest, ReadBufferBytesIsOnlyForDatagramListeners) {
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "listeners:\n  - type: unix_stream\n    path: /tmp/s.sock\n"
                  "    read_buffer_bytes: 65536\n"),
            "test.yaml:8: listeners[0].read_buffer_bytes: only for udp and unix_dgram");
  EXPECT_EQ(Error(std::string(kMinimal) +
                  "listeners:\n  - type: udp\n    address: h:1\n"
                  "  - read_buffer_bytes: 65536\n    type: http\n    address: h:2\n"),
            "test.yaml:8: listeners[1].read_buffer_bytes: only for udp and unix_dgram");
}

// fsync_interval is kept with another fsync, so that switching fsync needs
// no other edit.
TEST(ConfigTest, FsyncIntervalIsIgnoredWithAnotherFsync) {
  Config config = Parse(std::string(kMinimal) + "spool:\n  fsync: never\n  fsync_interval: 5s\n");
  EXPECT_EQ(config.spool.fsync, FsyncPolicy::kNever);
  EXPECT_EQ(config.spool.fsync_interval, seconds(5));
}

TEST(ConfigTest, MalformedYamlNamesItsLine) {
  std::string message = Error("sessions:\n  - retention_policy: [a\n");
  EXPECT_EQ(message.rfind("test.yaml:", 0), 0u) << message;
}

TEST(ConfigTest, KeyGivenTwiceIsAnError) {
  EXPECT_EQ(Error(std::string(kMinimal) + "    autocommit_every: 5\n    autocommit_every: 6\n"),
            "test.yaml:6: sessions[0].autocommit_every: given twice");
}

TEST(ConfigTest, MissingFileIsAnError) {
  Config config;
  Status status = LoadConfig("/nonexistent/inflowd.yaml", &config);
  EXPECT_EQ(status.message(), "/nonexistent/inflowd.yaml: cannot open the configuration file");
}


TEST(ConfigTest, ReadsTheCacheOptions) {
  Config config;
  Status status = ParseConfig(std::string(kMinimal) +
                                  "redis:\n"
                                  "  url: unix://:secret@/run/redis/redis.sock?db=3\n"
                                  "  key_prefix: lvc/\n"
                                  "  keep_last: 100\n"
                                  "  flush_interval: 20ms\n"
                                  "  ttl: 4h\n"
                                  "  max_pending_series: 7\n"
                                  "  timeout: 500ms\n",
                              "test.yaml", &config);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(config.redis.enabled);
  EXPECT_EQ(config.redis.address.unix_socket, "/run/redis/redis.sock");
  EXPECT_EQ(config.redis.address.password, "secret");
  EXPECT_EQ(config.redis.address.db, 3);
  EXPECT_EQ(config.redis.cache.key_prefix, "lvc/");
  EXPECT_EQ(config.redis.cache.keep_last, 100);
  EXPECT_EQ(config.redis.flush_interval, milliseconds(20));
  EXPECT_EQ(config.redis.cache.ttl_seconds, 4 * 3600);
  EXPECT_EQ(config.redis.cache.max_pending_series, 7u);
  EXPECT_EQ(config.redis.timeout, milliseconds(500));
}

TEST(ConfigTest, BadCacheValuesNameTheirLineAndKey) {
  const std::string redis = std::string(kMinimal) + "redis:\n  url: redis://127.0.0.1:6379/0\n";
  EXPECT_EQ(Error(redis + "  keep_last: 101\n"),
            "test.yaml:7: redis.keep_last: must be 1 to 100, not 101");
  EXPECT_EQ(Error(redis + "  keep_last: 0\n"),
            "test.yaml:7: redis.keep_last: must be 1 to 100, not 0");
  EXPECT_EQ(Error(redis + "  ttl: 1500ms\n"), "test.yaml:7: redis.ttl: must be whole seconds");
  EXPECT_EQ(Error(redis + "  ttl: 87601h\n"), "test.yaml:7: redis.ttl: must be at most 3650 days");
  EXPECT_EQ(Error(redis + "  flush_interval: 0s\n"),
            "test.yaml:7: redis.flush_interval: must be longer than 0s");
  EXPECT_EQ(Error(redis + "  max_pending_series: 0\n"),
            "test.yaml:7: redis.max_pending_series: must be at least 1");
  EXPECT_EQ(Error(std::string(kMinimal) + "redis:\n  url: http://127.0.0.1:6379\n").substr(0, 23),
            "test.yaml:6: redis.url:");
  // A cache option without the cache is a mistake, not a silent no-op.
  EXPECT_EQ(Error(std::string(kMinimal) + "redis:\n  keep_last: 5\n"),
            "test.yaml:6: redis.keep_last: is an option of the last-value cache, which needs "
            "redis.url");
}

}  // namespace
}  // namespace inflow::daemon
