// The last-value cache's Lua script against a real redis-server: updates
// built by LastValueBuffer, sent as a cache output sends them (EVALSHA, EVAL
// on NOSCRIPT), over plain hiredis connections. Expectations are built from
// the generated points alone, never from the code under test.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cache_redis_connection.h"
#include "inflow/last_value_buffer.h"
#include "inflow/last_value_script.h"
#include "inflow/line_parser.h"
#include "inflow/line_writer.h"
#include "support/redis_server.h"

namespace inflow::test {
namespace {

constexpr int64_t kBase = 1'700'000'000'000'000'000;  // doubles here are 256 ns apart

// A generated point: series s, step k, and which of the fields a, b, c it has.
struct Point {
  int series;
  int step;
  int64_t time;
  unsigned mask;  // bit 0: a, 1: b, 2: c
};

// The values of field `f` at (series, step), as line protocol and as JSON.
std::string LineValue(int f, int s, int k) {
  switch (f) {
    case 0: return std::to_string(s * 1000 + k) + ".25";
    case 1: return std::to_string(k * 7 - s) + "i";
    default: return "\"s" + std::to_string(s) + " k" + std::to_string(k) + " \\\"q\\\"\"";
  }
}
std::string JsonValue(int f, int s, int k) {
  switch (f) {
    case 0: return std::to_string(s * 1000 + k) + ".25";
    case 1: return std::to_string(k * 7 - s);
    default: return "\"s" + std::to_string(s) + " k" + std::to_string(k) + " \\\"q\\\"\"";
  }
}
constexpr const char* kFieldNames[] = {"a", "b", "c"};

std::string Line(const Point& p) {
  std::string line = "m,s=" + std::to_string(p.series) + " ";
  bool first = true;
  for (int f = 0; f < 3; ++f) {
    if ((p.mask & (1u << f)) == 0) continue;
    if (!first) line.push_back(',');
    first = false;
    line += std::string(kFieldNames[f]) + "=" + LineValue(f, p.series, p.step);
  }
  return line + " " + std::to_string(p.time);
}

// The hash key of series s, written out by hand (the layout's documented form).
std::string SeriesKey(const std::string& prefix, int s) {
  return prefix + "series:2:db:7:autogen:m,s=" + std::to_string(s);
}

class CacheScriptTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RedisServer();
    Status status = server_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_TRUE(server_->running());
    redis_ = std::make_unique<CacheRedisConnection>(server_->host(), server_->port());
    ASSERT_TRUE(redis_->ok()) << redis_->error();
    for (auto cmd : {"FLUSHALL", "RESETSTAT"}) {
      Reply r = std::string(cmd) == "RESETSTAT" ? redis_->Command({"CONFIG", "RESETSTAT"})
                                                 : redis_->Command({cmd});
      ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS) << cmd;
    }
    Reply r = redis_->Command({"SCRIPT", "FLUSH"});
    ASSERT_TRUE(r && r->type == REDIS_REPLY_STATUS);
  }

  std::unique_ptr<CacheRedisConnection> Connect() {
    return std::make_unique<CacheRedisConnection>(server_->host(), server_->port());
  }

  void Add(LastValueBuffer& buffer, const std::string& line) {
    size_t consumed = 0, newlines = 0;
    ASSERT_EQ(parser_.Parse(line, true, &consumed, &newlines), ParseStatus::kPoint) << line;
    const PointView& point = parser_.point();
    std::string key;
    AppendSeriesKey(point, &key);
    buffer.Add({"db", "autogen", key, point.measurement, point.tags}, point.fields,
               *point.timestamp_ns);
  }

  // Sends everything pending; returns the number of updates (series).
  size_t Flush(LastValueBuffer& buffer, CacheRedisConnection& redis) {
    std::vector<LastValueUpdate> updates = buffer.Take();
    for (const LastValueUpdate& u : updates) redis.Send(u);
    return updates.size();
  }

  static RedisServer* server_;
  std::unique_ptr<CacheRedisConnection> redis_;
  LineParser parser_;
};

RedisServer* CacheScriptTest::server_ = nullptr;

// The time of step k of series s: consecutive nanoseconds near 1.7e18 (equal
// as doubles), except series 0 (negative) and 1 (across zero: the times
// differ in sign and length).
int64_t TimeOf(int s, int k) {
  if (s == 0) return -kBase + k;
  if (s == 1) return (k - 50) * 37;
  return kBase + k;
}

// Per (series, field): the greatest step that has the field.
using Latest = std::map<std::pair<int, int>, int>;

