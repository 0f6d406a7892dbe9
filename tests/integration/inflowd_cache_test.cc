// inflowd's last-value cache against a real Redis: what the keys hold once
// shuffled points, two instances, an outage of Redis or a Redis that is not
// there have come and gone. Only the series hash and the recent list are
// read, as README "Last-value cache: keys and values" documents them; the
// expectations are built from the generated points alone. Every wait polls
// Redis or InfluxDB until what is expected is there or a deadline passes.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cache_redis_connection.h"
#include "inflowd_fixture.h"
#include "support/local_sockets.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Hash = std::map<std::string, std::string>;

// redis.key_prefix's default, which the tests leave as it is.
constexpr std::string_view kPrefix = "inflow:";
constexpr std::string_view kMeasurement = "cache";
constexpr std::string_view kRp = "autogen";

// How long the cache may take to hold what was sent, once it was sent.
constexpr auto kCacheTimeout = 30s;

// One generated point: series `series` at `time`, with field a, b or both;
// its values are made of `serial`, unique within a test.
struct CachePoint {
  int series;
  int64_t time;
  int64_t serial;
  bool has_a;
  bool has_b;
};

std::string HostOf(int series) {
  char host[16];
  std::snprintf(host, sizeof host, "h%04d", series);
  return host;
}

std::string SeriesKeyOf(int series) {
  return std::string(kMeasurement) + ",host=" + HostOf(series);
}

// a is a float, b an integer; as line protocol and as the JSON the hash
// holds. A float of a quarter is exact, and its shortest form is the same
// text in both.
std::string ValueA(int64_t serial) { return std::to_string(serial) + ".25"; }
std::string LineValueB(int64_t serial) { return std::to_string(serial * 3) + "i"; }
std::string JsonValueB(int64_t serial) { return std::to_string(serial * 3); }

std::string LineOf(const CachePoint& p) {
  std::string line = SeriesKeyOf(p.series) + " ";
  if (p.has_a) line += "a=" + ValueA(p.serial);
  if (p.has_a && p.has_b) line += ",";
  if (p.has_b) line += "b=" + LineValueB(p.serial);
  line += " ";
  line += std::to_string(p.time);
  line += "\n";
  return line;
}

std::string LinesOf(const std::vector<CachePoint>& points, size_t begin, size_t end) {
  std::string lines;
  for (size_t i = begin; i < std::min(end, points.size()); ++i) lines += LineOf(points[i]);
  return lines;
}

// `steps` points of each of `series` series, in order of time: series s at
// step k has time base + k * series + s, so that no two points share a
// time. With `single_fields`, each point has a, b or both (chosen by
// `rng`: 0 a alone, 1 b alone, 2 both); without, both.
std::vector<CachePoint> Generate(int series, int steps, int64_t base, int64_t first_serial,
                                 bool single_fields, std::mt19937* rng) {
  std::vector<CachePoint> points;
  points.reserve(static_cast<size_t>(series) * static_cast<size_t>(steps));
  int64_t serial = first_serial;
  for (int k = 0; k < steps; ++k) {
    for (int s = 0; s < series; ++s) {
      unsigned choice = single_fields ? static_cast<unsigned>((*rng)() % 3) : 2;
      points.push_back({s, base + int64_t{k} * series + s, serial++, choice != 1, choice != 0});
    }
  }
  return points;
}

// The hash of each series once all of `points` are merged, as the README
// documents it: the series' greatest time, and per field the value of the
// greatest time among the points that have it.
std::map<int, Hash> ExpectedHashes(const std::vector<CachePoint>& points) {
  struct Latest {
    int64_t time = INT64_MIN;
    int64_t a_time = INT64_MIN, a_serial = 0;
    int64_t b_time = INT64_MIN, b_serial = 0;
  };
  std::map<int, Latest> latest;
  for (const CachePoint& p : points) {
    Latest& l = latest[p.series];
    l.time = std::max(l.time, p.time);
    if (p.has_a && p.time > l.a_time) l.a_time = p.time, l.a_serial = p.serial;
    if (p.has_b && p.time > l.b_time) l.b_time = p.time, l.b_serial = p.serial;
  }
  std::map<int, Hash> hashes;
  for (const auto& [s, l] : latest) {
    Hash& h = hashes[s];
    h["measurement"] = std::string("\"").append(kMeasurement).append("\"");
    h["tags"] = "{\"host\":\"" + HostOf(s) + "\"}";
    h["time"] = std::to_string(l.time);
    if (l.a_time != INT64_MIN) {
      h["v:a"] = ValueA(l.a_serial);
      h["t:a"] = std::to_string(l.a_time);
    }
    if (l.b_time != INT64_MIN) {
      h["v:b"] = JsonValueB(l.b_serial);
      h["t:b"] = std::to_string(l.b_time);
    }
  }
  return hashes;
}

