#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

namespace inflow::daemon {

namespace {

constexpr std::string_view kDefaultUrl = "http://127.0.0.1:8086";

// Full key → the line where the file gives it, for the checks that span
// options: they name the option the file gives, at its line.
using GivenLines = std::map<std::string, int>;

// Where a value is: the file, and the key's full name (sessions[1].commit_interval).
struct Context {
  std::string_view file;
  std::string key;
  GivenLines* given_lines;

  Context Child(std::string_view name) const {
    return Context{file, key.empty() ? std::string(name) : key + "." + std::string(name),
                   given_lines};
  }
};

Status Fail(const Context& c, const YAML::Node& node, std::string_view what) {
  std::string where = std::string(c.file) + ":" + std::to_string(node.Mark().line + 1) + ": ";
  return Status::Error(where + (c.key.empty() ? "" : c.key + ": ") + std::string(what));
}

Status ReadString(const Context& c, const YAML::Node& node, std::string* out) {
  if (!node.IsScalar()) return Fail(c, node, "must be a string");
  *out = node.Scalar();
  if (out->empty()) return Fail(c, node, "must not be empty");
  return Status::Ok();
}

Status ReadCount(const Context& c, const YAML::Node& node, size_t* out) {
  if (!node.IsScalar()) return Fail(c, node, "must be a whole number");
  const std::string& text = node.Scalar();
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return Fail(c, node, "must be a whole number, not '" + text + "'");
  }
  return Status::Ok();
}

Status ReadBool(const Context& c, const YAML::Node& node, bool* out) {
  if (node.IsScalar() && (node.Scalar() == "true" || node.Scalar() == "false")) {
    *out = node.Scalar() == "true";
    return Status::Ok();
  }
  return Fail(c, node, "must be true or false");
}

// 1048576 (1 MiB): a byte count, and its size for people when that is whole.
std::string BytesText(size_t bytes) {
  constexpr std::pair<size_t, std::string_view> kUnits[] = {
      {size_t{1} << 30, "GiB"}, {size_t{1} << 20, "MiB"}, {size_t{1} << 10, "KiB"}};
  for (auto [size, unit] : kUnits) {
    if (bytes >= size && bytes % size == 0) {
      return std::to_string(bytes) + " (" + std::to_string(bytes / size) + " " +
             std::string(unit) + ")";
    }
  }
  return std::to_string(bytes);
}

// Reads a byte count of at least `minimum`.
Status ReadBytes(const Context& c, const YAML::Node& node, size_t minimum, size_t* out) {
  if (Status s = ReadCount(c, node, out); !s.ok()) return s;
  if (*out < minimum) {
    return Fail(c, node, "must be at least " + BytesText(minimum) + ", not " + node.Scalar());
  }
  return Status::Ok();
}

Status ReadDurationNode(const Context& c, const YAML::Node& node, std::chrono::nanoseconds* out) {
  if (!node.IsScalar()) return Fail(c, node, "must be a duration such as 500ms or 10s");
  Status s = ParseDuration(node.Scalar(), out);
  return s.ok() ? s : Fail(c, node, s.message());
}

Status ReadPositiveDuration(const Context& c, const YAML::Node& node,
                            std::chrono::nanoseconds* out) {
  if (Status s = ReadDurationNode(c, node, out); !s.ok()) return s;
  if (out->count() == 0) return Fail(c, node, "must be longer than 0s");
  return Status::Ok();
}

// 200ms, 30s, 0s: a duration as ParseDuration reads it, in the largest unit
// that keeps the number whole.
std::string DurationText(std::chrono::nanoseconds duration) {
  constexpr std::pair<int64_t, std::string_view> kUnits[] = {
      {3'600'000'000'000, "h"}, {60'000'000'000, "m"}, {1'000'000'000, "s"},
      {1'000'000, "ms"},        {1'000, "us"},         {1, "ns"}};
  int64_t ns = duration.count();
  if (ns == 0) return "0s";
  for (auto [scale, unit] : kUnits) {
    if (ns % scale == 0) return std::to_string(ns / scale) + std::string(unit);
  }
  return std::to_string(ns) + "ns";  // not reached: every count is whole nanoseconds
}

template <typename Section>
using ReadFn = Status (*)(const Context&, const YAML::Node&, Section*);

// One option of a section: its name, type, default and meaning, and how to read it.
template <typename Section>
struct Option {
  std::string_view name;
  std::string_view type;
  std::string_view default_value;
  std::string_view description;
  ReadFn<Section> read;
};

// Reads a mapping whose keys must all be options of `table`.
template <typename Section, size_t N>
Status ReadSection(const Context& c, const YAML::Node& node, const Option<Section> (&table)[N],
                   Section* section) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) return Fail(c, node, "must be a mapping of options");
  std::set<std::string> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (!it->first.IsScalar()) return Fail(c, it->first, "a key must be a name");
    const std::string& name = it->first.Scalar();
    Context child = c.Child(name);
    auto option = std::find_if(std::begin(table), std::end(table),
                               [&](const Option<Section>& o) { return o.name == name; });
    if (option == std::end(table)) return Fail(child, it->first, "unknown option");
    if (!seen.insert(name).second) return Fail(child, it->first, "given twice");
    if (Status s = option->read(child, it->second, section); !s.ok()) return s;
    (*c.given_lines)[child.key] = it->first.Mark().line + 1;
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------
// The options, section by section.

constexpr Option<InfluxDbConfig> kInfluxDbOptions[] = {
    {"url", "URL", kDefaultUrl,
     "InfluxDB's HTTP API. `user:pass@` gives basic auth (never logged); a path names the "
     "database. http:// only (https:// is refused: no TLS yet).",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       std::string text;
       if (Status st = ReadString(c, n, &text); !st.ok()) return st;
       Status st = ParseInfluxUrl(text, &s->url);
       if (!st.ok()) return Fail(c, n, st.message());
       // The connection speaks plain HTTP only: an https URL would send
       // credentials and points unencrypted to a TLS port.
       if (s->url.tls) return Fail(c, n, "https:// is not supported yet: inflowd does not speak TLS");
       return st;
     }},
    {"database", "string", "the URL's path", "The database written to; overrides the URL's path.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadString(c, n, &s->database);
     }},
    {"unsigned_fields", "bool", "false",
     "Whether the server takes unsigned fields (`7u`). InfluxDB 1.x servers built without "
     "unsigned support (Debian's among them) reject them, so inflowd does too.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadBool(c, n, &s->unsigned_fields);
     }},
    {"request_timeout", "duration", "10s", "How long one write to InfluxDB may take.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadDurationNode(c, n, &s->request_timeout);
     }},
    {"create_database", "bool", "true",
     "On 404 \"database not found\", create the database (`CREATE DATABASE`) and write the "
     "batch again; when false, such batches go to the dead-letter folder.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadBool(c, n, &s->create_database);
     }},
    {"retry_initial_interval", "duration", "200ms",
     "After a connection failure or a 5xx, the longest wait before the first retry: the "
     "bound doubles with each failure up to retry_max_interval, and each wait is drawn at "
     "random below it (capped exponential backoff with full jitter; a `Retry-After` from the "
     "server overrides the draw). Longer than 0s.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadPositiveDuration(c, n, &s->retry_initial_interval);
     }},
    {"retry_max_interval", "duration", "30s",
     "The cap of that bound: the longest wait between two attempts. At least "
     "retry_initial_interval.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadPositiveDuration(c, n, &s->retry_max_interval);
     }},
    {"retry_max_elapsed", "duration", "0s",
     "How long one batch may keep failing before it is moved to the dead-letter folder; 0s: "
     "forever.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadDurationNode(c, n, &s->retry_max_elapsed);
     }},
    {"max_attempts", "attempts", "10",
     "After this many failed attempts of one batch, the batch behind it is written: if that "
     "one is delivered, the server takes writes and the first batch itself is at fault, so it "
     "is moved to the dead-letter folder; if not, the server is at fault and the batch is "
     "retried (see retry_max_elapsed). A batch alone is never moved. 0: no limit.",
     [](const Context& c, const YAML::Node& n, InfluxDbConfig* s) {
       return ReadCount(c, n, &s->max_attempts);
     }},
};