// The mismatches between Redis and `latest` (and `series_time`), over all series.
int CheckSeries(CacheRedisConnection& redis, const std::string& prefix, int first, int end,
                const Latest& latest, const std::map<int, int>& last_step, int* fields_checked) {
  int mismatches = 0;
  for (int s = first; s < end; ++s) {
    std::map<std::string, std::string> hash = redis.HashOf(SeriesKey(prefix, s));
    std::map<std::string, std::string> expected = {
        {"measurement", "\"m\""},
        {"tags", "{\"s\":\"" + std::to_string(s) + "\"}"},
        {"time", std::to_string(TimeOf(s, last_step.at(s)))}};
    for (int f = 0; f < 3; ++f) {
      auto it = latest.find({s, f});
      if (it == latest.end()) continue;
      expected[std::string("v:") + kFieldNames[f]] = JsonValue(f, s, it->second);
      expected[std::string("t:") + kFieldNames[f]] = std::to_string(TimeOf(s, it->second));
      ++*fields_checked;
    }
    if (hash != expected) {
      if (++mismatches <= 3) {
        ADD_FAILURE() << "series " << s << ": time " << hash["time"] << " expected "
                      << expected["time"] << ", v:a " << hash["v:a"] << " expected "
                      << expected["v:a"];
      }
    }
  }
  return mismatches;
}

TEST_F(CacheScriptTest, ShuffledPointsLeaveEachFieldsGreatestTime) {
  constexpr int kSeries = 1000, kSteps = 100, kChunk = 3000;
  std::mt19937 rng(20241010);
  std::vector<Point> points;
  Latest latest;
  std::map<int, int> last_step;
  for (int s = 0; s < kSeries; ++s) {
    for (int k = 0; k < kSteps; ++k) {
      unsigned mask = 1 + static_cast<unsigned>(rng() % 7);
      points.push_back({s, k, TimeOf(s, k), mask});
      for (int f = 0; f < 3; ++f) {
        if (mask & (1u << f)) latest[{s, f}] = std::max(latest[{s, f}], k);
      }
      last_step[s] = kSteps - 1;
    }
  }
  std::shuffle(points.begin(), points.end(), rng);

  LastValueBuffer buffer({.key_prefix = "t:"});
  size_t flushes = 0, commands = 0, max_per_flush = 0;
  for (size_t start = 0; start < points.size(); start += kChunk) {
    std::set<int> chunk_series;
    for (size_t i = start; i < std::min(points.size(), start + kChunk); ++i) {
      Add(buffer, Line(points[i]));
      chunk_series.insert(points[i].series);
    }
    uint64_t before = redis_->evalsha_sent();
    size_t updates = Flush(buffer, *redis_);
    size_t sent = redis_->evalsha_sent() - before;
    EXPECT_EQ(sent, updates);
    EXPECT_EQ(updates, chunk_series.size());
    ++flushes, commands += sent, max_per_flush = std::max(max_per_flush, sent);
  }
  int fields_checked = 0;
  int mismatches = CheckSeries(*redis_, "t:", 0, kSeries, latest, last_step, &fields_checked);
  long long evalsha = redis_->CommandCalls("evalsha"), eval = redis_->CommandCalls("eval");
  std::printf("[ figures  ] %zu points over %d series, shuffled, in %zu flushes of <= %d points: "
              "%zu EVALSHA sent (max %zu per flush, <= the series in it), %llu EVAL after "
              "NOSCRIPT; Redis counted evalsha calls=%lld, eval calls=%lld; %d series, "
              "%d fields checked, %d series mismatched\n",
              points.size(), kSeries, flushes, kChunk, commands, max_per_flush,
              static_cast<unsigned long long>(redis_->eval_sent()), evalsha, eval, kSeries,
              fields_checked, mismatches);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(evalsha, static_cast<long long>(redis_->evalsha_sent()));
  EXPECT_EQ(eval, static_cast<long long>(redis_->eval_sent()));
  EXPECT_EQ(redis_->eval_sent(), 1u);  // the first call only, after SCRIPT FLUSH
  EXPECT_EQ(redis_->Integer({"SCARD", "t:index:2:db:7:autogen:m"}), kSeries);
  EXPECT_EQ(redis_->Integer({"SCARD", "t:tag:2:db:7:autogen:1:m:1:s:7"}), 1);
  EXPECT_EQ(redis_->Integer({"SISMEMBER", "t:catalog", "2:db:7:autogen"}), 1);
}

