// The write request inflowd sends, and its verdict on InfluxDB's answers.

#include "inflow/influx_protocol.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace inflow::daemon {
namespace {

InfluxUrl Url(std::string_view text) {
  InfluxUrl url;
  EXPECT_TRUE(ParseInfluxUrl(text, &url).ok());
  return url;
}

HttpResponse Answer(int status, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse answer;
  answer.status = status;
  answer.body = std::move(body);
  answer.headers = std::move(headers);
  return answer;
}

TEST(InfluxWriteTest, BuildsTheWriteRequest) {
  std::string request;
  BuildWriteRequest(Url("http://127.0.0.1:8086"), "telemetry", "rp_four_weeks",
                    "cpu v=1 1\n", &request);
  EXPECT_EQ(request,
            "POST /write?db=telemetry&rp=rp_four_weeks&precision=ns HTTP/1.1\r\n"
            "Host: 127.0.0.1:8086\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 10\r\n"
            "\r\n"
            "cpu v=1 1\n");
}

TEST(InfluxWriteTest, EscapesTheQueryAndSendsBasicAuth) {
  std::string request;
  // "Aladdin:open sesame" is RFC 7617's example.
  BuildWriteRequest(Url("http://Aladdin:open%20sesame@[::1]:9/x"), "my db&x", "", "", &request);
  EXPECT_EQ(request,
            "POST /write?db=my%20db%26x&precision=ns HTTP/1.1\r\n"
            "Host: [::1]:9\r\n"
            "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "Content-Length: 0\r\n"
            "\r\n");
}

TEST(InfluxWriteTest, Base64PadsEveryLength) {
  // user "a" with passwords of lengths making 3, 4 and 5 bytes of user info.
  for (auto [url, expected] : {std::pair{"http://a:b@h", "YTpi"}, std::pair{"http://a:bc@h", "YTpiYw=="},
                               std::pair{"http://a:bcd@h", "YTpiY2Q="}}) {
    std::string request;
    BuildWriteRequest(Url(url), "d", "", "", &request);
    EXPECT_NE(request.find(std::string("Basic ") + expected + "\r\n"), std::string::npos) << request;
  }
}

TEST(InfluxWriteTest, ClassifiesInfluxDbsAnswers) {
  EXPECT_EQ(ClassifyWriteAnswer(Answer(204)).outcome, WriteOutcome::kDelivered);
  WriteVerdict partial = ClassifyWriteAnswer(
      Answer(400, "{\"error\":\"partial write: field type conflict dropped=1\"}\n"));
  EXPECT_EQ(partial.outcome, WriteOutcome::kRejected);
  EXPECT_EQ(partial.error, "partial write: field type conflict dropped=1");
  EXPECT_EQ(ClassifyWriteAnswer(Answer(404, "{\"error\":\"database not found: \\\"x\\\"\"}")).outcome,
            WriteOutcome::kDatabaseNotFound);
  EXPECT_EQ(ClassifyWriteAnswer(Answer(404, "not found")).outcome, WriteOutcome::kRetry);
  EXPECT_EQ(ClassifyWriteAnswer(Answer(401)).outcome, WriteOutcome::kUnauthorized);
  EXPECT_EQ(ClassifyWriteAnswer(Answer(403)).outcome, WriteOutcome::kUnauthorized);
  EXPECT_EQ(ClassifyWriteAnswer(Answer(413)).outcome, WriteOutcome::kTooLarge);
  EXPECT_EQ(ClassifyWriteAnswer(Answer(500)).outcome, WriteOutcome::kRetry);
  EXPECT_EQ(ClassifyWriteAnswer(Answer(503)).outcome, WriteOutcome::kRetry);
}

TEST(InfluxWriteTest, ReadsRetryAfterInSeconds) {
  WriteVerdict v = ClassifyWriteAnswer(Answer(429, "", {{"retry-after", "2"}}));
  EXPECT_EQ(v.outcome, WriteOutcome::kRetry);
  ASSERT_TRUE(v.retry_after.has_value());
  EXPECT_EQ(*v.retry_after, std::chrono::seconds(2));
  EXPECT_FALSE(ClassifyWriteAnswer(Answer(503, "", {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}}))
                   .retry_after.has_value());
  EXPECT_FALSE(ClassifyWriteAnswer(Answer(503, "", {{"Retry-After", "-1"}})).retry_after.has_value());
}

