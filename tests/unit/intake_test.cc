// Intake: bytes from a listener → lines for sessions, and refusals.

#include "intake/intake.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace inflow::daemon {
namespace {

constexpr int64_t kReceived = 1700000000000000000;

struct Taken {
  size_t session;
  std::string line;
  bool operator==(const Taken&) const = default;
};

struct Refused {
  Refusal::Kind kind;
  std::string line;
  std::string reason;
  bool operator==(const Refused&) const = default;
};

// What an output sees of an accepted point, copied while its views live.
struct Seen {
  std::string measurement;
  std::string series_key;
  int64_t timestamp_ns = 0;
  size_t tags = 0;  // of the point as parsed
  bool operator==(const Seen&) const = default;
};

class RecordingSink : public Pipeline {
 public:
  void Accept(const AcceptedPoint& point) override {
    taken.push_back({point.session(), std::string(point.line())});
    seen.push_back({std::string(point.point().measurement), std::string(point.series_key()),
                    point.timestamp_ns(), point.point().tags.size()});
  }
  void Refuse(const Refusal& refusal) override {
    EXPECT_EQ(refusal.listener, "test listener");
    refused.push_back({refusal.kind, std::string(refusal.line), std::string(refusal.reason)});
  }
  Admission Admit(bool) override { return Admission::kAccepted; }
  std::vector<Taken> taken;
  std::vector<Seen> seen;
  std::vector<Refused> refused;
};

class IntakeTest : public ::testing::Test {
 protected:
  Router router_{{"autogen", "rp_four_weeks"}, "rp"};
  RecordingSink sink_;
};

TEST_F(IntakeTest, TakesEveryCompleteLineAndLeavesTheRest) {
  Intake intake(&router_, {}, "test listener", "autogen");
  std::string_view data = "cpu v=1 1\ncpu v=2 2\ncpu v=";
  EXPECT_EQ(intake.Feed(data, false, kReceived, &sink_), 20u);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{0, "cpu v=1 1\n"}, {0, "cpu v=2 2\n"}}));
  EXPECT_EQ(intake.points(), 2u);
}

TEST_F(IntakeTest, HandsOnEachPointParsedWithItsSeriesKeyAndTime) {
  Intake intake(&router_, {}, "test listener", "autogen");
  std::string_view data =
      "cpu,z=1,rp=rp_four_weeks,a=2 v=1 7\n"  // routed by tag, tags unsorted
      "mem,host=h v=2\n";                     // no timestamp: the time received
  EXPECT_EQ(intake.Feed(data, true, kReceived, &sink_), data.size());
  ASSERT_EQ(sink_.taken, (std::vector<Taken>{{1, "cpu,z=1,a=2 v=1 7\n"},
                                              {0, "mem,host=h v=2 " +
                                                      std::to_string(kReceived) + "\n"}}));
  // The series key is the series written: the routing tag left out, tags
  // sorted; the parsed point is the point as it came.
  EXPECT_EQ(sink_.seen, (std::vector<Seen>{{"cpu", "cpu,a=2,z=1", 7, 3},
                                            {"mem", "mem,host=h", kReceived, 1}}));
}

TEST_F(IntakeTest, TheEndOfFinalDataEndsTheLastLine) {
  Intake intake(&router_, {}, "test listener", "autogen");
  EXPECT_EQ(intake.Feed("cpu v=3 3", true, kReceived, &sink_), 9u);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{0, "cpu v=3 3\n"}}));
}

TEST_F(IntakeTest, ALineSplitAcrossFeedsIsTakenOnceWhole) {
  Intake intake(&router_, {}, "test listener", "autogen");
  std::string buffer = "cpu,host=a v=1";
  size_t used = intake.Feed(buffer, false, kReceived, &sink_);
  EXPECT_EQ(used, 0u);
  buffer.erase(0, used);
  buffer += "5 7\n";
  EXPECT_EQ(intake.Feed(buffer, false, kReceived, &sink_), buffer.size());
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{0, "cpu,host=a v=15 7\n"}}));
}

TEST_F(IntakeTest, PointsWithoutATimestampGetTheReceiveTime) {
  Intake intake(&router_, {}, "test listener", "autogen");
  intake.Feed("cpu v=1\n", false, kReceived, &sink_);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{0, "cpu v=1 1700000000000000000\n"}}));
}

TEST_F(IntakeTest, TimestampsInTheListenersPrecisionBecomeNanoseconds) {
  ParserOptions options;
  options.precision = Precision::kSeconds;
  Intake intake(&router_, options, "test listener", "autogen");
  intake.Feed("cpu v=1 1700000000\n", false, kReceived, &sink_);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{0, "cpu v=1 1700000000000000000\n"}}));
}

TEST_F(IntakeTest, BadLinesAreRefusedWithTheirReasonAndTheGoodOnesTaken) {
  Intake intake(&router_, {}, "test listener", "autogen");
  intake.Feed("cpu v=1 1\nbad\r\ncpu v=tru 2\ncpu v=2 3\n", false, kReceived, &sink_);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{0, "cpu v=1 1\n"}, {0, "cpu v=2 3\n"}}));
  ASSERT_EQ(sink_.refused.size(), 2u);
  // The carriage return stays in the line, as InfluxDB quotes it.
  EXPECT_EQ(sink_.refused[0].line, "bad\r");
  EXPECT_EQ(sink_.refused[0].kind, Refusal::Kind::kBadLine);
  EXPECT_EQ(sink_.refused[1], (Refused{Refusal::Kind::kBadLine, "cpu v=tru 2", "invalid boolean"}));
  EXPECT_EQ(intake.refused(), 2u);
}

TEST_F(IntakeTest, UnsignedFieldsAreRefusedWhenTheServerTakesNone) {
  ParserOptions options;
  options.allow_unsigned = false;
  Intake intake(&router_, options, "test listener", "autogen");
  intake.Feed("cpu v=1u 1\n", false, kReceived, &sink_);
  EXPECT_TRUE(sink_.taken.empty());
  ASSERT_EQ(sink_.refused.size(), 1u);
  EXPECT_EQ(sink_.refused[0].line, "cpu v=1u 1");
}

TEST_F(IntakeTest, RoutesByTheTagAndRefusesAnUnknownRetentionPolicy) {
  Intake intake(&router_, {}, "test listener", "autogen");
  intake.Feed("cpu,rp=rp_four_weeks v=1 1\ncpu,rp=nope v=2 2\n", false, kReceived, &sink_);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{1, "cpu v=1 1\n"}}));
  EXPECT_EQ(sink_.refused, (std::vector<Refused>{{Refusal::Kind::kUnknownRetentionPolicy,
                                                   "cpu,rp=nope v=2 2", "nope"}}));
}

TEST_F(IntakeTest, ResetChangesTheRetentionPolicyAndPrecision) {
  Intake intake(&router_, {}, "test listener", "autogen");
  ParserOptions options;
  options.precision = Precision::kMilliseconds;
  intake.Reset(options, "rp_four_weeks");
  intake.Feed("cpu v=1 5", true, kReceived, &sink_);
  EXPECT_EQ(sink_.taken, (std::vector<Taken>{{1, "cpu v=1 5000000\n"}}));
}

TEST_F(IntakeTest, BlankLinesAndCommentsAreNeitherTakenNorRefused) {
  Intake intake(&router_, {}, "test listener", "autogen");
  EXPECT_EQ(intake.Feed("\n# a comment\n\n", false, kReceived, &sink_), 14u);
  EXPECT_TRUE(sink_.taken.empty());
  EXPECT_TRUE(sink_.refused.empty());
}

}  // namespace
}  // namespace inflow::daemon
