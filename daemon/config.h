// inflowd's configuration: a YAML file, read once at start (and on reload).
//
// Every option is declared once, in the tables of config.cc, with its type,
// default, unit and description; ConfigOptions() lists them for the docs,
// and a test holds config/inflowd.example.yaml and README.md to that list.
// Unknown keys are errors, and every error names the file, the line and the
// key.

#ifndef INFLOW_DAEMON_CONFIG_H_
#define INFLOW_DAEMON_CONFIG_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/influx_url.h"
#include "inflow/point.h"
#include "inflow/session.h"
#include "inflow/status.h"

namespace inflow::daemon {

struct InfluxDbConfig {
  InfluxUrl url;                 // from influxdb.url
  std::string database;          // influxdb.database, else the URL's path
  bool unsigned_fields = false;  // whether the server takes `7u`
  std::chrono::nanoseconds request_timeout = std::chrono::seconds(10);
};

enum class ListenerType : uint8_t { kUdp, kUnixDgram, kUnixStream, kHttp };

struct ListenerConfig {
  ListenerType type = ListenerType::kUdp;
  std::string address;           // host:port, for udp and http
  std::string path;              // for unix_dgram and unix_stream
  std::string retention_policy;  // the session of its points; the first session's if empty
  Precision precision = Precision::kNanoseconds;
  int line = 0;                  // of its entry in the file, for messages
};

struct Config {
  InfluxDbConfig influxdb;
  std::vector<SessionOptions> sessions;
  std::vector<ListenerConfig> listeners;
  std::string retention_policy_tag;  // routing.retention_policy_tag; empty: no routing by tag
  std::string redis_url = "redis://127.0.0.1:6379/0";
  std::string spool_directory = "/var/lib/inflowd";
  std::string log_level = "info";
  std::chrono::nanoseconds shutdown_timeout = std::chrono::seconds(10);
};

// Parses the YAML text of a configuration; `file_name` is used in messages.
// On failure returns an error `FILE:LINE: KEY: WHAT` and leaves *config
// unspecified.
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

#endif  // INFLOW_DAEMON_CONFIG_H_
