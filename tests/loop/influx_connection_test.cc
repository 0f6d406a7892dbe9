// InfluxConnection on a private loop, against a scripted server for what a
// real InfluxDB cannot be made to do on demand (close a kept connection,
// stay silent, answer garbage or 503). The verdicts a real influxd gives
// are the integration tier's (tests/integration/influx_connection_test.cc).

#include "inflow/influx_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "private_loop.h"
#include "scripted_http_server.h"
#include "support/free_port.h"

namespace inflow {
namespace {

using std::chrono::milliseconds;
using test::InfluxAnswer;
using test::PrivateLoop;
using test::ScriptedAction;
using test::ScriptedHttpServer;

constexpr std::string_view kBody = "cpu,host=a usage=0.5 1700000000000000000\n";
constexpr std::string_view kOtherBody = "cpu,host=b usage=0.25 1700000000000000001\n";

std::string Describe(const WriteVerdict& verdict) {
  return std::string(WriteOutcomeName(verdict.outcome)) +
         (verdict.error.empty() ? "" : ": " + verdict.error);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Every test ends, in TearDown, by closing the writer and the server and
// asserting that the loop closes (uv_loop_close == 0).
class InfluxConnectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status status = server_.Listen();
    ASSERT_TRUE(status.ok()) << status.message();
  }

  void TearDown() override {
    if (!closed_) {
      EXPECT_EQ(CloseAll(), 0);
    }
  }

  // Makes the writer, for database "telemetry" at `url` (the scripted
  // server's if empty). The default request_timeout is below the loop's
  // watchdog, so a write nobody answers fails with the writer's own message.
  void StartWriter(std::string url = "", milliseconds request_timeout = milliseconds(3000)) {
    if (url.empty()) url = server_.url();
    Status status = ParseInfluxUrl(url + "/telemetry", &config_.url);
    EXPECT_TRUE(status.ok()) << status.message();
    config_.database = "telemetry";
    config_.request_timeout = request_timeout;
    writer_.emplace(loop_.get(), &config_);
  }

  // Starts a write whose verdict goes to verdicts_, then calls `then`.
  void Write(std::string_view body, std::string_view retention_policy = "",
             std::function<void()> then = nullptr) {
    writer_->Write(retention_policy, body, [this, then](const WriteVerdict& verdict) {
      verdicts_.push_back(verdict);
      verdict_times_.push_back(loop_.now());
      if (then) then();
    });
  }

  bool RunUntilVerdicts(size_t count) {
    return loop_.RunUntil([&] { return verdicts_.size() >= count; },
                          std::to_string(count) + " verdict(s)");
  }

  // The scenario of SendsNoWriteOverABodyStillGoingOutAfterAnEarlyAnswer.
  void WriteAgainAfterAnEarlyAnswer();

  int CloseAll() {
    closed_ = true;
    if (writer_) writer_->Close();
    server_.Close();
    return loop_.Close();
  }

  PrivateLoop loop_;
  ScriptedHttpServer server_{loop_.get()};
  InfluxEndpoint config_;
  std::optional<InfluxConnection> writer_;
  std::vector<WriteVerdict> verdicts_;
  std::vector<uint64_t> verdict_times_;  // loop time of each verdict
  bool closed_ = false;
};

TEST_F(InfluxConnectionTest, DeliversOn204AndSendsWhatBuildWriteRequestMakes) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter(server_.url("alice:s3cret"));
  Write(kBody, "rp_four_weeks");
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[0]);

  ASSERT_EQ(server_.requests().size(), 1u);
  const test::RecordedRequest& received = server_.requests()[0];
  std::string expected;
  BuildWriteRequest(config_.url, "telemetry", "rp_four_weeks", kBody, &expected);
  EXPECT_EQ(received.bytes, expected);
  // The same, read as the server reads it.
  EXPECT_EQ(received.request.method, "POST");
  EXPECT_EQ(received.request.target, "/write?db=telemetry&rp=rp_four_weeks&precision=ns");
  EXPECT_EQ(received.request.Header("Authorization").value_or("(none)"),
            "Basic YWxpY2U6czNjcmV0");  // alice:s3cret
  EXPECT_EQ(received.request.body, kBody);
  EXPECT_TRUE(received.request.keep_alive);
}

TEST_F(InfluxConnectionTest, SendsNoAuthorizationWithoutUserInfo) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[0]);
  ASSERT_EQ(server_.requests().size(), 1u);
  EXPECT_EQ(server_.requests()[0].request.target, "/write?db=telemetry&precision=ns");
  EXPECT_FALSE(server_.requests()[0].request.Header("Authorization").has_value());
}

