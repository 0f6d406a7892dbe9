// The HTTP listener's pure half: requests fed as bytes split anywhere, query
// strings, and the exact bytes of the answers.

#include "listeners/http/http_request.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "inflow/http_response_parser.h"

namespace inflow::daemon {
namespace {

using Result = HttpRequestParser::Result;
using Params = std::vector<std::pair<std::string, std::string>>;

// As the influx CLI and client libraries send a write.
constexpr std::string_view kWrite =
    "POST /write?db=telemetry&rp=autogen&precision=s HTTP/1.1\r\n"
    "Host: localhost:8086\r\n"
    "User-Agent: telegraf\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 33\r\n"
    "\r\n"
    "cpu,host=a usage=0.5 1700000000\n"
    "\n";

constexpr std::string_view kPing = "GET /ping HTTP/1.1\r\nHost: localhost:8086\r\n\r\n";

constexpr std::string_view kChunkedWrite =
    "POST /write?db=telemetry HTTP/1.1\r\n"
    "Host: localhost:8086\r\n"
    "Transfer-Encoding: chunked\r\n"
    "\r\n"
    "b\r\ncpu value=1\r\n"
    "1;ext=yes\r\n\n\r\n"
    "b\r\ncpu value=2\r\n"
    "0\r\n"
    "X-Checksum: 1234\r\n"
    "\r\n";

// Feeds `data` whole and expects a complete request that used all of it.
HttpRequest ParseWhole(std::string_view data) {
  HttpRequestParser parser;
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed(data, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(consumed, data.size());
  return parser.request();
}

// Feeds `data` and expects an error; returns the parser to inspect it.
void ExpectError(HttpRequestParser* parser, std::string_view data, int status) {
  size_t consumed = 0;
  EXPECT_EQ(parser->Feed(data, &consumed), Result::kError) << data;
  EXPECT_EQ(parser->error_status(), status) << parser->error();
  EXPECT_FALSE(parser->error().empty());
}

TEST(HttpRequestParserTest, ParsesAWrite) {
  HttpRequest r = ParseWhole(kWrite);
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.target, "/write?db=telemetry&rp=autogen&precision=s");
  EXPECT_EQ(r.path, "/write");
  EXPECT_EQ(r.query, "db=telemetry&rp=autogen&precision=s");
  ASSERT_EQ(r.headers.size(), 4u);
  EXPECT_EQ(r.headers[0], std::make_pair(std::string("Host"), std::string("localhost:8086")));
  EXPECT_EQ(r.headers[3], std::make_pair(std::string("Content-Length"), std::string("33")));
  EXPECT_EQ(r.Header("content-type").value_or(""), "text/plain; charset=utf-8");
  EXPECT_FALSE(r.Header("Authorization").has_value());
  EXPECT_EQ(r.body, "cpu,host=a usage=0.5 1700000000\n\n");
  EXPECT_TRUE(r.keep_alive);
}

TEST(HttpRequestParserTest, ParsesAPing) {
  HttpRequest r = ParseWhole(kPing);
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/ping");
  EXPECT_EQ(r.query, "");
  EXPECT_EQ(r.body, "");
  EXPECT_TRUE(r.keep_alive);
}

TEST(HttpRequestParserTest, DechunksABodyAndDropsTrailers) {
  HttpRequest r = ParseWhole(kChunkedWrite);
  EXPECT_EQ(r.body, "cpu value=1\ncpu value=2");
  EXPECT_EQ(r.headers.size(), 2u);
  EXPECT_FALSE(r.Header("X-Checksum").has_value());
}

TEST(HttpRequestParserTest, SameRequestWhateverTheSplit) {
  for (std::string_view data : {kWrite, kPing, kChunkedWrite}) {
    const HttpRequest whole = ParseWhole(data);
    for (size_t split = 0; split <= data.size(); ++split) {
      HttpRequestParser parser;
      size_t consumed = 0;
      Result first = parser.Feed(data.substr(0, split), &consumed);
      if (first == Result::kComplete) {
        EXPECT_EQ(split, data.size());
        EXPECT_EQ(consumed, split);
      } else {
        ASSERT_EQ(first, Result::kNeedMore) << parser.error();
        EXPECT_EQ(consumed, split);
        ASSERT_EQ(parser.Feed(data.substr(split), &consumed), Result::kComplete)
            << "split at " << split << ": " << parser.error();
        EXPECT_EQ(consumed, data.size() - split);
      }
      const HttpRequest& r = parser.request();
      EXPECT_EQ(r.method, whole.method) << "split at " << split;
      EXPECT_EQ(r.target, whole.target) << "split at " << split;
      EXPECT_EQ(r.headers, whole.headers) << "split at " << split;
      EXPECT_EQ(r.body, whole.body) << "split at " << split;
      EXPECT_EQ(r.keep_alive, whole.keep_alive) << "split at " << split;
    }
  }
}

TEST(HttpRequestParserTest, SameRequestFedOneByteAtATime) {
  for (std::string_view data : {kWrite, kPing, kChunkedWrite}) {
    HttpRequestParser parser;
    size_t consumed = 0;
    for (size_t i = 0; i + 1 < data.size(); ++i) {
      ASSERT_EQ(parser.Feed(data.substr(i, 1), &consumed), Result::kNeedMore) << parser.error();
      EXPECT_EQ(consumed, 1u);
    }
    ASSERT_EQ(parser.Feed(data.substr(data.size() - 1), &consumed), Result::kComplete);
    EXPECT_EQ(parser.request().headers, ParseWhole(data).headers);
    EXPECT_EQ(parser.request().body, ParseWhole(data).body);
  }
}

TEST(HttpRequestParserTest, ReturnsPipelinedRequestsOneAtATime) {
  std::string three = std::string(kWrite) + std::string(kPing) + std::string(kChunkedWrite);
  std::string_view rest = three;
  HttpRequestParser parser;
  size_t consumed = 0;

  ASSERT_EQ(parser.Feed(rest, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(consumed, kWrite.size());
  EXPECT_EQ(parser.request().path, "/write");
  // Until Reset, the parser holds the request and takes nothing more.
  size_t again = 99;
  EXPECT_EQ(parser.Feed(rest.substr(consumed), &again), Result::kComplete);
  EXPECT_EQ(again, 0u);
  EXPECT_EQ(parser.request().path, "/write");

  rest.remove_prefix(consumed);
  parser.Reset();
  ASSERT_EQ(parser.Feed(rest, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(consumed, kPing.size());
  EXPECT_EQ(parser.request().path, "/ping");
  EXPECT_EQ(parser.request().body, "");

  rest.remove_prefix(consumed);
  parser.Reset();
  ASSERT_EQ(parser.Feed(rest, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(consumed, rest.size());
  EXPECT_EQ(parser.request().body, "cpu value=1\ncpu value=2");
}

TEST(HttpRequestParserTest, KeepAliveFollowsTheVersionAndConnection) {
  EXPECT_TRUE(ParseWhole("GET /ping HTTP/1.1\r\n\r\n").keep_alive);
  EXPECT_FALSE(ParseWhole("GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(ParseWhole("GET /ping HTTP/1.1\r\nconnection: Close\r\n\r\n").keep_alive);
  EXPECT_FALSE(ParseWhole("GET /ping HTTP/1.0\r\n\r\n").keep_alive);
  EXPECT_TRUE(ParseWhole("GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
  HttpRequest post = ParseWhole("POST /write?db=x HTTP/1.0\r\nContent-Length: 3\r\n\r\na 1");
  EXPECT_FALSE(post.keep_alive);
  EXPECT_EQ(post.body, "a 1");
}

TEST(HttpRequestParserTest, UpgradeRequestsAreOrdinaryRequests) {
  // inflowd speaks no other protocol: it answers these like any request,
  // and a non-101 answer keeps the connection in HTTP/1.1.
  std::string two =
      "GET /ping HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
      "CONNECT db.example:8086 HTTP/1.1\r\n\r\n"
      "GET /ping HTTP/1.1\r\n\r\n";
  std::string_view rest = two;
  HttpRequestParser parser;
  size_t consumed = 0;
  for (std::string_view method : {"GET", "CONNECT", "GET"}) {
    ASSERT_EQ(parser.Feed(rest, &consumed), Result::kComplete) << parser.error();
    EXPECT_EQ(parser.request().method, method);
    EXPECT_TRUE(parser.request().keep_alive);
    rest.remove_prefix(consumed);
    parser.Reset();
  }
  EXPECT_TRUE(rest.empty());
}

TEST(HttpRequestParserTest, SplitsTheTarget) {
  HttpRequest r = ParseWhole("GET /query HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.path, "/query");
  EXPECT_EQ(r.query, "");

  r = ParseWhole("GET /query? HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.path, "/query");
  EXPECT_EQ(r.query, "");

  r = ParseWhole("POST /write?db=a%20b&q=x?y HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.path, "/write");
  EXPECT_EQ(r.query, "db=a%20b&q=x?y");  // raw, split at the first '?'

  r = ParseWhole("POST http://db.example:8086/write?db=x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.target, "http://db.example:8086/write?db=x");
  EXPECT_EQ(r.path, "/write");
  EXPECT_EQ(r.query, "db=x");

  r = ParseWhole("GET http://db.example:8086?db=x HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.path, "/");
  EXPECT_EQ(r.query, "db=x");

  r = ParseWhole("OPTIONS * HTTP/1.1\r\n\r\n");
  EXPECT_EQ(r.method, "OPTIONS");
  EXPECT_EQ(r.path, "*");
}

TEST(HttpRequestParserTest, TrimsWhitespaceAroundHeaderValues) {
  HttpRequest r = ParseWhole("GET /ping HTTP/1.1\r\nX-A:   padded \t \r\nX-B:\r\n\r\n");
  EXPECT_EQ(r.Header("X-A").value_or("?"), "padded");
  EXPECT_EQ(r.Header("X-B").value_or("?"), "");
}

TEST(HttpRequestParserTest, AcceptsABodyExactlyAtTheLimit) {
  HttpRequestParser parser(1024, 33);
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(kWrite, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(parser.request().body.size(), 33u);

  HttpRequestParser chunked(1024, 23);
  ASSERT_EQ(chunked.Feed(kChunkedWrite, &consumed), Result::kComplete) << chunked.error();
}

TEST(HttpRequestParserTest, Refuses413FromContentLengthBeforeTheBody) {
  HttpRequestParser parser(1024, 32);
  std::string_view head = kWrite.substr(0, kWrite.find("\r\n\r\n") + 4);
  ExpectError(&parser, head, 413);
  EXPECT_EQ(parser.error(), "request body longer than 32 bytes (Content-Length: 33)");
  EXPECT_FALSE(parser.ExpectsContinue());

  // A length too large for any buffer is refused the same way.
  HttpRequestParser huge;
  ExpectError(&huge, "POST /write HTTP/1.1\r\nContent-Length: 18446744073709551615\r\n\r\n", 413);
}

TEST(HttpRequestParserTest, Refuses413AsAChunkedBodyGrows) {
  HttpRequestParser parser(1024, 15);
  std::string_view head = kChunkedWrite.substr(0, kChunkedWrite.find("\r\n\r\n") + 4);
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(head, &consumed), Result::kNeedMore);
  ASSERT_EQ(parser.Feed("b\r\ncpu value=1\r\n1\r\n\n\r\n", &consumed), Result::kNeedMore);
  // The next chunk's size line alone takes the body over: no byte of it is needed.
  ExpectError(&parser, "b\r\n", 413);
  EXPECT_EQ(parser.error(), "request body longer than 15 bytes");
}

TEST(HttpRequestParserTest, Refuses431ForLongHeaders) {
  HttpRequestParser parser(32, 1024);
  ExpectError(&parser, kWrite, 431);
  EXPECT_EQ(parser.error(), "request headers longer than 32 bytes");

  // Also when a value arrives a few bytes at a time, and for a long target.
  HttpRequestParser slow(64, 1024);
  size_t consumed = 0;
  ASSERT_EQ(slow.Feed("GET /ping HTTP/1.1\r\nCookie: ", &consumed), Result::kNeedMore);
  Result result = Result::kNeedMore;
  for (int i = 0; i < 100 && result == Result::kNeedMore; ++i)
    result = slow.Feed("xxxx", &consumed);
  EXPECT_EQ(result, Result::kError);
  EXPECT_EQ(slow.error_status(), 431);

  HttpRequestParser long_target(64, 1024);
  ExpectError(&long_target, "GET /write?db=" + std::string(100, 'x') + " HTTP/1.1\r\n\r\n", 431);
}

TEST(HttpRequestParserTest, GarbageIs400UntilReset) {
  HttpRequestParser parser;
  ExpectError(&parser, "SSH-2.0-OpenSSH_9.2\r\n", 400);
  EXPECT_EQ(parser.error().rfind("malformed HTTP request at byte 1: HPE_INVALID_METHOD", 0), 0u)
      << parser.error();
  size_t consumed = 0;
  EXPECT_EQ(parser.Feed(kPing, &consumed), Result::kError);
  EXPECT_EQ(consumed, 0u);
  parser.Reset();
  EXPECT_EQ(parser.error_status(), 0);
  ASSERT_EQ(parser.Feed(kPing, &consumed), Result::kComplete) << parser.error();
  EXPECT_EQ(parser.request().path, "/ping");
}

TEST(HttpRequestParserTest, ErrorNamesTheByteAcrossFeeds) {
  HttpRequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed("GET /ping HTTP/1.1\r\n", &consumed), Result::kNeedMore);
  // A control character in a value: byte 24 of the request.
  ExpectError(&parser, "X: a\x01b\r\n\r\n", 400);
  EXPECT_EQ(
      parser.error(),
      "malformed HTTP request at byte 24: HPE_INVALID_HEADER_TOKEN: Invalid header value char");
}

TEST(HttpRequestParserTest, RefusesHeaderNamesThatAreNotTokens) {
  // Debian's llhttp is lenient here; Go, and so InfluxDB, is not.
  HttpRequestParser parser;
  ExpectError(&parser, "GET /ping HTTP/1.1\r\nBad Header: x\r\n\r\n", 400);
  EXPECT_EQ(parser.error(), "malformed HTTP request: header name \"Bad Header\" is not a token");
  HttpRequestParser space_before_colon;
  ExpectError(&space_before_colon, "GET /ping HTTP/1.1\r\nX-Id : 7\r\n\r\n", 400);
  EXPECT_EQ(space_before_colon.error(),
            "malformed HTTP request: header name \"X-Id \" is not a token");
  // llhttp itself refuses this one, which matters most.
  HttpRequestParser smuggler;
  ExpectError(&smuggler, "POST /write HTTP/1.1\r\nContent-Length : 5\r\n\r\nhello", 400);
}

TEST(HttpRequestParserTest, RefusesHttp09) {
  HttpRequestParser parser;
  ExpectError(&parser, "GET /ping\r\n\r\n", 400);
  EXPECT_EQ(parser.error(), "malformed HTTP request: no HTTP/1.x version in the request line");
}

TEST(HttpRequestParserTest, MalformedFramingIs400) {
  for (std::string_view bad : {
           "POST /write HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
           "POST /write HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n",
           "POST /write HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
           "POST /write HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
           "POST /write HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
           "GET /ping HTTP/9.9\r\n\r\n",
           "GET /pi ng HTTP/1.1\r\n\r\n",
       }) {
    HttpRequestParser parser;
    ExpectError(&parser, bad, 400);
    EXPECT_EQ(parser.error().rfind("malformed HTTP request at byte ", 0), 0u) << parser.error();
  }
}

TEST(HttpRequestParserTest, EmptyFeedNeedsMore) {
  HttpRequestParser parser;
  size_t consumed = 99;
  EXPECT_EQ(parser.Feed("", &consumed), Result::kNeedMore);
  EXPECT_EQ(consumed, 0u);
}

TEST(HttpRequestParserTest, ExpectsContinueOnceTheHeadersAreIn) {
  constexpr std::string_view kHead =
      "POST /write?db=x HTTP/1.1\r\nContent-Length: 9\r\nExpect: 100-Continue\r\n";
  HttpRequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(kHead, &consumed), Result::kNeedMore);
  EXPECT_FALSE(parser.ExpectsContinue());  // more headers may follow
  ASSERT_EQ(parser.Feed("\r\n", &consumed), Result::kNeedMore);
  EXPECT_TRUE(parser.ExpectsContinue());
  ASSERT_EQ(parser.Feed("cpu v=1\n\n", &consumed), Result::kComplete);
  EXPECT_EQ(parser.request().body, "cpu v=1\n\n");
  parser.Reset();
  EXPECT_FALSE(parser.ExpectsContinue());

  // Chunked bodies are waited for too.
  ASSERT_EQ(parser.Feed("POST /write HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                        "Expect: 100-continue\r\n\r\n",
                        &consumed),
            Result::kNeedMore);
  EXPECT_TRUE(parser.ExpectsContinue());
}

TEST(HttpRequestParserTest, ExpectsNoContinueWithoutABodyOrBeforeHttp11) {
  HttpRequestParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed("POST /write HTTP/1.1\r\nExpect: 100-continue\r\n\r\n", &consumed),
            Result::kComplete);
  EXPECT_FALSE(parser.ExpectsContinue());

  parser.Reset();
  ASSERT_EQ(parser.Feed("POST /write HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n",
                        &consumed),
            Result::kNeedMore);
  EXPECT_FALSE(parser.ExpectsContinue());

  parser.Reset();
  ASSERT_EQ(parser.Feed("POST /write HTTP/1.1\r\nContent-Length: 1\r\nExpect: something\r\n\r\n",
                        &consumed),
            Result::kNeedMore);
  EXPECT_FALSE(parser.ExpectsContinue());

  // Told no before the body is sent, instead of told to go on.
  HttpRequestParser small(1024, 4);
  ExpectError(&small, "POST /write HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n",
              413);
  EXPECT_FALSE(small.ExpectsContinue());
}

// --- Query strings -----------------------------------------------------------

Params Query(std::string_view query) {
  Params params;
  Status status = ParseQueryString(query, &params);
  EXPECT_TRUE(status.ok()) << status.message();
  return params;
}

TEST(QueryStringTest, ParsesPairsInOrder) {
  EXPECT_EQ(Query("db=telemetry&rp=autogen&precision=ms"),
            (Params{{"db", "telemetry"}, {"rp", "autogen"}, {"precision", "ms"}}));
  EXPECT_EQ(Query(""), Params{});
}

TEST(QueryStringTest, KeepsRepeatedKeysAndQueryValueTakesTheFirst) {
  Params params = Query("db=a&db=b&u=");
  EXPECT_EQ(params, (Params{{"db", "a"}, {"db", "b"}, {"u", ""}}));
  EXPECT_EQ(QueryValue(params, "db").value_or("?"), "a");
  EXPECT_EQ(QueryValue(params, "u").value_or("?"), "");
  EXPECT_FALSE(QueryValue(params, "rp").has_value());
  EXPECT_FALSE(QueryValue(params, "DB").has_value());  // keys are compared exactly
}

TEST(QueryStringTest, KeyWithoutEqualsGetsAnEmptyValue) {
  EXPECT_EQ(Query("pretty&db=x"), (Params{{"pretty", ""}, {"db", "x"}}));
  EXPECT_EQ(Query("=v"), (Params{{"", "v"}}));
  EXPECT_EQ(Query("a=b=c"), (Params{{"a", "b=c"}}));
}

TEST(QueryStringTest, SkipsEmptyPieces) {
  EXPECT_EQ(Query("a&&b"), (Params{{"a", ""}, {"b", ""}}));
  EXPECT_EQ(Query("&db=x&"), (Params{{"db", "x"}}));
  EXPECT_EQ(Query("&&&"), Params{});
}

TEST(QueryStringTest, DecodesPlusAndEscapes) {
  EXPECT_EQ(Query("a+b=c%20d%2B"), (Params{{"a b", "c d+"}}));
  EXPECT_EQ(Query("db=caf%C3%a9"), (Params{{"db", "caf\xC3\xA9"}}));
  EXPECT_EQ(Query("k=%00%26%3D"), (Params{{"k", std::string("\0&=", 3)}}));
  EXPECT_EQ(Query("q=SELECT+*+FROM+%22cpu%22"), (Params{{"q", "SELECT * FROM \"cpu\""}}));
}

TEST(QueryStringTest, SemicolonIsAnOrdinaryCharacter) {
  EXPECT_EQ(Query("a;b=c"), (Params{{"a;b", "c"}}));
}

TEST(QueryStringTest, BadEscapeIsAnErrorNamingItAndItsOffset) {
  struct Case {
    std::string_view query;
    std::string_view message;
  };
  for (const Case& c : {
           Case{"db=%zz", "bad escape \"%zz\" at offset 3 in query string"},
           Case{"db=x&rp=%4", "bad escape \"%4\" at offset 8 in query string"},
           Case{"db=x%", "bad escape \"%\" at offset 4 in query string"},
           Case{"k%=v", "bad escape \"%\" at offset 1 in query string"},
           Case{"a=1&b=%g1&c=3", "bad escape \"%g1\" at offset 6 in query string"},
           Case{"a=%4&b", "bad escape \"%4\" at offset 2 in query string"},
       }) {
    Params params = {{"stale", "pair"}};
    Status status = ParseQueryString(c.query, &params);
    ASSERT_FALSE(status.ok()) << c.query;
    EXPECT_EQ(status.message(), c.message);
    EXPECT_TRUE(params.empty()) << c.query;
  }
}

// --- Answers -----------------------------------------------------------------

std::string Response(int status, std::string_view content_type, std::string_view body,
                     bool keep_alive,
                     const std::vector<std::pair<std::string_view, std::string_view>>& extra = {}) {
  std::string out;
  AppendHttpResponse(status, content_type, body, keep_alive, extra, &out);
  return out;
}

TEST(HttpResponseWriterTest, WritesNoContentWithoutLength) {
  EXPECT_EQ(Response(204, "application/json", "", true,
                     {{"X-Influxdb-Build", "OSS"}, {"X-Influxdb-Version", "1.6.7"}}),
            "HTTP/1.1 204 No Content\r\n"
            "X-Influxdb-Build: OSS\r\n"
            "X-Influxdb-Version: 1.6.7\r\n"
            "\r\n");
}

TEST(HttpResponseWriterTest, WritesAnErrorWithBodyAndClose) {
  EXPECT_EQ(Response(400, "application/json", "{\"error\":\"bad\"}\n", false,
                     {{"X-Influxdb-Error", "bad"}}),
            "HTTP/1.1 400 Bad Request\r\n"
            "Content-Length: 16\r\n"
            "Content-Type: application/json\r\n"
            "Connection: close\r\n"
            "X-Influxdb-Error: bad\r\n"
            "\r\n"
            "{\"error\":\"bad\"}\n");
}

TEST(HttpResponseWriterTest, WritesZeroLengthForAnEmptyBody) {
  EXPECT_EQ(Response(404, "text/plain", "", true),
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(Response(200, "text/plain", "", false),
            "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

TEST(HttpResponseWriterTest, WritesContinue) {
  EXPECT_EQ(Response(100, "", "", true), "HTTP/1.1 100 Continue\r\n\r\n");
}

TEST(HttpResponseWriterTest, UsesGoReasonPhrases) {
  struct Case {
    int status;
    std::string_view line;
  };
  for (const Case& c : {
           Case{405, "HTTP/1.1 405 Method Not Allowed\r\n"},
           Case{413, "HTTP/1.1 413 Request Entity Too Large\r\n"},
           Case{414, "HTTP/1.1 414 Request URI Too Long\r\n"},
           Case{429, "HTTP/1.1 429 Too Many Requests\r\n"},
           Case{431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
           Case{500, "HTTP/1.1 500 Internal Server Error\r\n"},
           Case{503, "HTTP/1.1 503 Service Unavailable\r\n"},
           Case{599, "HTTP/1.1 599 status code 599\r\n"},
       }) {
    EXPECT_EQ(Response(c.status, "", "", true).rfind(c.line, 0), 0u) << c.status;
  }
}

TEST(HttpResponseWriterTest, TurnsLineBreaksInValuesIntoSpaces) {
  EXPECT_EQ(Response(204, "", "", true, {{"X-Influxdb-Error", "a\r\nSet-Cookie: x\nb"}}),
            "HTTP/1.1 204 No Content\r\nX-Influxdb-Error: a  Set-Cookie: x b\r\n\r\n");
}

TEST(HttpResponseWriterTest, AppendsToWhatIsThere) {
  std::string out = "HTTP/1.1 100 Continue\r\n\r\n";
  AppendHttpResponse(204, "", "", true, {}, &out);
  EXPECT_EQ(out, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
}

TEST(HttpResponseWriterTest, ParsesBackAsSent) {
  std::string out;
  AppendHttpResponse(503, "application/json", "{\"error\":\"busy\"}\n", true,
                     {{"Retry-After", "5"}}, &out);
  AppendHttpResponse(204, "", "", false, {}, &out);
  HttpResponseParser parser;
  size_t consumed = 0;
  ASSERT_EQ(parser.Feed(out, &consumed), HttpResponseParser::Result::kComplete) << parser.error();
  EXPECT_EQ(parser.response().status, 503);
  EXPECT_EQ(parser.response().body, "{\"error\":\"busy\"}\n");
  EXPECT_EQ(parser.response().Header("Retry-After").value_or(""), "5");
  EXPECT_TRUE(parser.response().keep_alive);
  parser.Reset();
  ASSERT_EQ(parser.Feed(std::string_view(out).substr(consumed), &consumed),
            HttpResponseParser::Result::kComplete);
  EXPECT_EQ(parser.response().status, 204);
  EXPECT_FALSE(parser.response().keep_alive);
}

// --- InfluxDB's error body -----------------------------------------------------
//
// The expectations are what Go 1.19's json.Marshal gave for the same strings.

// The expected body: `json` and the newline after it.
std::string Line(std::string_view json) { return std::string(json) + "\n"; }

std::string ErrorBody(std::string_view message) {
  std::string out;
  AppendInfluxErrorBody(message, &out);
  return out;
}

TEST(InfluxErrorBodyTest, WrapsThePlainMessage) {
  EXPECT_EQ(ErrorBody("database not found: \"x\""),
            "{\"error\":\"database not found: \\\"x\\\"\"}\n");
  EXPECT_EQ(ErrorBody(""), "{\"error\":\"\"}\n");
  EXPECT_EQ(ErrorBody("a/b 'c' ~!@#$%^*()"), "{\"error\":\"a/b 'c' ~!@#$%^*()\"}\n");
}

TEST(InfluxErrorBodyTest, EscapesQuoteAndBackslash) {
  EXPECT_EQ(ErrorBody("say \"hi\""), Line(R"({"error":"say \"hi\""})"));
  EXPECT_EQ(ErrorBody("back\\slash"), Line(R"({"error":"back\\slash"})"));
}

TEST(InfluxErrorBodyTest, EscapesControlBytes) {
  EXPECT_EQ(ErrorBody("a\nb\rc\td"), Line(R"({"error":"a\nb\rc\td"})"));
  EXPECT_EQ(ErrorBody("\b\f"), Line(R"({"error":"\u0008\u000c"})"));
  EXPECT_EQ(ErrorBody(std::string_view("\x00\x01\x1f\x1a\x7f", 5)),
            "{\"error\":\"\\u0000\\u0001\\u001f\\u001a\x7f\"}\n");
  EXPECT_EQ(ErrorBody(std::string_view("unable to parse 'cpu value=1i\0': bad timestamp", 46)),
            Line(R"({"error":"unable to parse 'cpu value=1i\u0000': bad timestamp"})"));
}

TEST(InfluxErrorBodyTest, EscapesHtmlCharacters) {
  EXPECT_EQ(ErrorBody("<a> & b"), Line(R"({"error":"\u003ca\u003e \u0026 b"})"));
}

TEST(InfluxErrorBodyTest, EscapesLineAndParagraphSeparators) {
  EXPECT_EQ(ErrorBody("\u2028\u2029"), Line(R"({"error":"\u2028\u2029"})"));
  // U+2027, one below, is copied.
  EXPECT_EQ(ErrorBody("\u2028x\u2027"), "{\"error\":\"\\u2028x\u2027\"}\n");
}

TEST(InfluxErrorBodyTest, KeepsValidMultiByteUtf8) {
  for (std::string_view s : {"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "\xC2\x80", "\xDF\xBF",
                             "\xEF\xBF\xBD", "\xEF\xBB\xBF", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(ErrorBody(s), "{\"error\":\"" + std::string(s) + "\"}\n");
  }
}

TEST(InfluxErrorBodyTest, ReplacesEachInvalidByte) {
  struct Case {
    std::string_view message;
    std::string_view body;
  };
  for (const Case& c : {
           Case{"\xFF", R"({"error":"\ufffd"})"},
           Case{"\xC3", R"({"error":"\ufffd"})"},                                // cut short
           Case{"\xE2\x82", R"({"error":"\ufffd\ufffd"})"},                      // cut short
           Case{"\xE2\x82x", R"({"error":"\ufffd\ufffdx"})"},                    // cut short
           Case{"\xF0\x90\x80", R"({"error":"\ufffd\ufffd\ufffd"})"},            // cut short
           Case{"\xC0\xAF", R"({"error":"\ufffd\ufffd"})"},                      // overlong
           Case{"\xE0\x80\xAF", R"({"error":"\ufffd\ufffd\ufffd"})"},            // overlong
           Case{"\xED\xA0\x80", R"({"error":"\ufffd\ufffd\ufffd"})"},            // surrogate
           Case{"\xF4\x90\x80\x80", R"({"error":"\ufffd\ufffd\ufffd\ufffd"})"},  // > U+10FFFF
           Case{"\xF5\x80\x80\x80", R"({"error":"\ufffd\ufffd\ufffd\ufffd"})"},  // never valid
           Case{"\x80\xBF", R"({"error":"\ufffd\ufffd"})"},                      // stray
           Case{"ok\xE9t\xC3\xA9", "{\"error\":\"ok\\ufffdt\xC3\xA9\"}"},        // Latin-1
       }) {
    EXPECT_EQ(ErrorBody(c.message), std::string(c.body) + "\n");
  }
}

TEST(InfluxErrorBodyTest, AppendsToWhatIsThere) {
  std::string out = "x";
  AppendInfluxErrorBody("y", &out);
  EXPECT_EQ(out, "x{\"error\":\"y\"}\n");
}

}  // namespace
}  // namespace inflow::daemon
