// inflow_last_bench: the last values of one series looked up among many,
// from the last-value cache in Redis and from InfluxDB 1.x, side by side
// (issue 10). Run by tests/bench/last_bench.sh, which starts the servers;
// or by hand:
//
//   inflow_last_bench --redis redis://127.0.0.1:6379/0 --influxdb http://127.0.0.1:8086
//                     --db bench [--series 100000] [--lookups 2000] [--cli BUILD/inflow]
//                     [--inflowd-http 127.0.0.1:PORT] [--skip-fill | --fill-only]
//
// (--help lists the rest: --cli-lookups, --block, --pause-ms, --settle-seconds.)
//
// It fills both with the same points (unless --skip-fill): measurement m,
// tags host=h0..h<series-1> and region=r0..r9, fields value (float) and
// count (integer), kPointsPerSeries points per series at different times,
// written in a shuffled order so that the last written is not always the
// latest. Redis gets them as inflowd writes them (LastValueBuffer, then the
// script, EVALSHA pipelined), InfluxDB through POST /write.
//
// Then it times lookups of one series by its host tag, each a host drawn
// from a fixed seed, on every path, the paths in turn in blocks of --block
// lookups:
//   cache           LookupLastValues over RedisClient (what `inflow last`
//                   and an embedding program call), with the database:
//                   three round trips (the catalog, SINTER, HGETALL)
//   cache_rp        the same with the retention policy too: two
//   cli             BUILD/inflow last ... as a process, fork/exec to exit
//   influx_library  LookupLastValuesInInfluxDb (`inflow last`'s fallback:
//                   three POST /query rounds, the retention policies, the
//                   field keys, a SELECT last per field, on a connection
//                   and a loop of its own per lookup)
//   influx_last(*)  SELECT last(*) FROM m WHERE host='hX' GROUP BY *, one
//                   POST /query on a kept connection: what users compare with
//   inflowd_http    GET /last on inflowd's HTTP listener (with --inflowd-http)
// and, once each, the lookup of all the measurement's series from the cache
// and from InfluxDB, in seconds.
//
// Every answer is checked against the values written: a wrong answer or
// an error is counted, printed (the first few), and makes the exit status
// 1 (2: a usage error). The
// InfluxDB server must accept `series` values of one tag: InfluxDB 1.x's
// max-values-per-tag is 100,000 by default (the script sets it to 0).

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iterator>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "inflow/host_port.h"
#include "inflow/http_response_parser.h"
#include "inflow/influx_protocol.h"
#include "inflow/influx_url.h"
#include "inflow/last_value_buffer.h"
#include "inflow/last_value_influx.h"
#include "inflow/last_value_lookup.h"
#include "inflow/last_value_script.h"
#include "inflow/line_parser.h"
#include "inflow/line_writer.h"
#include "inflow/redis_client.h"
#include "inflow/redis_url.h"

extern char** environ;

namespace inflow::bench {
namespace {

constexpr std::string_view kMeasurement = "m";
constexpr std::string_view kRetentionPolicy = "autogen";  // InfluxDB 1.x's default
constexpr int kPointsPerSeries = 3;
constexpr int kRegions = 10;
constexpr uint64_t kDataSeed = 20261202;
constexpr uint64_t kLookupSeed = 10;
constexpr int64_t kFirstTimeNs = 1'700'000'000'000'000'000;
constexpr int64_t kPointSpacingNs = 10'000'000'000;  // 10 s between a series' points
constexpr size_t kLinesPerWrite = 5000;
constexpr int kBlockWarmUps = 2;  // untimed, before each block of a path's lookups
constexpr size_t kMaxReportedMismatches = 5;
// The whole measurement's answer from InfluxDB runs to tens of MiB.
constexpr size_t kMaxBodyBytes = size_t{1} << 30;
constexpr timeval kSocketTimeout{60, 0};

struct BenchOptions {
  std::string redis_url;
  std::string influxdb_url;
  std::string database;
  int series = 100'000;
  int lookups = 2000;
  int cli_lookups = 200;
  std::string cli;
  std::string inflowd_http;
  bool skip_fill = false;
  int settle_seconds = 5;
  int block = 100;
  int pause_ms = 200;
  bool fill_only = false;
};

// The latest point of a series: what every lookup of it must answer.
struct Expected {
  double value = 0;
  int64_t count = 0;
  int64_t time_ns = 0;
};

std::string Host(int series) {
  std::string host = "h";
  host.append(std::to_string(series));
  return host;
}

// The points, generated from kDataSeed: the same on every run, so that a
// run with --skip-fill checks against what an earlier run wrote.
struct Dataset {
  // points[series][k]: point k of the series, at kFirstTimeNs + series µs +
  // k * kPointSpacingNs.
  std::vector<std::array<Expected, kPointsPerSeries>> points;
  // order[series][round]: which point of the series is written in round.
  std::vector<std::array<int, kPointsPerSeries>> order;

