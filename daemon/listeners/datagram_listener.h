// DatagramListener: UDP and Unix datagram sockets.
//
// Each datagram holds whole lines (the last may lack its newline). The
// socket is read with recvmmsg, many datagrams per system call, from a
// uv_poll watcher: libuv's own UDP handle neither takes Unix datagram
// sockets nor reads more than one datagram per call.
//
// A datagram cannot be paused, so every loss is counted and logged (rate
// limited): one larger than the read buffer is dropped by the listener
// (truncated()); over UDP, one that finds the socket's receive queue full
// (read_buffer_bytes) is dropped by the kernel (kernel_drops()). A Unix
// datagram sender is never dropped silently: it waits, or gets EAGAIN, while
// the listener's queue is full (at most net.unix.max_dgram_qlen datagrams).

#ifndef INFLOW_DAEMON_LISTENERS_DATAGRAM_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_DATAGRAM_LISTENER_H_

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "inflow/handle_set.h"
#include "listeners/listener.h"
#include "log_rate_limiter.h"

namespace inflow::daemon {

class DatagramListener : public Listener {
 public:
  // The largest datagram read whole: a UDP datagram's maximum payload.
  static constexpr size_t kMaxDatagramBytes = 65536;

  DatagramListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context);
  ~DatagramListener() override;

  // Besides binding: sets the receive buffer to read_buffer_bytes, forcing
  // it past net.core.rmem_max when the process may (CAP_NET_ADMIN), else
  // keeping what the kernel granted, with a warning; logs the size once.
  Status Start() override;
  void Close() override;
  // Datagrams cannot be held back: the listener reads on, and the engine
  // drops and counts their points while the spool is full.
  void Pause() override {}
  void Resume() override {}
  const std::string& name() const override { return context_.name; }

  // Datagrams read, including the truncated ones.
  uint64_t datagrams() const { return datagrams_; }
  // Datagrams over kMaxDatagramBytes, dropped.
  uint64_t truncated() const { return truncated_; }
  // UDP: datagrams the kernel dropped since Start because the receive queue
  // was full, as last reported by the kernel. The kernel reports its count
  // with each datagram it queues, so drops show once a later datagram is
  // read. Always 0 for Unix datagram sockets, which do not drop.
  uint64_t kernel_drops() const { return kernel_drops_; }

  // The socket's receive buffer as getsockopt(SO_RCVBUF) reports it: twice
  // the size granted, as Linux doubles it for its bookkeeping. -1 when the
  // socket is not open (before Start, after Close).
  int receive_buffer_bytes() const;

 private:
  static void OnReadable(uv_poll_t* poll, int status, int events);
  Status SetReceiveBuffer();
  void ReadAll();
  void CountKernelDrops(msghdr* header);  // adds what its SO_RXQ_OVFL counter says
  void LogKernelDrops();

  HandleSet handles_{"DatagramListener"};
  uv_loop_t* loop_;
  ListenerConfig config_;
  ListenerContext context_;
  LogRateLimiter truncated_log_;
  LogRateLimiter kernel_drops_log_;
  Intake intake_;
  int fd_ = -1;
  TrackedHandle<uv_poll_t> poll_;
  bool polling_ = false;  // poll_ was initialized and its close callback has not run
  std::unique_ptr<char[]> buffers_;  // kBatch buffers of kMaxDatagramBytes
  std::unique_ptr<char[]> controls_;  // UDP: kBatch control buffers, for SO_RXQ_OVFL
  std::vector<mmsghdr> messages_;
  std::vector<iovec> iovecs_;
  uint64_t datagrams_ = 0;
  uint64_t truncated_ = 0;
  uint32_t kernel_drop_counter_ = 0;  // the kernel's last SO_RXQ_OVFL value
  uint64_t kernel_drops_ = 0;         // that counter, unwrapped past 2^32
  uint64_t kernel_drops_logged_ = 0;  // kernel_drops_ at the last message
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_DATAGRAM_LISTENER_H_
