#include "listeners/datagram_listener.h"

#include <spdlog/spdlog.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "listeners/socket_address.h"

namespace inflow::daemon {

namespace {

// Datagrams per recvmmsg call, and calls per wake-up before other handles
// get their turn.
constexpr size_t kBatch = 16;
constexpr int kMaxCallsPerWakeUp = 64;

// Room for the one control message asked for: SO_RXQ_OVFL's counter.
constexpr size_t kControlBytes = CMSG_SPACE(sizeof(uint32_t));
static_assert(kControlBytes % alignof(cmsghdr) == 0);

}  // namespace

DatagramListener::DatagramListener(uv_loop_t* loop, const ListenerConfig& config,
                                   ListenerContext context)
    : loop_(loop),
      config_(config),
      context_(std::move(context)),
      truncated_log_(5, std::chrono::seconds(10)),
      kernel_drops_log_(1, std::chrono::seconds(10)),
      intake_(context_.router, context_.parser_options, context_.name,
              context_.retention_policy) {}

DatagramListener::~DatagramListener() {
  if (fd_ >= 0 && !polling_) close(fd_);
}

Status DatagramListener::Start() {
  sockaddr_storage address = {};
  socklen_t length = 0;
  if (config_.type == ListenerType::kUdp) {
    Status status = ResolveHostPort(config_.address, SOCK_DGRAM, &address, &length);
    if (!status.ok()) return Status::Error(context_.name + ": " + status.message());
  } else {
    Status status = PrepareUnixSocketPath(config_.path, SOCK_DGRAM);
    if (!status.ok()) return Status::Error(context_.name + ": " + status.message());
    auto* unix_address = reinterpret_cast<sockaddr_un*>(&address);
    unix_address->sun_family = AF_UNIX;
    std::memcpy(unix_address->sun_path, config_.path.data(), config_.path.size());
    length = sizeof(sockaddr_un);
  }
  fd_ = socket(address.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return Status::Error(context_.name + ": socket: " + std::strerror(errno));
  // Before bind, so that no datagram arrives to a smaller queue.
  Status status = SetReceiveBuffer();
  if (!status.ok()) return status;
  // Only UDP: Linux's Unix datagram sockets take the option but never send
  // the counter (unix_dgram_recvmsg adds no SO_RXQ_OVFL message), as they
  // never drop: a sender waits, or gets EAGAIN, while the queue is full.
  if (config_.type == ListenerType::kUdp) {
    int on = 1;
    if (setsockopt(fd_, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on)) != 0) {
      return Status::Error(context_.name + ": setsockopt SO_RXQ_OVFL: " +
                           std::strerror(errno));
    }
  }
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    return Status::Error(context_.name + ": bind: " + std::strerror(errno));
  }

  buffers_ = std::make_unique<char[]>(kBatch * kMaxDatagramBytes);
  // Only UDP gets room for control messages: into a Unix socket's, a sender
  // could pass file descriptors (SCM_RIGHTS), which the kernel would install
  // in inflowd; without room, it closes them. operator new[] aligns the
  // block for any fundamental type, and each slot is a multiple of
  // cmsghdr's alignment, so each slot is aligned as a cmsghdr must be.
  if (config_.type == ListenerType::kUdp) {
    controls_ = std::make_unique<char[]>(kBatch * kControlBytes);
  }
  messages_.resize(kBatch);
  iovecs_.resize(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    iovecs_[i].iov_base = buffers_.get() + i * kMaxDatagramBytes;
    iovecs_[i].iov_len = kMaxDatagramBytes;
    messages_[i].msg_hdr = {};
    messages_[i].msg_hdr.msg_iov = &iovecs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
    if (controls_) messages_[i].msg_hdr.msg_control = controls_.get() + i * kControlBytes;
  }

  int rc = uv_poll_init_socket(loop_, &poll_.handle, fd_);
  if (rc < 0) return Status::Error(context_.name + ": " + uv_strerror(rc));
  handles_.Adopt(&poll_);
  polling_ = true;
  poll_.handle.data = this;
  rc = uv_poll_start(&poll_.handle, UV_READABLE, OnReadable);
  if (rc < 0) return Status::Error(context_.name + ": " + uv_strerror(rc));
  return Status::Ok();
}