  const Expected& latest(int series) const { return points[series][kPointsPerSeries - 1]; }
};

Dataset MakeDataset(int series) {
  Dataset data;
  data.points.resize(series);
  data.order.resize(series);
  std::mt19937_64 random(kDataSeed);
  std::uniform_int_distribution<int64_t> millis(0, 999'999);
  std::uniform_int_distribution<int64_t> counts(0, 999'999'999);
  for (int s = 0; s < series; ++s) {
    for (int k = 0; k < kPointsPerSeries; ++k) {
      Expected& point = data.points[s][k];
      point.value = static_cast<double>(millis(random)) / 1000.0;
      point.count = counts(random);
      point.time_ns = kFirstTimeNs + int64_t{s} * 1000 + k * kPointSpacingNs;
      data.order[s][k] = k;
    }
    std::shuffle(data.order[s].begin(), data.order[s].end(), random);
  }
  return data;
}

void AppendLineOf(int series, const Expected& point, std::string* out) {
  out->append(kMeasurement);
  out->append(",host=");
  out->append(Host(series));
  out->append(",region=r");
  out->append(std::to_string(series % kRegions));
  out->append(" value=");
  AppendFloat(point.value, out);
  out->append(",count=");
  out->append(std::to_string(point.count));
  out->append("i ");
  out->append(std::to_string(point.time_ns));
  out->push_back('\n');
}

Status Errno(std::string what) {
  int error = errno;
  what.append(": ");
  what.append(std::strerror(error));
  return Status::Error(std::move(what), error);
}

// A blocking HTTP/1.1 client on one kept connection: a bench tool's, not
// the library's (which runs on a libuv loop). A request sent on a kept
// connection the server closed meanwhile is sent once more on a new one.
class HttpClient {
 public:
  HttpClient(std::string host, uint16_t port) : host_(std::move(host)), port_(port) {}
  ~HttpClient() { Close(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (whole, as built by influx_protocol.h) and reads the
  // answer into *response. An error names the server and what failed; the
  // connection is then closed.
  Status Send(std::string_view request, HttpResponse* response) {
    bool kept = fd_ >= 0;
    Status status = SendOnce(request, response);
    if (!status.ok() && kept && fd_ < 0 && !answered_) status = SendOnce(request, response);
    return status;
  }

 private:
  Status Connect() {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    std::string port = std::to_string(port_);
    if (int error = getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); error != 0) {
      return Status::Error(Name() + ": " + gai_strerror(error));
    }
    Status status = Status::Error(Name() + ": no address");
    for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
      int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd < 0) continue;
      if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        status = Errno(Name() + ": connect");
        ::close(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &kSocketTimeout, sizeof kSocketTimeout);
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &kSocketTimeout, sizeof kSocketTimeout);
      fd_ = fd;
    }
    freeaddrinfo(found);
    return fd_ >= 0 ? Status::Ok() : status;
  }

  Status SendOnce(std::string_view request, HttpResponse* response) {
    answered_ = false;
    if (fd_ < 0) {
      if (Status status = Connect(); !status.ok()) return status;
    }
    for (size_t sent = 0; sent < request.size();) {
      ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failed(Errno(Name() + ": send"));
      sent += static_cast<size_t>(n);
    }
    HttpResponseParser parser(HttpResponseParser::kDefaultMaxHeaderBytes, kMaxBodyBytes);
    std::vector<char> buffer(1 << 16);
    for (;;) {
      ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Failed(Errno(Name() + ": recv"));
      HttpResponseParser::Result result;
      if (n == 0) {
        result = parser.Finish();
      } else {
        answered_ = true;
        size_t consumed = 0;
        result = parser.Feed(std::string_view(buffer.data(), static_cast<size_t>(n)), &consumed);
      }
      if (result == HttpResponseParser::Result::kError) {
        return Failed(Status::Error(Name() + ": " + parser.error()));
      }
      if (result == HttpResponseParser::Result::kComplete) {
        *response = parser.response();
        if (!response->keep_alive || n == 0) Close();
        return Status::Ok();
      }
      if (n == 0) return Failed(Status::Error(Name() + ": closed before the answer ended"));
    }
  }

