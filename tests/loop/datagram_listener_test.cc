// DatagramListener on a private loop, fed by plain sockets: the receive
// buffer it asks for (and forces past net.core.rmem_max when it may), the
// kernel's drops counted exactly when a UDP queue overflows, Unix datagram
// senders held back rather than dropped, and no file descriptor taken in
// over a Unix socket.

#include "listeners/datagram_listener.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/clock.h"
#include "private_loop.h"

namespace inflow::daemon {
namespace {

using test::PrivateLoop;

// Point n, as a line: "cpu,host=a v=<n>i <n>\n".
std::string Line(int n) {
  return "cpu,host=a v=" + std::to_string(n) + "i " + std::to_string(n) + "\n";
}

// The lines of a datagram: kLinesPerDatagram points from n * kLinesPerDatagram.
constexpr int kLinesPerDatagram = 2;
std::string Datagram(int n) {
  std::string datagram;
  for (int i = 0; i < kLinesPerDatagram; ++i) datagram += Line(n * kLinesPerDatagram + i);
  return datagram;
}

class RecordingSink : public Pipeline {
 public:
  void Accept(const AcceptedPoint& point) override { lines.emplace_back(point.line()); }
  void Refuse(const Refusal& refusal) override { refused.emplace_back(refusal.line); }
  Admission Admit(bool can_wait) override {
    EXPECT_FALSE(can_wait) << "a datagram's sender cannot be made to wait";
    ++admits;
    return Admission::kAccepted;
  }

  std::vector<std::string> lines;
  std::vector<std::string> refused;
  int admits = 0;
};

// A UDP port of 127.0.0.1 that was free a moment ago.
int FreeUdpPort() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "no free UDP port: " << std::strerror(errno);
  }
  if (fd >= 0) close(fd);
  return ntohs(address.sin_port);
}

int ReadRmemMax() {
  std::ifstream file("/proc/sys/net/core/rmem_max");
  int value = -1;
  file >> value;
  return value;
}

// Whether this process may set SO_RCVBUFFORCE (CAP_NET_ADMIN).
bool CanForceReceiveBuffer() {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int size = 65536;
  bool can = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) == 0;
  if (fd >= 0) close(fd);
  return can;
}

// Every test ends, in TearDown, by closing the listener and asserting that
// the loop closes (uv_loop_close == 0).
class DatagramListenerTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (listener_) listener_->Close();
    EXPECT_EQ(loop_.Close(), 0);
    if (!folder_.empty()) rmdir(folder_.c_str());  // its socket went with Close
  }

  void StartUdp(size_t read_buffer_bytes) {
    port_ = FreeUdpPort();
    ListenerConfig config;
    config.type = ListenerType::kUdp;
    config.address = "127.0.0.1:" + std::to_string(port_);
    config.read_buffer_bytes = read_buffer_bytes;
    Start(config);
  }

  // Starts a unix_dgram listener on a socket in a new temporary folder, and
  // sets unix_address_ to it.
  void StartUnixDgram(size_t read_buffer_bytes) {
    char folder[] = "/tmp/inflow-datagram-test.XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr) << std::strerror(errno);
    folder_ = folder;
    ListenerConfig config;
    config.type = ListenerType::kUnixDgram;
    config.path = folder_ + "/inflowd.sock";
    config.read_buffer_bytes = read_buffer_bytes;
    unix_address_.sun_family = AF_UNIX;
    std::memcpy(unix_address_.sun_path, config.path.data(), config.path.size());
    Start(config);
  }

  void Start(const ListenerConfig& config) {
    ListenerContext context;
    context.router = &router_;
    context.pipeline = &sink_;
    context.name = config.type == ListenerType::kUdp ? "udp " + config.address
                                                     : "unix_dgram " + config.path;
    context.retention_policy = "autogen";
    context.clock = &clock_;
    listener_.emplace(loop_.get(), config, std::move(context));
    Status status = listener_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // Sends datagram n to the listener's UDP port; true if the kernel took it.
  bool SendUdp(int sender, int n) {
    sockaddr_in address = {};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port_));
    std::string datagram = Datagram(n);
    return sendto(sender, datagram.data(), datagram.size(), 0,
                  reinterpret_cast<sockaddr*>(&address), sizeof(address)) ==
           static_cast<ssize_t>(datagram.size());
  }

  // The lines received are whole points, in order, without gaps inside a
  // datagram: kLinesPerDatagram lines for each datagram read.
  void ExpectIntactLines() {
    EXPECT_TRUE(sink_.refused.empty()) << sink_.refused.front();
    ASSERT_EQ(sink_.lines.size(), listener_->datagrams() * kLinesPerDatagram);
    int previous = -1;
    for (size_t i = 0; i < sink_.lines.size(); i += kLinesPerDatagram) {
      const std::string& first = sink_.lines[i];
      int n = std::atoi(first.c_str() + first.rfind(' ') + 1) / kLinesPerDatagram;
      ASSERT_GT(n, previous) << "datagrams out of order at line " << i;
      previous = n;
      for (int j = 0; j < kLinesPerDatagram; ++j) {
        ASSERT_EQ(sink_.lines[i + static_cast<size_t>(j)], Line(n * kLinesPerDatagram + j));
      }
    }
  }

  Router router_{{"autogen"}, ""};
  RecordingSink sink_;
  ManualClock clock_;
  PrivateLoop loop_;
  std::optional<DatagramListener> listener_;  // after loop_: destroyed first
  int port_ = 0;                // of a udp listener
  std::string folder_;          // of a unix_dgram listener's socket
  sockaddr_un unix_address_ = {};  // of a unix_dgram listener
};

