// Lookups of the last-value cache that inflowd keeps, by the `inflow` tool
// (and GET /last), against real InfluxDB and Redis: they answer from the
// cache while InfluxDB is stopped; `inflow last` falls back to InfluxDB when
// the cache has nothing, and exits 3 for a series that exists nowhere.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "inflowd_fixture.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;

constexpr auto kRunTimeout = 20s;

class InflowdLookupTest : public InflowdTest {
 protected:
  std::string RedisUrl() const {
    return "redis://127.0.0.1:" + std::to_string(redis()->port()) + "/0";
  }

  // A key prefix of the test's own, so that tests sharing the suite's Redis
  // never see each other's series.
  std::string Prefix() const { return db_ + ":"; }

  void StartWithCache() {
    ASSERT_NO_FATAL_FAILURE(StartInflowd(
        {.sessions = {Prompt("autogen")},
         .listeners = {{ListenerKind::kHttp}},
         .redis_options = {"key_prefix: \"" + Prefix() + "\"", "flush_interval: 20ms"}}));
  }

  InflowdRun Last(std::vector<std::string> args) {
    args.insert(args.end(), {"--url", RedisUrl(), "--prefix", Prefix()});
    InflowdRun run;
    Status status = RunInflowCli(args, kRunTimeout, &run);
    EXPECT_TRUE(status.ok()) << status.message();
    return run;
  }
};

TEST_F(InflowdLookupTest, InflowLastAndGetLastAnswerFromTheCacheWhileInfluxDbIsStopped) {
  UseOwnInfluxDb();
  ASSERT_NO_FATAL_FAILURE(StartWithCache());
  const int64_t t = RecentTime();
  Send(0, "temp,host=h1 value=20.5,count=1i " + std::to_string(t) + "\n");
  WaitForPoints("autogen", 1);
  ASSERT_TRUE(influxdb()->Stop().ok());
  // Newer points, accepted into the spool while InfluxDB is down.
  Send(0, "temp,host=h1 value=23.1 " + std::to_string(t + 1000) + "\n" +
              "temp,host=h2 value=7 " + std::to_string(t + 2000) + "\n");
  const std::string t0 = std::to_string(t);
  const std::string t1 = std::to_string(t + 1000);
  const std::string expected =
      "{\"measurement\":\"temp\",\"tags\":{\"host\":\"h1\"},\"time\":" + t1 +
      ",\"fields\":{\"count\":1,\"value\":23.1},\"field_times\":{\"count\":" + t0 +
      ",\"value\":" + t1 + "},\"database\":\"" + db_ + "\",\"retention_policy\":\"autogen\"}\n";
  InflowdRun run;
  auto start = std::chrono::steady_clock::now();
  bool answered = PollUntil(10s, [&] {
    run = Last({"last", "temp", "--tag", "host=h1", "--influxdb", influxdb()->url()});
    return run.stdout_text == expected;
  });
  Report("answered from the cache after", MillisecondsSince(start), "ms");
  EXPECT_TRUE(answered) << run.exit_description << "\n" << run.stdout_text << run.stderr_text;
  EXPECT_EQ(run.exit_description, "exited with status 0");
  EXPECT_EQ(run.stderr_text, "");  // the cache answered: no word of InfluxDB
  // GET /last, on inflowd's HTTP listener, gives the same line.
  HttpResponse response;
  ASSERT_TRUE(SendHttpRequest("GET", "127.0.0.1", spec_.listeners[0].port,
                              "/last?measurement=temp&tag=host:h1", "", {}, &response)
                  .ok());
  EXPECT_EQ(response.status, 200) << Describe(response);
  EXPECT_EQ(response.body, expected);
  // Both series, without a tag.
  run = Last({"last", "temp", "--db", db_});
  EXPECT_EQ(run.exit_description, "exited with status 0") << run.stderr_text;
  EXPECT_EQ(std::count(run.stdout_text.begin(), run.stdout_text.end(), '\n'), 2)
      << run.stdout_text;
  EXPECT_EQ(run.stdout_text.find(expected), 0u) << run.stdout_text;
}

TEST_F(InflowdLookupTest, InflowLastFallsBackToInfluxDbAndExits3ForWhatExistsNowhere) {
  ASSERT_NO_FATAL_FAILURE(StartWithCache());
  const int64_t t = RecentTime();
  // Straight into InfluxDB: the cache never saw it.
  HttpResponse response;
  ASSERT_TRUE(SendHttpRequest("POST", "127.0.0.1", influxdb()->port(), "/write?db=" + db_,
                              "direct,host=h9 value=4i " + std::to_string(t) + "\n", {},
                              &response)
                  .ok());
  ASSERT_EQ(response.status, 204) << Describe(response);
  const std::string url = influxdb()->url();
  InflowdRun run = Last({"last", "direct", "--db", db_, "--influxdb", url});
  EXPECT_EQ(run.exit_description, "exited with status 0") << run.stderr_text;
  EXPECT_EQ(run.stdout_text,
            "{\"measurement\":\"direct\",\"tags\":{\"host\":\"h9\"},\"time\":" +
                std::to_string(t) + ",\"fields\":{\"value\":4},\"field_times\":{\"value\":" +
                std::to_string(t) + "},\"database\":\"" + db_ +
                "\",\"retention_policy\":\"autogen\"}\n");
  EXPECT_NE(run.stderr_text.find("asking InfluxDB"), std::string::npos) << run.stderr_text;

  run = Last({"last", "nowhere", "--db", db_, "--influxdb", url});
  EXPECT_EQ(run.exit_description, "exited with status 3") << run.stderr_text;
  EXPECT_EQ(run.stdout_text, "");
  EXPECT_NE(run.stderr_text.find("no matching series in InfluxDB"), std::string::npos)
      << run.stderr_text;
}

}  // namespace
}  // namespace inflow::test