  Status Failed(Status status) {
    Close();
    return status;
  }

  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string Name() const {
    std::string name = "HTTP ";
    AppendHostPort(host_, port_, &name);
    return name;
  }

  std::string host_;
  uint16_t port_;
  int fd_ = -1;
  bool answered_ = false;  // whether the last SendOnce read any byte of an answer
};

std::string HttpError(std::string_view what, const HttpResponse& response) {
  std::string message(what);
  message.append(": HTTP ");
  message.append(std::to_string(response.status));
  message.append(": ");
  std::string_view body = std::string_view(response.body).substr(0, 300);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.remove_suffix(1);
  message.append(body);
  return message;
}

// The servers and what the bench knows about them.
struct Servers {
  RedisAddress redis;
  std::unique_ptr<RedisClient> redis_client;
  InfluxEndpoint influxdb;
  std::unique_ptr<HttpClient> influx_http;
  std::unique_ptr<HttpClient> inflowd_http;
  std::string inflowd_host;
};

// Sends the coalesced updates of one batch: the script's calls, pipelined.
Status SendUpdates(RedisClient* client, std::vector<LastValueUpdate> updates) {
  std::vector<std::vector<std::string>> commands;
  commands.reserve(updates.size());
  for (LastValueUpdate& update : updates) {
    std::vector<std::string> argv;
    argv.reserve(3 + update.keys.size() + update.args.size());
    argv.emplace_back("EVALSHA");
    argv.push_back(LastValueScriptSha1());
    argv.push_back(std::to_string(update.keys.size()));
    std::move(update.keys.begin(), update.keys.end(), std::back_inserter(argv));
    std::move(update.args.begin(), update.args.end(), std::back_inserter(argv));
    commands.push_back(std::move(argv));
  }
  std::vector<RedisValue> replies;
  if (Status status = client->Pipeline(commands, &replies); !status.ok()) return status;
  for (const RedisValue& reply : replies) {
    if (reply.kind != RedisValue::Kind::kArray) {
      return Status::Error("Redis refused an update: " + reply.text);
    }
  }
  return Status::Ok();
}

Status WriteToInfluxDb(Servers* servers, std::string_view lines) {
  std::string request;
  BuildWriteRequest(servers->influxdb.url, servers->influxdb.database, kRetentionPolicy, lines,
                    &request);
  HttpResponse response;
  if (Status status = servers->influx_http->Send(request, &response); !status.ok()) return status;
  if (response.status != 204) return Status::Error(HttpError("InfluxDB POST /write", response));
  return Status::Ok();
}

// Every point into both, in batches of kLinesPerWrite lines: each batch is
// one POST /write, and one LastValueBuffer flush as inflowd's would be.
Status Fill(const Dataset& data, Servers* servers) {
  std::string request;
  BuildCreateDatabaseRequest(servers->influxdb.url, servers->influxdb.database, &request);
  HttpResponse response;
  if (Status status = servers->influx_http->Send(request, &response); !status.ok()) return status;
  if (response.status != 200) return Status::Error(HttpError("CREATE DATABASE", response));

  std::vector<std::vector<std::string>> load = {
      {"SCRIPT", "LOAD", std::string(LastValueScript())}};
  std::vector<RedisValue> replies;
  if (Status status = servers->redis_client->Pipeline(load, &replies); !status.ok()) return status;
  if (replies.at(0).kind != RedisValue::Kind::kString) {
    return Status::Error("Redis refused the script: " + replies[0].text);
  }

  LastValueBuffer buffer(LastValueOptions{});
  LineParser parser;
  std::string lines, series_key;
  size_t batched = 0;
  auto flush = [&]() -> Status {
    if (batched == 0) return Status::Ok();
    size_t at = 0;
    while (at < lines.size()) {
      size_t consumed = 0, newlines = 0;
      std::string_view rest = std::string_view(lines).substr(at);
      if (parser.Parse(rest, true, &consumed, &newlines) != ParseStatus::kPoint) {
        return Status::Error("a generated line does not parse: " + parser.error().reason);
      }
      at += consumed;
      const PointView& point = parser.point();
      series_key.clear();
      AppendSeriesKey(point, &series_key);
      SeriesIdentity identity{.database = servers->influxdb.database,
                              .retention_policy = kRetentionPolicy,
                              .series_key = series_key,
                              .measurement = point.measurement,
                              .tags = point.tags,
                              .left_out = nullptr};
      if (buffer.Add(identity, point.fields, point.timestamp_ns.value_or(0)) !=
          LastValueBuffer::AddResult::kTaken) {
        return Status::Error("the last-value buffer refused a point");
      }
    }
    if (Status status = SendUpdates(servers->redis_client.get(), buffer.Take()); !status.ok()) {
      return status;
    }
    if (Status status = WriteToInfluxDb(servers, lines); !status.ok()) return status;
    lines.clear();
    batched = 0;
    return Status::Ok();
  };
  const int series = static_cast<int>(data.points.size());
  for (int round = 0; round < kPointsPerSeries; ++round) {
    for (int s = 0; s < series; ++s) {
      AppendLineOf(s, data.points[s][data.order[s][round]], &lines);
      if (++batched == kLinesPerWrite) {
        if (Status status = flush(); !status.ok()) return status;
      }
    }
  }
  return flush();
}

// A JSON number's text at the start of `text`.
std::string_view NumberAt(std::string_view text) {
  size_t end = 0;
  while (end < text.size() && std::strchr("-+.eE0123456789", text[end]) != nullptr) ++end;
  return text.substr(0, end);
}

bool SameDouble(std::string_view text, double expected) {
  double value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value == expected;
}

// Whether a record is series `series`'s latest point.
bool RecordMatches(const LastValueRecord& record, int series, const Expected& expected) {
  bool host = false;
  for (const auto& [key, tag_value] : record.tags) {
    if (key == "host" && tag_value == Host(series)) host = true;
  }
  bool value = false, count = false;
  for (const LastValueField& field : record.fields) {
    if (field.name == "value") value = SameDouble(field.json, expected.value);
    if (field.name == "count") count = field.json == std::to_string(expected.count);
  }
  return host && value && count && record.fields.size() == 2 &&
         record.time_ns == expected.time_ns;
}

// Whether `json` (FormatLastValueRecord's line, or any JSON holding one
// record) is series `series`'s latest point: its host tag, and the value
// and count of its "fields".
bool JsonRecordMatches(std::string_view json, int series, const Expected& expected) {
  std::string host = "\"host\":\"";
  host.append(Host(series));
  host.push_back('"');
  size_t fields = json.find("\"fields\":{");
  if (json.find(host) == std::string_view::npos || fields == std::string_view::npos) return false;
  std::string_view rest = json.substr(fields);
  size_t value = rest.find("\"value\":");
  size_t count = rest.find("\"count\":");
  if (value == std::string_view::npos || count == std::string_view::npos) return false;
  return SameDouble(NumberAt(rest.substr(value + 8)), expected.value) &&
         NumberAt(rest.substr(count + 8)) == std::to_string(expected.count);
}

// Whether one series of InfluxDB's answer to SELECT last(*) ... GROUP BY *
// (from its {"name": to the next series') is hX's, with its latest value
// and count. last(*) gives the time 0 (several selectors), so the time is
// not checked.
bool LastStarSeriesMatches(std::string_view body, int series, const Expected& expected) {
  std::string host = "\"host\":\"";
  host.append(Host(series));
  host.push_back('"');
  constexpr std::string_view kColumns = R"("columns":["time","last_count","last_value"],)";
  constexpr std::string_view kValues = R"("values":[[)";
  size_t columns = body.find(kColumns);
  size_t values = body.find(kValues);
  if (body.find(host) == std::string_view::npos || columns == std::string_view::npos ||
      values == std::string_view::npos) {
    return false;
  }
  std::string_view row = body.substr(values + kValues.size());
  row = row.substr(0, row.find(']'));
  size_t first = row.find(',');
  size_t second = row.find(',', first + 1);
  if (first == std::string_view::npos || second == std::string_view::npos) return false;
  return row.substr(first + 1, second - first - 1) == std::to_string(expected.count) &&
         SameDouble(row.substr(second + 1), expected.value);
}

size_t Occurrences(std::string_view text, std::string_view needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string_view::npos;
       at = text.find(needle, at + needle.size())) {
    ++n;
  }
  return n;
}

