#include "listeners/datagram_listener.h"

#include <spdlog/spdlog.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "listeners/socket_address.h"

namespace inflow::daemon {

namespace {

// Datagrams per recvmmsg call, and calls per wake-up before other handles
// get their turn.
constexpr size_t kBatch = 16;
constexpr int kMaxCallsPerWakeUp = 64;

}  // namespace

DatagramListener::DatagramListener(uv_loop_t* loop, const ListenerConfig& config,
                                   ListenerContext context)
    : loop_(loop),
      config_(config),
      context_(std::move(context)),
      truncated_log_(5, std::chrono::seconds(10)),
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
  if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) != 0) {
    return Status::Error(context_.name + ": bind: " + std::strerror(errno));
  }

  buffers_ = std::make_unique<char[]>(kBatch * kMaxDatagramBytes);
  messages_.resize(kBatch);
  iovecs_.resize(kBatch);
  for (size_t i = 0; i < kBatch; ++i) {
    iovecs_[i].iov_base = buffers_.get() + i * kMaxDatagramBytes;
    iovecs_[i].iov_len = kMaxDatagramBytes;
    messages_[i].msg_hdr = {};
    messages_[i].msg_hdr.msg_iov = &iovecs_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }

  int rc = uv_poll_init_socket(loop_, &poll_, fd_);
  if (rc < 0) return Status::Error(context_.name + ": " + uv_strerror(rc));
  polling_ = true;
  poll_.data = this;
  rc = uv_poll_start(&poll_, UV_READABLE, OnReadable);
  if (rc < 0) return Status::Error(context_.name + ": " + uv_strerror(rc));
  return Status::Ok();
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
  for (int call = 0; call < kMaxCallsPerWakeUp; ++call) {
    int count = recvmmsg(fd_, messages_.data(), static_cast<unsigned>(kBatch), MSG_DONTWAIT,
                         nullptr);
    if (count < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        spdlog::error("{}: recvmmsg: {}", context_.name, std::strerror(errno));
      }
      return;
    }
    int64_t received_ns = ReceivedNowNs();
    for (int i = 0; i < count; ++i) {
      const mmsghdr& message = messages_[static_cast<size_t>(i)];
      ++datagrams_;
      if ((message.msg_hdr.msg_flags & MSG_TRUNC) != 0) {
        ++truncated_;
        uint64_t suppressed = 0;
        if (truncated_log_.Allow(MonoTime::clock::now(), &suppressed)) {
          spdlog::warn("{}: a datagram over {} bytes was dropped ({} so far)", context_.name,
                       kMaxDatagramBytes, truncated_);
        }
        continue;
      }
      std::string_view data(static_cast<const char*>(message.msg_hdr.msg_iov->iov_base),
                            message.msg_len);
      intake_.Feed(data, true, received_ns, context_.sink);
    }
    if (static_cast<size_t>(count) < kBatch) return;
  }
}

void DatagramListener::Close() {
  if (!polling_ || uv_is_closing(reinterpret_cast<uv_handle_t*>(&poll_))) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), [](uv_handle_t* handle) {
    auto* self = static_cast<DatagramListener*>(handle->data);
    close(self->fd_);
    self->fd_ = -1;
    self->polling_ = false;
    if (self->config_.type == ListenerType::kUnixDgram) unlink(self->config_.path.c_str());
  });
}

}  // namespace inflow::daemon
