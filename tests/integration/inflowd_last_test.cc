// inflowd's GET /last: points written through its HTTP /write reach the
// last-value cache in Redis, and GET /last on the same listener answers
// their last values, one JSON object per series and line; bad queries,
// nothing matching, the cache off and Redis down each get their answer,
// and a client's requests pipelined after a GET /last are answered in
// order. Real InfluxDB, real Redis, the real inflowd binary.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/http_response_parser.h"
#include "inflowd_fixture.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/redis_server.h"
#include "support/tcp_connection.h"

namespace inflow::test {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// How long a point may take to reach the cache: a few flush intervals.
constexpr auto kCacheTimeout = 10s;

// One keep-alive connection to inflowd's HTTP listener, reading its answers
// one after the other.
class KeepAliveClient {
 public:
  explicit KeepAliveClient(Clock::time_point deadline) : connection_(deadline) {}

  Status Connect(uint16_t port) { return connection_.Connect("127.0.0.1", port); }

  Status Write(std::string_view requests) { return connection_.WriteAll(requests); }

  // The next answer on the connection.
  Status Next(::inflow::HttpResponse* response) {
    parser_.Reset();
    for (;;) {
      size_t consumed = 0;
      auto result = buffered_.empty() && !eof_ ? ::inflow::HttpResponseParser::Result::kNeedMore
                                               : parser_.Feed(buffered_, &consumed);
      buffered_.erase(0, consumed);
      if (result == ::inflow::HttpResponseParser::Result::kError) {
        return Status::Error("a malformed answer: " + parser_.error());
      }
      if (result == ::inflow::HttpResponseParser::Result::kComplete) {
        *response = parser_.response();
        return Status::Ok();
      }
      if (eof_) {
        if (parser_.Finish() == ::inflow::HttpResponseParser::Result::kComplete) {
          *response = parser_.response();
          return Status::Ok();
        }
        return Status::Error("the connection closed before the answer");
      }
      if (Status status = connection_.Read(&buffered_, &eof_); !status.ok()) return status;
    }
  }

  bool eof() const { return eof_ && buffered_.empty(); }