constexpr Option<SessionConfig> kSessionOptions[] = {
    {"retention_policy", "string", "(required)",
     "The retention policy this session writes to; one session per retention policy.",
     [](const Context& c, const YAML::Node& n, SessionConfig* s) {
       return ReadString(c, n, &s->retention_policy);
     }},
    {"autocommit_every", "points", "5000",
     "Commit when this many points are pending; 0 commits by time and size only.",
     [](const Context& c, const YAML::Node& n, SessionConfig* s) {
       return ReadCount(c, n, &s->autocommit_every);
     }},
    {"commit_interval", "duration", "1s",
     "Commit this long after the first pending point, whichever comes first; 0s disables.",
     [](const Context& c, const YAML::Node& n, SessionConfig* s) {
       return ReadDurationNode(c, n, &s->commit_interval);
     }},
    {"max_batch_bytes", "bytes", "1048576",
     "Commit before a batch would grow past this many bytes of line protocol.",
     [](const Context& c, const YAML::Node& n, SessionConfig* s) {
       return ReadBytes(c, n, 1, &s->max_batch_bytes);
     }},
    {"max_pending_bytes", "bytes", "16777216",
     "How many bytes of points waiting to be written the session may hold in memory; beyond "
     "it, points wait in the spool. At least the session's max_batch_bytes.",
     [](const Context& c, const YAML::Node& n, SessionConfig* s) {
       return ReadCount(c, n, &s->max_pending_bytes);
     }},
};

