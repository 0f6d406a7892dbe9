// The client library's Client and Session (include/inflow/client.h) against
// a real influxd: the seed's sessions (commit, scope exit, autocommit, a
// session-wide retention policy), refused lines, failures reported as
// values and through the error handler, and threads sharing a client.

#include "inflow/client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "support/influxdb_server.h"
#include "support/shared_influxdb.h"

namespace inflow {
namespace {

using std::chrono::milliseconds;

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { influxdb_.Start(); }
  static void TearDownTestSuite() { influxdb_.Stop(); }

  void SetUp() override {
    ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
    static int databases = 0;
    db_ = "client" + std::to_string(++databases);
    Run("CREATE DATABASE " + db_);
    url_ = influxdb_.server()->url() + "/" + db_;
  }

  // Runs an InfluxQL statement; fails the test if InfluxDB refuses it.
  static std::string Run(const std::string& statement, const std::string& db = "") {
    std::string json;
    Status status = influxdb_.server()->Query(statement, db, &json);
    EXPECT_TRUE(status.ok()) << statement << ": " << status.message();
    EXPECT_EQ(json.find("\"error\""), std::string::npos) << statement << ": " << json;
    return json;
  }

  // The points stored in `from` ("temperature", or "rp"."temperature").
  uint64_t Count(const std::string& from) {
    const std::string json = Run("SELECT count(*) FROM " + from, db_);
    const size_t values = json.find("\"values\":[[");
    if (values == std::string::npos) return 0;  // no point at all: no series
    const size_t comma = json.find(',', values);
    return std::stoull(json.substr(comma + 1));
  }

  static test::SharedInfluxDb influxdb_;
  std::string db_;
  std::string url_;
};

test::SharedInfluxDb ClientTest::influxdb_;

TEST_F(ClientTest, CommitWritesBothPointsAndNothingIsWrittenBeforeIt) {
  Client client(url_);
  ASSERT_TRUE(client.status().ok()) << client.status().message();
  Session session = client.session();
  EXPECT_TRUE(session.write("temperature", {{"value", 23.1}}, 1475848864).ok());
  EXPECT_TRUE(session.write("temperature", {{"value", 25.0}}, 1475849823).ok());
  EXPECT_EQ(session.pending_points(), 2u);
  EXPECT_EQ(Count("temperature"), 0u);
  WriteResult result = session.commit();
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.written_points, 2u);
  EXPECT_EQ(session.pending_points(), 0u);
  EXPECT_EQ(Count("temperature"), 2u);
  const std::string json = Run("SELECT value FROM temperature", db_);
  EXPECT_NE(json.find("[1475848864000000000,23.1]"), std::string::npos) << json;
  EXPECT_NE(json.find("[1475849823000000000,25]"), std::string::npos) << json;
  // Nothing pending: nothing sent, and nothing to report.
  WriteResult empty = session.commit();
  EXPECT_TRUE(empty.ok());
  EXPECT_EQ(empty.written_points, 0u);
}

TEST_F(ClientTest, LeavingTheScopeCommits) {
  Client client(url_);
  {
    Session session = client.session();
    EXPECT_TRUE(session.write("temperature", {{"value", 23.1}}, 1475848864).ok());
    EXPECT_TRUE(session.write("temperature", {{"value", 25.0}}, 1475849823).ok());
    EXPECT_EQ(Count("temperature"), 0u);
  }
  EXPECT_EQ(Count("temperature"), 2u);
}

TEST_F(ClientTest, AutocommitsOnTheFifthWriteAndNotBefore) {
  Client client(url_);
  Session session = client.session({.autocommit_every = 5});
  const int64_t times[] = {1475848864, 1475849823, 1475849825, 1475849912};
  const double values[] = {23.1, 25.0, 22.9, 28.2};
  for (int i = 0; i < 4; ++i) {
    WriteResult result = session.write("temperature", {{"value", values[i]}}, times[i]);
    EXPECT_TRUE(result.ok()) << result.message;
    EXPECT_EQ(result.written_points, 0u);
  }
  EXPECT_EQ(Count("temperature"), 0u);
  WriteResult fifth = session.write("temperature", {{"value", 25.1}}, 1475849999);
  ASSERT_TRUE(fifth.ok()) << fifth.message;
  EXPECT_EQ(fifth.written_points, 5u);
  EXPECT_EQ(Count("temperature"), 5u);
  EXPECT_EQ(session.pending_points(), 0u);
}

TEST_F(ClientTest, TheSessionsRetentionPolicyHoldsItsPointsAndNoOtherDoes) {
  Run("CREATE RETENTION POLICY rp_four_weeks ON " + db_ + " DURATION 4w REPLICATION 1");
  Client client(url_);
  {
    Session session = client.session({.retention_policy = "rp_four_weeks"});
    EXPECT_EQ(session.retention_policy(), "rp_four_weeks");
    // The seed's 2016 timestamp is beyond a four-week policy: InfluxDB
    // would drop it. An hour ago is inside.
    EXPECT_TRUE(session.write("temperature", {{"value", 23.1}},
                              std::chrono::system_clock::now() - std::chrono::hours(1))
                    .ok());
  }
  EXPECT_EQ(Count("rp_four_weeks.temperature"), 1u);
  EXPECT_EQ(Count("autogen.temperature"), 0u);
}

