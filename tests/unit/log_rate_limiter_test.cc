// LogRateLimiter on a fake clock: bursts, refills, and counts of what was left out.

#include "log_rate_limiter.h"

#include <gtest/gtest.h>

namespace inflow::daemon {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const MonoTime kT0 = MonoTime() + seconds(1000);

TEST(LogRateLimiterTest, AllowsABurstThenCountsWhatItRefuses) {
  LogRateLimiter limiter(3, seconds(1));
  uint64_t suppressed = 99;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(limiter.Allow(kT0, &suppressed));
    EXPECT_EQ(suppressed, 0u);
  }
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.Allow(kT0 + milliseconds(i), &suppressed));
  ASSERT_TRUE(limiter.Allow(kT0 + seconds(1), &suppressed));
  EXPECT_EQ(suppressed, 1000u);  // reported with the next message allowed
  EXPECT_FALSE(limiter.Allow(kT0 + seconds(1), &suppressed));
}

TEST(LogRateLimiterTest, RefillsOneTokenPerIntervalUpToTheBurst) {
  LogRateLimiter limiter(2, seconds(1));
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow(kT0, &suppressed));
  EXPECT_TRUE(limiter.Allow(kT0, &suppressed));
  EXPECT_FALSE(limiter.Allow(kT0 + milliseconds(999), &suppressed));
  // After an hour of quiet, only the burst, not 3600 messages.
  const MonoTime later = kT0 + seconds(3600);
  EXPECT_TRUE(limiter.Allow(later, &suppressed));
  EXPECT_EQ(suppressed, 1u);
  EXPECT_TRUE(limiter.Allow(later, &suppressed));
  EXPECT_FALSE(limiter.Allow(later, &suppressed));
}

TEST(LogRateLimiterTest, PartIntervalsAddUp) {
  LogRateLimiter limiter(1, seconds(1));
  uint64_t suppressed = 0;
  EXPECT_TRUE(limiter.Allow(kT0, &suppressed));
  EXPECT_FALSE(limiter.Allow(kT0 + milliseconds(600), &suppressed));
  EXPECT_TRUE(limiter.Allow(kT0 + milliseconds(1000), &suppressed));
  EXPECT_FALSE(limiter.Allow(kT0 + milliseconds(1600), &suppressed));
  EXPECT_TRUE(limiter.Allow(kT0 + milliseconds(2000), &suppressed));
  EXPECT_EQ(suppressed, 1u);
}

}  // namespace
}  // namespace inflow::daemon