TEST_F(InfluxConnectionTest, ReusesTheKeepAliveConnection) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[0]);
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[0].connection, 1u);
  EXPECT_EQ(server_.requests()[1].connection, 1u);
  EXPECT_EQ(server_.requests()[1].request.body, kOtherBody);
  EXPECT_EQ(server_.connections_accepted(), 1u);
}

// The server says "Connection: close" but leaves the connection open: the
// writer must not send the next write on it.
TEST_F(InfluxConnectionTest, OpensANewConnectionAfterConnectionClose) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204, "", {}, /*keep_alive=*/false)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[0]);
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].connection, 2u);
  EXPECT_EQ(server_.connections_accepted(), 2u);
}

// The server times the idle connection out; the writer sees it closed
// before it writes again.
TEST_F(InfluxConnectionTest, OpensANewConnectionWhenTheServerClosedTheIdleOne) {
  server_.Add(ScriptedAction::AnswerThenCloseWhenIdle(InfluxAnswer(204), milliseconds(10)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.connections_closed() == 1; },
                             "the server closing the idle connection"));
  // Loop turns enough for the writer to read the end of the connection.
  bool waited = false;
  loop_.After(milliseconds(20), [&] { waited = true; });
  ASSERT_TRUE(loop_.RunUntil([&] { return waited; }, "20 ms"));

  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].connection, 2u);
  EXPECT_EQ(server_.requests()[1].request.body, kOtherBody);
}

// The race the writer retries for: the server closed the kept connection
// just after its answer, and the next write, started from the verdict's
// callback, goes out on it before the writer has read the close.
TEST_F(InfluxConnectionTest, RetriesAtOnceWhenTheKeptConnectionClosedJustAfterAnswering) {
  server_.Add(ScriptedAction::AnswerThenClose(InfluxAnswer(204)));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody, "", [&] { Write(kOtherBody); });
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[0]);
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].connection, 2u);
  EXPECT_EQ(server_.requests()[1].request.body, kOtherBody);
}

// The server read the second request on the kept connection and closed it
// without answering: the writer sends it once more, on a fresh connection.
TEST_F(InfluxConnectionTest, RetriesOnceOnAFreshConnectionWhenTheKeptOneClosesBeforeAnswering) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  server_.Add(ScriptedAction::CloseWithoutAnswer());
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  ASSERT_EQ(server_.requests().size(), 3u);
  EXPECT_EQ(server_.requests()[1].connection, 1u);
  EXPECT_EQ(server_.requests()[2].connection, 2u);
  EXPECT_EQ(server_.requests()[2].bytes, server_.requests()[1].bytes);
}

TEST_F(InfluxConnectionTest, RetriesOnlyOnceWhenTheFreshConnectionClosesBeforeAnswering) {
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  server_.Add(ScriptedAction::CloseWithoutAnswer());
  server_.Add(ScriptedAction::CloseWithoutAnswer());
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kRetry) << Describe(verdicts_[1]);
  EXPECT_TRUE(Contains(verdicts_[1].error, "closed the connection before answering"))
      << verdicts_[1].error;
  EXPECT_EQ(server_.requests().size(), 3u);
}

// On a fresh connection, a close without an answer is not the keep-alive
// race: InfluxDB may have stored the points, so the engine decides.
TEST_F(InfluxConnectionTest, ReportsAFreshConnectionClosedBeforeAnsweringAsRetry) {
  server_.Add(ScriptedAction::CloseWithoutAnswer());
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRetry) << Describe(verdicts_[0]);
  EXPECT_TRUE(Contains(verdicts_[0].error, "closed the connection before answering"))
      << verdicts_[0].error;
  EXPECT_EQ(server_.requests().size(), 1u);
}

// A server may refuse a request from its head and answer before the body
// has arrived, then read the rest and keep the connection (RFC 9112 allows
// it; Go's net/http does so when under 256 KiB of the body is left). The
// answer then completes while the writer is still sending the body: the
// next write must not go out on that connection until the body has (one
// uv_write_t would carry two writes), or must go out on a new one.
//
// The scenario runs in a child process (a death test's, re-executing this
// binary), so that a crash in it fails this test alone, not the run.
TEST_F(InfluxConnectionTest, SendsNoWriteOverABodyStillGoingOutAfterAnEarlyAnswer) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        WriteAgainAfterAnEarlyAnswer();
        std::exit(HasFailure() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

void InfluxConnectionTest::WriteAgainAfterAnEarlyAnswer() {
  server_.Add(ScriptedAction::AnswerBeforeTheBody(InfluxAnswer(413, "Request Entity Too Large")));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  // Larger than loopback's socket buffers, so that the body is still going
  // out when the answer arrives.
  std::string big;
  for (int n = 0; big.size() < (16u << 20); ++n) {
    big += "cpu,host=a usage=0.5 " + std::to_string(1700000000000000000 + n) + "\n";
  }
  Write(big, "", [&] { Write(kOtherBody); });
  if (RunUntilVerdicts(2)) {
    EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kTooLarge) << Describe(verdicts_[0]);
    EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  }
  EXPECT_FALSE(server_.requests().empty());
  if (!server_.requests().empty()) {
    EXPECT_TRUE(server_.requests().back().request.body == kOtherBody)
        << "the last request's body has " << server_.requests().back().request.body.size()
        << " bytes";
  }
  for (const test::RecordedRequest& received : server_.requests()) {
    EXPECT_TRUE(received.request.body == big || received.request.body == kOtherBody)
        << "a body of " << received.request.body.size() << " bytes, neither write's";
  }
  EXPECT_EQ(CloseAll(), 0);
}