// The series of a SELECT last(*) answer that are right: each host's latest
// point, each host once.
size_t RightLastStarSeries(std::string_view body, const Dataset& data) {
  constexpr std::string_view kSeries = "{\"name\":";
  constexpr std::string_view kHost = "\"host\":\"h";
  std::vector<bool> seen(data.points.size());
  size_t right = 0;
  for (size_t at = body.find(kSeries); at != std::string_view::npos;) {
    size_t next = body.find(kSeries, at + kSeries.size());
    std::string_view one = body.substr(at, next == std::string_view::npos ? next : next - at);
    size_t host = one.find(kHost);
    int s = -1;
    if (host != std::string_view::npos) {
      std::string_view digits = one.substr(host + kHost.size());
      (void)std::from_chars(digits.data(), digits.data() + digits.size(), s);
    }
    if (s >= 0 && static_cast<size_t>(s) < seen.size() && !seen[s] &&
        LastStarSeriesMatches(one, s, data.latest(s))) {
      seen[s] = true;
      ++right;
    }
    at = next;
  }
  return right;
}

// Runs `argv` to its end, its standard output into *out, its standard
// error to /dev/null. Sets *exit_status (-1: killed by a signal).
Status RunProcess(const std::vector<std::string>& argv, std::string* out, int* exit_status) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Errno("pipe2");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  if (error != 0) {
    ::close(pipe_fds[0]);
    errno = error;
    return Errno("posix_spawn " + argv[0]);
  }
  out->clear();
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(pipe_fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out->append(buffer, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Errno("waitpid");
  }
  *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return Status::Ok();
}