TEST_F(CacheScriptTest, CommandsPerFlushAreTheSeriesInIt) {
  LastValueBuffer buffer({});
  for (int i = 0; i < 5000; ++i) {
    Add(buffer, "m,s=" + std::to_string(i % 10) + " a=" + std::to_string(i) + "i " +
                    std::to_string(kBase + i));
  }
  size_t updates = Flush(buffer, *redis_);
  long long calls = redis_->CommandCalls("evalsha") + redis_->CommandCalls("eval");
  std::printf("[ figures  ] 5000 points over 10 series in one flush: %zu updates, Redis "
              "counted %lld script calls (evalsha + eval; 1 EVALSHA refused NOSCRIPT)\n",
              updates, calls);
  EXPECT_EQ(updates, 10u);
  EXPECT_EQ(calls, 11);  // 10 EVALSHA, the first refused NOSCRIPT and sent again as EVAL
  Reply sha = redis_->Command({"SCRIPT", "LOAD", std::string(LastValueScript())});
  ASSERT_TRUE(sha && sha->type == REDIS_REPLY_STRING);
  EXPECT_EQ(std::string(sha->str, sha->len), LastValueScriptSha1());
}

TEST_F(CacheScriptTest, TwoWritersInterleavedNeverMoveASeriesBackwards) {
  constexpr int kSeries = 100, kSteps = 60, kChunk = 250;
  std::mt19937 rng(7);
  std::vector<Point> mine[2];
  Latest latest;
  std::map<int, int> last_step;
  for (int s = 2; s < kSeries + 2; ++s) {
    for (int k = 0; k < kSteps; ++k) {
      unsigned mask = 1 + static_cast<unsigned>(rng() % 7);
      mine[rng() % 2].push_back({s, k, TimeOf(s, k), mask});
      for (int f = 0; f < 3; ++f) {
        if (mask & (1u << f)) latest[{s, f}] = std::max(latest[{s, f}], k);
      }
    }
    last_step[s] = kSteps - 1;
  }
  std::unique_ptr<CacheRedisConnection> writers[2] = {Connect(), Connect()};
  LastValueBuffer buffers[2] = {LastValueBuffer({}), LastValueBuffer({})};
  // Writer 1 sends its points newest first, writer 0 oldest first: each
  // flush of one lands among the other's older or newer ones.
  std::shuffle(mine[0].begin(), mine[0].end(), rng);
  std::sort(mine[1].begin(), mine[1].end(),
            [](const Point& x, const Point& y) { return x.step > y.step; });
  std::map<std::string, int64_t> seen;  // "series/t:F" → the latest time observed
  int observations = 0, backwards = 0;
  size_t next[2] = {0, 0};
  for (int round = 0; round < 1000 && (next[0] < mine[0].size() || next[1] < mine[1].size());
       ++round) {
    int w = round % 2;
    for (size_t n = 0; n < kChunk && next[w] < mine[w].size(); ++n) {
      Add(buffers[w], Line(mine[w][next[w]++]));
    }
    Flush(buffers[w], *writers[w]);
    for (int s = 2; s < kSeries + 2; ++s) {
      for (auto& [field, value] : redis_->HashOf(SeriesKey("inflow:", s))) {
        if (field != "time" && !field.starts_with("t:")) continue;
        int64_t t = std::stoll(value);
        auto [it, fresh] = seen.emplace(std::to_string(s) + "/" + field, t);
        if (!fresh && t < it->second) ++backwards;
        it->second = std::max(it->second, t);
        ++observations;
      }
    }
  }
  int fields_checked = 0;
  int mismatches =
      CheckSeries(*redis_, "inflow:", 2, kSeries + 2, latest, last_step, &fields_checked);
  std::printf("[ figures  ] two writers, %zu and %zu points over %d series, interleaved "
              "flushes of %d: %d times observed after each flush, %d moved backwards; at "
              "the end %d fields checked, %d series mismatched\n",
              mine[0].size(), mine[1].size(), kSeries, kChunk, observations, backwards,
              fields_checked, mismatches);
  EXPECT_GT(observations, 0);
  EXPECT_EQ(backwards, 0);
  EXPECT_EQ(mismatches, 0);
}