 private:
  TcpConnection connection_;
  ::inflow::HttpResponseParser parser_;
  std::string buffered_;
  bool eof_ = false;
};

std::string GetRequest(std::string_view target, bool close = false) {
  std::string request = "GET ";
  request.append(target);
  request.append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  if (close) request.append("Connection: close\r\n");
  request.append("\r\n");
  return request;
}

std::string DescribeAnswer(const ::inflow::HttpResponse& response) {
  std::string out = "HTTP ";
  out.append(std::to_string(response.status));
  out.append(" body ");
  out.append(response.body);
  return out;
}

// Connects to inflowd with a small receive buffer and writes `requests`,
// reading nothing; *fd is the socket.
void ConnectAndSend(uint16_t port, std::string_view requests, int* fd) {
  *fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(*fd, 0) << std::strerror(errno);
  int rcvbuf = 4096;
  ::setsockopt(*fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
  sockaddr_in address = {};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(*fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0)
      << std::strerror(errno);
  for (size_t sent = 0; sent < requests.size();) {
    ssize_t n = ::send(*fd, requests.data() + sent, requests.size() - sent, MSG_NOSIGNAL);
    ASSERT_GT(n, 0) << std::strerror(errno);
    sent += static_cast<size_t>(n);
  }
}

// Closes `fd` with a reset (SO_LINGER 0).
void Reset(int fd) {
  if (fd < 0) return;
  linger reset = {1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
  ::close(fd);
}

// The bytes received and not yet read on the loopback TCP connections
// accepted on `port` (/proc/net/tcp's rx_queue): for a stopped server, what
// its clients sent since it stopped.
uint64_t UnreadBytesAt(uint16_t port) {
  std::ifstream tcp("/proc/net/tcp");
  std::string line;
  std::getline(tcp, line);  // the heading
  uint64_t unread = 0;
  char local_port[8];
  std::snprintf(local_port, sizeof(local_port), ":%04X", port);
  while (std::getline(tcp, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues;
    fields >> slot >> local >> remote >> state >> queues;
    if (state != "01" || !local.ends_with(local_port)) continue;  // ESTABLISHED, the server's side
    const size_t colon = queues.find(':');
    if (colon == std::string::npos) continue;
    unread += std::stoull(queues.substr(colon + 1), nullptr, 16);
  }
  return unread;
}

class InflowdLastTest : public InflowdTest {
 protected:
  // The redis section of inflowd's configuration for a Redis on `port`.
  static std::string RedisSection(uint16_t port, std::string_view more = "",
                                  std::string_view timeout = "1s") {
    std::string yaml = "redis:\n  url: redis://127.0.0.1:";
    yaml.append(std::to_string(port));
    yaml.append("/0\n  flush_interval: 20ms\n  timeout: ");
    yaml.append(timeout);
    yaml.append("\n");
    yaml.append(more);
    return yaml;
  }

  // StartInflowd, with `redis` (a whole "redis:" section, or nothing: the
  // cache off) in place of the fixture's.
  void StartWithRedis(InflowdSpec spec, std::string redis) {
    spec_ = std::move(spec);
    inflowd_ = std::make_unique<InflowdProcess>();
    std::filesystem::create_directories(spool_dir());
    Status status = inflowd_->Start([this, &redis] {
      std::string yaml = ConfigYaml();
      const size_t at = yaml.find("redis:\n");
      const size_t end = yaml.find('\n', at + 7) + 1;
      yaml.replace(at, end - at, redis);
      config_yaml_ = yaml;
      return yaml;
    });
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // The suite's Redis, one HTTP listener, autogen and rp_four_weeks.
  void StartDefault(std::string_view more = "") {
    ASSERT_NO_FATAL_FAILURE(StartWithRedis(
        {.sessions = {Prompt("autogen"), Prompt(kFourWeeks)},
         .listeners = {{ListenerKind::kHttp}}},
        RedisSection(redis_->port(), more)));
  }

  uint16_t port() const { return spec_.listeners[0].port; }

  HttpResponse Get(const std::string& target) {
    HttpResponse response;
    Status status = SendHttpRequest("GET", "127.0.0.1", port(), target, "", {}, &response);
    EXPECT_TRUE(status.ok()) << target << ": " << status.message();
    return response;
  }

  // Writes `lines` through inflowd's /write, into `rp`.
  void Write(std::string_view lines, std::string_view rp = "autogen") {
    std::string target = "/write?db=" + db_ + "&rp=";
    target.append(rp);
    HttpResponse response = Post(0, target, lines);
    ASSERT_EQ(response.status, 204) << Describe(response);
  }

  // Polls GET `target` until it answers 200 with `lines` lines; returns the
  // last answer.
  HttpResponse WaitForLines(const std::string& target, size_t lines) {
    HttpResponse response;
    bool done = PollUntil(kCacheTimeout, [&] {
      response = Get(target);
      return response.status == 200 &&
             static_cast<size_t>(std::count(response.body.begin(), response.body.end(), '\n')) ==
                 lines;
    });
    EXPECT_TRUE(done) << "GET " << target << " never gave " << lines << " lines: "
                      << Describe(response);
    return response;
  }

  std::string Last(std::string_view query) {
    std::string target = "/last?";
    target.append(query);
    return target;
  }

  // The database and retention policy part of a JSON line.
  std::string Where(std::string_view rp = "autogen") const {
    std::string out = ",\"database\":\"";
    out.append(db_);
    out.append("\",\"retention_policy\":\"");
    out.append(rp);
    out.append("\"}\n");
    return out;
  }
};

std::string T(int64_t ns) { return std::to_string(ns); }


// ---------------------------------------------------------------------------

TEST_F(InflowdLastTest, AnswersTheLastValuesOfEachSeriesFilteredByTagsAndFields) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const int64_t t = RecentTime();
  ASSERT_NO_FATAL_FAILURE(Write("cpu,host=h1,region=eu usage=1i,idle=2.5 " + T(t) + "\n" +
                                "cpu,host=h2,region=us usage=5i " + T(t) + "\n" +
                                "mem,host=h1 free=10i " + T(t) + "\n"));
  // A newer point lacking idle leaves idle as it was.
  ASSERT_NO_FATAL_FAILURE(Write("cpu,host=h1,region=eu usage=3i " + T(t + 1000) + "\n"));

  // Both series, sorted by series key, each line as FormatLastValueRecord.
  const std::string h1 = "{\"measurement\":\"cpu\",\"tags\":{\"host\":\"h1\",\"region\":\"eu\"},"
                         "\"time\":" + T(t + 1000) +
                         ",\"fields\":{\"idle\":2.5,\"usage\":3},\"field_times\":{\"idle\":" +
                         T(t) + ",\"usage\":" + T(t + 1000) + "}" + Where();
  const std::string h2 = "{\"measurement\":\"cpu\",\"tags\":{\"host\":\"h2\",\"region\":\"us\"},"
                         "\"time\":" + T(t) + ",\"fields\":{\"usage\":5},\"field_times\":{"
                         "\"usage\":" + T(t) + "}" + Where();
  HttpResponse all = WaitForLines(Last("measurement=cpu"), 2);
  EXPECT_EQ(all.Header("Content-Type"), "application/x-ndjson");
  // The update of h1 may come in a later flush than h2's first values.
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] {
    all = Get(Last("measurement=cpu"));
    return all.body == h1 + h2;
  })) << Describe(all);

  HttpResponse by_tag = Get(Last("measurement=cpu&tag=host:h1"));
  EXPECT_EQ(by_tag.status, 200);
  EXPECT_EQ(by_tag.body, h1);
  HttpResponse by_tags = Get(Last("measurement=cpu&tag=region:us&tag=host:h2"));
  EXPECT_EQ(by_tags.body, h2);

  // Only idle: its own time is the record's.
  HttpResponse idle = Get(Last("measurement=cpu&field=idle"));
  EXPECT_EQ(idle.status, 200);
  EXPECT_EQ(idle.body, "{\"measurement\":\"cpu\",\"tags\":{\"host\":\"h1\",\"region\":\"eu\"},"
                       "\"time\":" + T(t) + ",\"fields\":{\"idle\":2.5},\"field_times\":{"
                       "\"idle\":" + T(t) + "}" + Where())
      << "h2 has no idle, so it is left out";

  // Percent-decoded: a tag value with a space and a comma.
  ASSERT_NO_FATAL_FAILURE(Write("disk,path=/var\\ lib\\,x used=1i " + T(t) + "\n"));
  HttpResponse escaped =
      WaitForLines(Last("measurement=disk&tag=" + UrlEncode("path:/var lib,x")), 1);
  EXPECT_NE(escaped.body.find("\"tags\":{\"path\":\"/var lib,x\"}"), std::string::npos)
      << escaped.body;

  HttpResponse none = Get(Last("measurement=cpu&tag=host:h1&tag=region:us"));
  EXPECT_EQ(none.status, 404);
  EXPECT_EQ(none.body,
            "{\"error\":\"no series found: measurement \\\"cpu\\\" with tags host:h1, region:us, "
            "in database \\\"" + db_ + "\\\", any retention policy\"}\n");
  EXPECT_EQ(Get(Last("measurement=nothing")).status, 404);
}

TEST_F(InflowdLastTest, LastGivesTheRecentPointsAndDbAndRpChooseWhere) {
  ASSERT_NO_FATAL_FAILURE(StartDefault("  keep_last: 5\n"));
  const int64_t t = RecentTime();
  ASSERT_NO_FATAL_FAILURE(Write("temp,room=a v=1 " + T(t) + "\ntemp,room=a v=2 " + T(t + 1) +
                                "\ntemp,room=a v=3 " + T(t + 2) + "\n"));
  ASSERT_NO_FATAL_FAILURE(Write("temp,room=a v=40 " + T(t) + "\n", kFourWeeks));

  const std::string recent = ",\"recent\":[{\"time\":" + T(t + 2) + ",\"fields\":{\"v\":3}},"
                             "{\"time\":" + T(t + 1) + ",\"fields\":{\"v\":2}}]";
  HttpResponse last2;
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] {
    last2 = Get(Last("measurement=temp&rp=autogen&last=2"));
    return last2.status == 200 && last2.body.find(recent) != std::string::npos;
  })) << Describe(last2);
  EXPECT_EQ(last2.body, "{\"measurement\":\"temp\",\"tags\":{\"room\":\"a\"},\"time\":" +
                            T(t + 2) + ",\"fields\":{\"v\":3},\"field_times\":{\"v\":" +
                            T(t + 2) + "}" + recent + Where());
  // last=1 (the default): no recent list.
  EXPECT_EQ(Get(Last("measurement=temp&rp=autogen")).body.find("recent"), std::string::npos);

  // Without rp: both retention policies, sorted by name; with it, one.
  HttpResponse both = WaitForLines(Last("measurement=temp"), 2);
  EXPECT_NE(both.body.find(Where("autogen") + "{"), std::string::npos) << both.body;
  EXPECT_TRUE(both.body.ends_with(Where(kFourWeeks))) << both.body;
  HttpResponse four_weeks = Get(Last("measurement=temp&rp=" + std::string(kFourWeeks)));
  EXPECT_EQ(four_weeks.status, 200);
  EXPECT_NE(four_weeks.body.find("\"fields\":{\"v\":40}"), std::string::npos) << four_weeks.body;
  EXPECT_EQ(std::count(four_weeks.body.begin(), four_weeks.body.end(), '\n'), 1);

  // db: inflowd's own by default; given, the one named.
  EXPECT_EQ(Get(Last("measurement=temp&db=" + db_ + "&rp=autogen")).status, 200);
  HttpResponse other = Get(Last("measurement=temp&db=elsewhere"));
  EXPECT_EQ(other.status, 404) << Describe(other);
  EXPECT_NE(other.body.find("in database \\\"elsewhere\\\""), std::string::npos) << other.body;
}