constexpr Option<ListenerConfig> kListenerOptions[] = {
    {"type", "udp, unix_dgram, unix_stream or http", "(required)", "The kind of socket.",
     [](const Context& c, const YAML::Node& n, ListenerConfig* s) {
       std::string text;
       if (Status st = ReadString(c, n, &text); !st.ok()) return st;
       if (text == "udp") {
         s->type = ListenerType::kUdp;
       } else if (text == "unix_dgram") {
         s->type = ListenerType::kUnixDgram;
       } else if (text == "unix_stream") {
         s->type = ListenerType::kUnixStream;
       } else if (text == "http") {
         s->type = ListenerType::kHttp;
       } else {
         return Fail(c, n, "must be udp, unix_dgram, unix_stream or http, not '" + text + "'");
       }
       return Status::Ok();
     }},
    {"address", "host:port", "(required for udp and http)", "The address to listen on.",
     [](const Context& c, const YAML::Node& n, ListenerConfig* s) {
       return ReadString(c, n, &s->address);
     }},
    {"path", "path", "(required for unix_dgram and unix_stream)", "The socket file.",
     [](const Context& c, const YAML::Node& n, ListenerConfig* s) {
       return ReadString(c, n, &s->path);
     }},
    {"retention_policy", "string", "the first session's",
     "The session its points go to, unless routed (for http: unless the request gives `rp`).",
     [](const Context& c, const YAML::Node& n, ListenerConfig* s) {
       return ReadString(c, n, &s->retention_policy);
     }},
    {"precision", "ns, us, ms or s", "ns",
     "The unit of the timestamps it receives (for http: unless the request gives `precision`).",
     [](const Context& c, const YAML::Node& n, ListenerConfig* s) {
       std::string text;
       if (Status st = ReadString(c, n, &text); !st.ok()) return st;
       std::optional<Precision> p = ParsePrecision(text);
       if (!p || text == "n" || text == "u") {
         return Fail(c, n, "must be ns, us, ms or s, not '" + text + "'");
       }
       s->precision = *p;
       return Status::Ok();
     }},
    {"read_buffer_bytes", "bytes", "4194304",
     "The socket's receive buffer (SO_RCVBUF), only for udp and unix_dgram: datagrams that "
     "arrive while it is full are lost. From 65536 (64 KiB) to 2147483647; the kernel may cap "
     "it at net.core.rmem_max.",
     [](const Context& c, const YAML::Node& n, ListenerConfig* s) {
       if (Status st = ReadBytes(c, n, 64 << 10, &s->read_buffer_bytes); !st.ok()) return st;
       constexpr size_t kMax = std::numeric_limits<int>::max();  // setsockopt takes an int
       if (s->read_buffer_bytes > kMax) {
         return Fail(c, n, "must be at most " + std::to_string(kMax) + ", not " + n.Scalar());
       }
       return Status::Ok();
     }},
};

struct RoutingConfig {
  std::string retention_policy_tag;
};
constexpr Option<RoutingConfig> kRoutingOptions[] = {
    {"retention_policy_tag", "string", "(none)",
     "A tag that picks a point's session by naming its retention policy; removed before "
     "writing.",
     [](const Context& c, const YAML::Node& n, RoutingConfig* s) {
       return ReadString(c, n, &s->retention_policy_tag);
     }},
};

