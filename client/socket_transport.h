// SocketTransport: a Client's batches handed to inflowd over a socket, as
// its unix_stream and udp listeners take them. inflowd then owns them: a
// batch is written once the socket took its bytes.
//
//   unix:///run/inflowd/inflowd.sock[?retention_policy_tag=TAG]
//   udp://host:port[?retention_policy_tag=TAG]
//
// Unix stream: a connection per writing thread at a time (a small pool,
// kept connected), each batch's body sent whole, bounded by the deadline.
// A connection is never closed inside a line (inflowd takes what it got at
// a close as a last line): a batch cut by the deadline has its current
// line finished, within a short grace, before the connection goes.
// UDP: each batch split into datagrams of whole lines of at most
// max_datagram_bytes; a line larger than that is refused, never sent.
//
// Thread-safe.

#ifndef INFLOW_CLIENT_SOCKET_TRANSPORT_H_
#define INFLOW_CLIENT_SOCKET_TRANSPORT_H_

#include <memory>
#include <string_view>

#include "client/transport.h"
#include "inflow/status.h"

namespace inflow {

// Reads `url` (unix:// or udp://, as above; a udp host is resolved here).
// On failure returns an error naming what is wrong.
Status MakeSocketTransport(std::string_view url, const ClientOptions& options,
                           std::unique_ptr<Transport>* out);

}  // namespace inflow

#endif  // INFLOW_CLIENT_SOCKET_TRANSPORT_H_
