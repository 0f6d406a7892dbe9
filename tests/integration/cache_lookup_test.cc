// The last-value cache's readers against real servers: LookupLastValues
// over a real redis-server, into which points are written as a cache output
// writes them (LastValueBuffer and the script, cache_redis_connection.h),
// and LookupLastValuesInInfluxDb over a real influxd, into which the same
// points are written with /write. Expectations are written out by hand from
// the points, and the fallback is held to the cache: for the same points,
// both give the same lines (FormatLastValueRecord).

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache_redis_connection.h"
#include "inflow/influx_url.h"
#include "inflow/last_value_buffer.h"
#include "inflow/last_value_influx.h"
#include "inflow/last_value_lookup.h"
#include "inflow/line_parser.h"
#include "inflow/line_writer.h"
#include "inflow/redis_client.h"
#include "support/redis_server.h"
#include "support/shared_influxdb.h"

namespace inflow::test {
namespace {

using Clock = std::chrono::steady_clock;

double MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// One line per record.
std::vector<std::string> Formatted(const std::vector<LastValueRecord>& records) {
  std::vector<std::string> out;
  for (const LastValueRecord& record : records) out.push_back(FormatLastValueRecord(record));
  return out;
}

LastValueQuery Query(std::string measurement,
                     std::vector<std::pair<std::string, std::string>> tags = {},
                     std::vector<std::string> fields = {}, int last = 1) {
  LastValueQuery query;
  query.measurement = std::move(measurement);
  query.tags = std::move(tags);
  query.fields = std::move(fields);
  query.last = last;
  return query;
}

LastValueQuery In(LastValueQuery query, std::optional<std::string> database,
                  std::optional<std::string> retention_policy) {
  query.database = std::move(database);
  query.retention_policy = std::move(retention_policy);
  return query;
}

class CacheLookupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    redis_ = new RedisServer();
    Status status = redis_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
    influxdb_.Start();
  }
  static void TearDownTestSuite() {
    delete redis_;
    redis_ = nullptr;
    influxdb_.Stop();
  }