TEST_F(ClientTest, ABatchWithATypeConflictStoresTheRestAndReportsThatLine) {
  Client client(url_);
  ASSERT_TRUE(client.write("temperature", {{"value", 1.5}}, 1000).ok());
  Session session = client.session();
  EXPECT_TRUE(session.write("temperature", {{"value", 20.5}}, 2000).ok());
  EXPECT_TRUE(session.write("temperature", {{"value", std::string("warm")}}, 3000).ok());
  EXPECT_TRUE(session.write("temperature", {{"value", 21.5}}, 4000).ok());
  WriteResult result = session.commit();
  EXPECT_EQ(result.error, WriteError::kRejected) << result.message;
  EXPECT_EQ(result.written_points, 2u);
  EXPECT_EQ(result.refused_points, 1u);
  EXPECT_EQ(result.unwritten_points, 0u);
  ASSERT_EQ(result.refused_lines.size(), 1u) << result.message;
  EXPECT_EQ(result.refused_lines[0].line, "temperature value=\"warm\" 3000000000000");
  EXPECT_NE(result.refused_lines[0].reason.find("field type conflict"), std::string::npos)
      << result.refused_lines[0].reason;
  EXPECT_EQ(Count("temperature"), 3u);
  // The refused line is not written again.
  EXPECT_EQ(session.pending_points(), 0u);
}

TEST_F(ClientTest, ClientWriteTakesEveryTypeTagsAndATimePoint) {
  Client client(url_, {.precision = Precision::kMilliseconds});
  const std::chrono::system_clock::time_point when{std::chrono::seconds(1475848864)};
  WriteResult result = client.write(
      "weather",
      {{"temp", 23.5}, {"count", int64_t{-7}}, {"note", std::string("sunny, \"dry\"")},
       {"ok", true}},
      when, {{"site", "roof top"}});
  ASSERT_TRUE(result.ok()) << result.message;
  EXPECT_EQ(result.written_points, 1u);
  ASSERT_TRUE(client.write("weather", {{"temp", 24.0}}, 1475848865123, {{"site", "a"}}).ok());
  const std::string json = Run("SELECT * FROM weather", db_);
  EXPECT_NE(json.find("[1475848864000000000,-7,\"sunny, \\\"dry\\\"\",true,\"roof top\",23.5]"),
            std::string::npos)
      << json;
  EXPECT_NE(json.find("[1475848865123000000,null,null,null,\"a\",24]"), std::string::npos)
      << json;
}

TEST_F(ClientTest, APointInflowCannotWriteIsRefusedAndChangesNothing) {
  Client client(url_);
  Session session = client.session();
  EXPECT_TRUE(session.write("temperature", {{"value", 1.0}}, 1).ok());
  WriteResult nan = session.write("temperature", {{"value", std::nan("")}}, 2);
  EXPECT_EQ(nan.error, WriteError::kInvalid);
  EXPECT_NE(nan.message.find("value"), std::string::npos) << nan.message;
  WriteResult far = session.write("temperature", {{"value", 1.0}}, int64_t{1} << 40);
  EXPECT_EQ(far.error, WriteError::kInvalid);
  EXPECT_NE(far.message.find("outside InfluxDB's range"), std::string::npos) << far.message;
  EXPECT_EQ(session.pending_points(), 1u);
  EXPECT_TRUE(session.commit().ok());
  EXPECT_EQ(Count("temperature"), 1u);
}

TEST_F(ClientTest, AMissingDatabaseIsReportedAndTheCommitsPointsKept) {
  Client client(influxdb_.server()->url() + "/" + db_ + "_missing");
  Session session = client.session();
  EXPECT_TRUE(session.write("temperature", {{"value", 1.0}}, 1).ok());
  WriteResult result = session.commit();
  EXPECT_EQ(result.error, WriteError::kDatabaseNotFound) << result.message;
  EXPECT_NE(result.message.find("database not found"), std::string::npos) << result.message;
  EXPECT_EQ(result.unwritten_points, 1u);
  EXPECT_EQ(session.pending_points(), 1u);
  Run("CREATE DATABASE " + db_ + "_missing");
  WriteResult again = session.commit();
  EXPECT_TRUE(again.ok()) << again.message;
  EXPECT_EQ(again.written_points, 1u);
}

