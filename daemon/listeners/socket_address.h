// Socket addresses of listeners: `host:port` for TCP and UDP, and the path of
// a Unix socket. Used at start only (name lookups block).

#ifndef INFLOW_DAEMON_LISTENERS_SOCKET_ADDRESS_H_
#define INFLOW_DAEMON_LISTENERS_SOCKET_ADDRESS_H_

#include <sys/socket.h>

#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow::daemon {

// Parses `host:port` (`[v6]:port` for IPv6; the host may be a name, looked
// up at once) for a socket of `socktype` (SOCK_DGRAM, SOCK_STREAM).
Status ResolveHostPort(std::string_view text, int socktype, sockaddr_storage* address,
                       socklen_t* length);

// Readies `path` for bind(): removes a socket file left by a process that
// is gone (nothing accepts connections on it), and refuses a path that is
// in use by a running server, is not a socket, or is too long.
Status PrepareUnixSocketPath(const std::string& path, int socktype);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_SOCKET_ADDRESS_H_
