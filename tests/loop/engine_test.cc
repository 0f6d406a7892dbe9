// Engine on a private loop: what its outputs see of the points it accepts,
// and how it resumes listeners once points held for a full spool fit. The
// listener is a stand-in that hands the engine points as a real one does;
// InfluxDB is a scripted server on the same loop.

#include "engine.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/line_parser.h"
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

// A listener that reads nothing: the test hands the engine its points, and
// sees Pause and Resume.
class StandInListener : public Listener {
 public:
  Status Start() override { return Status::Ok(); }
  void Close() override {}
  void Pause() override { ++pauses; }
  void Resume() override {
    ++resumes;
    if (on_resume) on_resume();
  }
  const std::string& name() const override { return name_; }

  int pauses = 0;
  int resumes = 0;
  std::function<void()> on_resume;

 private:
  std::string name_ = "stand-in";
};

// An output that writes down what it is told.
class RecordingOutput : public PointOutput {
 public:
  void Stage(const AcceptedPoint& point) override {
    events.push_back("stage " + std::to_string(point.session()) + " " +
                     std::string(point.series_key()) + " " +
                     std::to_string(point.timestamp_ns()));
  }
  void Admitted(size_t session) override {
    events.push_back("admitted " + std::to_string(session));
  }
  void Discarded(size_t session) override {
    events.push_back("discarded " + std::to_string(session));
  }

  std::vector<std::string> events;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Status status = server_.Listen();
    ASSERT_TRUE(status.ok()) << status.message();
    for (int i = 0; i < 20; ++i) server_.Add(ScriptedAction::Answer(InfluxAnswer(204)));
    status = ParseInfluxUrl(server_.url() + "/telemetry", &config_.influxdb.url);
    ASSERT_TRUE(status.ok()) << status.message();
    config_.influxdb.database = "telemetry";
    SessionConfig session;
    session.retention_policy = "autogen";
    session.autocommit_every = 1;  // each point is a write of its own
    session.commit_interval = std::chrono::nanoseconds::zero();
    config_.sessions.push_back(session);
    config_.spool.directory = spool_dir_.path();
    config_.spool.fsync = FsyncPolicy::kNever;
    config_.shutdown_timeout = milliseconds(2000);
  }

  // The engine drains and closes its handles; PrivateLoop::Close runs the
  // loop until they are closed, and fails on any left open.
  void TearDown() override {
    if (engine_) engine_->Shutdown();
    server_.Close();
    EXPECT_EQ(loop_.Close(), 0);
  }

  void StartEngine() {
    engine_ = std::make_unique<Engine>(loop_.get(), config_);
    auto listener = std::make_unique<StandInListener>();
    listener_ = listener.get();
    engine_->AddListener(std::move(listener));
    engine_->AddOutput(&output_);
    Status status = engine_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // One listener read of `lines`, as an intake hands it over.
  Admission Read(std::string_view lines, bool can_wait) {
    Intake intake(&router_, {}, "stand-in", "autogen");
    intake.Feed(lines, true, kReceivedNs, engine_.get());
    return engine_->Admit(can_wait);
  }

  // The bytes one read of `lines` takes in a spool.
  uint64_t RecordBytes(std::string_view lines) {
    test::TempDir dir("inflow-engine-record");
    std::unique_ptr<SessionSpool> spool;
    SpoolRecoveryReport report;
    Status status = SessionSpool::Open(dir.File("session"), 1 << 20, &file_system_, &spool,
                                       &report);
    EXPECT_TRUE(status.ok()) << status.message();
    if (!status.ok()) return 0;
    spool->Stage(lines);
    status = spool->AppendStaged();
    EXPECT_TRUE(status.ok()) << status.message();
    return spool->bytes();
  }

  static constexpr int64_t kReceivedNs = 1700000000000000000;
  PosixFileSystem file_system_;

  test::TempDir spool_dir_{"inflow-engine"};
  PrivateLoop loop_;
  ScriptedHttpServer server_{loop_.get()};
  Config config_;
  Router router_{{"autogen"}, ""};
  RecordingOutput output_;
  std::unique_ptr<Engine> engine_;
  StandInListener* listener_ = nullptr;
};

TEST_F(EngineTest, TellsItsOutputsEachPointAndThatTheReadWasAdmitted) {
  ASSERT_NO_FATAL_FAILURE(StartEngine());
  EXPECT_EQ(Read("cpu,b=2,a=1 v=1 5\nmem v=2\n", false), Admission::kAccepted);
  EXPECT_EQ(output_.events,
            (std::vector<std::string>{"stage 0 cpu,a=1,b=2 5",
                                      "stage 0 mem " + std::to_string(kReceivedNs),
                                      "admitted 0"}));
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.requests().size() == 2; },
                             "both points written"));
}

TEST_F(EngineTest, TellsItsOutputsWhenAReadIsDroppedForAFullSpool) {
  config_.spool.when_full = WhenFull::kDropNewest;
  config_.spool.max_bytes = 16;  // smaller than any record
  ASSERT_NO_FATAL_FAILURE(StartEngine());
  EXPECT_EQ(Read("cpu v=1 5\n", true), Admission::kDropped);
  EXPECT_EQ(output_.events, (std::vector<std::string>{"stage 0 cpu 5", "discarded 0"}));
}

// Bug 3 of the review: once points held for a full spool fit, the engine
// resumed its listeners from inside its own retry of the held points, so a
// listener handing over the input it kept (an HTTP client's pipelined
// request) re-entered Admit there. Listeners are now resumed from a loop
// callback of their own; a re-entered Admit aborts inflowd.
TEST_F(EngineTest, ResumesListenersFromTheLoopSoThatTheirKeptInputReentersNothing) {
  uint64_t record_bytes = 0;
  ASSERT_NO_FATAL_FAILURE(record_bytes = RecordBytes("cpu v=1 1\n"));
  // Room for two records, and a segment each, so that delivered ones go.
  config_.spool.when_full = WhenFull::kBlock;
  config_.spool.segment_bytes = 1;
  config_.spool.max_bytes = 2 * record_bytes + record_bytes / 2;
  ASSERT_NO_FATAL_FAILURE(StartEngine());
  // Nothing is delivered before the loop runs: the third read is held.
  EXPECT_EQ(Read("cpu v=1 1\n", true), Admission::kAccepted);
  EXPECT_EQ(Read("cpu v=2 1\n", true), Admission::kAccepted);
  EXPECT_EQ(Read("cpu v=3 1\n", true), Admission::kHeld);
  EXPECT_EQ(listener_->pauses, 1);
  // Resumed, the listener hands over the input it kept, as an HTTP client's
  // pipelined request is.
  Admission kept = Admission::kDropped;
  listener_->on_resume = [&] { kept = Read("cpu v=4 1\n", true); };
  ASSERT_TRUE(loop_.RunUntil([&] { return server_.requests().size() == 4; },
                             "every point written"));
  EXPECT_EQ(listener_->resumes, 1);
  EXPECT_EQ(kept, Admission::kAccepted);
  std::string bodies;
  for (const test::RecordedRequest& request : server_.requests()) bodies += request.request.body;
  EXPECT_EQ(bodies, "cpu v=1 1\ncpu v=2 1\ncpu v=3 1\ncpu v=4 1\n");
  EXPECT_EQ(output_.events,
            (std::vector<std::string>{"stage 0 cpu 1", "admitted 0", "stage 0 cpu 1",
                                      "admitted 0", "stage 0 cpu 1", "admitted 0",
                                      "stage 0 cpu 1", "admitted 0"}));
}

}  // namespace
}  // namespace inflow::daemon
