// HttpResponseParser: InfluxDB's answers, fed as bytes split anywhere.

#include "inflow/http_response_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace inflow::daemon {
namespace {

using Result = HttpResponseParser::Result;

// As InfluxDB 1.6 answers a good write.
constexpr std::string_view kNoContent =
    "HTTP/1.1 204 No Content\r\n"
    "Content-Type: application/json\r\n"
    "Request-Id: 5b4a2c1e-0000\r\n"
    "X-Influxdb-Build: OSS\r\n"
    "X-Influxdb-Version: 1.6.7~rc0\r\n"
    "Date: Sat, 21 Nov 2026 20:31:12 GMT\r\n"
    "\r\n";

constexpr std::string_view kPartialWrite =
    "HTTP/1.1 400 Bad Request\r\n"
    "Content-Type: application/json\r\n"
    "X-Influxdb-Error: partial write: field type conflict dropped=1\r\n"
    "Content-Length: 56\r\n"
    "\r\n"
    "{\"error\":\"partial write: field type conflict dropped=1\"}";

TEST(HttpResponseParserTest, ParsesANoContentAnswer) {
  HttpResponseParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(kNoContent, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(consumed, kNoContent.size());
  const HttpResponse& r = parser.response();
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.keep_alive);
  EXPECT_EQ(r.Header("x-influxdb-version").value_or(""), "1.6.7~rc0");
  EXPECT_FALSE(r.Header("Retry-After").has_value());
}

TEST(HttpResponseParserTest, ParsesABodyWithContentLength) {
  HttpResponseParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(kPartialWrite, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(parser.response().status, 400);
  EXPECT_EQ(parser.response().body, "{\"error\":\"partial write: field type conflict dropped=1\"}");
}

TEST(HttpResponseParserTest, SameAnswerWhateverTheSplit) {
  for (std::string_view answer : {kNoContent, kPartialWrite}) {
    for (size_t split = 0; split <= answer.size(); ++split) {
      HttpResponseParser parser;
      size_t consumed = 0;
      Result first = parser.Feed(answer.substr(0, split), &consumed);
      if (first == Result::kComplete) {
        EXPECT_EQ(split, answer.size());
      } else {
        ASSERT_EQ(first, Result::kNeedMore) << parser.error();
        EXPECT_EQ(consumed, split);
        ASSERT_EQ(parser.Feed(answer.substr(split), &consumed), Result::kComplete)
            << "split at " << split << ": " << parser.error();
      }
      EXPECT_EQ(parser.response().status, answer == kNoContent ? 204 : 400);
      EXPECT_EQ(parser.response().Header("Content-Type").value_or(""), "application/json");
    }
  }
}

TEST(HttpResponseParserTest, DechunksABody) {
  HttpResponseParser parser;
  size_t consumed = 0;
  std::string answer =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n";
  ASSERT_EQ(parser.Feed(answer, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(parser.response().body, "hello world");
}

TEST(HttpResponseParserTest, LeavesTheNextAnswerForAfterReset) {
  HttpResponseParser parser;
  std::string two = std::string(kNoContent) + std::string(kPartialWrite);
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(two, &consumed), Result::kComplete);
  EXPECT_EQ(consumed, kNoContent.size());
  EXPECT_EQ(parser.response().status, 204);
  parser.Reset();
  ASSERT_EQ(parser.Feed(std::string_view(two).substr(consumed), &consumed), Result::kComplete);
  EXPECT_EQ(parser.response().status, 400);
}

// The glue shared with the request parser (LlhttpReader): once an answer
// is complete, what follows waits, untouched, for Reset.
TEST(HttpResponseParserTest, UsesNothingMoreOnceCompleteUntilReset) {
  HttpResponseParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(kNoContent, &consumed), Result::kComplete);
  consumed = 99;
  EXPECT_EQ(parser.Feed(kPartialWrite, &consumed), Result::kComplete);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(parser.response().status, 204);
}

// Unlike the request parser, which drops them, the answer's trailers join
// its headers, as before the parsers shared their llhttp glue.
TEST(HttpResponseParserTest, KeepsTrailersAfterAChunkedBodyAsHeaders) {
  HttpResponseParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "2\r\nok\r\n0\r\nX-Trailer: late\r\n\r\n",
                        &consumed),
            Result::kComplete)
      << parser.error();
  EXPECT_EQ(parser.response().body, "ok");
  EXPECT_EQ(parser.response().Header("x-trailer").value_or("(none)"), "late");
}

TEST(HttpResponseParserTest, ConnectionCloseEndsKeepAlive) {
  HttpResponseParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n", &consumed),
            Result::kComplete);
  EXPECT_FALSE(parser.response().keep_alive);
}

TEST(HttpResponseParserTest, BodyUntilCloseCompletesOnFinish) {
  HttpResponseParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed("HTTP/1.0 500 Internal Server Error\r\n\r\noops", &consumed),
            Result::kNeedMore);
  ASSERT_EQ(parser.Finish(), Result::kComplete) << parser.error();
  EXPECT_EQ(parser.response().status, 500);
  EXPECT_EQ(parser.response().body, "oops");
  EXPECT_FALSE(parser.response().keep_alive);
}

TEST(HttpResponseParserTest, TruncatedAnswerFailsOnFinish) {
  HttpResponseParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed(kPartialWrite.substr(0, kPartialWrite.size() - 3), &consumed),
            Result::kNeedMore);
  EXPECT_EQ(parser.Finish(), Result::kError);
  EXPECT_EQ(parser.error(), "the connection closed before the response was complete");
}

TEST(HttpResponseParserTest, GarbageIsAnError) {
  HttpResponseParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed("SSH-2.0-OpenSSH_9.2\r\n", &consumed), Result::kError);
  EXPECT_EQ(parser.error().rfind("malformed HTTP response: HPE_", 0), 0u) << parser.error();
  EXPECT_EQ(parser.Feed(kNoContent, &consumed), Result::kError);  // until Reset
}

TEST(HttpResponseParserTest, EnforcesItsLimits) {
  HttpResponseParser small_body(1024, 8);
  size_t consumed = 0;
  EXPECT_EQ(small_body.Feed(kPartialWrite, &consumed), Result::kError);
  EXPECT_EQ(small_body.error(), "response body longer than 8 bytes");

  HttpResponseParser small_headers(32, 1024);
  EXPECT_EQ(small_headers.Feed(kNoContent, &consumed), Result::kError);
  EXPECT_EQ(small_headers.error(), "response headers longer than 32 bytes");
}

}  // namespace
}  // namespace inflow::daemon