TEST_F(InflowdLastTest, BadQueriesAre400NamingWhatIsWrong) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  struct Case {
    std::string query;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"", "measurement= is required"},
      {"tag=host:h1", "measurement= is required"},
      {"measurement=", "a measurement is required"},
      {"measurement=cpu&last=0", "last=0: last is a whole number from 1 to 100"},
      {"measurement=cpu&last=101", "last=101: last is a whole number from 1 to 100"},
      {"measurement=cpu&last=two", "last=two: last is a whole number from 1 to 100"},
      {"measurement=cpu&tag=host", "tag=host: a tag is asked for as KEY:VALUE"},
      {"measurement=cpu&tag=:h1", "a tag needs a key (tag '=h1')"},
      {"measurement=cpu&field=", "a field name cannot be empty"},
      {"measurement=cpu&measurement=mem", "measurement=mem: given twice"},
      {"measurement=cpu&q=x",
       "q=x: unknown parameter (GET /last takes measurement, tag, field, db, rp and last)"},
      {"measurement=cpu&tag=%zz", "bad escape \\\"%zz\\\" at offset 20"},
  };
  for (const Case& c : cases) {
    HttpResponse response = Get(Last(c.query));
    EXPECT_EQ(response.status, 400) << c.query << ": " << Describe(response);
    EXPECT_NE(response.body.find(c.error), std::string::npos)
        << c.query << ": " << Describe(response);
  }
  HttpResponse post = Post(0, Last("measurement=cpu"), "");
  EXPECT_EQ(post.status, 405) << Describe(post);
}

