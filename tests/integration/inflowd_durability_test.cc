// inflowd's promise, end to end: a point it accepted reaches InfluxDB, once,
// whatever happens to either process. A point counts as accepted once it is
// in inflowd's spool; over HTTP, the 204 says so. These tests SIGKILL
// InfluxDB for 20 seconds in the middle of a stream, and SIGKILL inflowd ten
// times while clients write to it, and then look for every point.
//
// SIGKILL leaves the kernel's page cache alone, so spool.fsync does not
// matter here: what a killed inflowd wrote to its spool is read back at the
// next start. A replay writes again points InfluxDB may already hold;
// InfluxDB stores a point of the same series and timestamp once. So every
// point sent here has a timestamp and a value of its own: a count of the
// points stored equal to the number sent shows each stored once, and the sum
// of their values that none was stored with another's value.
//
// Each test prints its figures (what was sent, acknowledged, stored, and how
// long things took) and records them as properties of the test's XML report.
// A random test draws its waits from a seed it prints; set
// INFLOW_DURABILITY_SEED to run it again with the same waits.

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "inflowd_fixture.h"
#include "support/http_client.h"
#include "support/local_sockets.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::string Seconds(Clock::duration duration) {
  std::ostringstream out;
  out.precision(3);
  out << std::fixed << std::chrono::duration<double>(duration).count() << " s";
  return out.str();
}

// a - b, signed, for a figure.
std::string Difference(uint64_t a, uint64_t b) {
  return std::to_string(static_cast<int64_t>(a) - static_cast<int64_t>(b));
}

// The number at the start of `text`, or nullopt.
std::optional<int64_t> NumberAt(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc()) return std::nullopt;
  return value;
}

// The numbers after the time in the first row of the first series of an
// InfluxQL answer with integer times ({"values":[[0,a,b,...]]}); empty when
// there is no series (no point matched).
std::vector<int64_t> FirstRow(std::string_view json) {
  std::vector<int64_t> row;
  const std::string_view key = "\"values\":[[";
  size_t at = json.find(key);
  if (at == std::string_view::npos) return row;
  at = json.find_first_of(",]", at + key.size());
  while (at != std::string_view::npos && json[at] == ',') {
    std::optional<int64_t> value = NumberAt(json.substr(at + 1));
    if (!value) break;
    row.push_back(*value);
    at = json.find_first_of(",]", at + 1);
  }
  return row;
}

// For an answer to `SELECT count(..) ... GROUP BY <tag>` whose tag values
// are integers: each series' tag value and its count. Adds a failure for a
// series it cannot read.
std::map<int64_t, uint64_t> CountsByTag(std::string_view json, std::string_view tag) {
  std::map<int64_t, uint64_t> counts;
  const std::string key = "\"tags\":{\"" + std::string(tag) + "\":\"";
  for (size_t at = json.find(key); at != std::string_view::npos; at = json.find(key, at)) {
    at += key.size();
    std::optional<int64_t> id = NumberAt(json.substr(at));
    std::vector<int64_t> row = FirstRow(json.substr(at));
    if (!id || row.empty() || row.front() < 0) {
      ADD_FAILURE() << "cannot read a series of " << json.substr(at - key.size(), 200);
      continue;
    }
    counts[*id] = static_cast<uint64_t>(row.front());
  }
  return counts;
}

// What a session's line in the log of a clean stop says it did.
struct SessionFigures {
  uint64_t accepted = 0;
  uint64_t delivered = 0;
  uint64_t writes = 0;
  uint64_t dead_letters = 0;
  uint64_t failed_writes = 0;
};

// The figures of the last "points accepted" line of `log`; nullopt if none.
// (Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized in the
// sanitized build.)
std::optional<SessionFigures> LastSessionFigures(const std::string& log) {
  size_t at = log.rfind(" points accepted, ");
  if (at == std::string::npos) return std::nullopt;
  while (at > 0 && std::isdigit(static_cast<unsigned char>(log[at - 1]))) --at;
  SessionFigures f;
  unsigned long long accepted = 0, delivered = 0, writes = 0, dead = 0, failed = 0;
  if (std::sscanf(log.c_str() + at,
                  "%llu points accepted, %llu delivered in %llu writes, %*u in writes InfluxDB "
                  "refused in part (the lines it refused kept as dead letters), %llu in whole "
                  "batches kept as dead letters, %llu failed writes",
                  &accepted, &delivered, &writes, &dead, &failed) != 5) {
    return std::nullopt;
  }
  f.accepted = accepted;
  f.delivered = delivered;
  f.writes = writes;
  f.dead_letters = dead;
  f.failed_writes = failed;
  return f;
}