constexpr Option<RedisConfig> kRedisOptions[] = {
    {"url", "URL", "(none: no cache)",
     "The Redis server of the last-value cache: redis://[[user]:password@]host[:port][/db] or "
     "unix://[[user]:password@]/path/redis.sock[?db=N]; GET /last reads it too. Without it "
     "inflowd keeps no cache.",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       std::string text;
       if (Status st = ReadString(c, n, &text); !st.ok()) return st;
       if (Status st = ParseRedisUrl(text, &s->address); !st.ok()) return Fail(c, n, st.message());
       s->enabled = true;
       return Status::Ok();
     }},
    {"key_prefix", "string", "inflow:",
     "The start of every key the cache writes (README: \"Last-value cache: keys and values\").",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       return ReadString(c, n, &s->cache.key_prefix);
     }},
    {"keep_last", "count", "1",
     "Points kept per series: 1 keeps its latest values; 2 to 100 also a list of its last N "
     "points, newest first.",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       size_t count = 0;
       if (Status st = ReadCount(c, n, &count); !st.ok()) return st;
       if (count < 1 || count > LastValueOptions::kMaxKeepLast) {
         return Fail(c, n, "must be 1 to 100, not " + n.Scalar());
       }
       s->cache.keep_last = static_cast<int>(count);
       return Status::Ok();
     }},
    {"flush_interval", "duration", "100ms",
     "How long updates are gathered per series before they are written to Redis, one command "
     "per series.",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       return ReadPositiveDuration(c, n, &s->flush_interval);
     }},
    {"ttl", "duration", "0s",
     "How long a series stays in the cache after its last update, in whole seconds; 0s: for "
     "ever.",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       std::chrono::nanoseconds ttl{0};
       if (Status st = ReadDurationNode(c, n, &ttl); !st.ok()) return st;
       if (ttl.count() % 1'000'000'000 != 0) return Fail(c, n, "must be whole seconds");
       int64_t seconds = ttl.count() / 1'000'000'000;
       if (seconds > LastValueOptions::kMaxTtlSeconds) {
         return Fail(c, n, "must be at most 3650 days");
       }
       s->cache.ttl_seconds = seconds;
       return Status::Ok();
     }},
    {"max_pending_series", "count", "100000",
     "Series whose updates may wait for Redis (while it is slow or down, only the latest per "
     "series is kept); points of further series are left out of the cache, and counted.",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       if (Status st = ReadCount(c, n, &s->cache.max_pending_series); !st.ok()) return st;
       if (s->cache.max_pending_series < 1) return Fail(c, n, "must be at least 1");
       return Status::Ok();
     }},
    {"timeout", "duration", "2s",
     "How long connecting to Redis, and each of its answers, may take before inflowd drops the "
     "connection and connects again.",
     [](const Context& c, const YAML::Node& n, RedisConfig* s) {
       return ReadPositiveDuration(c, n, &s->timeout);
     }},
};

constexpr Option<SpoolConfig> kSpoolOptions[] = {
    {"directory", "path", "/var/lib/inflowd", "Where the spool keeps accepted points on disk.",
     [](const Context& c, const YAML::Node& n, SpoolConfig* s) {
       return ReadString(c, n, &s->directory);
     }},
    {"fsync", "always, interval or never", "interval",
     "When points appended to the spool are forced to disk. always: before they count as "
     "accepted (e.g. before HTTP answers 204); interval: every fsync_interval; never: left to "
     "the kernel. With any of them a crash of inflowd loses no accepted point; a crash of the "
     "machine may lose those not yet on disk.",
     [](const Context& c, const YAML::Node& n, SpoolConfig* s) {
       std::string text;
       if (Status st = ReadString(c, n, &text); !st.ok()) return st;
       if (text == "always") {
         s->fsync = FsyncPolicy::kAlways;
       } else if (text == "interval") {
         s->fsync = FsyncPolicy::kInterval;
       } else if (text == "never") {
         s->fsync = FsyncPolicy::kNever;
       } else {
         return Fail(c, n, "must be always, interval or never, not '" + text + "'");
       }
       return Status::Ok();
     }},
    {"fsync_interval", "duration", "1s",
     "With fsync: interval, how often appended points are forced to disk; ignored otherwise. "
     "Longer than 0s.",
     [](const Context& c, const YAML::Node& n, SpoolConfig* s) {
       return ReadPositiveDuration(c, n, &s->fsync_interval);
     }},
    {"max_bytes", "bytes", "1073741824",
     "The disk space the spool may use, all sessions together. At least 1048576 (1 MiB).",
     [](const Context& c, const YAML::Node& n, SpoolConfig* s) {
       return ReadBytes(c, n, 1 << 20, &s->max_bytes);
     }},
    {"when_full", "block, drop_oldest or drop_newest", "block",
     "What happens when the spool is full (max_bytes), or its disk is (ENOSPC). block: stream "
     "clients (unix_stream, http) are paused and datagrams are dropped; drop_oldest: the "
     "oldest undelivered points are deleted; drop_newest: new points are refused. Points lost "
     "are counted and logged.",
     [](const Context& c, const YAML::Node& n, SpoolConfig* s) {
       std::string text;
       if (Status st = ReadString(c, n, &text); !st.ok()) return st;
       if (text == "block") {
         s->when_full = WhenFull::kBlock;
       } else if (text == "drop_oldest") {
         s->when_full = WhenFull::kDropOldest;
       } else if (text == "drop_newest") {
         s->when_full = WhenFull::kDropNewest;
       } else {
         return Fail(c, n, "must be block, drop_oldest or drop_newest, not '" + text + "'");
       }
       return Status::Ok();
     }},
    {"segment_bytes", "bytes", "16777216",
     "The size of one spool file (a segment). From 65536 (64 KiB) to max_bytes.",
     [](const Context& c, const YAML::Node& n, SpoolConfig* s) {
       return ReadBytes(c, n, 64 << 10, &s->segment_bytes);
     }},
};