TEST_F(InflowdLastTest, WithoutRedisUrlTheCacheIsOff) {
  ASSERT_NO_FATAL_FAILURE(StartWithRedis(
      {.sessions = {Prompt("autogen")}, .listeners = {{ListenerKind::kHttp}}}, ""));
  HttpResponse response = Get(Last("measurement=cpu"));
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body,
            "{\"error\":\"the last-value cache is off (redis.url is not set)\"}\n");
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
}

// Redis stopped: GET /last answers 503 at once, naming Redis, while /write
// goes on into InfluxDB; once Redis is back, the cache is read again.
TEST_F(InflowdLastTest, RedisDownIs503WhileInfluxDbStillTakesPoints) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  ASSERT_NO_FATAL_FAILURE(StartWithRedis(
      {.sessions = {Prompt("autogen")}, .listeners = {{ListenerKind::kHttp}}},
      RedisSection(redis.port())));
  const int64_t t = RecentTime();
  ASSERT_NO_FATAL_FAILURE(Write(Line("up", "host=h1", 1, t)));
  WaitForLines(Last("measurement=up"), 1);

  ASSERT_TRUE(redis.Stop().ok());
  HttpResponse down;
  const auto stopped = Clock::now();
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] {
    down = Get(Last("measurement=up"));
    return down.status == 503;
  })) << Describe(down);
  Report("redis_down_to_503_ms", MillisecondsSince(stopped), "ms");
  EXPECT_NE(down.body.find("Redis 127.0.0.1:" + std::to_string(redis.port())), std::string::npos)
      << down.body;
  // At once, not after redis.timeout: the connection is known to be down.
  const auto asked = Clock::now();
  EXPECT_EQ(Get(Last("measurement=up")).status, 503);
  EXPECT_LT(MillisecondsSince(asked), 500);

  ASSERT_NO_FATAL_FAILURE(Write(Line("up", "host=h2", 2, t)));
  ExpectSame(WaitForPoints("autogen", 2),
             {IntegerPoint("up", {{"host", "h1"}}, 1, t), IntegerPoint("up", {{"host", "h2"}}, 2, t)},
             "autogen");

  // Back, empty (nothing is persisted): the points held meanwhile, and new
  // ones, are written and read.
  ASSERT_TRUE(redis.Start().ok());
  ASSERT_NO_FATAL_FAILURE(Write(Line("up", "host=h3", 3, t)));
  HttpResponse back = WaitForLines(Last("measurement=up&tag=host:h3"), 1);
  EXPECT_NE(back.body.find("\"f\":3"), std::string::npos) << back.body;
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
}