  void SetUp() override {
    ASSERT_NE(redis_, nullptr);
    ASSERT_TRUE(redis_->running());
    writer_ = std::make_unique<CacheRedisConnection>(redis_->host(), redis_->port());
    ASSERT_TRUE(writer_->ok()) << writer_->error();
    Reply r = writer_->Command({"FLUSHALL"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
    RedisOptions options;
    options.address.host = redis_->host();
    options.address.port = redis_->port();
    Status status = RedisClient::Connect(options, &client_);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  // Writes `lines` (line protocol, ns), each flushed on its own when
  // `flush_each`, into the cache as a cache output of `options` would, for
  // database `db` and policy `rp`.
  void Cache(const std::string& lines, const LastValueOptions& options, bool flush_each = true,
             const std::string& db = "db", const std::string& rp = "autogen") {
    LastValueBuffer buffer(options);
    size_t start = 0;
    while (start < lines.size()) {
      size_t end = lines.find('\n', start);
      if (end == std::string::npos) end = lines.size();
      std::string line = lines.substr(start, end - start);
      start = end + 1;
      if (line.empty()) continue;
      size_t consumed = 0;
      size_t newlines = 0;
      ASSERT_EQ(parser_.Parse(line, true, &consumed, &newlines), ParseStatus::kPoint) << line;
      const PointView& point = parser_.point();
      std::string key;
      AppendSeriesKey(point, &key);
      ASSERT_EQ(buffer.Add({db, rp, key, point.measurement, point.tags}, point.fields,
                           *point.timestamp_ns),
                LastValueBuffer::AddResult::kTaken);
      if (flush_each) Flush(&buffer);
    }
    Flush(&buffer);
  }

  void Flush(LastValueBuffer* buffer) {
    for (const LastValueUpdate& update : buffer->Take()) writer_->Send(update);
  }

  std::vector<std::string> FromCache(const LastValueQuery& query,
                                     const std::string& prefix = "inflow:") {
    std::vector<LastValueRecord> records;
    Status status = LookupLastValues(client_.get(), prefix, query, &records);
    EXPECT_TRUE(status.ok()) << status.message();
    return Formatted(records);
  }

  // A database of the test's own in InfluxDB, with `lines` written to it.
  std::string Influx(const std::string& lines) {
    EXPECT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
    if (!influxdb_.start_status().ok()) return "";
    std::string db = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::string json;
    Status status = influxdb_.server()->Query("CREATE DATABASE \"" + db + "\"", "", &json);
    EXPECT_TRUE(status.ok()) << status.message();
    HttpResponse response;
    status = influxdb_.server()->Write(db, lines, "ns", "", &response);
    EXPECT_TRUE(status.ok()) << status.message();
    EXPECT_EQ(response.status, 204) << response.body;
    return db;
  }

  std::vector<std::string> FromInflux(const LastValueQuery& query, std::string* absent = nullptr) {
    InfluxEndpoint endpoint;
    Status status = ParseInfluxUrl(influxdb_.server()->url(), &endpoint.url);
    EXPECT_TRUE(status.ok()) << status.message();
    std::vector<LastValueRecord> records;
    status = LookupLastValuesInInfluxDb(endpoint, query, &records, absent);
    EXPECT_TRUE(status.ok()) << status.message();
    return Formatted(records);
  }

  static RedisServer* redis_;
  static SharedInfluxDb influxdb_;
  std::unique_ptr<CacheRedisConnection> writer_;
  std::unique_ptr<RedisClient> client_;
  LineParser parser_;
};

RedisServer* CacheLookupTest::redis_ = nullptr;
SharedInfluxDb CacheLookupTest::influxdb_;

// The line of a record: its tags, time, fields and their times as JSON.
std::string Line(const std::string& tags, int64_t time, const std::string& fields,
                 const std::string& field_times, const std::string& measurement = "m",
                 const std::string& db = "db", const std::string& rp = "autogen") {
  return R"({"measurement":")" + measurement + R"(","tags":)" + tags + R"(,"time":)" +
         std::to_string(time) + R"(,"fields":)" + fields + R"(,"field_times":)" + field_times +
         R"(,"database":")" + db + R"(","retention_policy":")" + rp + "\"}";
}

TEST_F(CacheLookupTest, FindsSeriesByTagsAndTheIntersectionOfTwo) {
  Cache("m,host=h1,dc=a v=1 10\n"
        "m,host=h1,dc=b v=2 20\n"
        "m,host=h2,dc=a v=3 30\n"
        "n,host=h1 v=4 40\n"
        "m,host=h1,dc=a v=5 50\n",
        {});
  const std::string h1a = Line(R"({"dc":"a","host":"h1"})", 50, R"({"v":5})", R"({"v":50})");
  const std::string h1b = Line(R"({"dc":"b","host":"h1"})", 20, R"({"v":2})", R"({"v":20})");
  const std::string h2a = Line(R"({"dc":"a","host":"h2"})", 30, R"({"v":3})", R"({"v":30})");
  // By series key: m,dc=a,host=h1 < m,dc=a,host=h2 < m,dc=b,host=h1.
  EXPECT_EQ(FromCache(Query("m")), (std::vector<std::string>{h1a, h2a, h1b}));
  EXPECT_EQ(FromCache(Query("m", {{"host", "h1"}})), (std::vector<std::string>{h1a, h1b}));
  EXPECT_EQ(FromCache(Query("m", {{"dc", "a"}})), (std::vector<std::string>{h1a, h2a}));
  EXPECT_EQ(FromCache(Query("m", {{"host", "h1"}, {"dc", "a"}})), (std::vector<std::string>{h1a}));
  EXPECT_EQ(FromCache(Query("m", {{"host", "h2"}, {"dc", "b"}})), (std::vector<std::string>{}));
  EXPECT_EQ(FromCache(Query("m", {{"host", "h3"}})), (std::vector<std::string>{}));
  EXPECT_EQ(FromCache(Query("nothing")), (std::vector<std::string>{}));
  EXPECT_EQ(FromCache(Query("n")),
            (std::vector<std::string>{Line(R"({"host":"h1"})", 40, R"({"v":4})", R"({"v":40})",
                                           "n")}));
}

TEST_F(CacheLookupTest, FieldFilterGivesThoseFieldsAndTheLatestOfTheirTimes) {
  Cache("m,k=1 a=1.5,b=1i 10\n"
        "m,k=1 b=2i,c=\"x \\\"y\\\"\" 20\n"
        "m,k=1 d=true 30\n"
        "m,k=2 d=false 40\n",
        {});
  EXPECT_EQ(FromCache(Query("m", {}, {"a", "c"})),
            (std::vector<std::string>{Line(R"({"k":"1"})", 20, R"({"a":1.5,"c":"x \"y\""})",
                                           R"({"a":10,"c":20})")}));
  EXPECT_EQ(FromCache(Query("m", {}, {"d"})),
            (std::vector<std::string>{
                Line(R"({"k":"1"})", 30, R"({"d":true})", R"({"d":30})"),
                Line(R"({"k":"2"})", 40, R"({"d":false})", R"({"d":40})")}));
  EXPECT_EQ(FromCache(Query("m")),
            (std::vector<std::string>{
                Line(R"({"k":"1"})", 30, R"({"a":1.5,"b":2,"c":"x \"y\"","d":true})",
                     R"({"a":10,"b":20,"c":20,"d":30})"),
                Line(R"({"k":"2"})", 40, R"({"d":false})", R"({"d":40})")}));
}

