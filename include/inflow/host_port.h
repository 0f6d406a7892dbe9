// The host and port of a URL's authority, read and written one way for
// every URL inflow takes (InfluxDB's, Redis's).

#ifndef INFLOW_HOST_PORT_H_
#define INFLOW_HOST_PORT_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow {

// Reads `host`, `host:port`, `[v6]` or `[v6]:port` (the user info already
// taken off). On success sets *host, and *port when the authority gives one
// (1 to 65535), leaving *port as it was otherwise. On failure returns what
// is wrong, worded to follow "<the URL> has ": "an unclosed '['", "text
// after its IPv6 host", "an empty port", "an invalid port '<text>'", "no
// host"; *host and *port are then unspecified.
Status ParseHostPort(std::string_view authority, std::string* host, uint16_t* port);

// Appends `host:port` to *out, an IPv6 host in brackets.
void AppendHostPort(std::string_view host, uint16_t port, std::string* out);

}  // namespace inflow

#endif  // INFLOW_HOST_PORT_H_