// redis.url naming a port nothing listens on: GET /last answers 503 at once
// with the reason, and points still reach InfluxDB.
TEST_F(InflowdLastTest, NoRedisListeningIs503AndPointsStillReachInfluxDb) {
  uint16_t nothing = 0;
  ASSERT_TRUE(FreePort(&nothing).ok());
  ASSERT_NO_FATAL_FAILURE(StartWithRedis(
      {.sessions = {Prompt("autogen")}, .listeners = {{ListenerKind::kHttp}}},
      RedisSection(nothing)));
  const auto asked = Clock::now();
  HttpResponse response = Get(Last("measurement=cpu"));
  EXPECT_LT(MillisecondsSince(asked), 500);
  EXPECT_EQ(response.status, 503) << Describe(response);
  std::string redis = "Redis 127.0.0.1:";
  redis.append(std::to_string(nothing));
  EXPECT_NE(response.body.find(redis), std::string::npos) << response.body;
  const int64_t t = RecentTime();
  ASSERT_NO_FATAL_FAILURE(Write(Line("cpu", "host=h1", 1, t)));
  ExpectSame(WaitForPoints("autogen", 1), {IntegerPoint("cpu", {{"host", "h1"}}, 1, t)},
             "autogen");
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
}

// A GET /last, then a /write and a /ping, then a GET /last of nothing, and
// a /ping that closes, in one write on one connection: five answers, in
// that order, although the lookups answer later than the pings could.
TEST_F(InflowdLastTest, RequestsPipelinedAfterAGetLastAreAnsweredInOrder) {
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const int64_t t = RecentTime();
  ASSERT_NO_FATAL_FAILURE(Write(Line("pipe", "host=h1", 1, t)));
  WaitForLines(Last("measurement=pipe"), 1);

  const std::string body = Line("pipe", "host=h2", 2, t);
  std::string requests = GetRequest(Last("measurement=pipe"));
  requests += "POST /write?db=" + db_ + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body;
  requests += GetRequest("/ping");
  requests += GetRequest(Last("measurement=nothing"));
  requests += GetRequest("/ping", /*close=*/true);
  KeepAliveClient client(Clock::now() + 20s);
  ASSERT_TRUE(client.Connect(port()).ok());
  ASSERT_TRUE(client.Write(requests).ok());
  std::vector<int> statuses;
  for (int i = 0; i < 5; ++i) {
    ::inflow::HttpResponse response;
    Status status = client.Next(&response);
    ASSERT_TRUE(status.ok()) << "answer " << i << ": " << status.message();
    statuses.push_back(response.status);
    if (i == 0) {
      EXPECT_NE(response.body.find("\"host\":\"h1\""), std::string::npos) << response.body;
    }
  }
  EXPECT_EQ(statuses, (std::vector<int>{200, 204, 204, 404, 204}));
  ::inflow::HttpResponse extra;
  EXPECT_FALSE(client.Next(&extra).ok()) << "an answer more: " << DescribeAnswer(extra);
  WaitForLines(Last("measurement=pipe"), 2);
}