TEST_F(InfluxConnectionTest, ReportsARefusedConnectionAsRetryNamingTheAddress) {
  uint16_t port = 0;
  Status status = test::FreePort(&port);
  ASSERT_TRUE(status.ok()) << status.message();
  StartWriter("http://127.0.0.1:" + std::to_string(port));
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRetry) << Describe(verdicts_[0]);
  EXPECT_TRUE(Contains(verdicts_[0].error, "127.0.0.1:" + std::to_string(port)))
      << verdicts_[0].error;
  EXPECT_TRUE(Contains(verdicts_[0].error, "connection refused")) << verdicts_[0].error;
}

TEST_F(InfluxConnectionTest, ReportsNoAnswerWithinRequestTimeoutAsRetry) {
  server_.Add(ScriptedAction::StaySilent());
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter("", milliseconds(100));
  uint64_t started = loop_.now();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRetry) << Describe(verdicts_[0]);
  EXPECT_TRUE(Contains(verdicts_[0].error, "request_timeout")) << verdicts_[0].error;
  // The timer and uv_now are the same clock, and a libuv timer never fires
  // before its due loop time: no tolerance is needed below.
  EXPECT_GE(verdict_times_[0] - started, 100u);

  // The connection is dropped, so a late answer cannot pass for the next
  // write's; the next write goes out on a new one.
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.connections_closed() == 1; },
                             "the writer dropping the silent connection"));
  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  ASSERT_EQ(server_.requests().size(), 2u);
  EXPECT_EQ(server_.requests()[1].connection, 2u);
}

TEST_F(InfluxConnectionTest, ReportsAMalformedAnswerAsRetry) {
  server_.Add(ScriptedAction::Answer("this is not HTTP\r\n\r\n"));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRetry) << Describe(verdicts_[0]);
  EXPECT_TRUE(Contains(verdicts_[0].error, "malformed answer from InfluxDB")) << verdicts_[0].error;
  EXPECT_TRUE(loop_.RunUntil([&] { return server_.connections_closed() == 1; },
                             "the writer dropping the connection"));
}

TEST_F(InfluxConnectionTest, DeliversAnAnswerSentByteByByte) {
  server_.Add(ScriptedAction::AnswerInPieces(InfluxAnswer(204), 1));
  server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[0]);
  // The answer ended where it should: the connection is kept for the next.
  Write(kOtherBody);
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kDelivered) << Describe(verdicts_[1]);
  EXPECT_EQ(server_.connections_accepted(), 1u);
}

TEST_F(InfluxConnectionTest, ReportsABodySentByteByByte) {
  server_.Add(ScriptedAction::AnswerInPieces(
      InfluxAnswer(400, "partial write: unable to parse 'cpu x': missing fields"), 1));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRejected) << Describe(verdicts_[0]);
  EXPECT_EQ(verdicts_[0].error, "partial write: unable to parse 'cpu x': missing fields");
}

// HTTP/1.1 allows a body that ends with the connection (no Content-Length).
TEST_F(InfluxConnectionTest, ReadsAnAnswerWhoseBodyEndsWithTheConnection) {
  server_.Add(ScriptedAction::AnswerThenClose(
      "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n"
      "{\"error\":\"unable to parse 'cpu x': missing fields\"}\n"));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRejected) << Describe(verdicts_[0]);
  EXPECT_EQ(verdicts_[0].error, "unable to parse 'cpu x': missing fields");
}

TEST_F(InfluxConnectionTest, Reports503WithRetryAfterAsRetryWithItsDelay) {
  server_.Add(ScriptedAction::Answer(
      InfluxAnswer(503, "the server is restarting", {{"Retry-After", "2"}})));
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRetry) << Describe(verdicts_[0]);
  EXPECT_EQ(verdicts_[0].error, "the server is restarting");
  ASSERT_TRUE(verdicts_[0].retry_after.has_value());
  EXPECT_EQ(*verdicts_[0].retry_after, std::chrono::seconds(2));
}

