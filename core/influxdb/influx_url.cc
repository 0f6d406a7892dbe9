#include "inflow/influx_url.h"

#include "inflow/host_port.h"
#include "inflow/percent_encoding.h"

namespace inflow {

std::string InfluxUrl::Redacted() const {
  std::string out = tls ? "https://" : "http://";
  AppendHostPort(host, port, &out);
  if (!database.empty()) {
    out += '/';
    out += database;
  }
  return out;
}

Status ParseInfluxUrl(std::string_view text, InfluxUrl* url) {
  *url = InfluxUrl{};
  std::string_view rest = text;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    url->tls = true;
    rest.remove_prefix(8);
  } else {
    return Status::Error("InfluxDB URL must start with http:// or https://");
  }

  size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start + 1);
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Status::Error("InfluxDB URL may not have a query or fragment");
  }

  // User info ends at the last '@': a password may hold one, percent-encoded or not.
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view user_info = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    size_t colon = user_info.find(':');
    if (!PercentDecode(user_info.substr(0, colon), PlusSign::kPlus, &url->username)) {
      return Status::Error("InfluxDB URL has a malformed %-escape in its user name");
    }
    if (colon != std::string_view::npos &&
        !PercentDecode(user_info.substr(colon + 1), PlusSign::kPlus, &url->password)) {
      return Status::Error("InfluxDB URL has a malformed %-escape in its password");
    }
    if (url->username.empty()) return Status::Error("InfluxDB URL has an empty user name");
  }

  if (Status status = ParseHostPort(authority, &url->host, &url->port); !status.ok()) {
    std::string what = "InfluxDB URL has ";
    what.append(status.message());
    return Status::Error(std::move(what));
  }

  if (path.ends_with('/')) path.remove_suffix(1);
  if (path.find('/') != std::string_view::npos) {
    return Status::Error("InfluxDB URL path must be one segment, the database name");
  }
  if (!PercentDecode(path, PlusSign::kPlus, &url->database)) {
    return Status::Error("InfluxDB URL has a malformed %-escape in its database name");
  }
  return Status::Ok();
}

}  // namespace inflow
