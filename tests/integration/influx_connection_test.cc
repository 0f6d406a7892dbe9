// InfluxConnection against a real influxd, for the verdicts it gives: 204,
// a 400 partial write (the good points stored), 404 database not found. On
// the library alone, as tests/integration/library_write_test.cc.

#include "inflow/influx_connection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loop/private_loop.h"
#include "support/shared_influxdb.h"
#include "support/stored_point.h"

namespace inflow {
namespace {

using std::chrono::milliseconds;
using test::PrivateLoop;

std::string Describe(const WriteVerdict& verdict) {
  return std::string(WriteOutcomeName(verdict.outcome)) +
         (verdict.error.empty() ? "" : ": " + verdict.error);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

class InfluxConnectionAgainstInfluxDbTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { influxdb_.Start(); }
  static void TearDownTestSuite() { influxdb_.Stop(); }

  void SetUp() override {
    ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
  }

  void TearDown() override {
    if (writer_) writer_->Close();
    EXPECT_EQ(loop_.Close(), 0);
  }

  static test::InfluxDbServer* server() { return influxdb_.server(); }

  static void CreateDatabase(const std::string& db) {
    std::string json;
    Status status = server()->Query("CREATE DATABASE \"" + db + "\"", "", &json);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // Writes `body` to database `db` and waits for the verdict.
  WriteVerdict WriteTo(const std::string& db, std::string_view body) {
    Status status = ParseInfluxUrl(server()->url(), &config_.url);
    EXPECT_TRUE(status.ok()) << status.message();
    config_.database = db;
    config_.request_timeout = milliseconds(4000);
    writer_.emplace(loop_.get(), &config_);
    std::optional<WriteVerdict> verdict;
    writer_->Write("", body, [&](const WriteVerdict& v) { verdict = v; });
    loop_.RunUntil([&] { return verdict.has_value(); }, "the verdict");
    return verdict.value_or(WriteVerdict{WriteOutcome::kRetry, "(no verdict)", {}});
  }

  std::vector<int64_t> StoredTimes(const std::string& db) {
    std::vector<test::StoredPoint> points;
    Status status = test::ReadStoredPoints(server(), db, true, &points);
    EXPECT_TRUE(status.ok()) << status.message();
    std::vector<int64_t> times;
    for (const test::StoredPoint& point : points) times.push_back(point.time_ns.value_or(-1));
    return times;
  }

  static test::SharedInfluxDb influxdb_;
  PrivateLoop loop_;
  InfluxEndpoint config_;
  std::optional<InfluxConnection> writer_;
};

test::SharedInfluxDb InfluxConnectionAgainstInfluxDbTest::influxdb_;

TEST_F(InfluxConnectionAgainstInfluxDbTest, DeliversAndInfluxDbStoresThePoints) {
  CreateDatabase("delivered");
  WriteVerdict verdict = WriteTo("delivered", "m,t=a f=1 1000\nm,t=a f=2 2000\n");
  EXPECT_EQ(verdict.outcome, WriteOutcome::kDelivered) << Describe(verdict);
  EXPECT_EQ(StoredTimes("delivered"), (std::vector<int64_t>{1000, 2000}));
}

TEST_F(InfluxConnectionAgainstInfluxDbTest, ReportsAPartialWriteAsRejectedWithInfluxDbsError) {
  CreateDatabase("partial");
  WriteVerdict verdict = WriteTo("partial", "m f=1 1000\nm f= 2000\nm f=3 3000\n");
  EXPECT_EQ(verdict.outcome, WriteOutcome::kRejected) << Describe(verdict);
  EXPECT_TRUE(Contains(verdict.error, "partial write")) << verdict.error;
  EXPECT_TRUE(Contains(verdict.error, "unable to parse 'm f= 2000'")) << verdict.error;
  // The good points are stored: why a rejected batch is dropped, not retried.
  EXPECT_EQ(StoredTimes("partial"), (std::vector<int64_t>{1000, 3000}));
}

TEST_F(InfluxConnectionAgainstInfluxDbTest, ReportsAMissingDatabase) {
  WriteVerdict verdict = WriteTo("no_such_database", "m f=1 1000\n");
  EXPECT_EQ(verdict.outcome, WriteOutcome::kDatabaseNotFound) << Describe(verdict);
  EXPECT_TRUE(Contains(verdict.error, "database not found")) << verdict.error;
}

}  // namespace
}  // namespace inflow