// One path's timings, in microseconds, and its wrong answers.
struct PathResult {
  std::string path;
  std::vector<double> micros;
  uint64_t mismatches = 0;
  uint64_t errors = 0;

  double Percentile(double p) const {
    if (micros.empty()) return 0;
    std::vector<double> sorted = micros;
    std::sort(sorted.begin(), sorted.end());
    size_t rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
  }
  double Max() const { return micros.empty() ? 0 : *std::max_element(micros.begin(), micros.end()); }
};

// Looks up series `series`: OK and *matches, or an error (counted apart
// from a wrong answer).
using Lookup = std::function<Status(int series, bool* matches)>;

// A path under test: how many lookups to time and how to make one.
struct Path {
  PathResult result;
  int lookups = 0;
  Lookup lookup;
  size_t reported = 0;  // mismatches and errors printed so far
};

void TimeOne(Path* path, int series) {
  bool matches = false;
  auto start = std::chrono::steady_clock::now();
  Status status = path->lookup(series, &matches);
  auto took = std::chrono::steady_clock::now() - start;
  path->result.micros.push_back(std::chrono::duration<double, std::micro>(took).count());
  std::string what;
  if (!status.ok()) {
    ++path->result.errors;
    what = status.message();
  } else if (!matches) {
    ++path->result.mismatches;
    what = "a wrong answer";
  }
  if (!what.empty() && path->reported++ < kMaxReportedMismatches) {
    std::fprintf(stderr, "last_bench: %s: %s: %s\n", path->result.path.c_str(),
                 Host(series).c_str(), what.c_str());
  }
}

// The paths' lookups in rounds: in each, every path in turn does a block
// of its lookups (about `block` of the path with the most; as many rounds
// for every path), each block after kBlockWarmUps untimed lookups.
// Neither extreme measures well on a small shared machine: one path's
// lookups all at once are at the mercy of a load that comes and goes
// (another build: the same path measured 81 and 259 us p50 in two runs),
// and one lookup of each in turn times each path amid the others' work
// (influxd goes on after it answered, an `inflow last` process exits: the
// cache's p50 measured 3x its p50 alone).
// REQUIRES: hosts.size() > every path's lookups; block >= 1.
void TimePaths(const std::vector<int>& hosts, int block, std::chrono::milliseconds pause,
               std::vector<Path>* paths) {
  int most = 0;
  for (const Path& path : *paths) most = std::max(most, path.lookups);
  const int rounds = (most + block - 1) / block;
  for (int round = 0; round < rounds; ++round) {
    for (Path& path : *paths) {
      const int per_round = (path.lookups + rounds - 1) / rounds;
      const int end = std::min(path.lookups, (round + 1) * per_round);
      std::this_thread::sleep_for(pause);
      for (int i = 0; i < kBlockWarmUps; ++i) {
        bool matches = false;
        (void)path.lookup(hosts[hosts.size() - 1 - static_cast<size_t>(i)], &matches);
      }
      for (int i = round * per_round; i < end; ++i) TimeOne(&path, hosts[static_cast<size_t>(i)]);
    }
  }
}