// `D` of the README's keys: <len(db)>:<db>:<len(rp)>:<rp>.
std::string KeyMiddle(std::string_view db, std::string_view rp) {
  std::string middle = std::to_string(db.size());
  middle += ":";
  middle += db;
  middle += ":";
  middle += std::to_string(rp.size());
  middle += ":";
  middle += rp;
  return middle;
}

std::string HashKey(std::string_view db, std::string_view series_key) {
  std::string key(kPrefix);
  key += "series:";
  key += KeyMiddle(db, kRp);
  key += ":";
  key += series_key;
  return key;
}

std::string RecentKey(std::string_view db, std::string_view series_key) {
  std::string key(kPrefix);
  key += "recent:";
  key += KeyMiddle(db, kRp);
  key += ":";
  key += series_key;
  return key;
}

std::string DescribeHash(const Hash& hash) {
  std::string text = "{";
  for (const auto& [field, value] : hash) text += " " + field + "=" + value;
  return text + " }";
}

// The series whose hash is not `expected`; the first of them described in
// *first (when not null).
int WrongSeries(CacheRedisConnection& cache, std::string_view db,
                const std::map<int, Hash>& expected, std::string* first = nullptr) {
  int wrong = 0;
  for (const auto& [s, hash] : expected) {
    Hash held = cache.HashOf(HashKey(db, SeriesKeyOf(s)));
    if (held == hash) continue;
    if (++wrong == 1 && first != nullptr) {
      *first = SeriesKeyOf(s) + ": Redis holds " + DescribeHash(held) + ", expected " +
               DescribeHash(hash);
    }
  }
  return wrong;
}

