// Batcher: when points are committed, on a fake clock (no sleeps).

#include "inflow/batcher.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace inflow {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// A fixed origin: the session never reads a clock, so any time point will do.
const MonoTime kT0 = MonoTime() + seconds(1000);

std::string Line(int i) { return "m v=" + std::to_string(i) + "i\n"; }

std::string Lines(int first, int last) {
  std::string body;
  for (int i = first; i <= last; ++i) body += Line(i);
  return body;
}

BatchOptions Options(size_t autocommit_every, std::chrono::nanoseconds interval,
                       size_t max_batch_bytes = 1 << 20) {
  BatchOptions options;
  options.retention_policy = "autogen";
  options.autocommit_every = autocommit_every;
  options.commit_interval = interval;
  options.max_batch_bytes = max_batch_bytes;
  return options;
}

TEST(SessionTest, CommitsWhenAutocommitEveryReached) {
  Batcher session(Options(5, seconds(3600)));
  for (int i = 1; i <= 4; ++i) session.Write(Line(i), kT0);
  EXPECT_FALSE(session.HasBatch());
  EXPECT_EQ(session.pending_points(), 4u);

  session.Write(Line(5), kT0);
  ASSERT_TRUE(session.HasBatch());
  Batch batch = session.TakeBatch();
  EXPECT_EQ(batch.points, 5u);
  EXPECT_EQ(batch.body, Lines(1, 5));  // one write, in the order received
  EXPECT_FALSE(session.HasBatch());
  EXPECT_EQ(session.pending_points(), 0u);
}

// The seed's example: autocommit_every 5 and a long interval hold 10 of 12
// points in two commits, and the last 2 wait for an explicit commit.
TEST(SessionTest, HoldsTheRemainderUntilCommitted) {
  Batcher session(Options(5, seconds(3600)));
  for (int i = 1; i <= 12; ++i) session.Write(Line(i), kT0 + milliseconds(i));
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, Lines(1, 5));
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, Lines(6, 10));
  EXPECT_FALSE(session.HasBatch());
  EXPECT_EQ(session.pending_points(), 2u);

  session.Commit();
  ASSERT_TRUE(session.HasBatch());
  Batch last = session.TakeBatch();
  EXPECT_EQ(last.points, 2u);
  EXPECT_EQ(last.body, Lines(11, 12));
}

TEST(SessionTest, CommitsWhenIntervalRunsOutFromTheFirstPendingPoint) {
  Batcher session(Options(1000, seconds(1)));
  session.Write(Line(1), kT0);
  session.Write(Line(2), kT0 + milliseconds(900));  // does not move the deadline
  ASSERT_TRUE(session.CommitDeadline().has_value());
  EXPECT_EQ(*session.CommitDeadline(), kT0 + seconds(1));

  session.Tick(kT0 + milliseconds(999));
  EXPECT_FALSE(session.HasBatch());
  session.Tick(kT0 + seconds(1));
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, Lines(1, 2));
  EXPECT_FALSE(session.CommitDeadline().has_value());
}

TEST(SessionTest, NextBatchTimesFromItsOwnFirstPoint) {
  Batcher session(Options(2, seconds(1)));
  session.Write(Line(1), kT0);
  session.Write(Line(2), kT0 + milliseconds(100));  // closes by count
  session.Write(Line(3), kT0 + milliseconds(700));
  ASSERT_TRUE(session.CommitDeadline().has_value());
  EXPECT_EQ(*session.CommitDeadline(), kT0 + milliseconds(1700));
  session.Tick(kT0 + seconds(1));
  EXPECT_EQ(session.TakeBatch().body, Lines(1, 2));  // the count's batch only
  EXPECT_FALSE(session.HasBatch());
}

TEST(SessionTest, HasNoDeadlineWhenEmptyOrTimerDisabled) {
  Batcher empty(Options(5, seconds(1)));
  EXPECT_FALSE(empty.CommitDeadline().has_value());
  empty.Tick(kT0 + seconds(100));
  EXPECT_FALSE(empty.HasBatch());

  Batcher no_timer(Options(5, seconds(0)));
  no_timer.Write(Line(1), kT0);
  EXPECT_FALSE(no_timer.CommitDeadline().has_value());
  no_timer.Tick(kT0 + seconds(100000));
  EXPECT_FALSE(no_timer.HasBatch());
}

TEST(SessionTest, AutocommitEveryZeroNeverCommitsByCount) {
  Batcher session(Options(0, seconds(0)));
  for (int i = 1; i <= 1000; ++i) session.Write(Line(i), kT0);
  EXPECT_FALSE(session.HasBatch());
  session.Commit();
  EXPECT_EQ(session.TakeBatch().points, 1000u);
}

TEST(SessionTest, ClosesBeforeExceedingMaxBatchBytes) {
  // Each line is 7 bytes ("m v=1i\n"); 20 bytes hold two.
  Batcher session(Options(1000, seconds(0), 20));
  for (int i = 1; i <= 5; ++i) session.Write(Line(i), kT0);
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, Lines(1, 2));
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, Lines(3, 4));
  EXPECT_FALSE(session.HasBatch());
  EXPECT_EQ(session.pending_bytes(), Line(5).size());
}

TEST(SessionTest, LineLargerThanMaxBatchBytesGoesAlone) {
  Batcher session(Options(1000, seconds(0), 10));
  const std::string big = "m s=\"" + std::string(100, 'x') + "\"\n";
  session.Write(Line(1), kT0);
  session.Write(big, kT0);
  session.Write(Line(2), kT0);
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, Line(1));
  ASSERT_TRUE(session.HasBatch());
  EXPECT_EQ(session.TakeBatch().body, big);
  EXPECT_FALSE(session.HasBatch());
  EXPECT_EQ(session.pending_points(), 1u);
}

TEST(SessionTest, CommitWithNothingPendingMakesNoBatch) {
  Batcher session(Options(5, seconds(1)));
  session.Commit();
  EXPECT_FALSE(session.HasBatch());
}

TEST(SessionTest, BatchesAreTakenOldestFirst) {
  Batcher session(Options(1, seconds(0)));
  for (int i = 1; i <= 3; ++i) session.Write(Line(i), kT0);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_TRUE(session.HasBatch());
    EXPECT_EQ(session.TakeBatch().body, Line(i));
  }
  EXPECT_FALSE(session.HasBatch());
}

}  // namespace
}  // namespace inflow