TEST(InfluxWriteTest, ToleratesBodiesThatAreNotInfluxDbsJson) {
  EXPECT_EQ(ClassifyWriteAnswer(Answer(500, "<html>bad gateway</html>")).error, "");
  EXPECT_EQ(ClassifyWriteAnswer(Answer(400, "{\"error\":3}")).error, "");
}

TEST(InfluxWriteTest, BuildsTheCreateDatabaseRequestWithTheNameQuoted) {
  std::string request;
  BuildCreateDatabaseRequest(Url("http://u:p@127.0.0.1:8086"), "tele\"me\\try", &request);
  // q=CREATE DATABASE "tele\"me\\try", form-encoded.
  std::string form = "q=CREATE%20DATABASE%20%22tele%5C%22me%5C%5Ctry%22";
  EXPECT_EQ(request,
            "POST /query HTTP/1.1\r\n"
            "Host: 127.0.0.1:8086\r\n"
            "Authorization: Basic dTpw\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: " +
                std::to_string(form.size()) + "\r\n\r\n" + form);
}

TEST(InfluxWriteTest, AQueryIsDoneOnlyWhenEveryStatementSucceeded) {
  EXPECT_EQ(ClassifyQueryAnswer(Answer(200, R"({"results":[{"statement_id":0}]})")).outcome,
            WriteOutcome::kDelivered);
  WriteVerdict failed =
      ClassifyQueryAnswer(Answer(200, R"({"results":[{"statement_id":0,"error":"boom"}]})"));
  EXPECT_EQ(failed.outcome, WriteOutcome::kRetry);
  EXPECT_EQ(failed.error, "boom");
  EXPECT_EQ(ClassifyQueryAnswer(Answer(200, "not json")).outcome, WriteOutcome::kRetry);
  EXPECT_EQ(ClassifyQueryAnswer(Answer(401, R"({"error":"authorization failed"})")).outcome,
            WriteOutcome::kUnauthorized);
  EXPECT_EQ(ClassifyQueryAnswer(Answer(400, R"({"error":"bad"})")).outcome,
            WriteOutcome::kRetry);
  EXPECT_EQ(ClassifyQueryAnswer(Answer(500)).outcome, WriteOutcome::kRetry);
}

// The README shows the delivery table as the code declares it.
TEST(InfluxWriteTest, ReadmeShowsEveryRowOfTheDeliveryTable) {
  std::ifstream file(INFLOW_SOURCE_DIR "/README.md");
  std::stringstream readme;
  readme << file.rdbuf();
  for (const DeliveryRule& rule : DeliveryRules()) {
    std::string row = "| " + std::string(rule.answer) + " | " + std::string(rule.action) + " |\n";
    EXPECT_NE(readme.str().find(row), std::string::npos)
        << "README.md's delivery table lacks the row\n" << row;
  }
}

// Each row of the table decides the answers it names, and the catch-all
// row the rest.
TEST(InfluxWriteTest, ClassifiesEachAnswerAsTheDeliveryTableSays) {
  struct Case {
    int status;
    const char* body;
    WriteOutcome outcome;
  };
  const Case cases[] = {
      {200, "", WriteOutcome::kDelivered},
      {204, "", WriteOutcome::kDelivered},
      {400, R"({"error":"partial write: field type conflict: dropped=1"})",
       WriteOutcome::kRejected},
      {404, R"({"error":"database not found: \"x\""})", WriteOutcome::kDatabaseNotFound},
      {404, "404 page not found", WriteOutcome::kRetry},
      {401, R"({"error":"authorization failed"})", WriteOutcome::kUnauthorized},
      {402, "", WriteOutcome::kRetry},
      {403, "", WriteOutcome::kUnauthorized},
      {413, "", WriteOutcome::kTooLarge},
      {429, "", WriteOutcome::kRetry},
      {500, R"({"error":"engine: timeout"})", WriteOutcome::kRetry},
      {503, "", WriteOutcome::kRetry},
      {302, "", WriteOutcome::kRetry},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyWriteAnswer(Answer(c.status, c.body)).outcome, c.outcome)
        << "HTTP " << c.status << " " << c.body;
  }
}

}  // namespace
}  // namespace inflow::daemon
