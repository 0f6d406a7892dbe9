// TcpConnection: a client TCP connection whose every operation ends by one
// deadline, for talking to servers under test.
//
// Thread: one thread at a time.

#ifndef INFLOW_TESTS_SUPPORT_TCP_CONNECTION_H_
#define INFLOW_TESTS_SUPPORT_TCP_CONNECTION_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow::test {

class TcpConnection {
 public:
  using Clock = std::chrono::steady_clock;

  // No connection yet; Connect, WriteAll and Read fail after `deadline`.
  explicit TcpConnection(Clock::time_point deadline) : deadline_(deadline) {}
  ~TcpConnection();

  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  // Connects to `host` (an IPv4 address such as "127.0.0.1") and `port`.
  // Returns an error naming host:port and the reason (refused, timed out,
  // not an IPv4 address). REQUIRES: not connected yet.
  Status Connect(std::string_view host, uint16_t port);

  // Sends all of `data`. Returns an error if the peer closes the connection,
  // or on timeout. REQUIRES: connected.
  Status WriteAll(std::string_view data);

  // Waits for data and appends what arrived (at least one byte) to *out, or
  // sets *eof when the peer has closed its side. Returns an error on timeout
  // or a connection error. REQUIRES: connected.
  Status Read(std::string* out, bool* eof);

 private:
  // Waits until the socket is ready for `events` (poll(2) flags).
  Status Await(short events, std::string_view what);

  Clock::time_point deadline_;
  int fd_ = -1;
  std::string peer_;  // "host:port", for messages
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_TCP_CONNECTION_H_
