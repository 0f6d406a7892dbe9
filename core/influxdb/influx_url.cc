#include "inflow/influx_url.h"

#include <charconv>

#include "inflow/percent_encoding.h"

namespace inflow {

std::string InfluxUrl::Redacted() const {
  std::string out = tls ? "https://" : "http://";
  // An IPv6 address in brackets. (Appended piece by piece: GCC 12 at -O3
  // warns, wrongly, of overlapping copies in `"x" + std::string`.)
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  out += host;
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
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

  std::string_view port_text;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::Error("InfluxDB URL has an unclosed '['");
    url->host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return Status::Error("InfluxDB URL has text after its IPv6 host");
      port_text = after.substr(1);
      if (port_text.empty()) return Status::Error("InfluxDB URL has an empty port");
    }
  } else {
    size_t colon = authority.rfind(':');
    url->host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return Status::Error("InfluxDB URL has an empty port");
    }
  }
  if (url->host.empty()) return Status::Error("InfluxDB URL has no host");

  if (!port_text.empty()) {
    unsigned port = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return Status::Error("InfluxDB URL has an invalid port '" + std::string(port_text) + "'");
    }
    url->port = static_cast<uint16_t>(port);
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