class InflowdDurabilityTest : public InflowdTest {
 protected:
  // Runs `q` in the test's database; adds a failure and returns "" if it
  // fails.
  std::string Query(const std::string& q) {
    std::string json;
    Status status = influxdb()->Query(q, db_, &json);
    EXPECT_TRUE(status.ok()) << q << ": " << status.message();
    EXPECT_EQ(json.find("\"error\""), std::string::npos) << q << ": " << json;
    return status.ok() ? json : std::string();
  }

  std::string From(std::string_view rp, std::string_view m) const {
    return " FROM " + Quoted(db_) + "." + Quoted(rp) + "." + Quoted(m);
  }
};

// ---------------------------------------------------------------------------
// InfluxDB killed for 20 seconds.
//
// One client streams 100,000 points over one Unix stream connection for
// about 25 s; when a fifth of them are sent, InfluxDB is SIGKILLed, and 20 s
// later started again on the same data (its WAL keeps what it acknowledged).
// inflowd must go on accepting points meanwhile, retry its writes, and,
// once InfluxDB is back, deliver every point: exactly 100,000 stored.

constexpr uint64_t kStreamPoints = 100'000;
constexpr uint64_t kStreamPointsPerWrite = 500;
constexpr auto kStreamWriteInterval = 125ms;  // 200 writes: 25 s
constexpr auto kInfluxDbOutage = 20s;
// The stream ends about when InfluxDB comes back; then inflowd has 80,000
// points to deliver, in batches of 1,000, after a backoff of at most 1 s.
constexpr auto kCatchUpTimeout = 30s;
// The stream's connection gives up after this: far beyond its 25 s.
constexpr auto kStreamDeadline = 50s;