constexpr std::string_view kLogLevels[] = {"trace", "debug", "info", "warn", "error", "critical",
                                           "off"};
constexpr Option<Config> kLogOptions[] = {
    {"level", "trace, debug, info, warn, error, critical or off", "info",
     "What inflowd logs to standard output; `--log-level` overrides it.",
     [](const Context& c, const YAML::Node& n, Config* s) {
       if (Status st = ReadString(c, n, &s->log_level); !st.ok()) return st;
       if (std::find(std::begin(kLogLevels), std::end(kLogLevels), s->log_level) ==
           std::end(kLogLevels)) {
         return Fail(c, n, "must be one of trace, debug, info, warn, error, critical, off");
       }
       return Status::Ok();
     }},
};

// Reads a sequence whose entries are sections of `table`.
template <typename Section, size_t N>
Status ReadList(const Context& c, const YAML::Node& node, const Option<Section> (&table)[N],
                std::vector<Section>* list, std::vector<int>* lines) {
  if (!node.IsSequence()) return Fail(c, node, "must be a list");
  for (size_t i = 0; i < node.size(); ++i) {
    Context entry{c.file, c.key + "[" + std::to_string(i) + "]", c.given_lines};
    if (!node[i].IsMap()) return Fail(entry, node[i], "must be a mapping of options");
    Section section;
    if (Status s = ReadSection(entry, node[i], table, &section); !s.ok()) return s;
    list->push_back(std::move(section));
    lines->push_back(node[i].Mark().line + 1);
  }
  return Status::Ok();
}

// What the top level holds: sections, lists and one option. Lines of the
// list entries are kept for the checks that span entries.
struct TopLevel {
  Config* config;
  std::vector<int> session_lines;
  std::vector<int> listener_lines;
  GivenLines given_lines;
};

constexpr Option<TopLevel> kTopLevelOptions[] = {
    {"influxdb", "section", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       return ReadSection(c, n, kInfluxDbOptions, &t->config->influxdb);
     }},
    {"sessions", "list", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       return ReadList(c, n, kSessionOptions, &t->config->sessions, &t->session_lines);
     }},
    {"listeners", "list", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       Status s = ReadList(c, n, kListenerOptions, &t->config->listeners, &t->listener_lines);
       for (size_t i = 0; s.ok() && i < t->config->listeners.size(); ++i) {
         t->config->listeners[i].line = t->listener_lines[i];
       }
       return s;
     }},
    {"routing", "section", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       RoutingConfig routing;
       Status s = ReadSection(c, n, kRoutingOptions, &routing);
       t->config->retention_policy_tag = routing.retention_policy_tag;
       return s;
     }},
    {"redis", "section", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       return ReadSection(c, n, kRedisOptions, &t->config->redis);
     }},
    {"spool", "section", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       return ReadSection(c, n, kSpoolOptions, &t->config->spool);
     }},
    {"log", "section", "", "",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       return ReadSection(c, n, kLogOptions, t->config);
     }},
    {"shutdown_timeout", "duration", "10s",
     "On SIGTERM or SIGINT, how long inflowd waits for writes in flight before it exits.",
     [](const Context& c, const YAML::Node& n, TopLevel* t) {
       return ReadDurationNode(c, n, &t->config->shutdown_timeout);
     }},
};

