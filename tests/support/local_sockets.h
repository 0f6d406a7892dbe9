// Clients of the sockets a local program writes line protocol to: UDP and
// Unix datagrams, and Unix stream connections; and a free UDP port.
//
// Every call ends by a deadline or at once: nothing here blocks a test that
// the server under test stops answering.

#ifndef INFLOW_TESTS_SUPPORT_LOCAL_SOCKETS_H_
#define INFLOW_TESTS_SUPPORT_LOCAL_SOCKETS_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow::test {

// As FreePort, for UDP: a port on 127.0.0.1 that no UDP socket is bound to
// right now. On success sets *port (never 0); on failure returns an error
// naming the system call and leaves *port unchanged.
Status FreeUdpPort(uint16_t* port);

// Sends `datagram` as one UDP datagram to 127.0.0.1:`port`. Returns an
// error naming the destination and the reason if the kernel refuses it (a
// datagram over 65,507 bytes, say). Success says nothing about delivery.
Status SendUdpDatagram(uint16_t port, std::string_view datagram);

// Sends `datagram` as one datagram to the Unix datagram socket at `path`.
// Returns an error naming the path and the reason (no such socket, nobody
// bound to it, the receiver's queue full).
Status SendUnixDatagram(const std::string& path, std::string_view datagram);

// A client connection to a Unix stream socket. Thread: one at a time.
class UnixStreamConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // No connection yet; Connect and WriteAll fail after `deadline`.
  explicit UnixStreamConnection(Clock::time_point deadline) : deadline_(deadline) {}
  // Closes the connection if open.
  ~UnixStreamConnection();

  UnixStreamConnection(const UnixStreamConnection&) = delete;
  UnixStreamConnection& operator=(const UnixStreamConnection&) = delete;

  // Connects to the socket at `path`. Returns an error naming the path and
  // the reason. REQUIRES: not connected.
  Status Connect(const std::string& path);

  // Sends all of `data`, as one write when the socket buffer has room.
  // Returns an error if the peer has closed the connection, or on timeout.
  // REQUIRES: connected.
  Status WriteAll(std::string_view data);

  // Closes the connection; the peer reads end of file. No-op if not open.
  void Close();

 private:
  Clock::time_point deadline_;
  int fd_ = -1;
  std::string path_;  // for messages
};

// A non-blocking client of a Unix stream socket that says how much of what
// it sends the kernel took: for tests that must see inflowd stop reading
// (backpressure from a full spool) and know how far a sender got, which
// UnixStreamConnection's all-or-nothing WriteAll cannot tell. Thread: one
// at a time.
class StreamSender {
 public:
  using Clock = std::chrono::steady_clock;

  StreamSender() = default;
  // Closes the connection if open.
  ~StreamSender();

  StreamSender(const StreamSender&) = delete;
  StreamSender& operator=(const StreamSender&) = delete;

  // Connects to the socket at `path`. Returns an error naming the path and
  // the reason. REQUIRES: not connected.
  Status Connect(const std::string& path);

  // Sends `data` until all of it is sent, the socket has taken nothing for
  // `stall`, or `deadline` has passed; adds to *sent what the kernel took.
  // Returns an error only if a send fails. REQUIRES: connected.
  Status Send(std::string_view data, std::chrono::milliseconds stall, Clock::time_point deadline,
              size_t* sent);

  // Sets *bytes to the bytes sent that the peer has not read yet (SIOCOUTQ).
  Status Unread(size_t* bytes) const;

  // Closes the connection; the peer reads end of file. No-op if not open.
  void Close();

 private:
  int fd_ = -1;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_LOCAL_SOCKETS_H_
