// Backoff: bounds, cap, Reset, Retry-After, and that the jitter is random
// enough yet repeatable for one seed.

#include "inflow/backoff.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace inflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using std::chrono::seconds;

TEST(BackoffTest, CeilingDoublesUpToTheCap) {
  Backoff backoff(milliseconds(100), seconds(30), 1);
  EXPECT_EQ(backoff.Ceiling(1), milliseconds(100));
  EXPECT_EQ(backoff.Ceiling(2), milliseconds(200));
  EXPECT_EQ(backoff.Ceiling(3), milliseconds(400));
  EXPECT_EQ(backoff.Ceiling(9), milliseconds(25600));
  EXPECT_EQ(backoff.Ceiling(10), seconds(30));
  EXPECT_EQ(backoff.Ceiling(64), seconds(30));
  EXPECT_EQ(backoff.Ceiling(200), seconds(30));
  EXPECT_EQ(backoff.Ceiling(UINT32_MAX), seconds(30));
}

TEST(BackoffTest, CeilingNeverOverflows) {
  // The largest intervals there are: doubling would overflow at once.
  Backoff huge(nanoseconds(INT64_MAX / 2 + 1), nanoseconds(INT64_MAX), 1);
  EXPECT_EQ(huge.Ceiling(1), nanoseconds(INT64_MAX / 2 + 1));
  EXPECT_EQ(huge.Ceiling(2), nanoseconds(INT64_MAX));
  Backoff tiny(nanoseconds(1), nanoseconds(INT64_MAX), 1);
  EXPECT_EQ(tiny.Ceiling(63), nanoseconds(int64_t{1} << 62));
  EXPECT_EQ(tiny.Ceiling(64), nanoseconds(INT64_MAX));
  EXPECT_EQ(tiny.Ceiling(1000), nanoseconds(INT64_MAX));
  for (int i = 0; i < 200; ++i) EXPECT_GE(tiny.NextDelay(), nanoseconds(0));
}

TEST(BackoffTest, DelaysStayWithinTheirCeilingForManyFailures) {
  for (uint64_t seed : {0u, 1u, 42u, 0xDEADBEEFu}) {
    Backoff backoff(milliseconds(50), seconds(60), seed);
    for (uint32_t n = 1; n <= 200; ++n) {
      nanoseconds delay = backoff.NextDelay();
      EXPECT_EQ(backoff.failures(), n);
      EXPECT_GE(delay, nanoseconds(0)) << "failure " << n;
      nanoseconds ceiling = std::min<nanoseconds>(
          seconds(60), milliseconds(50) * (int64_t{1} << std::min(n - 1, 20u)));
      EXPECT_EQ(backoff.Ceiling(n), ceiling);
      EXPECT_LE(delay, ceiling) << "failure " << n;
    }
  }
}

TEST(BackoffTest, InitialEqualToMaxIsAllowed) {
  Backoff backoff(seconds(1), seconds(1), 3);
  for (int i = 0; i < 100; ++i) EXPECT_LE(backoff.NextDelay(), seconds(1));
}

TEST(BackoffTest, ResetStartsAgainFromTheInitialInterval) {
  Backoff backoff(milliseconds(10), seconds(10), 7);
  for (int i = 0; i < 20; ++i) backoff.NextDelay();
  EXPECT_EQ(backoff.failures(), 20u);
  backoff.Reset();
  EXPECT_EQ(backoff.failures(), 0u);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_LE(backoff.NextDelay(), milliseconds(10));
    backoff.Reset();
  }
}

TEST(BackoffTest, RetryAfterIsTheDelayAndStillAFailure) {
  Backoff backoff(milliseconds(100), seconds(5), 9);
  EXPECT_EQ(backoff.NextDelay(seconds(2)), seconds(2));
  EXPECT_EQ(backoff.failures(), 1u);
  // The server's word goes, even beyond max_interval.
  EXPECT_EQ(backoff.NextDelay(seconds(120)), seconds(120));
  EXPECT_EQ(backoff.NextDelay(nanoseconds(0)), nanoseconds(0));
  EXPECT_EQ(backoff.NextDelay(seconds(-3)), nanoseconds(0));
  EXPECT_EQ(backoff.failures(), 4u);
  // The next draw without one comes from the fifth failure's range.
  EXPECT_LE(backoff.NextDelay(), milliseconds(1600));
  EXPECT_GE(backoff.NextDelay(std::nullopt), nanoseconds(0));
  EXPECT_EQ(backoff.failures(), 6u);
}

TEST(BackoffTest, SameSeedSameDelays) {
  Backoff a(milliseconds(100), seconds(30), 12345);
  Backoff b(milliseconds(100), seconds(30), 12345);
  Backoff c(milliseconds(100), seconds(30), 12346);
  int differences = 0;
  for (int i = 0; i < 50; ++i) {
    nanoseconds delay = a.NextDelay();
    EXPECT_EQ(delay, b.NextDelay());
    if (delay != c.NextDelay()) ++differences;
  }
  EXPECT_GE(differences, 45);
}

TEST(BackoffTest, DrawsAreSpreadUniformlyOverTheRange) {
  // At the cap every draw comes from [0, 1 s]: mean, extremes and deciles
  // of 10,000 draws show the jitter is not degenerate.
  Backoff backoff(seconds(1), seconds(1), 2024);
  constexpr int kDraws = 10000;
  const double ceiling = 1e9;
  std::vector<int> deciles(10, 0);
  double sum = 0, low = ceiling, high = 0;
  for (int i = 0; i < kDraws; ++i) {
    double delay = static_cast<double>(backoff.NextDelay().count());
    ASSERT_LE(delay, ceiling);
    sum += delay;
    low = std::min(low, delay);
    high = std::max(high, delay);
    ++deciles[std::min(9, static_cast<int>(delay / ceiling * 10))];
  }
  EXPECT_NEAR(sum / kDraws, ceiling / 2, ceiling * 0.02);
  EXPECT_LT(low, ceiling * 0.005);
  EXPECT_GT(high, ceiling * 0.995);
  for (int count : deciles) EXPECT_NEAR(count, kDraws / 10, 150);
}

TEST(BackoffTest, SmallRangesReachBothEnds) {
  // [0, 3 ns]: every value appears, about equally often.
  Backoff backoff(nanoseconds(3), nanoseconds(3), 5);
  std::vector<int> seen(4, 0);
  for (int i = 0; i < 4000; ++i) ++seen[static_cast<size_t>(backoff.NextDelay().count())];
  for (int count : seen) EXPECT_NEAR(count, 1000, 120);
}

}  // namespace
}  // namespace inflow::daemon