// The error for two options of one section or entry (`prefix`: "spool.",
// "sessions[0].") whose values are out of order: `lower` exceeds `upper`. It
// names the upper one if the file gives it, else the lower one; the defaults
// are in order, so the file gives one of them.
Status OutOfOrder(std::string_view file, const GivenLines& given, const std::string& prefix,
                  std::string_view lower, const std::string& lower_value, std::string_view upper,
                  const std::string& upper_value) {
  std::string key = prefix + std::string(upper);
  std::string what =
      "must be at least " + std::string(lower) + " (" + lower_value + "), not " + upper_value;
  if (!given.contains(key)) {
    key = prefix + std::string(lower);
    what = "must be at most " + std::string(upper) + " (" + upper_value + "), not " + lower_value;
  }
  auto line = given.find(key);
  std::string where =
      std::string(file) + (line == given.end() ? "" : ":" + std::to_string(line->second));
  return Status::Error(where + ": " + key + ": " + what);
}

// Checks that span options: what each listener needs, sessions' names, the
// options bounded by others.
Status CheckConfig(std::string_view file, const TopLevel& top) {
  const Config& config = *top.config;
  auto at = [&](int line, const std::string& key, const std::string& what) {
    return Status::Error(std::string(file) + ":" + std::to_string(line) + ": " + key + ": " +
                         what);
  };
  if (config.sessions.empty()) {
    return Status::Error(std::string(file) + ": sessions: at least one session is needed");
  }
  for (size_t i = 0; i < config.sessions.size(); ++i) {
    std::string key = "sessions[" + std::to_string(i) + "]";
    if (config.sessions[i].retention_policy.empty()) {
      return at(top.session_lines[i], key, "retention_policy is required");
    }
    for (size_t j = 0; j < i; ++j) {
      if (config.sessions[j].retention_policy == config.sessions[i].retention_policy) {
        return at(top.session_lines[i], key + ".retention_policy",
                  "'" + config.sessions[i].retention_policy + "' has a session already");
      }
    }
    const SessionConfig& s = config.sessions[i];
    if (s.max_pending_bytes < s.max_batch_bytes) {
      return OutOfOrder(file, top.given_lines, key + ".", "max_batch_bytes",
                        std::to_string(s.max_batch_bytes), "max_pending_bytes",
                        std::to_string(s.max_pending_bytes));
    }
  }
  for (size_t i = 0; i < config.listeners.size(); ++i) {
    const ListenerConfig& l = config.listeners[i];
    std::string key = "listeners[" + std::to_string(i) + "]";
    bool unix_socket = l.type == ListenerType::kUnixDgram || l.type == ListenerType::kUnixStream;
    if (unix_socket && l.path.empty()) return at(l.line, key, "path is required");
    if (unix_socket && !l.address.empty()) return at(l.line, key, "address is for udp and http");
    if (!unix_socket && l.address.empty()) return at(l.line, key, "address is required");
    if (!unix_socket && !l.path.empty()) return at(l.line, key, "path is for unix sockets");
    if (!unix_socket && l.address.rfind(':') == std::string::npos) {
      return at(l.line, key + ".address", "must be host:port, not '" + l.address + "'");
    }
    bool datagram = l.type == ListenerType::kUdp || l.type == ListenerType::kUnixDgram;
    if (auto given = top.given_lines.find(key + ".read_buffer_bytes");
        !datagram && given != top.given_lines.end()) {
      return at(given->second, given->first, "only for udp and unix_dgram");
    }
    if (!l.retention_policy.empty() &&
        std::none_of(config.sessions.begin(), config.sessions.end(),
                     [&](const BatchOptions& s) { return s.retention_policy == l.retention_policy; })) {
      return at(l.line, key + ".retention_policy",
                "no session has retention policy '" + l.retention_policy + "'");
    }
  }
  if (config.influxdb.database.empty()) {
    return Status::Error(std::string(file) +
                         ": influxdb.database: no database: set it, or give it as the URL's path");
  }
  const InfluxDbConfig& influxdb = config.influxdb;
  if (influxdb.retry_max_interval < influxdb.retry_initial_interval) {
    return OutOfOrder(file, top.given_lines, "influxdb.", "retry_initial_interval",
                      DurationText(influxdb.retry_initial_interval), "retry_max_interval",
                      DurationText(influxdb.retry_max_interval));
  }
  if (!config.redis.enabled) {
    for (const auto& [key, line] : top.given_lines) {
      if (key.starts_with("redis.")) {
        return at(line, key, "is an option of the last-value cache, which needs redis.url");
      }
    }
  }
  const SpoolConfig& spool = config.spool;
  if (spool.max_bytes < spool.segment_bytes) {
    return OutOfOrder(file, top.given_lines, "spool.", "segment_bytes",
                      std::to_string(spool.segment_bytes), "max_bytes",
                      std::to_string(spool.max_bytes));
  }
  return Status::Ok();
}

