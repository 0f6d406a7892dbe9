// The library alone (inflow_lib, no daemon object linked in) writing to a
// real influxd: a BatchWriter on a private loop, through its
// InfluxConnection and the delivery rules, creates the missing database,
// writes a batch, then one with a type-conflicting line among good ones,
// hands that one over as a dead letter whose refused line can be found, and
// InfluxDB stores the good points.

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/batch_writer.h"
#include "inflow/batcher.h"
#include "inflow/clock.h"
#include "inflow/delivery.h"
#include "inflow/influx_protocol.h"
#include "inflow/influx_url.h"
#include "inflow/rejection.h"
#include "loop/private_loop.h"
#include "support/shared_influxdb.h"
#include "support/stored_point.h"

namespace inflow {
namespace {

using std::chrono::milliseconds;

class LibraryWriteTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { influxdb_.Start(); }
  static void TearDownTestSuite() { influxdb_.Stop(); }

  void SetUp() override {
    ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
    Status status = ParseInfluxUrl(influxdb_.server()->url(), &endpoint_.url);
    ASSERT_TRUE(status.ok()) << status.message();
    endpoint_.request_timeout = milliseconds(4000);
    options_.retry.initial_interval = milliseconds(10);
    options_.retry.max_interval = milliseconds(40);
  }

  // Every test ends with the writer closed and the loop closed cleanly.
  void TearDown() override {
    if (writer_) writer_->Close();
    EXPECT_EQ(loop_.Close(), 0);
  }

  // A writer to database `db`, recording what it reports.
  void StartWriter(const std::string& db) {
    endpoint_.database = db;
    writer_.emplace(loop_.get(), &clock_, &endpoint_, "", options_);
    writer_->set_on_acknowledged([this](uint64_t points) { acknowledged_ += points; });
    writer_->set_on_dead_letter([this](const DeliveryAction& action) {
      dead_letters_.push_back(action);
    });
    writer_->set_on_event([this](const DeliveryAction& action) { events_.push_back(action.kind); });
    writer_->set_on_drained([this] { ++drained_calls_; });
  }

  static std::vector<int64_t> StoredTimes(const std::string& db) {
    std::vector<test::StoredPoint> points;
    Status status = test::ReadStoredPoints(influxdb_.server(), db, true, &points);
    EXPECT_TRUE(status.ok()) << status.message();
    std::vector<int64_t> times;
    for (const test::StoredPoint& point : points) times.push_back(point.time_ns.value_or(-1));
    return times;
  }

  static test::SharedInfluxDb influxdb_;
  test::PrivateLoop loop_;
  LoopClock clock_{loop_.get()};
  InfluxEndpoint endpoint_;
  DeliveryOptions options_;
  std::optional<BatchWriter> writer_;
  uint64_t acknowledged_ = 0;
  std::vector<DeliveryAction> dead_letters_;
  std::vector<DeliveryActionKind> events_;
  int drained_calls_ = 0;
};

test::SharedInfluxDb LibraryWriteTest::influxdb_;

TEST_F(LibraryWriteTest, CreatesTheDatabaseAndStoresTheGoodPointsOfABatch) {
  StartWriter("library");
  // The first batch makes v an integer field: InfluxDB refuses a request
  // whole when it holds a conflict for a field it does not know yet.
  Batch first;
  first.body = "cpu,host=a v=1i 1000\ncpu,host=a v=2i 2000\n";
  first.points = 2;
  const std::string conflicting = "cpu,host=a v=\"text\" 3000";
  Batch second;
  second.body = conflicting + "\ncpu,host=a v=4i 4000\ncpu,host=b v=5i 5000\n";
  second.points = 3;
  writer_->Push(first);
  writer_->Push(second);
  ASSERT_TRUE(loop_.RunUntil([&] { return drained_calls_ > 0; }, "the writer draining"));

  // No database: 404, CREATE DATABASE, then the batch again.
  EXPECT_EQ(events_, (std::vector<DeliveryActionKind>{DeliveryActionKind::kCreateDatabase,
                                                      DeliveryActionKind::kDatabaseCreated}));
  ASSERT_EQ(dead_letters_.size(), 1u);
  const DeliveryAction& rejected = dead_letters_[0];
  EXPECT_EQ(rejected.cause, DeadLetterCause::kRejected);
  EXPECT_EQ(rejected.batch.body, second.body);
  RejectedLines lines = FindRejectedLines(rejected.batch.body, rejected.verdict.error);
  ASSERT_TRUE(lines.understood) << rejected.verdict.error;
  ASSERT_EQ(lines.lines.size(), 1u) << rejected.verdict.error;
  EXPECT_EQ(lines.lines[0].line, conflicting);
  EXPECT_EQ(acknowledged_, 5u);
  EXPECT_TRUE(writer_->drained());
  EXPECT_EQ(writer_->undelivered_points(), 0u);
  EXPECT_EQ(writer_->stats().batches_rejected, 1u);
  EXPECT_EQ(writer_->stats().batches_delivered, 1u);
  EXPECT_EQ(writer_->stats().write_failures, 0u);
  EXPECT_EQ(StoredTimes("library"), (std::vector<int64_t>{1000, 2000, 4000, 5000}));
}

}  // namespace
}  // namespace inflow