TEST_F(DatagramListenerTest, AppliesTheReceiveBuffer) {
  ASSERT_NO_FATAL_FAILURE(StartUdp(65536));
  // Linux reports twice the size it granted.
  EXPECT_EQ(listener_->receive_buffer_bytes(), 2 * 65536);
}

TEST_F(DatagramListenerTest, ForcesTheReceiveBufferPastRmemMaxWhenItMay) {
  int rmem_max = ReadRmemMax();
  ASSERT_GT(rmem_max, 0);
  ASSERT_LT(rmem_max, INT_MAX / 2 - 65536);
  size_t asked = static_cast<size_t>(rmem_max) + 65536;
  ASSERT_NO_FATAL_FAILURE(StartUdp(asked));
  // With CAP_NET_ADMIN (as root) SO_RCVBUFFORCE grants it all; without, the
  // listener keeps what net.core.rmem_max allows.
  int granted = CanForceReceiveBuffer() ? static_cast<int>(asked) : rmem_max;
  EXPECT_EQ(listener_->receive_buffer_bytes(), 2 * granted);
}

// The listener reads time only from its context's clock.
TEST_F(DatagramListenerTest, StampsALineWithoutATimestampWithItsClocksWallTime) {
  clock_.SetWallNanos(1700000000123456789);
  ASSERT_NO_FATAL_FAILURE(StartUdp(65536));
  int sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sender, 0);
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port_));
  std::string_view datagram = "cpu,host=a v=1i\n";
  ASSERT_EQ(sendto(sender, datagram.data(), datagram.size(), 0,
                   reinterpret_cast<sockaddr*>(&address), sizeof(address)),
            static_cast<ssize_t>(datagram.size()));
  close(sender);
  ASSERT_TRUE(loop_.RunUntil([&] { return !sink_.lines.empty(); }, "the datagram"));
  EXPECT_EQ(sink_.lines, std::vector<std::string>{"cpu,host=a v=1i 1700000000123456789\n"});
}

