// InfluxUrl: where an InfluxDB server is and how to log in, from a URL such
// as http://user:pass@localhost:8086/telemetry, the form the seed library's
// Client takes and inflowd's `influxdb.url` accepts.

#ifndef INFLOW_INFLUX_URL_H_
#define INFLOW_INFLUX_URL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow {

struct InfluxUrl {
  bool tls = false;        // https
  std::string host;        // a name, an IPv4 address, or an IPv6 address without brackets
  uint16_t port = 8086;    // InfluxDB's default when the URL gives none
  std::string username;    // percent-decoded; empty without user info
  std::string password;    // percent-decoded; never logged
  std::string database;    // the path without its slash, percent-decoded; may be empty

  // The URL without user info, for logs: http://host:port/database.
  std::string Redacted() const;
};

// Parses `text`. Accepts the schemes http and https, optional user info
// (`user` or `user:pass`, percent-encoded), a host (`[v6]` for IPv6), an
// optional port, and an optional path of one segment naming the database.
// On failure, returns an error naming what is wrong (never the password)
// and leaves *url unspecified.
Status ParseInfluxUrl(std::string_view text, InfluxUrl* url);

}  // namespace inflow

#endif  // INFLOW_INFLUX_URL_H_
