// InflowdTest: the fixture of the tests that run the inflowd binary against
// a real InfluxDB 1.6 and Redis on loopback (inflowd_*_test.cc).
//
// One InfluxDB and one Redis serve each suite; each test has a database of
// its own, named after it, with the retention policies below, and starts an
// inflowd of its own from an InflowdSpec. Every wait polls InfluxDB until
// what is expected is there or a deadline has passed.
//
// Tests that must know inflowd has read everything sent before they look or
// signal it send a marker point last, on the same socket (in the same
// datagram, or the same write), routed by tag to a session that commits
// every point (kSync). A socket's bytes are read in order, so once the
// marker is stored, everything before it has been read.

#ifndef INFLOW_TESTS_INTEGRATION_INFLOWD_FIXTURE_H_
#define INFLOW_TESTS_INTEGRATION_INFLOWD_FIXTURE_H_

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inflow/status.h"
#include "support/http_client.h"
#include "support/inflowd_process.h"
#include "support/influxdb_server.h"
#include "support/redis_server.h"
#include "support/shared_influxdb.h"
#include "support/stored_point.h"

namespace inflow::test {

using Tags = std::vector<std::pair<std::string, std::string>>;

// How long points may take to reach InfluxDB once their commit is due.
inline constexpr std::chrono::seconds kArrivalTimeout{10};

// The retention policies of each test's database besides autogen. No
// session of inflowd has kUnsessioned, so that a point stored there shows
// that inflowd wrote where no session was configured.
inline constexpr std::string_view kFourWeeks = "rp_four_weeks";
inline constexpr std::string_view kSync = "rp_sync";
inline constexpr std::string_view kUnsessioned = "rp_unsessioned";

// ---------------------------------------------------------------------------
// inflowd's configuration, as the tests vary it. Every member has a default
// member initializer, so that a test names only those it sets (GCC's
// -Wmissing-field-initializers exempts them).

struct SessionSpec {
  std::string retention_policy = "";
  size_t autocommit_every = 5000;
  std::string commit_interval = "1s";
  // More keys of the entry, each "key: value" (e.g. "max_pending_bytes: 1048576").
  std::vector<std::string> options = {};
};

// A session that commits only when told to (count and time out of reach),
// one that commits 50 ms after a point, and the marker's.
SessionSpec Holding(std::string_view rp);
SessionSpec Prompt(std::string_view rp);
SessionSpec SyncSession();

enum class ListenerKind : uint8_t { kUdp, kUnixDgram, kUnixStream, kHttp };

// "udp", "unix_dgram", "unix_stream" or "http", as in the configuration.
std::string_view KindName(ListenerKind kind);

struct ListenerSpec {
  ListenerKind kind = ListenerKind::kUdp;
  std::string retention_policy = "";  // empty: not in the file (the first session's)
  std::string precision = "";         // empty: not in the file (ns)
  // Chosen each time inflowd is started.
  uint16_t port = 0;      // udp, http
  std::string path = "";  // unix_dgram, unix_stream
};

struct InflowdSpec {
  std::vector<SessionSpec> sessions = {};
  std::vector<ListenerSpec> listeners = {};
  std::string retention_policy_tag = "";  // empty: no routing by tag
  // More keys of the influxdb and spool sections, each "key: value"
  // (e.g. "retry_max_interval: 500ms", "fsync: always").
  std::vector<std::string> influxdb_options = {};
  std::vector<std::string> spool_options = {};
  // Empty: "spool" in inflowd's folder (spool_dir()).
  std::string spool_directory = "";
  std::string shutdown_timeout = "10s";
  // The redis section: empty url: the suite's Redis (or the test's own,
  // after UseOwnRedis); more keys, each "key: value" (e.g. "keep_last: 3").
  std::string redis_url = "";
  std::vector<std::string> redis_options = {};
};

// ---------------------------------------------------------------------------
// Times and points.

// The system clock, in nanoseconds since the epoch.
int64_t NowNs();

// Nanoseconds per unit of "ns", "us", "ms" or "s"; 1 for "" (ns).
int64_t Multiplier(std::string_view precision);

// An hour ago in units of `precision`: recent enough for kFourWeeks
// (InfluxDB drops points older than their retention policy's duration), and
// far from the times inflowd gives points without one.
int64_t RecentTime(std::string_view precision = "ns");

StoredPoint Point(std::string measurement, Tags tags, std::vector<StoredField> fields,
                  std::optional<int64_t> time_ns);

// The points most tests send: measurement `m`, `tags` as written (may be
// empty), one integer field f, a timestamp; and the point stored of it.
std::string Line(std::string_view m, std::string_view tags, int64_t value, int64_t time);
StoredPoint IntegerPoint(std::string m, Tags tags, int64_t value, int64_t time_ns);

// The marker line, routed to kSync by the routing tag `tag`; `from` tells
// the markers of different sockets apart.
std::string SyncLine(std::string_view tag, std::string_view from);

// Status, content type and body, for failure messages.
std::string Describe(const HttpResponse& response);

// ---------------------------------------------------------------------------

class InflowdTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