// A TCP port on 127.0.0.1 that is bound but not listened on, for as long as
// the object lives: connecting to it is refused, and no other process can
// take it meanwhile (as one could a port that FreePort found free).
class RefusingPort {
 public:
  RefusingPort() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    // sockaddr_in is designed to be passed as a sockaddr.
    auto* generic = reinterpret_cast<sockaddr*>(&address);
    if (fd_ >= 0 && bind(fd_, generic, sizeof address) == 0 &&
        getsockname(fd_, generic, &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~RefusingPort() {
    if (fd_ >= 0) close(fd_);
  }
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;

  // 0 if no port could be bound.
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

class InflowdCacheTest : public InflowdTest {
 protected:
  // A connection of the test's own to the Redis inflowd writes to.
  std::unique_ptr<CacheRedisConnection> ConnectToRedis() {
    auto connection =
        std::make_unique<CacheRedisConnection>(redis()->host(), redis()->port());
    EXPECT_TRUE(connection->ok()) << connection->error();
    return connection;
  }

  // Sends `points` to listener 0 (a unix stream), `per_write` lines to a
  // connection.
  void SendPoints(const std::vector<CachePoint>& points, size_t per_write) {
    for (size_t begin = 0; begin < points.size(); begin += per_write) {
      ASSERT_NO_FATAL_FAILURE(Send(0, LinesOf(points, begin, begin + per_write)));
    }
  }

  // Polls until every series' hash is as `expected`; returns the series
  // still wrong then (0 on success), after a failure naming the first.
  int WaitForHashes(CacheRedisConnection& cache, const std::map<int, Hash>& expected,
                    std::chrono::milliseconds timeout = kCacheTimeout) {
    int wrong = static_cast<int>(expected.size());
    std::string first;
    PollUntil(timeout, [&] { return (wrong = WrongSeries(cache, db_, expected, &first)) == 0; });
    EXPECT_EQ(wrong, 0) << "series wrong in Redis after " << timeout.count() << " ms (inflowd "
                        << (inflowd_->running() ? "runs" : inflowd_->exit_description())
                        << "); the first: " << first;
    return wrong;
  }
};

int64_t Occurrences(std::string_view text, std::string_view part) {
  int64_t count = 0;
  for (size_t at = text.find(part); at != std::string_view::npos;
       at = text.find(part, at + part.size())) {
    ++count;
  }
  return count;
}

// A unix stream connection of its own, for an inflowd other than the
// fixture's.
void SendTo(const std::string& path, std::string_view lines) {
  UnixStreamConnection connection(Clock::now() + 10s);
  Status status = connection.Connect(path);
  if (status.ok()) status = connection.WriteAll(lines);
  ASSERT_TRUE(status.ok()) << status.message();
}

// ---------------------------------------------------------------------------

TEST_F(InflowdCacheTest, HoldsTheGreatestTimeOfEveryFieldAfterShuffledPoints) {
  constexpr int kSeries = 1000;
  constexpr int kSteps = 100;
  constexpr int64_t kPoints = int64_t{kSeries} * kSteps;
  constexpr size_t kLinesPerWrite = 10'000;
  constexpr auto kFlushInterval = 1s;
  ASSERT_NO_FATAL_FAILURE(StartInflowd(
      {.sessions = {Prompt("autogen")},
       .listeners = {{ListenerKind::kUnixStream}},
       .redis_options = {"flush_interval: " + std::to_string(kFlushInterval.count()) + "s"}}));
  std::unique_ptr<CacheRedisConnection> cache = ConnectToRedis();
  ASSERT_TRUE(cache->ok());
  std::mt19937 rng(20261202);
  std::vector<CachePoint> points = Generate(kSeries, kSteps, RecentTime(), 0, true, &rng);
  std::shuffle(points.begin(), points.end(), rng);
  const std::map<int, Hash> expected = ExpectedHashes(points);
  ASSERT_EQ(expected.size(), static_cast<size_t>(kSeries));
  Reply reset = cache->Command({"CONFIG", "RESETSTAT"});
  ASSERT_TRUE(reset && reset->type == REDIS_REPLY_STATUS);

  const auto start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(SendPoints(points, kLinesPerWrite));
  const int64_t send_ms = MillisecondsSince(start);
  const int wrong = WaitForHashes(*cache, expected, 60s);
  const int64_t cached_ms = MillisecondsSince(start);
  const long long evalsha = cache->CommandCalls("evalsha");
  const int64_t counted_ms = MillisecondsSince(start);

  // Flushes on the timer start at least flush_interval apart (it is armed
  // only when it is not running), the first one flush_interval after the
  // first point; each sends one EVALSHA per series pending (or sent
  // again), at most kSeries. So by counted_ms at most counted_ms /
  // flush_interval of them have started; one more allows for timers
  // rounded to the loop's millisecond. A connection made again flushes at
  // once, outside the timer: one more for each (none is expected). The
  // bound grows with the series and the time taken, not with the points;
  // with the 60 s deadline above it stays below kPoints, which the last
  // expectation holds it to.
  const int64_t reconnections = Occurrences(inflowd_->Log(), "connected to Redis") - 1;
  const int64_t flushes_bound = counted_ms / (kFlushInterval / 1ms) + 1 + reconnections;
  const long long evalsha_bound = kSeries * flushes_bound;
  Report("points", kPoints);
  Report("series", kSeries);
  Report("send", send_ms, "ms");
  Report("cache right after", cached_ms, "ms");
  Report("series wrong", wrong);
  Report("evalsha calls", evalsha);
  Report("connections to Redis made again", reconnections);
  Report("evalsha bound (series x flushes that could have started)", evalsha_bound);
  EXPECT_EQ(wrong, 0);
  EXPECT_GE(evalsha, kSeries) << "fewer EVALSHA calls than series";
  EXPECT_LE(evalsha, evalsha_bound) << "more EVALSHA calls than " << flushes_bound
                                    << " flushes of " << kSeries << " series could make";
  EXPECT_LT(evalsha, kPoints) << "EVALSHA calls grow with the points";
}

TEST_F(InflowdCacheTest, TwoInflowdOnOneRedisNeverMoveBackwards) {
  constexpr int kSeries = 200;
  constexpr int kSteps = 50;
  constexpr size_t kLinesPerWrite = 250;
  // A short interval, so that the two instances' flushes interleave.
  const InflowdSpec spec{.sessions = {Prompt("autogen")},
                         .listeners = {{ListenerKind::kUnixStream}},
                         .redis_options = {"flush_interval: 10ms"}};
  ASSERT_NO_FATAL_FAILURE(StartInflowd(spec));
  std::unique_ptr<InflowdProcess> first = std::move(inflowd_);
  const std::string first_path = spec_.listeners[0].path;
  ASSERT_NO_FATAL_FAILURE(StartInflowd(spec));
  const std::string second_path = spec_.listeners[0].path;
  struct PrintOnFailure {
    InflowdProcess* inflowd;
    ~PrintOnFailure() {
      if (::testing::Test::HasFailure()) {
        std::cerr << "end of the first inflowd's log:\n" << inflowd->LogTail(8192) << "\n";
      }
    }
  } print_on_failure{first.get()};
  std::unique_ptr<CacheRedisConnection> cache = ConnectToRedis();
  ASSERT_TRUE(cache->ok());

  // Each point goes to one instance or the other, in shuffled order, a
  // write to each in turn.
  std::mt19937 rng(7);
  const int64_t base = RecentTime();
  std::vector<CachePoint> points = Generate(kSeries, kSteps, base, 0, true, &rng);
  std::shuffle(points.begin(), points.end(), rng);
  std::vector<CachePoint> to_first, to_second;
  for (const CachePoint& p : points) (rng() % 2 == 0 ? to_first : to_second).push_back(p);
  const std::map<int, Hash> expected = ExpectedHashes(points);

  // Every time each poll sees, per series and field: a later poll must
  // never see an earlier one.
  std::map<std::pair<int, std::string>, int64_t> seen;
  int backwards = 0;
  auto watch = [&] {
    for (int s = 0; s < kSeries; ++s) {
      Hash held = cache->HashOf(HashKey(db_, SeriesKeyOf(s)));
      for (const char* field : {"time", "t:a", "t:b"}) {
        auto it = held.find(field);
        if (it == held.end()) continue;
        int64_t time = std::stoll(it->second);
        auto [at, inserted] = seen.try_emplace({s, field}, time);
        if (!inserted && time < at->second) ++backwards;
        at->second = std::max(at->second, time);
      }
    }
  };
  int polls = 0;
  for (size_t begin = 0; begin < std::max(to_first.size(), to_second.size());
       begin += kLinesPerWrite) {
    if (begin < to_first.size()) {
      ASSERT_NO_FATAL_FAILURE(SendTo(first_path, LinesOf(to_first, begin, begin + kLinesPerWrite)));
    }
    if (begin < to_second.size()) {
      ASSERT_NO_FATAL_FAILURE(
          SendTo(second_path, LinesOf(to_second, begin, begin + kLinesPerWrite)));
    }
    watch();
    ++polls;
  }
  int wrong = kSeries;
  PollUntil(kCacheTimeout, [&] {
    watch();
    ++polls;
    return (wrong = WrongSeries(*cache, db_, expected)) == 0;
  });
  EXPECT_EQ(wrong, 0) << "series without their greatest times";

  // Then points older than all the others, to both, each followed by a
  // marker of its own: once a marker is in Redis, its instance has written
  // the older points before it (one connection, answered in order).
  std::vector<CachePoint> older =
      Generate(kSeries, 2, base - 1'000'000'000, 1'000'000, false, &rng);
  const int64_t marker_time = RecentTime();
  auto marker = [&](std::string_view from) {
    std::string line = "cache_marker,from=";
    line.append(from);
    line.append(" f=1i ");
    line.append(std::to_string(marker_time));
    line.push_back('\n');
    return line;
  };
  ASSERT_NO_FATAL_FAILURE(SendTo(first_path, LinesOf(older, 0, older.size()) + marker("first")));
  ASSERT_NO_FATAL_FAILURE(
      SendTo(second_path, LinesOf(older, 0, older.size()) + marker("second")));
  bool markers = PollUntil(kCacheTimeout, [&] {
    watch();
    ++polls;
    return !cache->HashOf(HashKey(db_, "cache_marker,from=first")).empty() &&
           !cache->HashOf(HashKey(db_, "cache_marker,from=second")).empty();
  });
  EXPECT_TRUE(markers) << "the markers did not reach Redis";
  const int wrong_after_older = WrongSeries(*cache, db_, expected);

  // SIGTERM writes what either still holds.
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  ASSERT_TRUE(first->Signal(SIGTERM).ok());
  EXPECT_EQ(first->exit_description(), "exited with status 0");
  watch();
  const int wrong_at_end = WrongSeries(*cache, db_, expected);
  Report("points", static_cast<int64_t>(points.size() + 2 * older.size()));
  Report("points to the first", static_cast<int64_t>(to_first.size() + older.size()));
  Report("points to the second", static_cast<int64_t>(to_second.size() + older.size()));
  Report("polls", polls);
  Report("times seen moving backwards", backwards);
  Report("series wrong after the older points", wrong_after_older);
  Report("series wrong once both stopped", wrong_at_end);
  EXPECT_EQ(backwards, 0);
  EXPECT_EQ(wrong_after_older, 0);
  EXPECT_EQ(wrong_at_end, 0);
}

TEST_F(InflowdCacheTest, WritesWhatItHeldOnceRedisIsBack) {
  constexpr int kSeries = 100;
  constexpr int kSteps = 10;
  constexpr size_t kLinesPerWrite = 200;
  ASSERT_NO_FATAL_FAILURE(UseOwnRedis());
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {Prompt("autogen")},
                                        .listeners = {{ListenerKind::kUnixStream}},
                                        .redis_options = {"flush_interval: 50ms",
                                                          "timeout: 500ms"}}));
  std::mt19937 rng(11);
  const int64_t base = RecentTime();
  // Every point has both fields, so that SELECT count counts points.
  std::vector<CachePoint> before = Generate(kSeries, kSteps, base, 0, false, &rng);
  std::vector<CachePoint> during =
      Generate(kSeries, kSteps, base + 1'000'000'000, 1'000'000, false, &rng);
  std::shuffle(before.begin(), before.end(), rng);
  std::shuffle(during.begin(), during.end(), rng);
  {
    std::unique_ptr<CacheRedisConnection> cache = ConnectToRedis();
    ASSERT_TRUE(cache->ok());
    ASSERT_NO_FATAL_FAILURE(SendPoints(before, kLinesPerWrite));
    ASSERT_EQ(WaitForHashes(*cache, ExpectedHashes(before)), 0);
  }

  redis()->Kill();
  const auto down = Clock::now();
  ASSERT_NO_FATAL_FAILURE(SendPoints(during, kLinesPerWrite));
  const uint64_t all = before.size() + during.size();
  uint64_t stored = 0;
  PollUntil(kCacheTimeout, [&] { return (stored = CountIn(kRp, kMeasurement)) == all; });
  const int64_t ingested_ms = MillisecondsSince(down);
  ASSERT_EQ(stored, all) << "points stored in InfluxDB while Redis was down";

  // The same port, an empty dataset: only what inflowd held can make the
  // hashes right (the points before the outage are older).
  Status status = redis()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto up = Clock::now();
  std::unique_ptr<CacheRedisConnection> cache = ConnectToRedis();
  ASSERT_TRUE(cache->ok());
  const int wrong = WaitForHashes(*cache, ExpectedHashes(during));
  const int64_t recovery_ms = MillisecondsSince(up);
  EXPECT_TRUE(inflowd_->running()) << inflowd_->exit_description();
  Report("points before the outage", static_cast<int64_t>(before.size()));
  Report("points during the outage", static_cast<int64_t>(during.size()));
  Report("all points in InfluxDB after", ingested_ms, "ms");
  Report("cache right after Redis was back", recovery_ms, "ms");
  Report("series wrong", wrong);
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
}

TEST_F(InflowdCacheTest, KeepsTheLastNPointsAndRefreshesTheTtl) {
  constexpr int64_t kTtlMs = 100'000;
  ASSERT_NO_FATAL_FAILURE(StartInflowd(
      {.sessions = {Prompt("autogen")},
       .listeners = {{ListenerKind::kUnixStream}},
       .redis_options = {"keep_last: 3", "ttl: 100s", "flush_interval: 20ms"}}));
  std::unique_ptr<CacheRedisConnection> cache = ConnectToRedis();
  ASSERT_TRUE(cache->ok());
  const std::string series = std::string(kMeasurement) + ",host=recent";
  const std::string hash_key = HashKey(db_, series);
  const std::string recent_key = RecentKey(db_, series);
  const int64_t t = RecentTime();
  auto line = [&](int k) {
    return series + " f=" + std::to_string(k) + "i " + std::to_string(t + k) + "\n";
  };
  auto entry = [&](int k) {
    return "{\"time\":" + std::to_string(t + k) + ",\"fields\":{\"f\":" + std::to_string(k) +
           "}}";
  };
  auto wait_for_time = [&](int k) {
    return PollUntil(kCacheTimeout, [&] {
      return cache->HashOf(hash_key)["time"] == std::to_string(t + k);
    });
  };
  // Out of order, in two writes: the list is merged in inflowd (the
  // first write's points), then in Redis (the second's).
  ASSERT_NO_FATAL_FAILURE(Send(0, line(2) + line(0) + line(4)));
  ASSERT_TRUE(wait_for_time(4)) << DescribeHash(cache->HashOf(hash_key));
  EXPECT_EQ(cache->ListOf(recent_key), (std::vector<std::string>{entry(4), entry(2), entry(0)}));
  ASSERT_NO_FATAL_FAILURE(Send(0, line(1) + line(3)));
  std::vector<std::string> expected = {entry(4), entry(3), entry(2)};
  std::vector<std::string> recent;
  PollUntil(kCacheTimeout, [&] { return (recent = cache->ListOf(recent_key)) == expected; });
  EXPECT_EQ(recent, expected);
  EXPECT_EQ(cache->HashOf(hash_key)["v:f"], "4");

  const long long hash_ttl = cache->Integer({"PTTL", hash_key});
  const long long recent_ttl = cache->Integer({"PTTL", recent_key});
  EXPECT_GT(hash_ttl, 0);
  EXPECT_LE(hash_ttl, kTtlMs);
  EXPECT_GT(recent_ttl, 0);
  EXPECT_LE(recent_ttl, kTtlMs);
  // A second passes (the TTL falls by it), then a new point must set it
  // back near 100 s: higher than just before, by more than the few
  // milliseconds the write and the polling take.
  long long hash_before = hash_ttl;
  long long recent_before = recent_ttl;
  ASSERT_TRUE(PollUntil(10s, [&] {
    hash_before = cache->Integer({"PTTL", hash_key});
    recent_before = cache->Integer({"PTTL", recent_key});
    return hash_before <= hash_ttl - 1000 && recent_before <= recent_ttl - 1000;
  })) << "PTTL " << hash_before << " did not fall from " << hash_ttl;
  ASSERT_NO_FATAL_FAILURE(Send(0, line(5)));
  ASSERT_TRUE(wait_for_time(5)) << DescribeHash(cache->HashOf(hash_key));
  const long long hash_after = cache->Integer({"PTTL", hash_key});
  const long long recent_after = cache->Integer({"PTTL", recent_key});
  EXPECT_EQ(cache->ListOf(recent_key), (std::vector<std::string>{entry(5), entry(4), entry(3)}));
  Report("hash PTTL after the first points", hash_ttl, "ms");
  Report("hash PTTL before the new point", hash_before, "ms");
  Report("hash PTTL after the new point", hash_after, "ms");
  Report("recent PTTL before the new point", recent_before, "ms");
  Report("recent PTTL after the new point", recent_after, "ms");
  EXPECT_GT(hash_after, hash_before);
  EXPECT_LE(hash_after, kTtlMs);
  EXPECT_GT(recent_after, recent_before);
  EXPECT_LE(recent_after, kTtlMs);
}

TEST_F(InflowdCacheTest, IngestionGoesOnWhileRedisIsDown) {
  constexpr int kSeries = 50;
  constexpr int kSteps = 20;
  RefusingPort nobody;
  ASSERT_NE(nobody.port(), 0) << "no port to leave unanswered";
  ASSERT_NO_FATAL_FAILURE(StartInflowd(
      {.sessions = {Prompt("autogen")},
       .listeners = {{ListenerKind::kUnixStream}},
       .redis_url = std::string("redis://127.0.0.1:").append(std::to_string(nobody.port()))
                        .append("/0"),
       .redis_options = {"flush_interval: 20ms", "timeout: 200ms"}}));
  std::mt19937 rng(5);
  std::vector<CachePoint> points = Generate(kSeries, kSteps, RecentTime(), 0, false, &rng);
  const auto start = Clock::now();
  ASSERT_NO_FATAL_FAILURE(SendPoints(points, 100));
  uint64_t stored = 0;
  PollUntil(kCacheTimeout, [&] { return (stored = CountIn(kRp, kMeasurement)) == points.size(); });
  const int64_t stored_ms = MillisecondsSince(start);
  Report("points", static_cast<int64_t>(points.size()));
  Report("points in InfluxDB", static_cast<int64_t>(stored));
  Report("all points in InfluxDB after", stored_ms, "ms");
  EXPECT_EQ(stored, points.size());
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  const std::string not_written = std::to_string(kSeries) + " series not written";
  EXPECT_TRUE(inflowd_->LogMentions(not_written))
      << "its log does not say \"" << not_written << "\":\n"
      << inflowd_->LogTail();
}

// SIGTERM while a flush waits for Redis, with more series pending behind
// it; then Redis closes the connection (CLIENT KILL) before answering. The
// answers lost end the flush, and inflowd must stop as it says it does:
// exit 0, with the series it could not write logged. CLIENT PAUSE WRITE
// holds the flush: Redis reads the EVALSHA commands and runs none of them,
// so the close is a clean one (FIN), as when Redis shuts down.
TEST_F(InflowdCacheTest, StopsCleanlyWhenRedisClosesTheConnectionDuringTheLastFlush) {
  constexpr int kSeries = 50;
  ASSERT_NO_FATAL_FAILURE(UseOwnRedis());
  // The answer timeout is longer than the test, so that only the loss of
  // the connection ends the flush.
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {Prompt("autogen")},
                                        .listeners = {{ListenerKind::kUnixStream}},
                                        .redis_options = {"flush_interval: 20ms",
                                                          "timeout: 60s"}}));
  std::mt19937 rng(3);
  const int64_t base = RecentTime();
  std::vector<CachePoint> first = Generate(kSeries, 1, base, 0, false, &rng);
  {
    std::unique_ptr<CacheRedisConnection> cache = ConnectToRedis();
    ASSERT_TRUE(cache->ok());
    ASSERT_NO_FATAL_FAILURE(SendPoints(first, first.size()));
    ASSERT_EQ(WaitForHashes(*cache, ExpectedHashes(first)), 0);
  }
  auto command = [&](const std::vector<std::string>& args) {
    std::string reply;
    Status status = redis()->Command(args, &reply);
    EXPECT_TRUE(status.ok()) << args[0] << ": " << status.message();
    return reply;
  };
  ASSERT_EQ(command({"CLIENT", "PAUSE", "60000", "WRITE"}), "OK");

  // A flush in flight: newer points of the same series, until Redis holds
  // inflowd's connection on an EVALSHA with nothing left unread.
  std::vector<CachePoint> in_flight = Generate(kSeries, 1, base + 1'000'000, 1000, false, &rng);
  ASSERT_NO_FATAL_FAILURE(SendPoints(in_flight, in_flight.size()));
  // (CLIENT LIST names a client's last command; flags=b: it is blocked.)
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] {
    return command({"CLIENT", "LIST"}).find("flags=b ") != std::string::npos &&
           redis()->UnreadBytes() == 0;
  })) << "no flush held in Redis: "
      << command({"CLIENT", "LIST"});
  // Pending behind it: points of other series, admitted (in the spool)
  // once InfluxDB has them.
  std::vector<CachePoint> pending =
      Generate(2 * kSeries, 1, base + 2'000'000, 2000, false, &rng);
  pending.erase(pending.begin(), pending.begin() + kSeries);
  ASSERT_NO_FATAL_FAILURE(SendPoints(pending, pending.size()));
  const uint64_t all = first.size() + in_flight.size() + pending.size();
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] { return CountIn(kRp, kMeasurement) == all; }));

  // The engine has stopped the cache once it says "inflowd stopped"; the
  // flush still waits then.
  ASSERT_EQ(kill(inflowd_->pid(), SIGTERM), 0);
  ASSERT_TRUE(PollUntil(kCacheTimeout, [&] { return inflowd_->LogMentions("inflowd stopped"); }))
      << inflowd_->LogTail();
  ASSERT_TRUE(inflowd_->running()) << "inflowd did not wait for the flush in flight";
  EXPECT_EQ(command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"}), "1");
  const auto closed = Clock::now();
  const bool exited = inflowd_->WaitForExit(InflowdProcess::kStopTimeout);
  Report("inflowd", exited ? inflowd_->exit_description() : "still runs");
  Report("exit after the connection closed", MillisecondsSince(closed), "ms");
  EXPECT_TRUE(exited);
  EXPECT_EQ(inflowd_->exit_description(), "exited with status 0");
  // Not written: the latest values of the series in flight and of those
  // pending.
  const std::string not_written = std::to_string(2 * kSeries) + " series not written";
  EXPECT_TRUE(inflowd_->LogMentions(not_written))
      << "its log does not say \"" << not_written << "\"";
}

}  // namespace
}  // namespace inflow::test