TEST_F(InfluxConnectionTest, CloseWithAWriteInFlightCallsNothingAndClosesCleanly) {
  server_.Add(ScriptedAction::StaySilent());
  server_.set_on_request([&](const test::RecordedRequest&) { writer_->Close(); });
  StartWriter();
  Write(kBody);
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.requests().size() == 1; }, "the request"));
  // Close runs the loop until every handle has closed.
  EXPECT_EQ(CloseAll(), 0);
  EXPECT_TRUE(verdicts_.empty());
}

TEST_F(InfluxConnectionTest, CloseBeforeTheConnectionIsMadeCallsNothingAndClosesCleanly) {
  StartWriter();
  Write(kBody);
  writer_->Close();
  EXPECT_EQ(CloseAll(), 0);
  EXPECT_TRUE(verdicts_.empty());
}

// Bug 2 (issue 9): a failure found inside Write (uv_getaddrinfo refusing
// the host at the call) was reported from inside Write, so that the caller's
// callback ran within its own call to Write. libuv refuses, before it starts
// a lookup, a host name longer than DNS allows (255 bytes); ParseInfluxUrl
// takes it, so a configured URL can carry one.
std::string UrlWithAnOverlongHost() { return "http://" + std::string(300, 'a') + ":8086"; }

TEST_F(InfluxConnectionTest, ReportsALookUpRefusedInsideWriteFromTheLoopNotFromWrite) {
  StartWriter(UrlWithAnOverlongHost());
  Write(kBody);
  EXPECT_TRUE(verdicts_.empty()) << "the callback ran inside Write: " << Describe(verdicts_[0]);
  EXPECT_TRUE(writer_->busy());
  ASSERT_TRUE(RunUntilVerdicts(1));
  EXPECT_EQ(verdicts_[0].outcome, WriteOutcome::kRetry) << Describe(verdicts_[0]);
  EXPECT_TRUE(Contains(verdicts_[0].error, "cannot look up")) << verdicts_[0].error;
  EXPECT_FALSE(writer_->busy());
}

TEST_F(InfluxConnectionTest, ReportsALookUpRefusedInsideCreateDatabaseFromTheLoop) {
  StartWriter(UrlWithAnOverlongHost());
  std::optional<WriteVerdict> verdict;
  writer_->CreateDatabase([&](const WriteVerdict& v) { verdict = v; });
  EXPECT_FALSE(verdict.has_value()) << "the callback ran inside CreateDatabase";
  ASSERT_TRUE(loop_.RunUntil([&] { return verdict.has_value(); }, "the verdict"));
  EXPECT_EQ(verdict->outcome, WriteOutcome::kRetry) << Describe(*verdict);
  EXPECT_TRUE(Contains(verdict->error, "cannot look up")) << verdict->error;
}

// The caller's pattern (SessionQueue): the next write is started from the
// verdict's callback. Its failure, found inside that Write, must not run
// the callback again while the first is still on the stack.
TEST_F(InfluxConnectionTest, ReportsAFailureInsideAWriteStartedFromTheCallbackOnALaterTurn) {
  StartWriter(UrlWithAnOverlongHost());
  size_t verdicts_when_the_second_write_returned = 0;
  Write(kBody, "", [&] {
    Write(kOtherBody);
    verdicts_when_the_second_write_returned = verdicts_.size();
  });
  ASSERT_TRUE(RunUntilVerdicts(2));
  EXPECT_EQ(verdicts_when_the_second_write_returned, 1u);
  EXPECT_EQ(verdicts_[1].outcome, WriteOutcome::kRetry) << Describe(verdicts_[1]);
}

TEST_F(InfluxConnectionTest, CloseBeforeAFailureFoundInsideWriteIsReportedCallsNothing) {
  StartWriter(UrlWithAnOverlongHost());
  Write(kBody);
  writer_->Close();
  EXPECT_EQ(CloseAll(), 0);
  EXPECT_TRUE(verdicts_.empty());
}

// The writer's HandleSet: destroyed after Close() but before the loop ran
// the close callbacks of its timer and of the connection it abandoned, the
// writer aborts the process (here a death test's child) instead of freeing
// memory libuv still holds.
TEST_F(InfluxConnectionTest, AbortsWhenDestroyedBeforeItsCloseCallbacksRan) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        StartWriter();
        Write(kBody);
        writer_->Close();
        writer_.reset();
      },
      "InfluxConnection destroyed before all its close callbacks ran");
}

}  // namespace
}  // namespace inflow
