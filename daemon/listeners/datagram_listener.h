// DatagramListener: UDP and Unix datagram sockets.
//
// Each datagram holds whole lines (the last may lack its newline). The
// socket is read with recvmmsg, many datagrams per system call, from a
// uv_poll watcher: libuv's own UDP handle neither takes Unix datagram
// sockets nor reads more than one datagram per call. A datagram cannot be
// paused: one larger than the read buffer is dropped, counted and logged.

#ifndef INFLOW_DAEMON_LISTENERS_DATAGRAM_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_DATAGRAM_LISTENER_H_

#include <sys/socket.h>
#include <uv.h>

#include <memory>
#include <vector>

#include "listeners/listener.h"
#include "log_rate_limiter.h"

namespace inflow::daemon {

class DatagramListener : public Listener {
 public:
  // The largest datagram read whole: a UDP datagram's maximum payload.
  static constexpr size_t kMaxDatagramBytes = 65536;

  DatagramListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context);
  ~DatagramListener() override;

  Status Start() override;
  void Close() override;
  const std::string& name() const override { return context_.name; }

  uint64_t datagrams() const { return datagrams_; }
  uint64_t truncated() const { return truncated_; }

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  void ReadAll();

  uv_loop_t* loop_;
  ListenerConfig config_;
  ListenerContext context_;
  LogRateLimiter truncated_log_;
  Intake intake_;
  int fd_ = -1;
  uv_poll_t poll_;
  bool polling_ = false;  // poll_ was initialized and must be closed
  std::unique_ptr<char[]> buffers_;  // kBatch buffers of kMaxDatagramBytes
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovecs_;
  uint64_t datagrams_ = 0;
  uint64_t truncated_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_DATAGRAM_LISTENER_H_