TEST_F(InflowdDurabilityTest, StoresEveryPointWhenInfluxDbIsKilledFor20Seconds) {
  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  // A retry at least every second notices InfluxDB's return quickly.
  ASSERT_NO_FATAL_FAILURE(StartInflowd({
      .sessions = {{std::string(kFourWeeks), 1000, "200ms"}},
      .listeners = {{ListenerKind::kUnixStream}},
      .influxdb_options = {"retry_initial_interval: 100ms", "retry_max_interval: 1s"},
  }));
  const std::string path = spec_.listeners[0].path;
  const int64_t t0 = RecentTime();
  const auto start = Clock::now();

  // Point i: value i, time t0 + i µs, in one series.
  std::atomic<uint64_t> sent{0};
  Status send_status;  // the sender's; read after it has ended
  std::jthread sender([&](std::stop_token stop) {
    UnixStreamConnection connection(start + kStreamDeadline);
    send_status = connection.Connect(path);
    auto next = start;
    std::string lines;
    for (uint64_t i = 0; send_status.ok() && i < kStreamPoints && !stop.stop_requested();) {
      lines.clear();
      for (const uint64_t end = i + kStreamPointsPerWrite; i < end; ++i) {
        const auto n = static_cast<int64_t>(i);
        lines += Line("dur", "", n, t0 + n * 1000);
      }
      send_status = connection.WriteAll(lines);
      if (send_status.ok()) sent.store(i);
      next += kStreamWriteInterval;
      std::this_thread::sleep_until(next);
    }
    connection.Close();
  });

  const auto kill_deadline = start + 20s;
  while (sent.load() < kStreamPoints / 5 && Clock::now() < kill_deadline) {
    std::this_thread::sleep_for(10ms);
  }
  ASSERT_GE(sent.load(), kStreamPoints / 5) << "the stream is stuck";
  const uint64_t stored_before_kill = CountIn(kFourWeeks, "dur");
  const uint64_t sent_before_kill = sent.load();
  influxdb()->Kill();
  const auto killed_at = Clock::now();
  // The outage is the subject of the test; the stream goes on meanwhile.
  std::this_thread::sleep_until(killed_at + kInfluxDbOutage);
  ASSERT_TRUE(inflowd_->running()) << "inflowd " << inflowd_->exit_description();
  const uint64_t sent_during_outage = sent.load() - sent_before_kill;
  const bool retried = inflowd_->LogMentions("failed, next in");
  Status status = influxdb()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto restarted_at = Clock::now();
  sender.join();
  ASSERT_TRUE(send_status.ok()) << send_status.message();
  ASSERT_EQ(sent.load(), kStreamPoints);
  const auto sent_all_at = Clock::now();

  uint64_t stored = 0;
  const auto deadline = restarted_at + kCatchUpTimeout;
  while (true) {
    stored = CountIn(kFourWeeks, "dur");
    if (stored >= kStreamPoints || Clock::now() >= deadline || !inflowd_->running()) break;
    std::this_thread::sleep_for(100ms);
  }
  const auto stored_at = Clock::now();

  // count(f): the distinct times of the one series; sum(f): each value once.
  const std::vector<int64_t> row =
      FirstRow(Query("SELECT count(f), sum(f), min(f), max(f)" + From(kFourWeeks, "dur")));
  ASSERT_EQ(row.size(), 4u) << "no points stored";
  constexpr auto kN = static_cast<int64_t>(kStreamPoints);
  EXPECT_EQ(row[0], kN) << "points stored, each time once";
  EXPECT_EQ(row[1], kN * (kN - 1) / 2) << "the sum of the values 0.." << kN - 1;
  EXPECT_EQ(row[2], 0);
  EXPECT_EQ(row[3], kN - 1);
  EXPECT_TRUE(retried) << "inflowd's log shows no failed write while InfluxDB was down";

  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  std::optional<SessionFigures> figures = LastSessionFigures(inflowd_->Log());
  ASSERT_TRUE(figures) << "inflowd's log has no session figures";
  EXPECT_EQ(figures->accepted, kStreamPoints);
  EXPECT_EQ(figures->delivered, kStreamPoints);
  EXPECT_EQ(figures->dead_letters, 0u);

  Report("points_sent", sent.load());
  Report("points_sent_during_outage", sent_during_outage);
  Report("points_stored_before_kill", stored_before_kill);
  Report("points_stored", stored);
  Report("points_stored_minus_sent", std::to_string(row[0] - kN));
  Report("points_accepted_by_inflowd", figures->accepted);
  Report("points_delivered_by_inflowd", figures->delivered);
  // Points written to InfluxDB in more than one successful write (a failed
  // write may have been stored in part too; InfluxDB cannot tell).
  Report("points_delivered_twice", Difference(figures->delivered, figures->accepted));
  Report("writes_delivered", figures->writes);
  Report("writes_failed", figures->failed_writes);
  Report("influxdb_down_for", Seconds(restarted_at - killed_at));
  Report("stream_took", Seconds(sent_all_at - start));
  Report("all_stored_after_influxdb_restart", Seconds(stored_at - restarted_at));
  Report("test_took", Seconds(Clock::now() - start));
}

// ---------------------------------------------------------------------------
// inflowd killed ten times.
//
// Three clients each POST a batch of 100 points every 20 ms, each batch
// with a tag batch=<id> of its own, and note which batches were answered
// 204 (acknowledged). Ten times, after a random 200 to 1500 ms, inflowd is
// SIGKILLed and started again on the same spool and port; the clients'
// requests meanwhile fail (refused or cut), and they go on with new
// batches. inflowd must start every time, and in the end every point of
// every acknowledged batch must be stored. Points of a batch not
// acknowledged may be stored, or not, or in part: inflowd may have spooled
// them before it was killed.

