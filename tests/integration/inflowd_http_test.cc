// inflowd's HTTP listener answers as InfluxDB 1.x does: each answer is
// compared with the real InfluxDB's answer to the same request.

#include <gtest/gtest.h>

#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "inflowd_fixture.h"
#include "support/http_client.h"
#include "support/stored_point.h"

namespace inflow::test {
namespace {

// Go's JSON string of `text`, for the texts of these tests.
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// ---------------------------------------------------------------------------
// The HTTP listener answers as InfluxDB 1.x does.

class InflowdHttpTest : public InflowdTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(InflowdTest::SetUp());
    ASSERT_NO_FATAL_FAILURE(StartInflowd(
        {.sessions = {Prompt("autogen")}, .listeners = {{ListenerKind::kHttp, "", "s"}}}));
  }

  // InfluxDB's answer to `body` written to a fresh database, and what it
  // stored of it.
  HttpResponse InfluxDbAnswer(std::string_view body, std::vector<StoredPoint>* stored = nullptr) {
    const std::string reference = db_ + "_influxdb";
    Execute("CREATE DATABASE " + Quoted(reference));
    HttpResponse response;
    Status status = influxdb()->Write(reference, body, "s", "", &response);
    EXPECT_TRUE(status.ok()) << status.message();
    if (stored != nullptr) {
      status = ReadStoredPoints(influxdb(), reference, /*with_time=*/true, stored);
      EXPECT_TRUE(status.ok()) << status.message();
    }
    return response;
  }

  static void ExpectSameAnswer(const HttpResponse& ours, const HttpResponse& theirs) {
    EXPECT_EQ(ours.status, theirs.status);
    EXPECT_EQ(ours.body, theirs.body);
    EXPECT_EQ(ours.Header("Content-Type"), theirs.Header("Content-Type"));
    if (::testing::Test::HasFailure()) {
      std::cerr << "inflowd answered  " << Describe(ours) << "\nInfluxDB answered "
                << Describe(theirs) << "\n";
    }
  }
};

TEST_F(InflowdHttpTest, PingAnswers204) {
  HttpResponse response;
  Status status =
      SendHttpRequest("GET", "127.0.0.1", spec_.listeners[0].port, "/ping", "", {}, &response);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(response.status, 204) << Describe(response);
}

TEST_F(InflowdHttpTest, WriteAnswers204WithOrWithoutTheConfiguredDatabase) {
  const int64_t t = RecentTime("s");
  HttpResponse given = Post(0, "/write?db=" + db_, Line("http_ok", "db=given", 1, t));
  HttpResponse omitted = Post(0, "/write", Line("http_ok", "db=omitted", 2, t));
  // The request's precision over the listener's (s).
  HttpResponse in_ms =
      Post(0, "/write?db=" + db_ + "&precision=ms", Line("http_ok", "db=given,precision=ms", 3, t));
  for (const HttpResponse* response : {&given, &omitted, &in_ms}) {
    EXPECT_EQ(response->status, 204) << Describe(*response);
    EXPECT_EQ(response->body, "");
  }
  ExpectSame(WaitForPoints("autogen", 3),
             {IntegerPoint("http_ok", {{"db", "given"}}, 1, t * 1'000'000'000),
              IntegerPoint("http_ok", {{"db", "omitted"}}, 2, t * 1'000'000'000),
              IntegerPoint("http_ok", {{"db", "given"}, {"precision", "ms"}}, 3, t * 1'000'000)},
             "autogen");
}

TEST_F(InflowdHttpTest, BadLinesAreAnsweredAsInfluxDbDoesAndTheGoodOnesStored) {
  const int64_t t = RecentTime("s");
  // "missing fields", and an unsigned field, which this InfluxDB (and so
  // inflowd, with influxdb.unsigned_fields false) rejects.
  const std::string no_fields = "http_bad_no_fields";
  const std::string is_unsigned = "http_bad,n=3 f=7u " + std::to_string(t);
  const std::string body = Line("http_bad", "n=1", 1, t) + no_fields + "\n" +
                           Line("http_bad", "n=2", 2, t) + is_unsigned + "\n" +
                           Line("http_bad", "n=4", 4, t);
  std::vector<StoredPoint> influxdb_stored;
  HttpResponse theirs = InfluxDbAnswer(body, &influxdb_stored);
  HttpResponse ours = Post(0, "/write?db=" + db_, body);
  ExpectSameAnswer(ours, theirs);
  // The part the specification spells out, whatever surrounds it.
  EXPECT_EQ(ours.status, 400);
  const std::string both = "unable to parse '" + no_fields + "': missing fields\n" +
                           "unable to parse '" + is_unsigned + "': invalid number";
  const std::string json = JsonString(both);
  EXPECT_NE(ours.body.find(json.substr(1, json.size() - 2)), std::string::npos)
      << "the error does not name both lines as " << json << ": " << Describe(ours);

  std::vector<StoredPoint> expected = {IntegerPoint("http_bad", {{"n", "1"}}, 1, t * 1'000'000'000),
                                       IntegerPoint("http_bad", {{"n", "2"}}, 2, t * 1'000'000'000),
                                       IntegerPoint("http_bad", {{"n", "4"}}, 4, t * 1'000'000'000)};
  ExpectSame(influxdb_stored, expected, "InfluxDB itself, for this body");
  ExpectSame(WaitForPoints("autogen", 3), expected, "autogen");
}

TEST_F(InflowdHttpTest, ABodyOfBadLinesOnlyIsAnsweredAsInfluxDbDoes) {
  const int64_t t = RecentTime("s");
  const std::string body = "http_bad_no_fields\nhttp_bad f=7u " + std::to_string(t) + "\n";
  HttpResponse ours = Post(0, "/write?db=" + db_, body);
  ExpectSameAnswer(ours, InfluxDbAnswer(body));
  EXPECT_EQ(ours.body, "{\"error\":" +
                           JsonString("unable to parse 'http_bad_no_fields': missing fields\n"
                                      "unable to parse 'http_bad f=7u " +
                                      std::to_string(t) + "': invalid number") +
                           "}\n");
  // Nothing stored: a good write after it is all there is.
  Send(0, Line("http_after", "", 1, t));
  ExpectSame(WaitForPoints("autogen", 1), {IntegerPoint("http_after", {}, 1, t * 1'000'000'000)},
             "autogen");
}

TEST_F(InflowdHttpTest, AnotherDatabaseIsNotFound) {
  const int64_t t = RecentTime("s");
  const std::string other = "inflowd_not_configured";
  const std::string body = Line("http_other_db", "", 1, t);
  HttpResponse ours = Post(0, "/write?db=" + other, body);
  HttpResponse theirs;
  Status status = influxdb()->Write(other, body, "s", "", &theirs);
  ASSERT_TRUE(status.ok()) << status.message();
  ExpectSameAnswer(ours, theirs);
  EXPECT_EQ(ours.status, 404);
  EXPECT_EQ(ours.body, "{\"error\":\"database not found: \\\"" + other + "\\\"\"}\n");
  Send(0, Line("http_after", "", 2, t));
  ExpectSame(WaitForPoints("autogen", 1), {IntegerPoint("http_after", {}, 2, t * 1'000'000'000)},
             "autogen");
}

}  // namespace
}  // namespace inflow::test
