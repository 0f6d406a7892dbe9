// The client library through inflowd: sessions writing over unix:// and
// udp:// to a real inflowd, which writes to a real InfluxDB. inflowd owns
// durability there; these tests show every point arrives, in the session's
// retention policy (by inflowd's routing tag), and that a batch larger than
// a datagram arrives whole.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>

#include "inflow/client.h"
#include "inflowd_fixture.h"

namespace inflow::test {
namespace {

using std::chrono::milliseconds;

class InflowdClientTest : public InflowdTest {
 protected:
  // Polls until `count` points of `m` are in `rp`; true if they are.
  bool WaitForCount(std::string_view rp, std::string_view m, uint64_t count) {
    return PollUntil(kArrivalTimeout, [&] { return CountIn(rp, m) >= count; });
  }
};

TEST_F(InflowdClientTest, TheUnixTransportDeliversEveryPointIntoItsRetentionPolicy) {
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {Prompt("autogen"), Prompt(kFourWeeks)},
                                        .listeners = {{ListenerKind::kUnixStream}},
                                        .retention_policy_tag = "rp"}));
  Client client("unix://" + spec_.listeners[0].path + "?retention_policy_tag=rp",
                {.precision = Precision::kNanoseconds});
  ASSERT_TRUE(client.status().ok()) << client.status().message();
  constexpr int kPoints = 2000;
  const int64_t t = RecentTime();
  {
    Session session = client.session({.autocommit_every = 100});
    for (int i = 0; i < kPoints; ++i) {
      WriteResult result = session.write("via_unix", {{"i", int64_t{i}}}, t + i);
      ASSERT_TRUE(result.ok()) << result.message;
    }
    Session weeks = client.session({.retention_policy = std::string(kFourWeeks)});
    for (int i = 0; i < 10; ++i) {
      ASSERT_TRUE(weeks.write("via_unix", {{"i", int64_t{i}}}, t + i).ok());
    }
  }  // both commit here
  EXPECT_TRUE(WaitForCount("autogen", "via_unix", kPoints));
  EXPECT_TRUE(WaitForCount(kFourWeeks, "via_unix", 10));
  EXPECT_EQ(CountIn("autogen", "via_unix"), uint64_t{kPoints});
  EXPECT_EQ(CountIn(kFourWeeks, "via_unix"), 10u);
}

TEST_F(InflowdClientTest, TheUdpTransportDeliversA200KiBBatchWhole) {
  ASSERT_NO_FATAL_FAILURE(
      StartInflowd({.sessions = {Prompt("autogen")}, .listeners = {{ListenerKind::kUdp}}}));
  Client client("udp://127.0.0.1:" + std::to_string(spec_.listeners[0].port),
                {.precision = Precision::kNanoseconds});
  ASSERT_TRUE(client.status().ok()) << client.status().message();
  const int64_t t = RecentTime();
  const std::string padding(80, 'x');
  Session session = client.session();
  uint64_t points = 0;
  while (points < 2000) {
    ASSERT_TRUE(session.write("via_udp", {{"i", int64_t(points)}, {"pad", padding}},
                              t + int64_t(points))
                    .ok());
    ++points;
  }
  WriteResult result = session.commit();
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.written_points, points);
  // 2,000 lines of over 100 bytes: more than 200 KiB, several datagrams.
  EXPECT_TRUE(WaitForCount("autogen", "via_udp", points));
  EXPECT_EQ(CountIn("autogen", "via_udp"), points);
}

}  // namespace
}  // namespace inflow::test