TEST_F(CacheLookupTest, LastGivesTheRecentPointsTheCacheKeeps) {
  std::string lines;
  for (int t = 1; t <= 7; ++t) {
    lines += "m a=" + std::to_string(t) + "i" + (t % 2 == 0 ? ",b=true" : "") + " " +
             std::to_string(t) + "\n";
  }
  Cache(lines, {.keep_last = 5});
  auto entry = [](int t, bool all = true) {
    return R"({"time":)" + std::to_string(t) + R"(,"fields":{"a":)" + std::to_string(t) +
           (all && t % 2 == 0 ? R"(,"b":true)" : "") + "}}";
  };
  std::vector<LastValueRecord> records;
  ASSERT_TRUE(LookupLastValues(client_.get(), "inflow:", Query("m", {}, {}, 3), &records).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].recent, (std::vector<std::string>{entry(7), entry(6), entry(5)}));
  // More than the cache keeps: what it keeps.
  ASSERT_TRUE(LookupLastValues(client_.get(), "inflow:", Query("m", {}, {}, 100), &records).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].recent,
            (std::vector<std::string>{entry(7), entry(6), entry(5), entry(4), entry(3)}));
  ASSERT_TRUE(LookupLastValues(client_.get(), "inflow:", Query("m", {}, {"a"}, 2), &records).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].recent, (std::vector<std::string>{entry(7, false), entry(6, false)}));
  ASSERT_TRUE(LookupLastValues(client_.get(), "inflow:", Query("m"), &records).ok());
  ASSERT_EQ(records.size(), 1u);
  EXPECT_TRUE(records[0].recent.empty());
  EXPECT_EQ(FormatLastValueRecord(records[0]),
            Line("{}", 7, R"({"a":7,"b":true})", R"({"a":7,"b":6})"));
}

TEST_F(CacheLookupTest, LastWithoutKeepLastGivesNoRecentPoints) {
  Cache("m a=1 1\nm a=2 2\n", {});
  EXPECT_EQ(FromCache(Query("m", {}, {}, 5)),
            (std::vector<std::string>{Line("{}", 2, R"({"a":2})", R"({"a":2})")}));
}

TEST_F(CacheLookupTest, DatabaseAndPolicyAreAnyOrThoseGiven) {
  Cache("m a=1 1\n", {}, true, "db1", "autogen");
  Cache("m a=2 2\n", {}, true, "db1", "rp2");
  Cache("m a=3 3\n", {}, true, "db2", "autogen");
  Cache("other a=4 4\n", {}, true, "db3", "autogen");
  const std::string one = Line("{}", 1, R"({"a":1})", R"({"a":1})", "m", "db1", "autogen");
  const std::string two = Line("{}", 2, R"({"a":2})", R"({"a":2})", "m", "db1", "rp2");
  const std::string three = Line("{}", 3, R"({"a":3})", R"({"a":3})", "m", "db2", "autogen");
  EXPECT_EQ(FromCache(Query("m")), (std::vector<std::string>{one, two, three}));
  EXPECT_EQ(FromCache(In(Query("m"), "db1", std::nullopt)), (std::vector<std::string>{one, two}));
  EXPECT_EQ(FromCache(In(Query("m"), std::nullopt, "autogen")),
            (std::vector<std::string>{one, three}));
  EXPECT_EQ(FromCache(In(Query("m"), "db1", "rp2")), (std::vector<std::string>{two}));
  EXPECT_EQ(FromCache(In(Query("m"), "db2", "rp2")), (std::vector<std::string>{}));
  EXPECT_EQ(FromCache(In(Query("m"), "db3", std::nullopt)), (std::vector<std::string>{}));
}

