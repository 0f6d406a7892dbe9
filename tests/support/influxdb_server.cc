#include "support/influxdb_server.h"

#include <cstdlib>

#include "support/files.h"
#include "support/free_port.h"

namespace inflow::test {
namespace {

constexpr int kPortAttempts = 3;
constexpr std::chrono::milliseconds kPingTimeout{1000};

std::string InfluxdPath() {
  const char* path = std::getenv("INFLOW_INFLUXD");
  return (path != nullptr && *path != '\0') ? path : "/usr/bin/influxd";
}

// A TOML basic string.
std::string Toml(std::string_view text) {
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

std::string Loopback(uint16_t port) { return Toml("127.0.0.1:" + std::to_string(port)); }

}  // namespace

InfluxDbServer::InfluxDbServer() : dir_("inflow-influxdb") {}

InfluxDbServer::~InfluxDbServer() { (void)Stop(); }

std::string InfluxDbServer::url() const { return "http://127.0.0.1:" + std::to_string(http_port_); }

Status InfluxDbServer::Start() {
  if (http_port_ != 0) return Launch();
  // Between FreePort and influxd binding the port, another process may take
  // it; on the first start nothing depends on the ports yet, so try others.
  for (int attempt = 1;; ++attempt) {
    if (Status status = ChoosePortsAndWriteConfig(); !status.ok()) return status;
    Status status = Launch();
    if (status.ok() || attempt == kPortAttempts ||
        !process_.LogMentions("address already in use")) {
      if (!status.ok()) http_port_ = 0;
      return status;
    }
  }
}

Status InfluxDbServer::ChoosePortsAndWriteConfig() {
  if (Status status = FreePort(&http_port_); !status.ok()) return status;
  if (Status status = FreePort(&rpc_port_); !status.ok()) return status;
  std::string config = "reporting-enabled = false\n";
  config += "bind-address = " + Loopback(rpc_port_) + "\n";
  config += "\n[meta]\n  dir = " + Toml(dir_.File("meta")) + "\n";
  config += "\n[data]\n  dir = " + Toml(dir_.File("data")) + "\n";
  config += "  wal-dir = " + Toml(dir_.File("wal")) + "\n";
  config += "\n[monitor]\n  store-enabled = false\n";
  config += "\n[http]\n  enabled = true\n  bind-address = " + Loopback(http_port_) + "\n";
  config += "  pprof-enabled = false\n  unix-socket-enabled = false\n";
  if (auth_enabled_) config += "  auth-enabled = true\n";
  config += "\n[logging]\n  suppress-logo = true\n";
  config += "\n[ifql]\n  enabled = false\n";
  for (const char* listener : {"graphite", "collectd", "opentsdb", "udp"}) {
    config += std::string("\n[[") + listener + "]]\n  enabled = false\n";
  }
  // A fresh log, so that LogMentions sees only this attempt.
  if (Status status = WriteFile(log_path(), ""); !status.ok()) return status;
  return WriteFile(dir_.File("influxd.conf"), config);
}

Status InfluxDbServer::Launch() {
  std::vector<std::string> argv = {InfluxdPath(), "run", "-config", dir_.File("influxd.conf")};
  if (Status status = process_.Start(argv, EnvironmentWithout("INFLUXDB_"), log_path());
      !status.ok()) {
    return status;
  }
  Status ready = process_.WaitUntil([this] { return Ping(); }, kStartTimeout,
                                    "influxd on port " + std::to_string(http_port_));
  if (!ready.ok()) process_.Kill();
  return ready;
}

bool InfluxDbServer::Ping() {
  HttpResponse response;
  return SendHttpRequest("GET", "127.0.0.1", http_port_, "/ping", "", {}, &response, kPingTimeout)
             .ok() &&
         response.status == 204;
}

Status InfluxDbServer::Stop(std::chrono::milliseconds timeout) { return process_.Stop(timeout); }

void InfluxDbServer::Kill() { process_.Kill(); }

// Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict in
// `"..." + std::string`.
std::string InfluxDbServer::LoginParameters() const {
  std::string parameters;
  if (login_user_.empty()) return parameters;
  parameters.append("&u=").append(UrlEncode(login_user_));
  parameters.append("&p=").append(UrlEncode(login_password_));
  return parameters;
}

// InfluxDB reads u and p from the URL only, not from a form body.
std::string InfluxDbServer::QueryTarget() const {
  std::string target = "/query";
  if (!login_user_.empty()) target.append("?").append(LoginParameters().substr(1));
  return target;
}

Status InfluxDbServer::Query(std::string_view q, std::string_view db, std::string* json) {
  std::string form = "q=" + UrlEncode(q) + "&epoch=ns";
  if (!db.empty()) form += "&db=" + UrlEncode(db);
  HttpResponse response;
  Status status =
      SendHttpRequest("POST", "127.0.0.1", http_port_, QueryTarget(), form,
                      {{"Content-Type", "application/x-www-form-urlencoded"}}, &response);
  if (!status.ok()) return status;
  if (response.status != 200) {
    return Status::Error("query " + std::string(q) + ": HTTP " + std::to_string(response.status) +
                         ": " + response.body);
  }
  *json = std::move(response.body);
  return Status::Ok();
}

Status InfluxDbServer::Write(std::string_view db, std::string_view body, std::string_view precision,
                             std::string_view rp, HttpResponse* response) {
  std::string target = "/write?db=" + UrlEncode(db);
  if (!precision.empty()) target += "&precision=" + UrlEncode(precision);
  if (!rp.empty()) target += "&rp=" + UrlEncode(rp);
  target += LoginParameters();
  return SendHttpRequest("POST", "127.0.0.1", http_port_, target, body, {}, response);
}

}  // namespace inflow::test