TEST_F(CacheScriptTest, TtlSetOnEveryKeyAndRefreshedByEveryUpdate) {
  LastValueBuffer buffer({.ttl_seconds = 100, .keep_last = 3});
  Add(buffer, "m,s=5 a=1 " + std::to_string(kBase + 10));
  Flush(buffer, *redis_);
  std::vector<std::string> keys = {SeriesKey("inflow:", 5),
                                   "inflow:recent:2:db:7:autogen:m,s=5",
                                   "inflow:index:2:db:7:autogen:m",
                                   "inflow:tag:2:db:7:autogen:1:m:1:s:5"};
  for (const std::string& key : keys) {
    long long ttl = redis_->Integer({"TTL", key});
    EXPECT_TRUE(ttl > 90 && ttl <= 100) << key << " ttl " << ttl;
    EXPECT_EQ(redis_->Integer({"EXPIRE", key, "5"}), 1) << key;
  }
  // An older point changes no value but still refreshes the TTL.
  Add(buffer, "m,s=5 a=0 " + std::to_string(kBase + 9));
  Flush(buffer, *redis_);
  std::string refreshed;
  for (const std::string& key : keys) {
    long long ttl = redis_->Integer({"TTL", key});
    refreshed += " " + std::to_string(ttl);
    EXPECT_TRUE(ttl > 90 && ttl <= 100) << key << " ttl " << ttl;
  }
  EXPECT_EQ(redis_->HashOf(keys[0])["v:a"], "1");
  LastValueBuffer forever({.keep_last = 3});
  Add(forever, "m,s=5 a=2 " + std::to_string(kBase + 11));
  Flush(forever, *redis_);
  for (const std::string& key : keys) EXPECT_EQ(redis_->Integer({"TTL", key}), -1) << key;
  // ttl 1: the series is gone within a few seconds.
  LastValueBuffer brief({.ttl_seconds = 1});
  Add(brief, "m,s=5 a=3 " + std::to_string(kBase + 12));
  Flush(brief, *redis_);
  auto start = std::chrono::steady_clock::now();
  while (redis_->Integer({"EXISTS", keys[0]}) == 1 &&
         std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  auto gone_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - start).count();
  std::printf("[ figures  ] ttl 100: TTLs after EXPIRE 5 and an older update:%s; ttl 0: -1; "
              "ttl 1: series gone after %lld ms\n",
              refreshed.c_str(), static_cast<long long>(gone_ms));
  EXPECT_EQ(redis_->Integer({"EXISTS", keys[0]}), 0);
}

TEST_F(CacheScriptTest, KeepLastKeepsTheNewestPointsInTimeOrder) {
  constexpr int kKeep = 5, kSteps = 40;
  std::mt19937 rng(99);
  std::vector<int> steps;
  for (int k = 0; k < kSteps; ++k) steps.push_back(k);
  std::shuffle(steps.begin(), steps.end(), rng);
  LastValueBuffer buffer({.keep_last = kKeep});
  for (size_t i = 0; i < steps.size(); ++i) {
    Add(buffer, "m,s=6 a=" + std::to_string(steps[i]) + "i " + std::to_string(TimeOf(6, steps[i])));
    if (i % 3 == 2) Flush(buffer, *redis_);  // flushes of 3: most land among older ones
  }
  Flush(buffer, *redis_);
  // The newest point written again with another value, in a flush of its
  // own: the same time replaces its entry, nothing is added.
  Add(buffer, "m,s=6 a=-1i " + std::to_string(TimeOf(6, kSteps - 1)));
  Flush(buffer, *redis_);
  std::vector<std::string> expected;
  for (int k = kSteps - 1; k >= kSteps - kKeep; --k) {
    int value = k == kSteps - 1 ? -1 : k;
    expected.push_back("{\"time\":" + std::to_string(TimeOf(6, k)) +
                       ",\"fields\":{\"a\":" + std::to_string(value) + "}}");
  }
  std::vector<std::string> list = redis_->ListOf("inflow:recent:2:db:7:autogen:m,s=6");
  std::printf("[ figures  ] keep_last %d, %d points shuffled in flushes of 3: list of %zu, "
              "newest %s\n", kKeep, kSteps, list.size(), list.empty() ? "-" : list[0].c_str());
  EXPECT_EQ(list, expected);
}

TEST_F(CacheScriptTest, BadTimeRefusedAndNothingChanged) {
  LastValueBuffer buffer({});
  Add(buffer, "m,s=7 a=1 5");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  updates[0].args[10] = "05";  // a's time, not in AppendTimeText's form
  std::vector<std::string> argv = {"EVAL", std::string(LastValueScript()),
                                   std::to_string(updates[0].keys.size())};
  argv.insert(argv.end(), updates[0].keys.begin(), updates[0].keys.end());
  argv.insert(argv.end(), updates[0].args.begin(), updates[0].args.end());
  Reply r = redis_->Command(argv);
  ASSERT_TRUE(r && r->type == REDIS_REPLY_ERROR);
  EXPECT_NE(std::string(r->str).find("ERR inflow: bad time 05"), std::string::npos) << r->str;
  EXPECT_EQ(redis_->Integer({"EXISTS", updates[0].keys[0]}), 0);
}

}  // namespace
}  // namespace inflow::test
