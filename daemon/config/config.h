// inflowd's configuration: a YAML file, read once at start. There is no
// reload yet: a changed file takes effect on a restart; a SIGHUP is logged
// and changes nothing.
//
// Every option is declared once, in the tables of config.cc, with its type,
// default, unit and description; ConfigOptions() lists them for the docs,
// and a test holds config/inflowd.example.yaml and README.md to that list.
// Unknown keys are errors, and every error names the file, the line and the
// key.

#ifndef INFLOW_DAEMON_CONFIG_CONFIG_H_
#define INFLOW_DAEMON_CONFIG_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/influx_protocol.h"
#include "inflow/influx_url.h"
#include "inflow/last_value_buffer.h"
#include "inflow/point.h"
#include "inflow/redis_url.h"
#include "inflow/batcher.h"
#include "inflow/status.h"

namespace inflow::daemon {

// The endpoint (influxdb.url; influxdb.database, else the URL's path;
// influxdb.request_timeout) and what the daemon does with it.
struct InfluxDbConfig : InfluxEndpoint {
  bool unsigned_fields = false;  // whether the server takes `7u`
  // On 404 "database not found": CREATE DATABASE and write again, or
  // (false) move the batch to the dead-letter folder.
  bool create_database = true;
  // The bounds of the backoff between attempts after a connection failure
  // or a 5xx. 0 < retry_initial_interval <= retry_max_interval.
  std::chrono::nanoseconds retry_initial_interval = std::chrono::milliseconds(200);
  std::chrono::nanoseconds retry_max_interval = std::chrono::seconds(30);
  // How long one batch may keep failing before it becomes a dead letter;
  // zero: forever.
  std::chrono::nanoseconds retry_max_elapsed{0};
  // Failed attempts of one batch, counted while other batches to the same
  // server were delivered, after which it becomes a dead letter; 0: no limit.
  size_t max_attempts = 10;
};

enum class ListenerType : uint8_t { kUdp, kUnixDgram, kUnixStream, kHttp };

struct ListenerConfig {
  ListenerType type = ListenerType::kUdp;
  std::string address;           // host:port, for udp and http
  std::string path;              // for unix_dgram and unix_stream
  std::string retention_policy;  // the session of its points; the first session's if empty
  Precision precision = Precision::kNanoseconds;
  // SO_RCVBUF of udp and unix_dgram listeners, at most INT_MAX (setsockopt
  // takes an int); the kernel may cap it at net.core.rmem_max.
  size_t read_buffer_bytes = 4 << 20;
  int line = 0;                  // of its entry in the file, for messages
};

// A session's options: the core's batching options and the daemon's own.
// It derives from BatchOptions, rather than holding one, so that code
// taking a BatchOptions (Session, SessionQueue) takes an entry as it is.
struct SessionConfig : BatchOptions {
  // Bytes of points waiting to be written that the session keeps in memory;
  // beyond it, points wait in the spool. At least max_batch_bytes.
  size_t max_pending_bytes = 16 << 20;
};

// When points appended to the spool are forced to disk.
enum class FsyncPolicy : uint8_t {
  kAlways,    // before they count as accepted (e.g. before HTTP answers 204)
  kInterval,  // every fsync_interval
  kNever,     // left to the kernel
};

// What happens to points when the spool (or its disk) is full.
enum class WhenFull : uint8_t {
  kBlock,       // stream clients are paused; datagrams are dropped, counted
  kDropOldest,  // the oldest undelivered points are deleted, counted
  kDropNewest,  // new points are refused, counted
};

struct SpoolConfig {
  std::string directory = "/var/lib/inflowd";
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  std::chrono::nanoseconds fsync_interval = std::chrono::seconds(1);  // > 0
  size_t max_bytes = size_t{1} << 30;      // all sessions together; >= 1 MiB
  WhenFull when_full = WhenFull::kBlock;
  size_t segment_bytes = size_t{16} << 20;  // 64 KiB <= segment_bytes <= max_bytes
};

// The last-value cache (daemon/cache/): off unless redis.url is given.
struct RedisConfig {
  bool enabled = false;  // redis.url given
  RedisAddress address;
  LastValueOptions cache;  // key_prefix, ttl, keep_last, max_pending_series
  std::chrono::nanoseconds flush_interval = std::chrono::milliseconds(100);  // > 0
  // How long connecting, and each answer, may take before the connection
  // is dropped and made again. > 0.
  std::chrono::nanoseconds timeout = std::chrono::seconds(2);
};

struct Config {
  InfluxDbConfig influxdb;
  std::vector<SessionConfig> sessions;
  std::vector<ListenerConfig> listeners;
  std::string retention_policy_tag;  // routing.retention_policy_tag; empty: no routing by tag
  RedisConfig redis;
  SpoolConfig spool;
  std::string log_level = "info";
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(10);
};

// Parses the YAML text of a configuration; `file_name` is used in messages.
// On failure returns an error `FILE:LINE: KEY: WHAT` and leaves *config
// as it was.
Status ParseConfig(std::string_view yaml, std::string_view file_name, Config* config);

// Reads and parses the file at `path`.
Status LoadConfig(const std::string& path, Config* config);

// One option, for the reference documentation.
struct ConfigOption {
  std::string key;  // e.g. "sessions[].commit_interval"
  std::string type;
  std::string default_value;
  std::string description;
};

// Every option, in the order of the file's sections.
std::vector<ConfigOption> ConfigOptions();

// Parses a duration: an integer and a unit (ns, us, ms, s, m, h), e.g. 1500ms.
Status ParseDuration(std::string_view text, std::chrono::nanoseconds* duration);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_CONFIG_CONFIG_H_