constexpr int kClients = 3;
constexpr int64_t kPointsPerBatch = 100;
constexpr auto kBatchPoints = static_cast<uint64_t>(kPointsPerBatch);
constexpr auto kBatchInterval = 20ms;
constexpr int kKills = 10;
constexpr int64_t kBatchIdsPerClient = 1'000'000;
// A bound on each client's loop, far beyond the ~600 batches of the test.
constexpr int64_t kMaxBatchesPerClient = 20'000;
constexpr auto kRequestTimeout = 5s;
// Each restart replays the spool's newest segment whole (the acknowledged
// position is not kept on disk): by the end, about every point sent.
constexpr auto kDeliveryTimeout = 40s;
constexpr std::string_view kKillMeasurement = "killed";

struct ClientRecord {
  int64_t batches_sent = 0;  // ids c * kBatchIdsPerClient + [0, batches_sent)
  std::vector<int64_t> acknowledged;
  uint64_t failed = 0;      // no answer: refused, cut, timed out
  uint64_t unexpected = 0;  // an answer other than 204
  std::string first_unexpected;
};

uint32_t DurabilitySeed() {
  const char* text = std::getenv("INFLOW_DURABILITY_SEED");
  if (text != nullptr && *text != '\0') {
    return static_cast<uint32_t>(std::strtoul(text, nullptr, 10));
  }
  return std::random_device()();
}