TEST_F(ClientTest, UrlsItCannotUseMakeEveryWriteFail) {
  Client no_database(influxdb_.server()->url());
  EXPECT_NE(no_database.status().message().find("names no database"), std::string::npos)
      << no_database.status().message();
  WriteResult result = no_database.write("temperature", {{"value", 1.0}});
  EXPECT_EQ(result.error, WriteError::kInvalid);
  Client tls("https://localhost:8086/db");
  EXPECT_NE(tls.status().message().find("TLS"), std::string::npos) << tls.status().message();
  Client nonsense("ftp://localhost/db");
  EXPECT_FALSE(nonsense.status().ok());
}

// A commit at scope exit that cannot reach InfluxDB (stopped) reports to
// the error handler, within the client's timeout, and throws nothing.
TEST(ClientStoppedServerTest, ACommitAtScopeExitReportsToTheErrorHandler) {
  test::InfluxDbServer server;
  ASSERT_TRUE(server.Start().ok());
  std::vector<WriteResult> reported;
  ClientOptions options;
  options.timeout = milliseconds(1500);
  options.error_handler = [&](const WriteResult& result) { reported.push_back(result); };
  Client client(server.url() + "/gone", options);
  ASSERT_TRUE(server.Stop().ok());
  const auto started = std::chrono::steady_clock::now();
  {
    Session session = client.session();
    EXPECT_TRUE(session.write("temperature", {{"value", 23.1}}, 1475848864).ok());
    EXPECT_TRUE(session.write("temperature", {{"value", 25.0}}, 1475849823).ok());
  }
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_EQ(reported.size(), 1u);
  EXPECT_EQ(reported[0].error, WriteError::kFailed);
  EXPECT_EQ(reported[0].unwritten_points, 2u);
  EXPECT_NE(reported[0].message.find("no answer from InfluxDB"), std::string::npos)
      << reported[0].message;
  EXPECT_LT(took, milliseconds(1500 + 1000));
}

// As the seed's exceptions tell them apart: wrong credentials (401) and a
// user who may not write (403), against an influxd that checks them.
TEST(ClientAuthTest, TellsUnauthorizedFromForbidden) {
  test::InfluxDbServer server;
  server.enable_auth();
  ASSERT_TRUE(server.Start().ok());
  std::string json;
  ASSERT_TRUE(server.Query("CREATE USER admin WITH PASSWORD 'secret' WITH ALL PRIVILEGES", "",
                           &json).ok());
  server.set_login("admin", "secret");
  for (const char* statement :
       {"CREATE DATABASE guarded", "CREATE USER reader WITH PASSWORD 'pw'",
        "GRANT READ ON guarded TO reader"}) {
    ASSERT_TRUE(server.Query(statement, "", &json).ok()) << statement;
    ASSERT_EQ(json.find("\"error\""), std::string::npos) << statement << ": " << json;
  }
  const std::string address = server.url().substr(std::string_view("http://").size());
  ClientOptions options;
  options.timeout = milliseconds(3000);

  const auto started = std::chrono::steady_clock::now();
  Client wrong("http://admin:wrong@" + address + "/guarded", options);
  WriteResult unauthorized = wrong.write("temperature", {{"value", 1.0}}, 1);
  EXPECT_EQ(unauthorized.error, WriteError::kUnauthorized) << unauthorized.message;
  EXPECT_NE(unauthorized.message.find("401"), std::string::npos) << unauthorized.message;
  EXPECT_EQ(unauthorized.unwritten_points, 1u);
  // A 401 is retried no sooner than 10 s later: past the timeout, so the
  // write fails at once instead of waiting for the timeout.
  EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(3000));

  Client reader("http://reader:pw@" + address + "/guarded", options);
  WriteResult forbidden = reader.write("temperature", {{"value", 1.0}}, 1);
  EXPECT_EQ(forbidden.error, WriteError::kForbidden) << forbidden.message;
  EXPECT_NE(forbidden.message.find("403"), std::string::npos) << forbidden.message;

  Client admin("http://admin:secret@" + address + "/guarded", options);
  WriteResult written = admin.write("temperature", {{"value", 1.0}}, 1);
  EXPECT_TRUE(written.ok()) << written.message;
  EXPECT_EQ(written.written_points, 1u);
}

// 8 threads share one Client, each writing through sessions of its own.
TEST_F(ClientTest, ThreadsSharingAClientStoreEveryPoint) {
  constexpr int kThreads = 8;
  constexpr int kSessions = 10;
  constexpr int kPoints = 50;
  Client client(url_, {.precision = Precision::kNanoseconds});
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int s = 0; s < kSessions; ++s) {
        Session session = client.session({.autocommit_every = 20});
        for (int p = 0; p < kPoints; ++p) {
          const int64_t time = (int64_t{s} * kPoints + p) * 1000;
          if (!session.write("load", {{"v", int64_t{p}}}, time,
                             {{"thread", std::to_string(t)}})
                   .ok()) {
            ++failures;
          }
        }
        if (!session.commit().ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Count("load"), uint64_t{kThreads} * kSessions * kPoints);
}

}  // namespace
}  // namespace inflow
