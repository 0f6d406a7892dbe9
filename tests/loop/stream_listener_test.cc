// StreamListener on a private loop, fed by plain Unix stream sockets: the
// shared client lifecycle (StreamClients) from accept to the close
// callback, lines put together across reads and ended by the connection's
// end, time from the context's clock, and Close with clients still connected
// leaving no handle behind (uv_loop_close() == 0).

#include "listeners/stream_listener.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/clock.h"
#include "private_loop.h"

namespace inflow::daemon {
namespace {

using test::PrivateLoop;

class RecordingSink : public Pipeline {
 public:
  void Accept(const AcceptedPoint& point) override { lines.emplace_back(point.line()); }
  void Refuse(const Refusal& refusal) override { refused.emplace_back(refusal.line); }
  Admission Admit(bool can_wait) override {
    EXPECT_TRUE(can_wait) << "a stream client can be made to wait";
    return Admission::kAccepted;
  }

  std::vector<std::string> lines;
  std::vector<std::string> refused;
};

class StreamListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char folder[] = "/tmp/inflow-stream-test.XXXXXX";
    ASSERT_NE(mkdtemp(folder), nullptr) << std::strerror(errno);
    folder_ = folder;
    config_.type = ListenerType::kUnixStream;
    config_.path = folder_ + "/inflowd.sock";
    ListenerContext context;
    context.router = &router_;
    context.pipeline = &sink_;
    context.name = "unix_stream " + config_.path;
    context.retention_policy = "autogen";
    context.clock = &clock_;
    listener_.emplace(loop_.get(), config_, std::move(context));
    Status status = listener_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
  }

  void TearDown() override {
    if (listener_) listener_->Close();
    EXPECT_EQ(loop_.Close(), 0);
    for (int fd : clients_) close(fd);
    EXPECT_NE(access(config_.path.c_str(), F_OK), 0) << "the socket file outlived Close";
    rmdir(folder_.c_str());
  }

  // A connected client socket (the kernel queues the connection until the
  // listener accepts it on the loop).
  int Connect() {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address = {};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path, config_.path.data(), config_.path.size());
    if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
      ADD_FAILURE() << "connect: " << std::strerror(errno);
    }
    clients_.push_back(fd);
    return fd;
  }

  bool Send(int fd, std::string_view data) {
    return write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  }

  Router router_{{"autogen"}, ""};
  RecordingSink sink_;
  ManualClock clock_;
  ListenerConfig config_;
  std::string folder_;
  std::vector<int> clients_;
  PrivateLoop loop_;
  std::optional<StreamListener> listener_;  // after loop_: destroyed first
};

TEST_F(StreamListenerTest, PutsLinesTogetherAcrossReadsAndEndsTheLastWithTheConnection) {
  clock_.SetWallNanos(1700000000000000042);
  int fd = Connect();
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->clients() == 1; }, "the accept"));
  ASSERT_TRUE(Send(fd, "cpu v=1i 1\ncpu v="));
  ASSERT_TRUE(loop_.RunUntil([&] { return sink_.lines.size() == 1; }, "the first line"));
  ASSERT_TRUE(Send(fd, "2i 2\ncpu v=3i"));
  ASSERT_TRUE(loop_.RunUntil([&] { return sink_.lines.size() == 2; }, "the second line"));
  shutdown(fd, SHUT_WR);
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->clients() == 0; }, "the client's close"));
  EXPECT_TRUE(sink_.refused.empty());
  EXPECT_EQ(sink_.lines, (std::vector<std::string>{"cpu v=1i 1\n", "cpu v=2i 2\n",
                                                   "cpu v=3i 1700000000000000042\n"}));
}

TEST_F(StreamListenerTest, KeepsEachClientsLinesApart) {
  int first = Connect();
  int second = Connect();
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->clients() == 2; }, "the accepts"));
  ASSERT_TRUE(Send(first, "a v=1i 1\na v="));
  ASSERT_TRUE(Send(second, "b v=1i 1\n"));
  ASSERT_TRUE(loop_.RunUntil([&] { return sink_.lines.size() == 2; }, "two lines"));
  ASSERT_TRUE(Send(first, "2i 2\n"));
  ASSERT_TRUE(loop_.RunUntil([&] { return sink_.lines.size() == 3; }, "the third line"));
  EXPECT_EQ(sink_.lines.back(), "a v=2i 2\n");
}

TEST_F(StreamListenerTest, PausedItReadsNothingAndResumedItReadsWhatWaited) {
  listener_->Pause();
  int fd = Connect();
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->clients() == 1; }, "the accept"));
  ASSERT_TRUE(Send(fd, "cpu v=1i 1\n"));
  // The line is in the socket before the second client connects, so one
  // poll of the loop that sees the second connection sees the line too: a
  // client read while paused would have been read by the second accept.
  Connect();
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->clients() == 2; }, "the second accept"));
  EXPECT_TRUE(sink_.lines.empty());
  listener_->Resume();
  ASSERT_TRUE(loop_.RunUntil([&] { return sink_.lines.size() == 1; }, "the line after Resume"));
}

// Close with a client connected and a line in part: the clients' handles
// are closed and freed in their close callbacks (the HandleSet would abort
// otherwise), and the loop closes.
TEST_F(StreamListenerTest, CloseWithClientsConnectedLeavesNoHandle) {
  int fd = Connect();
  ASSERT_TRUE(loop_.RunUntil([&] { return listener_->clients() == 1; }, "the accept"));
  ASSERT_TRUE(Send(fd, "cpu v="));
  listener_->Close();
  EXPECT_EQ(loop_.Close(), 0);
  EXPECT_EQ(listener_->clients(), 0u);
  EXPECT_TRUE(sink_.lines.empty());
}

}  // namespace
}  // namespace inflow::daemon