LastValueQuery QueryOf(std::string_view database, std::optional<int> series,
                       bool with_retention_policy = false) {
  LastValueQuery query;
  if (with_retention_policy) query.retention_policy = std::string(kRetentionPolicy);
  query.measurement = kMeasurement;
  if (series) query.tags.emplace_back("host", Host(*series));
  query.database = std::string(database);
  return query;
}

std::string LastStarStatement(int series) {
  std::string statement = "SELECT last(*) FROM ";
  AppendInfluxIdentifier(kMeasurement, &statement);
  statement.append(" WHERE ");
  AppendInfluxIdentifier("host", &statement);
  statement.append(" = ");
  AppendInfluxString(Host(series), &statement);
  statement.append(" GROUP BY *");
  return statement;
}

Status QueryInfluxDb(Servers* servers, std::string_view statement, HttpResponse* response) {
  std::string request;
  BuildQueryRequest(servers->influxdb.url, servers->influxdb.database, statement, &request);
  if (Status status = servers->influx_http->Send(request, response); !status.ok()) return status;
  if (response->status != 200) return Status::Error(HttpError("InfluxDB /query", *response));
  if (response->body.find("\"error\"") != std::string::npos) {
    return Status::Error("InfluxDB /query: " + response->body.substr(0, 300));
  }
  return Status::Ok();
}