TEST_F(CacheLookupTest, FindsAllOfTenThousandSeriesAndOneByTag) {
  constexpr int kSeries = 10'000;
  std::string lines;
  for (int s = 0; s < kSeries; ++s) {
    lines += "m,s=" + std::to_string(s) + ",g=" + std::to_string(s % 100) +
             " v=" + std::to_string(s) + "i " + std::to_string(1000 + s) + "\n";
  }
  Clock::time_point start = Clock::now();
  Cache(lines, {}, false);
  const double write_ms = MillisecondsSince(start);

  std::vector<LastValueRecord> records;
  start = Clock::now();
  Status status = LookupLastValues(client_.get(), "inflow:", Query("m"), &records);
  const double all_ms = MillisecondsSince(start);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(records.size(), static_cast<size_t>(kSeries));
  std::set<int> seen;
  int wrong = 0;
  for (const LastValueRecord& record : records) {
    int s = std::stoi(record.tags.at(1).second);
    seen.insert(s);
    if (record.fields.size() != 1 || record.fields[0].json != std::to_string(s) ||
        record.time_ns != 1000 + s || record.tags[0].second != std::to_string(s % 100)) {
      ++wrong;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kSeries));
  EXPECT_EQ(wrong, 0);

  start = Clock::now();
  status = LookupLastValues(client_.get(), "inflow:", Query("m", {{"s", "4321"}}), &records);
  const double one_ms = MillisecondsSince(start);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(Formatted(records),
            (std::vector<std::string>{Line(R"({"g":"21","s":"4321"})", 5321, R"({"v":4321})",
                                           R"({"v":5321})")}));
  status = LookupLastValues(client_.get(), "inflow:", Query("m", {{"g", "7"}}), &records);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(records.size(), static_cast<size_t>(kSeries / 100));

  // The same series in InfluxDB, and one of them through the fallback.
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  start = Clock::now();
  std::vector<std::string> fallback = FromInflux(In(Query("m", {{"s", "4321"}}), db, std::nullopt));
  const double fallback_ms = MillisecondsSince(start);
  EXPECT_EQ(fallback, (std::vector<std::string>{Line(R"({"g":"21","s":"4321"})", 5321,
                                                     R"({"v":4321})", R"({"v":5321})", "m", db)}));
  start = Clock::now();
  fallback = FromInflux(In(Query("m"), db, std::nullopt));
  const double fallback_all_ms = MillisecondsSince(start);
  EXPECT_EQ(fallback.size(), static_cast<size_t>(kSeries));
  std::printf("[ figures  ] %d series of one measurement: written to the cache in %.0f ms; "
              "lookup of all (SSCAN) %.1f ms, of one by tag (SINTER) %.2f ms; "
              "the fallback (InfluxDB, SELECT last GROUP BY *): one by tag %.1f ms, all %.0f ms\n",
              kSeries, write_ms, all_ms, one_ms, fallback_ms, fallback_all_ms);
}

TEST_F(CacheLookupTest, TagsWithEscapesAreFoundByTheirValues) {
  const std::string lines = "e\\ m,k=a\\ b\\,c\\=d,q=\"x\" v=1i 1\n";
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  Cache(lines, {}, true, db, "autogen");
  LastValueQuery query = In(Query("e m", {{"k", "a b,c=d"}, {"q", "\"x\""}}), db, std::nullopt);
  const std::vector<std::string> want = {Line(R"({"k":"a b,c=d","q":"\"x\""})", 1, R"({"v":1})",
                                              R"({"v":1})", "e m", db)};
  EXPECT_EQ(FromCache(query), want);
  EXPECT_EQ(FromInflux(query), want);
}