// Lookups waiting on a Redis that does not answer (SIGSTOP): a client that
// goes away meanwhile is not answered and harms nothing; after
// redis.timeout the others get 503; beyond 64 waiting, a lookup gets 503 at
// once; and SIGTERM while lookups wait stops inflowd cleanly.
TEST_F(InflowdLastTest, LookupsWaitingOnAHungRedisEndSafely) {
  RedisServer redis;
  ASSERT_TRUE(redis.Start().ok());
  ASSERT_NO_FATAL_FAILURE(StartWithRedis(
      {.sessions = {Prompt("autogen")}, .listeners = {{ListenerKind::kHttp}}},
      RedisSection(redis.port(), "", "3s")));
  const int64_t t = RecentTime();
  ASSERT_NO_FATAL_FAILURE(Write(Line("hung", "host=h1", 1, t)));
  WaitForLines(Last("measurement=hung"), 1);

  ASSERT_EQ(kill(redis.pid(), SIGSTOP), 0);
  // Gone, and freed, before the answer: a client that reads nothing, so
  // that the answers to its bad queries (~120 KB each: the message is in
  // the body and in a header) are still being written while its GET /last
  // waits, resets the connection once the lookup is sent; the write fails,
  // inflowd closes and frees the client, and the lookup ends later (at the
  // timeout) with nobody to answer.
  {
    std::string requests;
    for (int bad = 0; bad < 80; ++bad) {
      requests += GetRequest(Last("measurement=hung&q=" + std::string(60'000, 'x')));
    }
    requests += GetRequest(Last("measurement=hung"));
    int fd = -1;
    ASSERT_NO_FATAL_FAILURE(ConnectAndSend(port(), requests, &fd));
    // The lookup's commands wait, unread, in the stopped server's socket.
    const bool sent = PollUntil(5s, [&] { return UnreadBytesAt(redis.port()) > 0; });
    Reset(fd);
    ASSERT_TRUE(sent) << "the lookup never reached Redis";
  }
  {
    // Gone before the answer, closed by a client that goes (FIN).
    std::vector<std::unique_ptr<KeepAliveClient>> gone;
    for (int i = 0; i < 10; ++i) {
      gone.push_back(std::make_unique<KeepAliveClient>(Clock::now() + 10s));
      ASSERT_TRUE(gone.back()->Connect(port()).ok());
      ASSERT_TRUE(gone.back()->Write(GetRequest("/ping") + GetRequest(Last("measurement=hung")))
                      .ok());
    }
  }
  KeepAliveClient waiting(Clock::now() + 20s);
  ASSERT_TRUE(waiting.Connect(port()).ok());
  ASSERT_TRUE(waiting.Write(GetRequest(Last("measurement=hung")) + GetRequest("/ping")).ok());
  const auto asked = Clock::now();
  ::inflow::HttpResponse response;
  ASSERT_TRUE(waiting.Next(&response).ok());
  EXPECT_EQ(response.status, 503) << DescribeAnswer(response);
  EXPECT_NE(response.body.find("no answer within 3000 ms"), std::string::npos)
      << DescribeAnswer(response);
  Report("hung_redis_to_503_ms", MillisecondsSince(asked), "ms");
  ASSERT_TRUE(waiting.Next(&response).ok());
  EXPECT_EQ(response.status, 204);

  // The reader's connection, dropped at the timeout, is made again to the
  // stopped server (the kernel accepts for it), so these lookups wait.
  ASSERT_TRUE(PollUntil(5s, [&] {
    const std::string log = inflowd_->Log();
    size_t connected = 0;
    for (size_t at = log.find("GET /last): connected"); at != std::string::npos;
         at = log.find("GET /last): connected", at + 1)) {
      ++connected;
    }
    return connected >= 2;
  })) << inflowd_->LogTail();
  // 64 wait (LastValueReader::kMaxLookups); the others are answered 503
  // at once. Each client waits 1 s for an answer, of the 3 s redis.timeout.
  constexpr int kMaxLookups = 64;
  constexpr int kMore = 6;
  std::vector<std::unique_ptr<KeepAliveClient>> clients;
  for (int i = 0; i < kMaxLookups + kMore; ++i) {
    clients.push_back(std::make_unique<KeepAliveClient>(Clock::now() + 1s));
    ASSERT_TRUE(clients.back()->Connect(port()).ok());
    ASSERT_TRUE(clients.back()->Write(GetRequest(Last("measurement=hung"))).ok());
  }
  int too_many = 0;
  int unanswered = 0;
  for (auto& client : clients) {
    ::inflow::HttpResponse answer;
    if (!client->Next(&answer).ok()) {
      ++unanswered;
      continue;
    }
    EXPECT_EQ(answer.status, 503) << DescribeAnswer(answer);
    EXPECT_NE(answer.body.find("too many lookups: 64 are running"), std::string::npos)
        << DescribeAnswer(answer);
    ++too_many;
  }
  EXPECT_EQ(too_many, kMore);
  EXPECT_EQ(unanswered, kMaxLookups);
  // Stopped while they wait: their lookups end with the reader.
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  EXPECT_FALSE(inflowd_->LogMentions("closed with handles still open")) << inflowd_->LogTail();
  EXPECT_FALSE(inflowd_->LogMentions("internal error")) << inflowd_->LogTail();
  ASSERT_EQ(kill(redis.pid(), SIGCONT), 0);
}

// The figure: 1,000 sequential GET /last of one series among 10,000 cached
// series of the measurement (a tag lookup), on one keep-alive connection.
TEST_F(InflowdLastTest, FigureLatencyOfOneSeriesAmongTenThousand) {
  constexpr int kSeries = 10'000;
  constexpr int kLookups = 1'000;
  ASSERT_NO_FATAL_FAILURE(StartDefault());
  const int64_t t = RecentTime();
  std::string lines;
  for (int i = 0; i < kSeries; ++i) {
    lines += "bench,host=h" + std::to_string(i) + ",rack=r" + std::to_string(i % 10) +
             " v=" + std::to_string(i) + "i " + T(t) + "\n";
  }
  ASSERT_NO_FATAL_FAILURE(Write(lines));
  // Every series in the index: the cache holds them all.
  std::string index_key = "inflow:index:" + std::to_string(db_.size()) + ":" + db_ +
                          ":7:autogen:bench";
  std::string count;
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] {
    return redis_->Command({"SCARD", index_key}, &count).ok() && count == std::to_string(kSeries);
  })) << index_key << ": " << count;

  KeepAliveClient client(Clock::now() + 120s);
  ASSERT_TRUE(client.Connect(port()).ok());
  std::mt19937 random(42);
  for (std::string_view rp : {"", "&rp=autogen"}) {
    std::vector<double> micros;
    for (int i = 0; i < kLookups; ++i) {
      const int host = static_cast<int>(random() % kSeries);
      const std::string target =
          Last("measurement=bench&tag=host:h" + std::to_string(host) + std::string(rp));
      const auto start = Clock::now();
      ASSERT_TRUE(client.Write(GetRequest(target)).ok());
      ::inflow::HttpResponse response;
      ASSERT_TRUE(client.Next(&response).ok());
      micros.push_back(
          std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      ASSERT_EQ(response.status, 200) << DescribeAnswer(response);
      ASSERT_NE(response.body.find("\"v\":" + std::to_string(host) + "}"), std::string::npos)
          << response.body;
    }
    std::sort(micros.begin(), micros.end());
    const std::string name = rp.empty() ? "get_last_any_rp" : "get_last_rp_given";
    Report(name + "_p50_us", static_cast<int64_t>(micros[kLookups / 2]), "us");
    Report(name + "_p99_us", static_cast<int64_t>(micros[kLookups * 99 / 100]), "us");
  }
  // And one GET /last of the whole measurement: 10,000 lines.
  const auto start = Clock::now();
  HttpResponse all = Get(Last("measurement=bench"));
  Report("get_last_10000_series_ms", MillisecondsSince(start), "ms");
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(std::count(all.body.begin(), all.body.end(), '\n'), kSeries);
}

}  // namespace
}  // namespace inflow::test