  // Asserts that the binary is known and the servers run; creates the
  // test's database and retention policies.
  void SetUp() override;
  // Prints the end of inflowd's log if the test failed; kills inflowd.
  void TearDown() override;

  // The test's database and retention policies, on influxdb().
  void CreateDatabase();

  // The suite's InfluxDB, or the test's own after UseOwnInfluxDb.
  InfluxDbServer* influxdb() const {
    return own_influxdb_ ? own_influxdb_.get() : influxdb_.server();
  }

  // Starts an InfluxDB for this test alone, for tests that stop or kill it,
  // and creates the test's database and retention policies there; from now
  // on every query and inflowd go to it.
  void UseOwnInfluxDb();

  // The suite's Redis, or the test's own after UseOwnRedis.
  RedisServer* redis() const { return own_redis_ ? own_redis_.get() : redis_.get(); }

  // Starts a Redis for this test alone, for tests that stop, kill or
  // restart it; from now on inflowd is started on it.
  void UseOwnRedis();

  // An InfluxQL identifier in double quotes.
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict in
  // `"..." + std::string(...)`.
  static std::string Quoted(std::string_view name) {
    std::string quoted = "\"";
    quoted.append(name);
    quoted.push_back('"');
    return quoted;
  }

  // Runs an InfluxQL statement that must succeed.
  void Execute(const std::string& q);

  // Writes `spec` as inflowd's configuration, with new ports and socket
  // paths, and starts inflowd; asserts that it says it is ready.
  void StartInflowd(InflowdSpec spec);

  // Starts inflowd again, after it stopped or was killed, on the same
  // configuration, ports, socket paths and spool; asserts that it says it
  // is ready. The log of the run before is kept as inflowd.log.<n>.
  void RestartInflowd();

  // SIGKILL, as in a crash; waits until it has exited.
  void KillInflowd();

  // The spool directory inflowd was given.
  std::string spool_dir() const;

  // Polls `done` until it holds (true), or `timeout` has passed or inflowd
  // has exited (false).
  bool PollUntil(std::chrono::milliseconds timeout, const std::function<bool()>& done);

  // Prints a figure the test measured ("[  figure  ] name: value unit") and
  // records it as a property in the XML report.
  static void Report(std::string_view name, const std::string& value, std::string_view unit = "");
  static void Report(std::string_view name, int64_t value, std::string_view unit = "");

  // Milliseconds from `start` to now, on the steady clock.
  static int64_t MillisecondsSince(std::chrono::steady_clock::time_point start);

  // The number of points of measurement `m` in retention policy `rp`
  // (SELECT count), for tests of many points.
  uint64_t CountIn(std::string_view rp, std::string_view m);

  // The configuration of spec_, choosing each listener's port or socket
  // path anew.
  std::string ConfigYaml();

  // Sends `lines` to listener `i`: one datagram, one connection with one
  // write, or one POST /write?db=<the test's database>, which must be
  // answered 204.
  void Send(size_t i, std::string_view lines);

  // POSTs `body` to `target` on HTTP listener `i`.
  HttpResponse Post(size_t i, const std::string& target, std::string_view body);

  // Every point in retention policy `rp` of the test's database, sorted.
  std::vector<StoredPoint> StoredIn(std::string_view rp);

  // Polls StoredIn(rp) until it holds at least `count` points and returns
  // them; adds a failure if it does not within kArrivalTimeout, or inflowd
  // has exited.
  std::vector<StoredPoint> WaitForPoints(std::string_view rp, size_t count);

  // Signals inflowd and expects a clean stop: exit status 0 and "inflowd
  // stopped" in its log.
  void StopInflowd(int signal_number = SIGTERM);

  // Expects the two lists to hold the same points, in any order.
  static void ExpectSame(std::vector<StoredPoint> stored, std::vector<StoredPoint> expected,
                         std::string_view what);

  static SharedInfluxDb influxdb_;
  static std::unique_ptr<RedisServer> redis_;
  static Status redis_status_;

  std::string db_;
  InflowdSpec spec_;
  std::unique_ptr<InflowdProcess> inflowd_;
  std::unique_ptr<InfluxDbServer> own_influxdb_;
  std::unique_ptr<RedisServer> own_redis_;
  std::string config_yaml_;  // the configuration inflowd was started on
  int restarts_ = 0;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_INTEGRATION_INFLOWD_FIXTURE_H_