TEST_F(CacheLookupTest, KeysOfAnotherPrefixAreFoundWithIt) {
  Cache("m,k=1 a=1 1\n", {.key_prefix = "other:{x}:"});
  Reply r = writer_->Command({"EXISTS", "other:{x}:series:2:db:7:autogen:m,k=1"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
  EXPECT_EQ(FromCache(Query("m"), "other:{x}:"),
            (std::vector<std::string>{Line(R"({"k":"1"})", 1, R"({"a":1})", R"({"a":1})")}));
  EXPECT_EQ(FromCache(Query("m")), (std::vector<std::string>{}));
  EXPECT_EQ(FromCache(Query("m"), "other:"), (std::vector<std::string>{}));
}

TEST_F(CacheLookupTest, ExpiredSeriesAreSkipped) {
  Cache("m,k=brief a=1 1\n", {.ttl_seconds = 1});
  // Written after: the index and the catalog stay (ttl 0 persists them),
  // and name the expired series too.
  Cache("m,k=kept a=2 2\n", {});
  const std::string kept = Line(R"({"k":"kept"})", 2, R"({"a":2})", R"({"a":2})");
  const std::string brief = Line(R"({"k":"brief"})", 1, R"({"a":1})", R"({"a":1})");
  std::vector<std::string> before = FromCache(Query("m"));
  Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + std::chrono::seconds(10);
  while (writer_->Integer({"EXISTS", "inflow:series:2:db:7:autogen:m,k=brief"}) != 0 &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const double expired_ms = MillisecondsSince(start);
  ASSERT_EQ(writer_->Integer({"EXISTS", "inflow:series:2:db:7:autogen:m,k=brief"}), 0);
  EXPECT_EQ(writer_->Integer({"SISMEMBER", "inflow:index:2:db:7:autogen:m", "m,k=brief"}), 1);
  // Before it expired both were found (unless it expired at once).
  if (before.size() == 2) {
    EXPECT_EQ(before, (std::vector<std::string>{brief, kept}));
  }
  EXPECT_EQ(FromCache(Query("m")), (std::vector<std::string>{kept}));
  EXPECT_EQ(FromCache(Query("m", {{"k", "brief"}})), (std::vector<std::string>{}));
  std::printf("[ figures  ] a series of ttl 1 s gone from Redis %.0f ms after the first lookup\n",
              expired_ms);
}

TEST_F(CacheLookupTest, KeyOfAnotherTypeIsAnErrorNamingIt) {
  Reply r = writer_->Command({"SET", "inflow:index:2:db:7:autogen:m", "x"});
  ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  std::vector<LastValueRecord> records;
  Status status = LookupLastValues(client_.get(), "inflow:", In(Query("m"), "db", "autogen"),
                                   &records);
  EXPECT_EQ(status.message(), "Redis 127.0.0.1:" + std::to_string(redis_->port()) +
                                  ": SSCAN 'inflow:index:2:db:7:autogen:m': WRONGTYPE "
                                  "Operation against a key holding the wrong kind of value");
  EXPECT_TRUE(records.empty());
  r = writer_->Command({"SADD", "inflow:catalog", "2:db:7:autogen"});
  status = LookupLastValues(client_.get(), "inflow:", Query("m"), &records);
  EXPECT_FALSE(status.ok());
  r = writer_->Command({"SET", "inflow:catalog", "x"});
  status = LookupLastValues(client_.get(), "inflow:", Query("m"), &records);
  EXPECT_EQ(status.message(), "Redis 127.0.0.1:" + std::to_string(redis_->port()) +
                                  ": SMEMBERS 'inflow:catalog': WRONGTYPE "
                                  "Operation against a key holding the wrong kind of value");
}

// The property the fallback exists for: for the same points, InfluxDB
// answers as the cache does.
TEST_F(CacheLookupTest, FallbackAnswersAsTheCacheForTheSamePoints) {
  const std::string lines =
      "cpu,host=h1,dc=eu cores=4i,note=\"a \\\"quoted\\\" \\\\ é\",up=true,usage=1.5 1000\n"
      "cpu,host=h1,dc=eu usage=2.25 2000\n"
      "cpu,host=h1,dc=us cores=8i,usage=3 1500\n"
      "cpu,host=h2 up=false 3000\n"
      "cpu,host=h2 note=\"x\",usage=-7.125 2500\n"
      "cpu,host=h1,dc=eu cores=6i 2500\n"
      "cpu,host=h3,dc=eu usage=0.5 1\n"
      "mem,host=h1 free=12i 10\n";
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  Cache(lines, {.keep_last = 10}, true, db, "autogen");
  std::vector<LastValueQuery> queries = {
      Query("cpu"),
      Query("cpu", {{"host", "h1"}}),
      Query("cpu", {{"host", "h1"}, {"dc", "eu"}}),
      Query("cpu", {{"dc", "eu"}}),
      Query("cpu", {}, {"usage"}),
      Query("cpu", {}, {"cores", "note"}),
      Query("cpu", {{"host", "h2"}}, {"up"}),
      Query("cpu", {}, {}, 3),
      Query("cpu", {{"host", "h1"}}, {}, 10),
      Query("mem"),
      Query("cpu", {{"host", "none"}}),
      Query("none"),
  };
  int found = 0;
  for (const LastValueQuery& query : queries) {
    std::vector<std::string> cache = FromCache(In(query, db, std::nullopt));
    std::vector<std::string> fallback = FromInflux(In(query, db, std::nullopt));
    EXPECT_EQ(fallback, cache) << "measurement " << query.measurement << ", "
                               << query.tags.size() << " tags, " << query.fields.size()
                               << " fields, last " << query.last;
    found += static_cast<int>(cache.size());
  }
  EXPECT_EQ(found, 4 + 2 + 1 + 2 + 4 + 3 + 1 + 4 + 2 + 1);
  // And a record written out by hand, from the points.
  EXPECT_EQ(FromInflux(In(Query("cpu", {{"host", "h1"}, {"dc", "eu"}}), db, std::nullopt)),
            (std::vector<std::string>{
                Line(R"({"dc":"eu","host":"h1"})", 2500,
                     R"({"cores":6,"note":"a \"quoted\" \\ é","up":true,"usage":2.25})",
                     R"({"cores":2500,"note":1000,"up":1000,"usage":2000})", "cpu", db)}));
}

// With fields and --last, both should give the latest points that have one
// of those fields.
TEST_F(CacheLookupTest, FallbackAnswersAsTheCacheForRecentPointsOfSomeFields) {
  const std::string lines = "m a=1i 1\nm b=2i 2\nm a=3i 3\nm b=4i 4\nm b=5i 5\n";
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  Cache(lines, {.keep_last = 10}, true, db, "autogen");
  LastValueQuery query = In(Query("m", {}, {"a"}, 2), db, std::nullopt);
  EXPECT_EQ(FromInflux(query), FromCache(query));
}

// Values whose JSON InfluxDB writes in a form of its own: floats beyond
// 1e21 or below 1e-6, and strings with <, >, & or a tab.
TEST_F(CacheLookupTest, FallbackWritesValuesAsTheCacheDoes) {
  const std::string lines =
      "v,k=1 a=0.0000001 1\n"
      "v,k=2 a=1e21 1\n"
      "v,k=3 a=1e20 1\n"
      "v,k=4 a=-0 1\n"
      "v,k=5 a=3.0 1\n"
      "v,k=6 a=0.000001 1\n"
      "v,k=7 a=1e300 1\n"
      "v,k=8 s=\"<a&b> \t é\" 1\n";
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  Cache(lines, {}, true, db, "autogen");
  LastValueQuery query = In(Query("v"), db, std::nullopt);
  std::vector<std::string> cache = FromCache(query);
  std::vector<std::string> fallback = FromInflux(query);
  ASSERT_EQ(cache.size(), 8u);
  ASSERT_EQ(fallback.size(), 8u);
  for (size_t i = 0; i < cache.size(); ++i) EXPECT_EQ(fallback[i], cache[i]);
}

// The fields of a recent point come in the order the cache stores them.
TEST_F(CacheLookupTest, FallbackGivesRecentFieldsAsTheCacheDoes) {
  const std::string lines = "r b=1i,a=2i 1\n";
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  Cache(lines, {.keep_last = 2}, true, db, "autogen");
  LastValueQuery query = In(Query("r", {}, {}, 2), db, std::nullopt);
  EXPECT_EQ(FromInflux(query), FromCache(query));
}

// The fallback's records come in the cache's order: by series key.
TEST_F(CacheLookupTest, FallbackSortsAsTheCacheDoes) {
  const std::string lines = "o,h=x,z=1 a=1 1\no,h=x+y a=2 1\n";
  std::string db = Influx(lines);
  ASSERT_FALSE(db.empty());
  Cache(lines, {}, true, db, "autogen");
  LastValueQuery query = In(Query("o"), db, std::nullopt);
  EXPECT_EQ(FromInflux(query), FromCache(query));
}

TEST_F(CacheLookupTest, FallbackFindsNothingInADatabaseOrPolicyInfluxDbLacks) {
  std::string db = Influx("m a=1 1\n");
  ASSERT_FALSE(db.empty());
  std::string absent;
  EXPECT_EQ(FromInflux(In(Query("m"), "no_such_db", std::nullopt), &absent),
            (std::vector<std::string>{}));
  EXPECT_EQ(absent, "database not found: no_such_db");
  EXPECT_EQ(FromInflux(In(Query("m"), db, "nope"), &absent), (std::vector<std::string>{}));
  EXPECT_EQ(absent, "retention policy not found: nope");
  EXPECT_EQ(FromInflux(In(Query("other"), db, std::nullopt), &absent),
            (std::vector<std::string>{}));
  EXPECT_EQ(absent, "");
  EXPECT_EQ(FromInflux(In(Query("m"), db, "autogen"), &absent),
            (std::vector<std::string>{Line("{}", 1, R"({"a":1})", R"({"a":1})", "m", db)}));
}

}  // namespace
}  // namespace inflow::test
