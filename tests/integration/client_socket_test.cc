// The client's transports through inflowd, against sockets the test itself
// reads: datagrams of whole lines that fit, a line too large for one
// refused alone, and a Unix socket nobody listens on.

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "inflow/client.h"
#include "support/temp_dir.h"

namespace inflow {
namespace {

TEST(ClientSocketTest, SplitsABatchIntoDatagramsOfWholeLinesAndRefusesALineTooLarge) {
  const int receiver = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(receiver, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(receiver, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  socklen_t length = sizeof(address);
  ASSERT_EQ(getsockname(receiver, reinterpret_cast<sockaddr*>(&address), &length), 0);

  ClientOptions options;
  options.max_datagram_bytes = 1000;
  Client client("udp://127.0.0.1:" + std::to_string(ntohs(address.sin_port)), options);
  ASSERT_TRUE(client.status().ok()) << client.status().message();
  Session session = client.session();
  std::string expected;
  for (int i = 0; i < 30; ++i) {
    if (i == 10) {
      ASSERT_TRUE(session.write("big", {{"s", std::string(2000, 'b')}}, 1).ok());
    }
    ASSERT_TRUE(session.write("m", {{"i", int64_t{i}}, {"pad", std::string(60, 'p')}}, i).ok());
    expected += "m i=" + std::to_string(i) + "i,pad=\"" + std::string(60, 'p') + "\" " +
                std::to_string(int64_t{i} * 1'000'000'000) + "\n";
  }
  WriteResult result = session.commit();
  EXPECT_EQ(result.error, WriteError::kRejected) << result.message;
  EXPECT_EQ(result.written_points, 30u);
  EXPECT_EQ(result.refused_points, 1u);
  ASSERT_EQ(result.refused_lines.size(), 1u);
  EXPECT_NE(result.refused_lines[0].reason.find("larger than a datagram"), std::string::npos);

  std::string received;
  int datagrams = 0;
  char buffer[65536];
  while (received.size() < expected.size()) {
    pollfd readable{receiver, POLLIN, 0};
    if (poll(&readable, 1, 2000) <= 0) break;
    const ssize_t n = recv(receiver, buffer, sizeof(buffer), 0);
    ASSERT_GT(n, 0);
    ++datagrams;
    EXPECT_LE(n, 1000);
    EXPECT_EQ(buffer[n - 1], '\n') << "a datagram ends inside a line";
    received.append(buffer, static_cast<size_t>(n));
  }
  close(receiver);
  EXPECT_EQ(received, expected);
  // 30 lines of ~90 bytes, at most 1000 bytes each: 3 or more datagrams.
  EXPECT_GE(datagrams, 3);
}

TEST(ClientSocketTest, AUnixSocketNobodyListensOnFailsAndKeepsThePoints) {
  test::TempDir dir;
  Client client("unix://" + dir.File("none.sock"));
  ASSERT_TRUE(client.status().ok()) << client.status().message();
  Session session = client.session();
  ASSERT_TRUE(session.write("m", {{"v", 1.0}}, 1).ok());
  WriteResult result = session.commit();
  EXPECT_EQ(result.error, WriteError::kFailed);
  EXPECT_NE(result.message.find("none.sock"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("No such file"), std::string::npos) << result.message;
  EXPECT_EQ(result.unwritten_points, 1u);
  EXPECT_EQ(session.pending_points(), 1u);
}

TEST(ClientSocketTest, ARetentionPolicyNeedsTheRoutingTagThroughInflowd) {
  Client client("udp://127.0.0.1:9");
  Session session = client.session({.retention_policy = "rp_four_weeks"});
  WriteResult result = session.write("m", {{"v", 1.0}}, 1);
  EXPECT_EQ(result.error, WriteError::kInvalid);
  EXPECT_NE(result.message.find("retention_policy_tag"), std::string::npos) << result.message;
  EXPECT_FALSE(Client("udp://127.0.0.1").status().ok());
  EXPECT_FALSE(Client("unix://relative.sock").status().ok());
  EXPECT_FALSE(Client("unix:///a.sock?rp=x").status().ok());
}

}  // namespace
}  // namespace inflow