template <typename Section, size_t N>
void Describe(std::string_view prefix, const Option<Section> (&table)[N],
              std::vector<ConfigOption>* out) {
  for (const Option<Section>& o : table) {
    out->push_back(ConfigOption{std::string(prefix) + std::string(o.name), std::string(o.type),
                                std::string(o.default_value), std::string(o.description)});
  }
}

}  // namespace

Status ParseDuration(std::string_view text, std::chrono::nanoseconds* duration) {
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  std::string_view unit = text.substr(digits);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + digits, value);
  int64_t scale = 0;
  if (unit == "ns") scale = 1;
  if (unit == "us") scale = 1'000;
  if (unit == "ms") scale = 1'000'000;
  if (unit == "s") scale = 1'000'000'000;
  if (unit == "m") scale = 60'000'000'000;
  if (unit == "h") scale = 3'600'000'000'000;
  int64_t ns = 0;
  if (digits == 0 || ec != std::errc() || scale == 0 || __builtin_mul_overflow(value, scale, &ns)) {
    return Status::Error("invalid duration '" + std::string(text) +
                         "': a whole number and one of ns, us, ms, s, m, h, such as 500ms");
  }
  *duration = std::chrono::nanoseconds(ns);
  return Status::Ok();
}

Status ParseConfig(std::string_view yaml, std::string_view file_name, Config* config) {
  // Parsed into a fresh Config, which *config takes only when it is good.
  // (This also keeps GCC 12 at -O3 from a false -Wmaybe-uninitialized on
  // `*config = Config{}`.)
  Config parsed;
  if (Status s = ParseInfluxUrl(kDefaultUrl, &parsed.influxdb.url); !s.ok()) return s;
  TopLevel top{&parsed, {}, {}, {}};
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    Context context{file_name, "", &top.given_lines};
    if (Status s = ReadSection(context, root, kTopLevelOptions, &top); !s.ok()) return s;
  } catch (const YAML::Exception& e) {
    return Status::Error(std::string(file_name) + ":" + std::to_string(e.mark.line + 1) + ": " +
                         e.msg);
  }
  if (parsed.influxdb.database.empty()) parsed.influxdb.database = parsed.influxdb.url.database;
  if (Status s = CheckConfig(file_name, top); !s.ok()) return s;
  *config = std::move(parsed);
  return Status::Ok();
}

Status LoadConfig(const std::string& path, Config* config) {
  std::ifstream file(path);
  if (!file) return Status::Error(path + ": cannot open the configuration file");
  std::stringstream text;
  text << file.rdbuf();
  if (file.bad()) return Status::Error(path + ": cannot read the configuration file");
  return ParseConfig(text.str(), path, config);
}

std::vector<ConfigOption> ConfigOptions() {
  std::vector<ConfigOption> options;
  Describe("influxdb.", kInfluxDbOptions, &options);
  Describe("sessions[].", kSessionOptions, &options);
  Describe("listeners[].", kListenerOptions, &options);
  Describe("routing.", kRoutingOptions, &options);
  Describe("redis.", kRedisOptions, &options);
  Describe("spool.", kSpoolOptions, &options);
  Describe("log.", kLogOptions, &options);
  for (const Option<TopLevel>& o : kTopLevelOptions) {
    if (o.type == "section" || o.type == "list") continue;
    options.push_back(ConfigOption{std::string(o.name), std::string(o.type),
                                   std::string(o.default_value), std::string(o.description)});
  }
  return options;
}

}  // namespace inflow::daemon
