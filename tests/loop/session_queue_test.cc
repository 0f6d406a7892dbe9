// SessionQueue on a private loop, writing to a scripted server: batches sent
// one at a time and in order, the commit timer, retries with backoff and
// Retry-After, 400 dropped, 413 split, drained, Close.

#include "session_queue.h"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "private_loop.h"
#include "scripted_http_server.h"
#include "spool/file_system.h"
#include "spool/session_spool.h"
#include "support/temp_dir.h"

namespace inflow::daemon {
namespace {

using std::chrono::milliseconds;
using test::InfluxAnswer;
using test::PrivateLoop;
using test::ScriptedAction;
using test::ScriptedHttpServer;

// Point n, as a line: "cpu,host=a v=<n>i <n>\n".
std::string Line(int n) {
  return "cpu,host=a v=" + std::to_string(n) + "i " + std::to_string(n) + "\n";
}

// Every test ends, in TearDown, by closing the queue and the server and
// asserting that the loop closes (uv_loop_close == 0).
class SessionQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status status = server_.Listen();
    ASSERT_TRUE(status.ok()) << status.message();
    status = ParseInfluxUrl(server_.url() + "/telemetry", &config_.url);
    ASSERT_TRUE(status.ok()) << status.message();
    config_.database = "telemetry";
    config_.request_timeout = milliseconds(3000);
    options_.retention_policy = "autogen";
    options_.autocommit_every = 0;
    options_.commit_interval = std::chrono::nanoseconds::zero();
    // Short enough that retries take milliseconds, as the backoff's draws
    // are uniform in [0, min(max, initial * 2^(n-1))].
    retry_.initial_interval = milliseconds(10);
    retry_.max_interval = milliseconds(40);
    retry_.unauthorized_interval = milliseconds(40);
  }

  void TearDown() override {
    if (!closed_) {
      EXPECT_EQ(CloseAll(), 0);
    }
  }

  // A queue on a spool in spool_dir_ (what an earlier queue left there is
  // replayed).
  void StartQueue() {
    std::unique_ptr<SessionSpool> spool;
    SpoolRecoveryReport report;
    Status status = SessionSpool::Open(spool_dir_.File("session"), options_.segment_bytes,
                                       &file_system_, &spool, &report);
    ASSERT_TRUE(status.ok()) << status.message();
    queue_.emplace(loop_.get(), options_, &config_, retry_, /*seed=*/42, std::move(spool));
    queue_->set_on_drained([this] { ++drained_calls_; });
    queue_->set_on_dead_letters(
        [this](const Batch& batch, const WriteVerdict& verdict, DeadLetterCause cause) {
          dead_letters_.push_back({batch.body, verdict.error, cause});
        });
    queue_->Start();
  }

  // Writes a point that must be accepted.
  void Write(const std::string& line) {
    Status status = queue_->Write(line);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  std::vector<std::string> ReceivedBodies() const {
    std::vector<std::string> bodies;
    for (const test::RecordedRequest& request : server_.requests()) {
      bodies.push_back(request.request.body);
    }
    return bodies;
  }

  bool RunUntilDrained() {
    return loop_.RunUntil([&] { return drained_calls_ > 0; }, "the queue draining");
  }

  int CloseAll() {
    closed_ = true;
    if (queue_) queue_->Close();
    server_.Close();
    return loop_.Close();
  }

  struct DeadLetter {
    std::string body;
    std::string error;
    DeadLetterCause cause;
  };

  // The session's options, and the spool's segment size.
  struct Options : SessionConfig {
    uint64_t segment_bytes = 1 << 20;
  };

  test::TempDir spool_dir_{"inflow-session-queue"};
  PosixFileSystem file_system_;
  PrivateLoop loop_;
  ScriptedHttpServer server_{loop_.get()};
  InfluxDbConfig config_;
  Options options_;
  std::vector<DeadLetter> dead_letters_;
  RetryOptions retry_;
  std::optional<SessionQueue> queue_;
  int drained_calls_ = 0;
  bool closed_ = false;
};

TEST_F(SessionQueueTest, SendsBatchesClosedByAutocommitEveryInOrder) {
  options_.autocommit_every = 2;
  for (int i = 0; i < 3; ++i) server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  for (int n = 1; n <= 6; ++n) Write(Line(n));
  ASSERT_TRUE(RunUntilDrained());
  EXPECT_EQ(ReceivedBodies(),
            (std::vector<std::string>{Line(1) + Line(2), Line(3) + Line(4), Line(5) + Line(6)}));
  ASSERT_EQ(server_.requests().size(), 3u);
  EXPECT_EQ(server_.requests()[0].request.target, "/write?db=telemetry&rp=autogen&precision=ns");
  EXPECT_EQ(queue_->stats().batches_delivered, 3u);
  EXPECT_EQ(queue_->stats().points_delivered, 6u);
  EXPECT_EQ(queue_->stats().write_failures, 0u);
}

TEST_F(SessionQueueTest, SendsAPendingBatchWhenCommitIntervalRunsOut) {
  options_.autocommit_every = 100;
  options_.commit_interval = milliseconds(50);
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  uint64_t first_write = loop_.now();
  Write(Line(1));
  Write(Line(2));
  ASSERT_TRUE(RunUntilDrained());
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].request.body, Line(1) + Line(2));
  // The queue reads the loop's clock (uv_now), as this test does, and a
  // libuv timer never fires before its due loop time: the batch cannot
  // reach the server before 50 ms of loop time, so the lower bound needs no
  // tolerance. The upper bound only shows that the timer, and not the end
  // of the test, sent the batch; it is generous for a loaded machine.
  uint64_t waited = server_.requests()[0].received_at - first_write;
  EXPECT_GE(waited, 50u);
  EXPECT_LT(waited, 1000u);
}