// The whole measurement once from each; a count of what is wrong, printed.
uint64_t TimeWholeMeasurement(const Dataset& data, const BenchOptions& options,
                              Servers* servers) {
  uint64_t wrong = 0;
  const size_t series = data.points.size();
  auto seconds_since = [](std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  auto check_records = [&](const char* path, const Status& status,
                           const std::vector<LastValueRecord>& records, double seconds) {
    size_t right = 0;
    for (const LastValueRecord& record : records) {
      std::string_view host;
      for (const auto& [key, value] : record.tags) {
        if (key == "host") host = value;
      }
      int s = -1;
      if (host.size() > 1) (void)std::from_chars(host.data() + 1, host.data() + host.size(), s);
      if (s >= 0 && static_cast<size_t>(s) < series && RecordMatches(record, s, data.latest(s))) {
        ++right;
      }
    }
    bool ok = status.ok() && right == series && records.size() == series;
    std::string verdict = ok ? "ok" : status.ok() ? "WRONG, " : status.message();
    if (!ok && status.ok()) verdict.append(std::to_string(right)).append(" right");
    std::printf("all_series %-16s %8zu series %9.3f s  %s\n", path, records.size(), seconds,
                verdict.c_str());
    if (!ok) ++wrong;
  };

  std::vector<LastValueRecord> records;
  auto start = std::chrono::steady_clock::now();
  Status status = LookupLastValues(servers->redis_client.get(), LastValueOptions().key_prefix,
                                   QueryOf(options.database, std::nullopt), &records);
  check_records("cache", status, records, seconds_since(start));

  records.clear();
  start = std::chrono::steady_clock::now();
  status = LookupLastValuesInInfluxDb(servers->influxdb, QueryOf(options.database, std::nullopt),
                                      &records);
  check_records("influx_library", status, records, seconds_since(start));

  HttpResponse response;
  std::string statement = "SELECT last(*) FROM ";
  AppendInfluxIdentifier(kMeasurement, &statement);
  statement.append(" GROUP BY *");
  start = std::chrono::steady_clock::now();
  status = QueryInfluxDb(servers, statement, &response);
  double seconds = seconds_since(start);
  size_t found = status.ok() ? Occurrences(response.body, "{\"name\":") : 0;
  size_t right = status.ok() ? RightLastStarSeries(response.body, data) : 0;
  bool ok = status.ok() && found == series && right == series;
  std::printf("all_series %-16s %8zu series %9.3f s  %s, %zu right (%zu bytes)\n",
              "influx_last(*)", found, seconds,
              ok ? "ok" : (status.ok() ? "WRONG" : status.message().c_str()), right,
              response.body.size());
  if (!ok) ++wrong;
  return wrong;
}

Status Connect(const BenchOptions& options, Servers* servers) {
  if (Status status = ParseRedisUrl(options.redis_url, &servers->redis); !status.ok()) {
    return Status::Error("--redis: " + status.message());
  }
  RedisOptions redis{.address = servers->redis,
                     .connect_timeout = std::chrono::seconds(5),
                     .command_timeout = std::chrono::seconds(60)};
  if (Status status = RedisClient::Connect(redis, &servers->redis_client); !status.ok()) {
    return status;
  }
  if (Status status = ParseInfluxUrl(options.influxdb_url, &servers->influxdb.url);
      !status.ok()) {
    return Status::Error("--influxdb: " + status.message());
  }
  if (servers->influxdb.url.tls) return Status::Error("--influxdb: https is not supported here");
  servers->influxdb.database = options.database;
  servers->influxdb.request_timeout = std::chrono::seconds(120);
  servers->influx_http =
      std::make_unique<HttpClient>(servers->influxdb.url.host, servers->influxdb.url.port);
  if (!options.inflowd_http.empty()) {
    uint16_t port = 0;
    if (Status status = ParseHostPort(options.inflowd_http, &servers->inflowd_host, &port);
        !status.ok() || port == 0) {
      return Status::Error("--inflowd-http: host:port expected");
    }
    servers->inflowd_http = std::make_unique<HttpClient>(servers->inflowd_host, port);
  }
  return Status::Ok();
}

int Run(const BenchOptions& options) {
  Servers servers;
  if (Status status = Connect(options, &servers); !status.ok()) {
    std::fprintf(stderr, "last_bench: %s\n", status.message().c_str());
    return 2;
  }
  Dataset data = MakeDataset(options.series);
  if (!options.skip_fill) {
    auto start = std::chrono::steady_clock::now();
    if (Status status = Fill(data, &servers); !status.ok()) {
      std::fprintf(stderr, "last_bench: filling: %s\n", status.message().c_str());
      return 1;
    }
    std::printf("filled %d series x %d points into Redis and InfluxDB in %.1f s\n",
                options.series, kPointsPerSeries,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (options.fill_only) return 0;
    // influxd works on after a burst of writes (its WAL, compactions, its
    // garbage collector); the lookups would otherwise time that too.
    // last_bench.sh fills with --fill-only and waits until influxd is idle.
    std::this_thread::sleep_for(std::chrono::seconds(options.settle_seconds));
  }

  std::mt19937_64 random(kLookupSeed);
  std::uniform_int_distribution<int> pick(0, options.series - 1);
  std::vector<int> hosts(static_cast<size_t>(std::max(options.lookups, options.cli_lookups) +
                                             kBlockWarmUps));
  for (int& host : hosts) host = pick(random);

  std::vector<Path> paths;
  auto add = [&paths](std::string name, int lookups, Lookup lookup) {
    Path path;
    path.result.path = std::move(name);
    path.lookups = lookups;
    path.lookup = std::move(lookup);
    paths.push_back(std::move(path));
  };
  add("cache", options.lookups, [&](int s, bool* matches) {
    std::vector<LastValueRecord> records;
    Status status = LookupLastValues(servers.redis_client.get(), LastValueOptions().key_prefix,
                                     QueryOf(options.database, s), &records);
    *matches = records.size() == 1 && RecordMatches(records[0], s, data.latest(s));
    return status;
  });
  // With the retention policy named the lookup skips the catalog: two
  // round trips (SINTER, HGETALL) instead of three.
  add("cache_rp", options.lookups, [&](int s, bool* matches) {
    std::vector<LastValueRecord> records;
    Status status = LookupLastValues(servers.redis_client.get(), LastValueOptions().key_prefix,
                                     QueryOf(options.database, s, true), &records);
    *matches = records.size() == 1 && RecordMatches(records[0], s, data.latest(s));
    return status;
  });
  if (!options.cli.empty()) {
    add("cli", options.cli_lookups, [&](int s, bool* matches) {
      std::string out;
      int exit_status = 0;
      std::string tag = "host=";
      tag.append(Host(s));
      Status status = RunProcess({options.cli, "last", std::string(kMeasurement), "--tag", tag,
                                  "--db", options.database, "--url", options.redis_url},
                                 &out, &exit_status);
      if (status.ok() && exit_status != 0) {
        status = Status::Error("inflow last exited with " + std::to_string(exit_status));
      }
      *matches = Occurrences(out, "\n") == 1 && JsonRecordMatches(out, s, data.latest(s));
      return status;
    });
  }
  add("influx_library", options.lookups, [&](int s, bool* matches) {
    std::vector<LastValueRecord> records;
    Status status =
        LookupLastValuesInInfluxDb(servers.influxdb, QueryOf(options.database, s), &records);
    *matches = records.size() == 1 && RecordMatches(records[0], s, data.latest(s));
    return status;
  });
  add("influx_last(*)", options.lookups, [&](int s, bool* matches) {
    HttpResponse response;
    Status status = QueryInfluxDb(&servers, LastStarStatement(s), &response);
    *matches = response.body.find("\"series\":[{") != std::string::npos &&
               Occurrences(response.body, "{\"name\":") == 1 &&
               LastStarSeriesMatches(response.body, s, data.latest(s));
    return status;
  });
  if (servers.inflowd_http) {
    add("inflowd_http", options.lookups, [&](int s, bool* matches) {
      std::string request = "GET /last?measurement=";
      request.append(kMeasurement);
      request.append("&tag=host:");
      request.append(Host(s));
      request.append(" HTTP/1.1\r\nHost: ");
      request.append(options.inflowd_http);
      request.append("\r\n\r\n");
      HttpResponse response;
      Status status = servers.inflowd_http->Send(request, &response);
      if (status.ok() && response.status != 200) {
        status = Status::Error(HttpError("inflowd GET /last", response));
      }
      *matches = JsonRecordMatches(response.body, s, data.latest(s));
      return status;
    });
  }

  TimePaths(hosts, options.block, std::chrono::milliseconds(options.pause_ms), &paths);
  std::printf("\n%d series; one series by its host tag, hosts drawn with seed %" PRIu64
"; the paths in turn, blocks of %d lookups,"
              " each after a %d ms pause and %d untimed\n",
              options.series, kLookupSeed, options.block, options.pause_ms, kBlockWarmUps);
  std::printf("%-16s %8s %10s %10s %10s %12s %12s %6s %6s\n", "path", "lookups", "p50_us",
              "p99_us", "max_us", "p50_x_cache", "p99_x_cache", "wrong", "errors");
  const PathResult& cache = paths[0].result;
  uint64_t wrong = 0;
  for (const Path& path : paths) {
    const PathResult& r = path.result;
    std::printf("%-16s %8zu %10.1f %10.1f %10.1f %12.1f %12.1f %6" PRIu64 " %6" PRIu64 "\n",
                r.path.c_str(), r.micros.size(), r.Percentile(0.50), r.Percentile(0.99), r.Max(),
                r.Percentile(0.50) / cache.Percentile(0.50),
                r.Percentile(0.99) / cache.Percentile(0.99), r.mismatches, r.errors);
    wrong += r.mismatches + r.errors;
  }
  std::printf("\n");
  wrong += TimeWholeMeasurement(data, options, &servers);
  if (wrong > 0) {
    std::fprintf(stderr, "last_bench: FAILED: wrong answers or errors: %" PRIu64 "\n", wrong);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace inflow::bench

int main(int argc, char** argv) {
  inflow::bench::BenchOptions options;
  CLI::App app{"The last values of one series among many: the cache and InfluxDB side by side"};
  app.add_option("--redis", options.redis_url, "The cache's Redis: redis://host:port/db")
      ->required();
  app.add_option("--influxdb", options.influxdb_url, "InfluxDB 1.x: http://host:port")
      ->required();
  app.add_option("--db", options.database, "The InfluxDB database (created when filling)")
      ->required();
  app.add_option("--series", options.series, "Series of measurement m (default 100000)")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--lookups", options.lookups, "Timed lookups per path (default 2000)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--cli-lookups", options.cli_lookups,
                 "Timed lookups through the inflow tool (default 200)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--cli", options.cli, "The inflow tool, to time `inflow last` as a process");
  app.add_option("--inflowd-http", options.inflowd_http,
                 "inflowd's HTTP listener, host:port, to time GET /last");
  app.add_flag("--skip-fill", options.skip_fill,
               "Do not write the points (an earlier run with the same --series did)");
  app.add_option("--block", options.block,
                 "Lookups of a path in a row before the next path's (default 100; 1: one of "
                 "each in turn)")
      ->check(CLI::Range(1, 1'000'000));
  app.add_option("--pause-ms", options.pause_ms,
                 "Milliseconds of nothing before each block, for the servers to finish what "
                 "the last block left them (default 200)")
      ->check(CLI::Range(0, 60'000));
  app.add_flag("--fill-only", options.fill_only, "Write the points, time nothing");
  app.add_option("--settle-seconds", options.settle_seconds,
                 "Seconds to wait after filling, before the lookups (default 5)")
      ->check(CLI::Range(0, 3600));
  CLI11_PARSE(app, argc, argv);
  // Line by line, so that the table and the errors on stderr keep their order.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  return inflow::bench::Run(options);
}
