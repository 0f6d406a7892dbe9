#include "inflowd_fixture.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <iostream>
#include <system_error>
#include <thread>

#include "support/free_port.h"
#include "support/local_sockets.h"
#include "support/printable.h"

namespace inflow::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollInterval{10};

}  // namespace

SessionSpec Holding(std::string_view rp) { return {std::string(rp), 1'000'000, "1h"}; }
SessionSpec Prompt(std::string_view rp) { return {std::string(rp), 100'000, "50ms"}; }
SessionSpec SyncSession() { return {std::string(kSync), 1, "1h"}; }

std::string_view KindName(ListenerKind kind) {
  switch (kind) {
    case ListenerKind::kUdp:
      return "udp";
    case ListenerKind::kUnixDgram:
      return "unix_dgram";
    case ListenerKind::kUnixStream:
      return "unix_stream";
    case ListenerKind::kHttp:
      return "http";
  }
  return "?";
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t Multiplier(std::string_view precision) {
  if (precision == "us") return 1'000;
  if (precision == "ms") return 1'000'000;
  if (precision == "s") return 1'000'000'000;
  return 1;
}

int64_t RecentTime(std::string_view precision) {
  return (NowNs() - 3'600'000'000'000) / Multiplier(precision);
}

StoredPoint Point(std::string measurement, Tags tags, std::vector<StoredField> fields,
                  std::optional<int64_t> time_ns) {
  return StoredPoint{std::move(measurement), std::move(tags), std::move(fields), time_ns};
}

std::string Line(std::string_view m, std::string_view tags, int64_t value, int64_t time) {
  return std::string(m) + (tags.empty() ? "" : ",") + std::string(tags) +
         " f=" + std::to_string(value) + "i " + std::to_string(time) + "\n";
}

StoredPoint IntegerPoint(std::string m, Tags tags, int64_t value, int64_t time_ns) {
  return Point(std::move(m), std::move(tags), {{"f", FieldType::kInteger, value}}, time_ns);
}

std::string SyncLine(std::string_view tag, std::string_view from) {
  return "sync," + std::string(tag) + "=" + std::string(kSync) + ",from=" + std::string(from) +
         " f=1i " + std::to_string(RecentTime()) + "\n";
}

std::string Describe(const HttpResponse& response) {
  return "HTTP " + std::to_string(response.status) + " Content-Type " +
         Printable(response.Header("Content-Type").value_or("(none)")) + " body " +
         Printable(response.body);
}

SharedInfluxDb InflowdTest::influxdb_;
std::unique_ptr<RedisServer> InflowdTest::redis_;
Status InflowdTest::redis_status_;

void InflowdTest::SetUpTestSuite() {
  influxdb_.Start();
  redis_ = std::make_unique<RedisServer>();
  redis_status_ = redis_->Start();
}

void InflowdTest::TearDownTestSuite() {
  redis_.reset();
  influxdb_.Stop();
}

void InflowdTest::SetUp() {
  ASSERT_FALSE(InflowdProcess::BinaryPath().empty())
      << "INFLOW_INFLOWD is not set: run this test through ctest (integration.inflowd), "
         "which sets it to the inflowd it built, or set it to an inflowd binary";
  ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
  ASSERT_TRUE(redis_status_.ok()) << redis_status_.message();
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  db_ = "inflowd";
  for (char c : std::string(test->test_suite_name()) + "_" + test->name()) {
    db_ += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  }
  ASSERT_NO_FATAL_FAILURE(CreateDatabase());
}

void InflowdTest::CreateDatabase() {
  ASSERT_NO_FATAL_FAILURE(Execute("CREATE DATABASE " + Quoted(db_)));
  for (std::string_view rp : {kFourWeeks, kSync, kUnsessioned}) {
    ASSERT_NO_FATAL_FAILURE(Execute("CREATE RETENTION POLICY " + Quoted(rp) + " ON " +
                                    Quoted(db_) + " DURATION 4w REPLICATION 1"));
  }
}

void InflowdTest::UseOwnInfluxDb() {
  own_influxdb_ = std::make_unique<InfluxDbServer>();
  Status status = own_influxdb_->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NO_FATAL_FAILURE(CreateDatabase());
}

void InflowdTest::UseOwnRedis() {
  own_redis_ = std::make_unique<RedisServer>();
  Status status = own_redis_->Start();
  ASSERT_TRUE(status.ok()) << status.message();
}

void InflowdTest::TearDown() {
  if (HasFailure() && inflowd_) {
    std::cerr << "end of inflowd's log (" << inflowd_->log_path() << "):\n"
              << inflowd_->LogTail(8192) << "\n";
  }
  inflowd_.reset();
}

void InflowdTest::Execute(const std::string& q) {
  std::string json;
  Status status = influxdb()->Query(q, "", &json);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(json.find("\"error\""), std::string::npos) << q << ": " << json;
}

void InflowdTest::StartInflowd(InflowdSpec spec) {
  spec_ = std::move(spec);
  inflowd_ = std::make_unique<InflowdProcess>();
  std::filesystem::create_directories(spool_dir());
  Status status = inflowd_->Start([this] {
    config_yaml_ = ConfigYaml();
    return config_yaml_;
  });
  ASSERT_TRUE(status.ok()) << status.message();
}

void InflowdTest::RestartInflowd() {
  ASSERT_TRUE(inflowd_) << "RestartInflowd before StartInflowd";
  ASSERT_FALSE(inflowd_->running()) << "inflowd still runs";
  std::error_code error;
  std::filesystem::rename(inflowd_->log_path(),
                          inflowd_->log_path() + "." + std::to_string(++restarts_), error);
  Status status = inflowd_->Start([this] { return config_yaml_; });
  ASSERT_TRUE(status.ok()) << status.message();
}

void InflowdTest::KillInflowd() {
  ASSERT_TRUE(inflowd_ && inflowd_->running()) << "inflowd does not run";
  Status status = inflowd_->Signal(SIGKILL);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(inflowd_->exit_description(), "was killed by signal 9");
}

bool InflowdTest::PollUntil(std::chrono::milliseconds timeout,
                            const std::function<bool()>& done) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= deadline || !inflowd_ || !inflowd_->running()) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

void InflowdTest::Report(std::string_view name, const std::string& value, std::string_view unit) {
  std::cout << "[  figure  ] " << name << ": " << value << (unit.empty() ? "" : " ") << unit
            << std::endl;
  RecordProperty(std::string(name), value);
}

void InflowdTest::Report(std::string_view name, int64_t value, std::string_view unit) {
  Report(name, std::to_string(value), unit);
}

int64_t InflowdTest::MillisecondsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string InflowdTest::spool_dir() const {
  return spec_.spool_directory.empty() ? inflowd_->File("spool") : spec_.spool_directory;
}

uint64_t InflowdTest::CountIn(std::string_view rp, std::string_view m) {
  std::string json;
  const std::string q = "SELECT count(*) FROM " + Quoted(db_) + "." + Quoted(rp) + "." +
                        Quoted(m);
  Status status = influxdb()->Query(q, db_, &json);
  EXPECT_TRUE(status.ok()) << status.message();
  // {"results":[{"statement_id":0,"series":[{...,"values":[["1970-...",N, ...]]}]}]}: the
  // largest count of any field; no series when there is no point.
  uint64_t count = 0;
  const std::string key = "\"values\":[[";
  size_t at = json.find(key);
  if (at == std::string::npos) return 0;
  at = json.find(',', at + key.size());
  // A field without points counts null: passed over (std::stoull would
  // throw, and the test would end without saying where).
  while (at != std::string::npos && json[at] == ',') {
    const char* begin = json.data() + at + 1;
    uint64_t value = 0;
    auto [end, ec] = std::from_chars(begin, json.data() + json.size(), value);
    if (ec == std::errc()) {
      count = std::max(count, value);
    } else if (json.compare(at + 1, 4, "null") == 0) {
      end = begin + 4;
    } else {
      ADD_FAILURE() << "a count not read in InfluxDB's answer: " << json;
      return count;
    }
    at = static_cast<size_t>(end - json.data());
  }
  return count;
}

std::string InflowdTest::ConfigYaml() {
  std::string yaml = "influxdb:\n  url: " + influxdb()->url() + "\n  database: " + db_ + "\n";
  for (const std::string& option : spec_.influxdb_options) yaml += "  " + option + "\n";
  yaml += "sessions:\n";
  for (const SessionSpec& s : spec_.sessions) {
    yaml += "  - retention_policy: " + s.retention_policy + "\n";
    yaml += "    autocommit_every: " + std::to_string(s.autocommit_every) + "\n";
    yaml += "    commit_interval: " + s.commit_interval + "\n";
    for (const std::string& option : s.options) yaml += "    " + option + "\n";
  }
  yaml += "listeners:\n";
  for (size_t i = 0; i < spec_.listeners.size(); ++i) {
    ListenerSpec& l = spec_.listeners[i];
    yaml += "  - type: " + std::string(KindName(l.kind)) + "\n";
    Status status = Status::Ok();
    if (l.kind == ListenerKind::kUdp) status = FreeUdpPort(&l.port);
    if (l.kind == ListenerKind::kHttp) status = FreePort(&l.port);
    EXPECT_TRUE(status.ok()) << status.message();
    if (l.kind == ListenerKind::kUdp || l.kind == ListenerKind::kHttp) {
      yaml += "    address: 127.0.0.1:" + std::to_string(l.port) + "\n";
    } else {
      l.path = inflowd_->File(std::string(KindName(l.kind)) + std::to_string(i) + ".sock");
      yaml += "    path: " + l.path + "\n";
    }
    if (!l.retention_policy.empty()) yaml += "    retention_policy: " + l.retention_policy + "\n";
    if (!l.precision.empty()) yaml += "    precision: " + l.precision + "\n";
  }
  if (!spec_.retention_policy_tag.empty()) {
    yaml += "routing:\n  retention_policy_tag: " + spec_.retention_policy_tag + "\n";
  }
  yaml += "redis:\n  url: ";
  if (spec_.redis_url.empty()) {
    yaml += "redis://127.0.0.1:";
    yaml += std::to_string(redis()->port());
    yaml += "/0";
  } else {
    yaml += spec_.redis_url;
  }
  yaml += "\n";
  for (const std::string& option : spec_.redis_options) yaml += "  " + option + "\n";
  yaml += "spool:\n  directory: " + spool_dir() + "\n";
  for (const std::string& option : spec_.spool_options) yaml += "  " + option + "\n";
  yaml += "log:\n  level: info\n";
  yaml += "shutdown_timeout: " + spec_.shutdown_timeout + "\n";
  return yaml;
}

void InflowdTest::Send(size_t i, std::string_view lines) {
  const ListenerSpec& l = spec_.listeners.at(i);
  Status status = Status::Ok();
  switch (l.kind) {
    case ListenerKind::kUdp:
      status = SendUdpDatagram(l.port, lines);
      break;
    case ListenerKind::kUnixDgram:
      status = SendUnixDatagram(l.path, lines);
      break;
    case ListenerKind::kUnixStream: {
      UnixStreamConnection connection(Clock::now() + std::chrono::seconds(10));
      status = connection.Connect(l.path);
      if (status.ok()) status = connection.WriteAll(lines);
      break;
    }
    case ListenerKind::kHttp: {
      HttpResponse response = Post(i, "/write?db=" + db_, lines);
      EXPECT_EQ(response.status, 204) << Describe(response);
      break;
    }
  }
  ASSERT_TRUE(status.ok()) << status.message();
}

HttpResponse InflowdTest::Post(size_t i, const std::string& target, std::string_view body) {
  HttpResponse response;
  Status status = SendHttpRequest("POST", "127.0.0.1", spec_.listeners.at(i).port, target, body,
                                  {}, &response);
  EXPECT_TRUE(status.ok()) << status.message();
  return response;
}

std::vector<StoredPoint> InflowdTest::StoredIn(std::string_view rp) {
  // ReadStoredPoints reads the database's default retention policy, so for
  // another one this makes it the default for the read and then makes
  // autogen the default again. inflowd names rp= in every write it makes,
  // so the default does not change where its writes go.
  auto set_default = [&](std::string_view name) {
    Execute("ALTER RETENTION POLICY " + Quoted(name) + " ON " + Quoted(db_) + " DEFAULT");
  };
  if (rp != "autogen") set_default(rp);
  // ReadStoredPoints asks for the field types first and then for the
  // points; a write landing between the two leaves it without the type of
  // a field, so a failed read is tried again (a write lands once).
  std::vector<StoredPoint> points;
  Status status;
  for (int attempt = 0; attempt < 3; ++attempt) {
    status = ReadStoredPoints(influxdb(), db_, /*with_time=*/true, &points);
    if (status.ok()) break;
  }
  if (rp != "autogen") set_default("autogen");
  EXPECT_TRUE(status.ok()) << status.message();
  // With several measurements, GROUP BY * gives each series every tag key
  // of the query, those it lacks with "". InfluxDB stores no empty tag
  // value, so "" means the point has no such tag.
  for (StoredPoint& point : points) {
    std::erase_if(point.tags, [](const auto& tag) { return tag.second.empty(); });
  }
  return points;
}

std::vector<StoredPoint> InflowdTest::WaitForPoints(std::string_view rp, size_t count) {
  const auto deadline = Clock::now() + kArrivalTimeout;
  while (true) {
    std::vector<StoredPoint> points = StoredIn(rp);
    if (points.size() >= count) return points;
    bool running = inflowd_ && inflowd_->running();
    if (Clock::now() >= deadline || !running) {
      ADD_FAILURE() << "expected " << count << " point(s) in " << rp << ", found "
                    << points.size() << " after "
                    << (running ? "the deadline"
                                : "inflowd " + (inflowd_ ? inflowd_->exit_description() : "-"))
                    << ":\n"
                    << DescribeStoredPoints(points);
      return points;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

void InflowdTest::StopInflowd(int signal_number) {
  Status status = inflowd_->Signal(signal_number);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(inflowd_->exit_description(), "exited with status 0");
  EXPECT_TRUE(inflowd_->LogMentions("inflowd stopped")) << "its log says no \"inflowd stopped\"";
}

void InflowdTest::ExpectSame(std::vector<StoredPoint> stored, std::vector<StoredPoint> expected,
                             std::string_view what) {
  SortStoredPoints(&stored);
  SortStoredPoints(&expected);
  EXPECT_TRUE(stored == expected) << what << ": expected\n"
                                  << DescribeStoredPoints(expected) << "InfluxDB holds\n"
                                  << DescribeStoredPoints(stored);
}

}  // namespace inflow::test