TEST_F(InflowdDurabilityTest, KeepsEveryAcknowledgedPointAcrossTenKills) {
  ASSERT_NO_FATAL_FAILURE(StartInflowd({
      .sessions = {{std::string(kFourWeeks), 500, "100ms"}},
      .listeners = {{ListenerKind::kHttp}},
  }));
  const uint16_t port = spec_.listeners[0].port;
  const std::string target = "/write?db=" + db_ + "&rp=" + std::string(kFourWeeks);
  const int64_t t0 = RecentTime();
  const auto start = Clock::now();

  std::vector<ClientRecord> records(kClients);
  std::vector<std::jthread> clients;
  for (int c = 0; c < kClients; ++c) {
    clients.emplace_back([&, c](std::stop_token stop) {
      ClientRecord& record = records[static_cast<size_t>(c)];
      auto next = Clock::now();
      std::string body;
      for (; record.batches_sent < kMaxBatchesPerClient && !stop.stop_requested();
           ++record.batches_sent) {
        const int64_t batch = c * kBatchIdsPerClient + record.batches_sent;
        const std::string tags = "batch=" + std::to_string(batch);
        body.clear();
        for (int64_t k = 0; k < kPointsPerBatch; ++k) {
          const int64_t n = batch * kPointsPerBatch + k;
          body += Line(kKillMeasurement, tags, n, t0 + n);
        }
        HttpResponse response;
        Status status = SendHttpRequest("POST", "127.0.0.1", port, target, body, {}, &response,
                                        kRequestTimeout);
        if (!status.ok()) {
          ++record.failed;
        } else if (response.status == 204) {
          record.acknowledged.push_back(batch);
        } else if (record.unexpected++ == 0) {
          record.first_unexpected = Describe(response);
        }
        next = std::max(next + kBatchInterval, Clock::now());
        std::this_thread::sleep_until(next);
      }
    });
  }

  const uint32_t seed = DurabilitySeed();
  Report("seed", seed);
  std::mt19937 random(seed);
  std::uniform_int_distribution<int> wait_ms(200, 1500);
  Clock::duration longest_restart{};
  uint64_t replayed_records = 0;
  uint64_t damaged_starts = 0;
  for (int kill = 0; kill < kKills; ++kill) {
    // A random moment of the clients' writes and inflowd's deliveries.
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms(random)));
    ASSERT_NO_FATAL_FAILURE(KillInflowd());
    const auto killed_at = Clock::now();
    ASSERT_NO_FATAL_FAILURE(RestartInflowd()) << "restart " << kill + 1;
    longest_restart = std::max(longest_restart, Clock::now() - killed_at);
    const std::string log = inflowd_->Log();
    constexpr std::string_view kReplay = "the spool holds ";
    if (size_t at = log.find(kReplay); at != std::string::npos) {
      replayed_records += std::strtoull(log.c_str() + at + kReplay.size(), nullptr, 10);
    }
    if (inflowd_->LogMentions("spool damage")) ++damaged_starts;
  }
  for (std::jthread& client : clients) client.request_stop();
  for (std::jthread& client : clients) client.join();
  const auto clients_stopped_at = Clock::now();

  std::set<int64_t> acknowledged;
  std::set<int64_t> sent;
  uint64_t failed = 0;
  for (int c = 0; c < kClients; ++c) {
    const ClientRecord& record = records[static_cast<size_t>(c)];
    acknowledged.insert(record.acknowledged.begin(), record.acknowledged.end());
    for (int64_t i = 0; i < record.batches_sent; ++i) sent.insert(c * kBatchIdsPerClient + i);
    failed += record.failed;
    EXPECT_EQ(record.unexpected, 0u) << "client " << c << ": " << record.first_unexpected;
  }
  ASSERT_FALSE(acknowledged.empty());
  EXPECT_GT(failed, 0u) << "no request failed: inflowd was never killed under load";

  // Polls until every acknowledged batch is stored whole.
  const std::string count_by_batch =
      "SELECT count(f)" + From(kFourWeeks, kKillMeasurement) + " GROUP BY batch";
  std::map<int64_t, uint64_t> stored;
  std::vector<int64_t> incomplete;  // acknowledged, not stored whole
  const auto deadline = clients_stopped_at + kDeliveryTimeout;
  while (true) {
    stored = CountsByTag(Query(count_by_batch), "batch");
    incomplete.clear();
    for (int64_t batch : acknowledged) {
      auto it = stored.find(batch);
      if (it == stored.end() || it->second != kBatchPoints) incomplete.push_back(batch);
    }
    if (incomplete.empty() || Clock::now() >= deadline || !inflowd_->running()) break;
    std::this_thread::sleep_for(250ms);
  }
  const auto stored_at = Clock::now();

  std::ostringstream missing;
  for (size_t i = 0; i < incomplete.size() && i < 20; ++i) {
    auto it = stored.find(incomplete[i]);
    missing << " " << incomplete[i] << " (" << (it == stored.end() ? 0 : it->second) << ")";
  }
  EXPECT_TRUE(incomplete.empty()) << incomplete.size() << " of " << acknowledged.size()
                                  << " acknowledged batches are not stored whole, e.g. (batch "
                                     "(points stored)):"
                                  << missing.str();
  uint64_t stored_points = 0;
  uint64_t unacknowledged_points = 0;
  uint64_t unacknowledged_batches = 0;
  for (const auto& [batch, count] : stored) {
    EXPECT_TRUE(sent.contains(batch)) << "batch " << batch << " was never sent";
    EXPECT_LE(count, kBatchPoints) << "batch " << batch;
    stored_points += count;
    if (!acknowledged.contains(batch)) {
      unacknowledged_points += count;
      ++unacknowledged_batches;
    }
  }
  EXPECT_FALSE(std::filesystem::exists(spool_dir() + "/rejected"))
      << "inflowd made dead letters";

  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  std::optional<SessionFigures> figures = LastSessionFigures(inflowd_->Log());

  Report("batches_sent", sent.size());
  Report("batches_acknowledged", acknowledged.size());
  Report("requests_failed", failed);
  Report("points_acknowledged", acknowledged.size() * kBatchPoints);
  Report("points_stored", stored_points);
  Report("acknowledged_batches_not_stored_whole", incomplete.size());
  Report("unacknowledged_batches_stored", unacknowledged_batches);
  Report("points_stored_of_unacknowledged_batches", unacknowledged_points);
  Report("records_replayed_over_the_restarts", replayed_records);
  Report("starts_that_found_spool_damage", damaged_starts);
  Report("longest_kill_to_ready", Seconds(longest_restart));
  if (figures) {
    Report("last_run_points_accepted", figures->accepted);
    Report("last_run_points_delivered", figures->delivered);
    // The spool's newest segment, replayed whole at each start: points that
    // InfluxDB already held, written again.
    Report("last_run_points_replayed", Difference(figures->delivered, figures->accepted));
  }
  Report("all_stored_after_clients_stopped", Seconds(stored_at - clients_stopped_at));
  Report("test_took", Seconds(Clock::now() - start));
}

}  // namespace
}  // namespace inflow::test