TEST_F(SessionQueueTest, RetriesAfter500UntilDelivered) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(500, "engine: write failed")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(500, "engine: write failed")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  Write(Line(1));
  Write(Line(2));
  queue_->Commit();
  ASSERT_TRUE(RunUntilDrained());
  std::string batch = Line(1) + Line(2);
  EXPECT_EQ(ReceivedBodies(), (std::vector<std::string>{batch, batch, batch}));
  EXPECT_EQ(queue_->stats().write_failures, 2u);
  EXPECT_EQ(queue_->stats().batches_delivered, 1u);
  EXPECT_EQ(queue_->stats().points_delivered, 2u);
}

TEST_F(SessionQueueTest, KeepsLaterBatchesBehindARetriedOne) {
  options_.autocommit_every = 1;
  server_.Add(ScriptedAction::Answer(InfluxAnswer(503)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  Write(Line(1));
  Write(Line(2));
  EXPECT_EQ(queue_->undelivered_points(), 2u);
  ASSERT_TRUE(RunUntilDrained());
  EXPECT_EQ(ReceivedBodies(), (std::vector<std::string>{Line(1), Line(1), Line(2)}));
  EXPECT_EQ(queue_->stats().batches_delivered, 2u);
  EXPECT_EQ(queue_->undelivered_points(), 0u);
}

TEST_F(SessionQueueTest, HonoursRetryAfterOn429) {
  server_.Add(
      ScriptedAction::Answer(InfluxAnswer(429, "too many requests", {{"Retry-After", "1"}})));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  Write(Line(1));
  queue_->Commit();
  ASSERT_TRUE(RunUntilDrained());
  ASSERT_EQ(server_.requests().size(), 2u);
  // Both times are the server's uv_now; the queue heard the 429 no earlier
  // than the server sent it, and its retry timer (the same clock) never
  // fires early: at least 1000 ms, no tolerance needed. The backoff alone
  // would have waited at most 10 ms.
  uint64_t waited = server_.requests()[1].received_at - server_.requests()[0].received_at;
  EXPECT_GE(waited, 1000u);
  EXPECT_LT(waited, 3000u);
  EXPECT_EQ(queue_->stats().write_failures, 1u);
}

// Credentials are fixed by people: after 401 the queue waits at least
// unauthorized_interval, whatever the backoff draws.
TEST_F(SessionQueueTest, WaitsAtLeastUnauthorizedIntervalAfter401) {
  retry_.unauthorized_interval = milliseconds(200);
  server_.Add(ScriptedAction::Answer(InfluxAnswer(401, "authorization failed")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  Write(Line(1));
  queue_->Commit();
  ASSERT_TRUE(RunUntilDrained());
  ASSERT_EQ(server_.requests().size(), 2u);
  // As in HonoursRetryAfterOn429: one clock, timers never early.
  EXPECT_GE(server_.requests()[1].received_at - server_.requests()[0].received_at, 200u);
  EXPECT_EQ(queue_->stats().write_failures, 1u);
}

// A string field may hold a newline: a split at the second '\n' would cut
// the first point in two. The halves must be whole points, found by parsing.
TEST_F(SessionQueueTest, SplitsABatchTooLargeInHalvesOfWholePoints) {
  options_.autocommit_every = 4;
  const std::string points[] = {"cpu,host=a note=\"two\nlines\" 1\n", Line(2), Line(3), Line(4)};
  server_.Add(ScriptedAction::Answer(InfluxAnswer(413, "Request Entity Too Large")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  for (const std::string& point : points) Write(point);
  ASSERT_TRUE(RunUntilDrained());
  EXPECT_EQ(ReceivedBodies(),
            (std::vector<std::string>{points[0] + points[1] + points[2] + points[3],
                                      points[0] + points[1], points[2] + points[3]}));
  EXPECT_EQ(queue_->stats().batches_delivered, 2u);
  EXPECT_EQ(queue_->stats().points_delivered, 4u);
  EXPECT_EQ(queue_->stats().batches_rejected, 0u);
}

TEST_F(SessionQueueTest, MakesASinglePointTooLargeADeadLetterAndSendsTheNext) {
  options_.autocommit_every = 1;
  server_.Add(ScriptedAction::Answer(InfluxAnswer(413, "Request Entity Too Large")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  Write(Line(1));
  Write(Line(2));
  ASSERT_TRUE(RunUntilDrained());
  EXPECT_EQ(ReceivedBodies(), (std::vector<std::string>{Line(1), Line(2)}));
  ASSERT_EQ(dead_letters_.size(), 1u);
  EXPECT_EQ(dead_letters_[0].body, Line(1));
  EXPECT_EQ(dead_letters_[0].cause, DeadLetterCause::kTooLarge);
  EXPECT_EQ(queue_->stats().points_dead_lettered, 1u);
  EXPECT_EQ(queue_->stats().batches_delivered, 1u);
}

TEST_F(SessionQueueTest, DropsABatchRejectedWith400AndSendsTheNext) {
  options_.autocommit_every = 1;
  server_.Add(
      ScriptedAction::Answer(InfluxAnswer(400, "partial write: field type conflict: dropped=1")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartQueue();
  Write(Line(1));
  Write(Line(2));
  ASSERT_TRUE(RunUntilDrained());
  EXPECT_EQ(ReceivedBodies(), (std::vector<std::string>{Line(1), Line(2)}));
  EXPECT_EQ(queue_->stats().batches_rejected, 1u);
  EXPECT_EQ(queue_->stats().points_rejected, 1u);
  EXPECT_EQ(queue_->stats().batches_delivered, 1u);
  EXPECT_EQ(queue_->stats().write_failures, 0u);
  ASSERT_EQ(dead_letters_.size(), 1u);
  EXPECT_EQ(dead_letters_[0].cause, DeadLetterCause::kRejected);
  EXPECT_EQ(dead_letters_[0].body, Line(1));
}

TEST_F(SessionQueueTest, IsDrainedAndCallsOnDrainedOnceAfterDelivery) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  std::optional<bool> drained_in_flight;
  uint64_t undelivered_in_flight = 0;
  server_.set_on_request([&](const test::RecordedRequest&) {
    drained_in_flight = queue_->drained();
    undelivered_in_flight = queue_->undelivered_points();
  });
  StartQueue();
  EXPECT_TRUE(queue_->drained());
  Write(Line(1));
  EXPECT_FALSE(queue_->drained());  // pending
  queue_->Commit();
  ASSERT_TRUE(RunUntilDrained());
  EXPECT_EQ(drained_in_flight, std::optional<bool>(false));
  EXPECT_EQ(undelivered_in_flight, 1u);
  EXPECT_TRUE(queue_->drained());
  EXPECT_EQ(queue_->undelivered_points(), 0u);
  EXPECT_EQ(queue_->stats().batches_delivered, 1u);
  // Once, and not again while nothing happens.
  bool waited = false;
  loop_.After(milliseconds(20), [&] { waited = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return waited; }, "20 ms"));
  EXPECT_EQ(drained_calls_, 1);
}

TEST_F(SessionQueueTest, CloseDuringARetryWaitLeavesNothingRunning) {
  server_.Add(ScriptedAction::Answer(
      InfluxAnswer(503, "the server is restarting", {{"Retry-After", "60"}})));
  StartQueue();
  Write(Line(1));
  queue_->Commit();
  ASSERT_TRUE(
      loop_.RunUntil([&] { return queue_->stats().write_failures == 1; }, "the failed write"));
  uint64_t closed_at = uv_hrtime();
  queue_->Close();
  server_.Close();
  // A retry timer left running would keep the loop for 60 s; Close reports
  // it as an open handle after its 5 s watchdog.
  EXPECT_EQ(CloseAll(), 0);
  EXPECT_LT(uv_hrtime() - closed_at, 1'000'000'000u);  // ns
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(drained_calls_, 0);
}

}  // namespace
}  // namespace inflow::daemon
