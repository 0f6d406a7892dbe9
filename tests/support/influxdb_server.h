// InfluxDbServer: a real InfluxDB 1.x server (influxd) for one test or suite,
// on loopback, with all its state in a temporary folder.
//
// The binary is $INFLOW_INFLUXD, or /usr/bin/influxd. The generated config
// (influxd.conf in dir()) puts meta, data and WAL in dir(), binds HTTP and
// the RPC service to free ports on 127.0.0.1, disables reporting, the
// _internal monitor database and every other listener (UDP, Graphite,
// collectd, OpenTSDB), and the server's output goes to log_path(). INFLUXDB_*
// environment variables, which would override the config, are not passed on.
//
// Thread: one thread at a time; start it from the test's main thread (see
// ChildProcess).

#ifndef INFLOW_TESTS_SUPPORT_INFLUXDB_SERVER_H_
#define INFLOW_TESTS_SUPPORT_INFLUXDB_SERVER_H_

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "inflow/status.h"
#include "support/http_client.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace inflow::test {

class InfluxDbServer {
 public:
  static constexpr std::chrono::milliseconds kStartTimeout{30'000};
  static constexpr std::chrono::milliseconds kStopTimeout{15'000};

  // Creates the folder; does not start the server.
  InfluxDbServer();
  // Stops the server if it runs (SIGKILL if SIGTERM is not enough); then
  // removes the folder.
  ~InfluxDbServer();

  InfluxDbServer(const InfluxDbServer&) = delete;
  InfluxDbServer& operator=(const InfluxDbServer&) = delete;

  // Starts influxd and waits until GET /ping answers 204. The first call
  // chooses the ports and writes the config, trying new ports if another
  // process took them first; later calls restart the server on the same
  // ports and data. On failure returns an error with the end of the log, and
  // the server it tried to start is not left running. If the server already
  // runs, returns an error and leaves it running.
  Status Start();

  // Before the first Start: the server checks credentials (auth-enabled).
  // Until a user exists it takes CREATE USER without any; Query and Write
  // then log in as set_login says.
  void enable_auth() { auth_enabled_ = true; }
  void set_login(std::string user, std::string password) {
    login_user_ = std::move(user);
    login_password_ = std::move(password);
  }

  // SIGTERM, then SIGKILL if the server has not exited after `timeout`.
  // Returns an error if it had to be killed. No-op if not running.
  Status Stop(std::chrono::milliseconds timeout = kStopTimeout);

  // SIGKILL, as in a crash: what is not in the WAL is lost. No-op if not
  // running.
  void Kill();

  bool running() { return process_.running(); }
  pid_t pid() const { return process_.pid(); }

  // The HTTP port and "http://127.0.0.1:<port>"; 0 and "http://127.0.0.1:0"
  // before the first Start.
  uint16_t port() const { return http_port_; }
  std::string url() const;

  const std::string& dir() const { return dir_.path(); }
  std::string log_path() const { return dir_.File("influxd.log"); }
  // The end of the log, for failure messages.
  std::string LogTail(size_t max_bytes = 4096) const { return process_.LogTail(max_bytes); }

  // Runs the InfluxQL `q` (POST /query, form-encoded) in database `db` (none
  // if empty), with times as integer nanoseconds (epoch=ns). On HTTP 200 sets
  // *json to the response body and returns OK; note that InfluxDB reports a
  // failed statement inside a 200 response ("error" in its result). Returns
  // an error with the status and body for any other status, or when the
  // request fails.
  Status Query(std::string_view q, std::string_view db, std::string* json);

  // POST /write?db=<db>[&precision=<precision>][&rp=<rp>] with `body` as
  // is; empty precision and rp are left out. Sets *response to InfluxDB's
  // answer, whatever its status. Returns an error only if the request fails.
  Status Write(std::string_view db, std::string_view body, std::string_view precision,
               std::string_view rp, HttpResponse* response);

 private:
  // "&u=...&p=..." for the login set, or nothing.
  std::string LoginParameters() const;
  std::string QueryTarget() const;
  Status ChoosePortsAndWriteConfig();
  Status Launch();
  bool Ping();

  TempDir dir_;
  ChildProcess process_;
  uint16_t http_port_ = 0;
  uint16_t rpc_port_ = 0;
  bool auth_enabled_ = false;
  std::string login_user_;
  std::string login_password_;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_INFLUXDB_SERVER_H_