TEST_F(DatagramListenerTest, CountsTheKernelsDropsWhenTheQueueOverflows) {
  ASSERT_NO_FATAL_FAILURE(StartUdp(8192));
  int sender = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sender, 0);
  // Sent with the loop stopped, so nothing is read: the queue fills after a
  // few datagrams and the kernel drops the rest.
  constexpr int kFlood = 2000;
  int sent = 0;
  for (int n = 0; n < kFlood; ++n) {
    if (SendUdp(sender, n)) ++sent;
  }
  ASSERT_EQ(sent, kFlood);
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->datagrams() > 0; }, "the queued datagrams"));
  // Each datagram carries the drop count from when it was queued; these were
  // all queued before the first drop.
  EXPECT_EQ(listener_->kernel_drops(), 0u);

  // A datagram queued after the drops reports them all; datagrams are read
  // in order, so once it is read everything queued was.
  ASSERT_TRUE(SendUdp(sender, kFlood));
  ++sent;
  std::string last_line = Line(kFlood * kLinesPerDatagram + kLinesPerDatagram - 1);
  ASSERT_TRUE(loop_.RunUntil(
      [&] { return !sink_.lines.empty() && sink_.lines.back() == last_line; },
      "the datagram sent after the flood"));
  close(sender);

  uint64_t received = listener_->datagrams();
  EXPECT_GT(received, 1u);
  EXPECT_LT(received, static_cast<uint64_t>(kFlood));
  EXPECT_EQ(listener_->kernel_drops(), static_cast<uint64_t>(sent) - received);
  EXPECT_EQ(listener_->truncated(), 0u);
  ExpectIntactLines();
}

// Unix datagram sockets never drop: past net.unix.max_dgram_qlen queued
// datagrams (whatever SO_RCVBUF is), a sender gets EAGAIN (or waits, if
// blocking), so the count of what it sent is exact and all of it arrives.
TEST_F(DatagramListenerTest, UnixDatagramSendersAreHeldBackNotDropped) {
  ASSERT_NO_FATAL_FAILURE(StartUnixDgram(8192));
  int sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  ASSERT_GE(sender, 0);
  int sent = 0;
  int error = 0;
  for (int n = 0; n < 100000; ++n) {
    std::string datagram = Datagram(n);
    if (sendto(sender, datagram.data(), datagram.size(), 0,
               reinterpret_cast<sockaddr*>(&unix_address_), sizeof(unix_address_)) < 0) {
      error = errno;
      break;
    }
    ++sent;
  }
  close(sender);
  EXPECT_EQ(error, EAGAIN) << std::strerror(error);
  ASSERT_GT(sent, 0);

  ASSERT_TRUE(loop_.RunUntil(
      [&] { return listener_->datagrams() == static_cast<uint64_t>(sent); },
      "every datagram sent"));
  EXPECT_EQ(listener_->kernel_drops(), 0u);
  ExpectIntactLines();
}

int OpenFileDescriptors() {
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
    (void)entry;
    ++count;
  }
  return count;
}

// The listener reads a Unix socket without room for control messages, so
// file descriptors a sender passes (SCM_RIGHTS) are closed by the kernel
// instead of piling up in inflowd.
TEST_F(DatagramListenerTest, UnixDatagramListenerTakesNoFileDescriptors) {
  ASSERT_NO_FATAL_FAILURE(StartUnixDgram(8192));
  int sender = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(sender, 0);
  int before = OpenFileDescriptors();

  std::string datagram = Datagram(0);
  iovec data = {datagram.data(), datagram.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message = {};
  message.msg_name = &unix_address_;
  message.msg_namelen = sizeof(unix_address_);
  message.msg_iov = &data;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof(control);
  cmsghdr* rights = CMSG_FIRSTHDR(&message);
  rights->cmsg_level = SOL_SOCKET;
  rights->cmsg_type = SCM_RIGHTS;
  rights->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(rights), &sender, sizeof(int));
  ASSERT_EQ(sendmsg(sender, &message, 0), static_cast<ssize_t>(datagram.size()))
      << std::strerror(errno);
  close(sender);

  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->datagrams() == 1; }, "the datagram"));
  EXPECT_EQ(OpenFileDescriptors(), before - 1);  // the sender's, closed
  ExpectIntactLines();
}

}  // namespace
}  // namespace inflow::daemon