Status DatagramListener::SetReceiveBuffer() {
  // The kernel grants at most INT_MAX / 2 (it stores twice the size asked
  // for in an int), and reports twice what it granted.
  const int asked = static_cast<int>(std::min<size_t>(config_.read_buffer_bytes, INT_MAX / 2));
  if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &asked, sizeof(asked)) != 0) {
    return Status::Error(context_.name + ": setsockopt SO_RCVBUF: " + std::strerror(errno));
  }
  int reported = receive_buffer_bytes();
  // Capped at net.core.rmem_max. SO_RCVBUFFORCE ignores the cap but needs
  // CAP_NET_ADMIN; without it (EPERM) the size granted stays.
  if (reported >= 0 && reported / 2 < asked &&
      setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &asked, sizeof(asked)) == 0) {
    reported = receive_buffer_bytes();
  }
  if (reported < 0) {
    return Status::Error(context_.name + ": getsockopt SO_RCVBUF: " + std::strerror(errno));
  }
  if (reported / 2 < asked) {
    spdlog::warn(
        "{}: receive buffer {} bytes, less than read_buffer_bytes {}: the kernel caps it at "
        "net.core.rmem_max; raise that sysctl, or run inflowd with CAP_NET_ADMIN",
        context_.name, reported / 2, config_.read_buffer_bytes);
  } else if (config_.type == ListenerType::kUnixDgram) {
    // A Unix datagram socket's queue is bounded in datagrams, not bytes.
    spdlog::info(
        "{}: receive buffer {} bytes (the kernel reports {}); the queue holds at most "
        "net.unix.max_dgram_qlen datagrams, senders wait beyond",
        context_.name, reported / 2, reported);
  } else {
    spdlog::info("{}: receive buffer {} bytes (the kernel reports {})", context_.name,
                 reported / 2, reported);
  }
  return Status::Ok();
}

int DatagramListener::receive_buffer_bytes() const {
  if (fd_ < 0) return -1;
  int size = 0;
  socklen_t size_length = sizeof(size);
  if (getsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, &size_length) != 0) return -1;
  return size;
}

void DatagramListener::OnReadable(uv_poll_t* poll, int status, int) {
  auto* self = static_cast<DatagramListener*>(poll->data);
  if (status < 0) {
    spdlog::error("{}: {}", self->context_.name, uv_strerror(status));
    return;
  }
  self->ReadAll();
}

void DatagramListener::ReadAll() {
  const size_t control_bytes = controls_ ? kControlBytes : 0;
  for (int call = 0; call < kMaxCallsPerWakeUp; ++call) {
    // The kernel sets msg_controllen to the bytes it wrote.
    for (mmsghdr& message : messages_) message.msg_hdr.msg_controllen = control_bytes;
    int count = recvmmsg(fd_, messages_.data(), static_cast<unsigned>(kBatch), MSG_DONTWAIT,
                         nullptr);
    if (count < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::error("{}: recvmmsg: {}", context_.name, std::strerror(errno));
      }
      break;
    }
    int64_t received_ns = context_.clock->WallNanos();
    for (int i = 0; i < count; ++i) {
      mmsghdr& message = messages_[static_cast<size_t>(i)];
      ++datagrams_;
      // Absent until the socket's first drop.
      if (message.msg_hdr.msg_controllen != 0) CountKernelDrops(&message.msg_hdr);
      if ((message.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++truncated_;
        uint64_t suppressed = 0;
        if (truncated_log_.Allow(context_.clock->Now(), &suppressed)) {
          spdlog::warn("{}: a datagram over {} bytes was dropped ({} so far)", context_.name,
                       kMaxDatagramBytes, truncated_);
        }
        continue;
      }
      std::string_view data(static_cast<const char*>(message.msg_hdr.msg_iov->iov_base),
                            message.msg_len);
      intake_.Feed(data, true, received_ns, context_.pipeline);
    }
    // A full spool drops datagrams' points, counted by the engine: a sender
    // cannot be made to wait.
    context_.pipeline->Admit(false);
    if (static_cast<size_t>(count) < kBatch) break;
  }
  if (kernel_drops_ != kernel_drops_logged_) LogKernelDrops();
}

void DatagramListener::CountKernelDrops(msghdr* header) {
  for (cmsghdr* control = CMSG_FIRSTHDR(header); control != nullptr;
       control = CMSG_NXTHDR(header, control)) {
    if (control->cmsg_level != SOL_SOCKET || control->cmsg_type != SO_RXQ_OVFL) continue;
    uint32_t counter = 0;
    std::memcpy(&counter, CMSG_DATA(control), sizeof(counter));
    // The kernel's counter is the socket's drops since it was opened, as a
    // uint32 that wraps; the unsigned difference survives the wrap. Each
    // datagram carries the count from when it was queued, so the counter
    // never goes back as datagrams are read in order.
    kernel_drops_ += static_cast<uint32_t>(counter - kernel_drop_counter_);
    kernel_drop_counter_ = counter;
  }
}

void DatagramListener::LogKernelDrops() {
  // Refused messages are not lost: the next one allowed reports every drop
  // since the last message.
  uint64_t suppressed = 0;
  if (!kernel_drops_log_.Allow(context_.clock->Now(), &suppressed)) return;
  spdlog::warn(
      "{}: the kernel dropped {} datagrams ({} in all): inflowd is not reading fast enough; "
      "raise read_buffer_bytes (and net.core.rmem_max)",
      context_.name, kernel_drops_ - kernel_drops_logged_, kernel_drops_);
  kernel_drops_logged_ = kernel_drops_;
}

void DatagramListener::Close() {
  if (!polling_) return;
  handles_.Close(&poll_, [](uv_poll_t* poll) {
    auto* self = static_cast<DatagramListener*>(poll->data);
    close(self->fd_);
    self->fd_ = -1;
    self->polling_ = false;
    if (self->config_.type == ListenerType::kUnixDgram) unlink(self->config_.path.c_str());
  });
}

}  // namespace inflow::daemon
