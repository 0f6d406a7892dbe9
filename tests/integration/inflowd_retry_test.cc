// inflowd, the binary, against FakeInfluxDb, for the answers a real
// InfluxDB 1.x cannot be made to give on demand: one batch answered 429 with
// `Retry-After: 2`, then 413, then 503, then 500 three times, then 204. The
// retries must follow the table of what inflowd does per answer to
// POST /write, with its timings:
//
//   2xx          delivered; the next batch goes at once, the backoff restarts
//   429, 503     wait Retry-After when given, else the backoff's draw
//   413          split the batch in halves, sent one after the other at once
//   other 5xx    capped exponential backoff with full jitter: after the n-th
//                consecutive failure, a wait drawn from
//                [0, min(retry_max_interval, retry_initial_interval * 2^(n-1))]
//                (include/inflow/backoff.h); a Retry-After counts as a failure too
//
// The waits are measured from the moment the fake server began sending an
// answer to the moment the next request was complete, so each is the wait
// inflowd made (within libuv's clock error, kLibuvClockError) plus the time
// the request took to arrive, never less.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fake_influxdb.h"
#include "support/inflowd_process.h"
#include "support/local_sockets.h"
#include "support/printable.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Milliseconds = std::chrono::duration<double, std::milli>;

// Short intervals keep the test quick and the bounds tight.
constexpr std::chrono::milliseconds kRetryInitialInterval = 100ms;
constexpr std::chrono::milliseconds kRetryMaxInterval = 400ms;
constexpr std::chrono::seconds kRetryAfter = 2s;
// What a wait may exceed its bound by: inflowd's loop, the kernel and this
// process each take their turn on a busy two-core machine.
constexpr std::chrono::milliseconds kSchedulingSlack = 150ms;
// The most a request that the table says goes "at once" may take.
constexpr std::chrono::milliseconds kAtOnce = 300ms;
// libuv's clock counts whole milliseconds, truncated, and may be the coarse
// monotonic clock, up to a millisecond behind the fine one; so a libuv timer
// may fire up to 2 ms short of its delay as measured here.
constexpr std::chrono::milliseconds kLibuvClockError = 2ms;
// Every request inflowd should make takes about 2 s + 0.2 s + 3 * 0.4 s.
constexpr std::chrono::seconds kAllRequestsTimeout = 20s;
// Any retry inflowd still had in mind would come within the longest backoff
// and its slack; twice that leaves no doubt.
constexpr std::chrono::milliseconds kQuietPeriod = 2 * (kRetryMaxInterval + kSchedulingSlack);

constexpr size_t kPoints = 10;
constexpr std::string_view kDatabase = "retry_test";

// The bound of the backoff's draw after the n-th consecutive failure, n >= 1,
// as include/inflow/backoff.h defines it.
constexpr std::chrono::milliseconds Ceiling(int failures) {
  std::chrono::milliseconds ceiling = kRetryInitialInterval;
  for (int n = 1; n < failures && ceiling < kRetryMaxInterval; ++n) ceiling *= 2;
  return std::min(ceiling, kRetryMaxInterval);
}

// Which of the points sent a request carries.
enum class Part : uint8_t { kWhole, kFirstHalf, kSecondHalf };

std::string_view PartName(Part part) {
  switch (part) {
    case Part::kWhole:
      return "whole batch";
    case Part::kFirstHalf:
      return "first half";
    case Part::kSecondHalf:
      return "second half";
  }
  return "?";
}

struct ExpectedRequest {
  int status;  // what FakeInfluxDb answers (its script)
  Part part;
  // Bounds of the wait from this request's answer to the next request.
  std::chrono::milliseconds min_wait;
  std::chrono::milliseconds max_wait;
  std::string_view rule;  // the row of the table that sets the wait
};

// The requests the table calls for, worked out from daemon/sessions/session_queue.cc.
// The backoff counts consecutive failures of the session's writes: 429 is
// the 1st (its wait is the Retry-After, exactly); 413 is no failure and no
// success, so it neither counts nor restarts the count, and the first half's
// 503 is the 2nd failure. Only a delivery restarts the count.
const ExpectedRequest kExpected[] = {
    {429, Part::kWhole, kRetryAfter - kLibuvClockError, kRetryAfter + 1s,
     "429 with Retry-After: 2 (failure 1): wait 2 s, give or take libuv's clock"},
    {413, Part::kWhole, 0ms, kAtOnce, "413: split; the first half at once"},
    {503, Part::kFirstHalf, 0ms, Ceiling(2) + kSchedulingSlack,
     "503 without Retry-After (failure 2): wait <= Ceiling(2) + slack"},
    {500, Part::kFirstHalf, 0ms, Ceiling(3) + kSchedulingSlack,
     "500 (failure 3): wait <= Ceiling(3) + slack"},
    {500, Part::kFirstHalf, 0ms, Ceiling(4) + kSchedulingSlack,
     "500 (failure 4): wait <= Ceiling(4) + slack"},
    {500, Part::kFirstHalf, 0ms, Ceiling(5) + kSchedulingSlack,
     "500 (failure 5): wait <= Ceiling(5) + slack"},
    {204, Part::kFirstHalf, 0ms, kAtOnce, "204: delivered; the second half at once"},
    // No request follows; kQuietPeriod checks that none does.
    {204, Part::kSecondHalf, 0ms, 0ms, "204: delivered; nothing more to send"},
};
constexpr size_t kExpectedRequests = std::size(kExpected);

// The script of the requirement, with answers as InfluxDB words them.
std::vector<FakeInfluxDb::Answer> Script() {
  return {
      {429, "too many requests", {{"Retry-After", "2"}}},
      {413, "http: request body too large"},
      {503, "service unavailable"},
      {500, "timeout"},
      {500, "timeout"},
      {500, "timeout"},
  };
}

std::vector<std::string> Lines(std::string_view body) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    end = end == std::string_view::npos ? body.size() : end + 1;
    lines.emplace_back(body.substr(start, end - start));
    start = end;
  }
  return lines;
}

// The points sent, as the one batch inflowd commits and as the halves it
// splits that batch into: distinct points with explicit timestamps, so that
// inflowd writes each line as sent and a point written twice would show.
struct SentBatch {
  SentBatch() {
    for (size_t i = 0; i < kPoints; ++i) {
      std::string line = "retry,point=p" + std::to_string(i) + " f=" + std::to_string(i) +
                         "i " + std::to_string(kFirstTime + static_cast<int64_t>(i) * 1'000) +
                         "\n";
      (i < kPoints / 2 ? first_half : second_half) += line;
      lines.push_back(std::move(line));
    }
    whole = first_half + second_half;
  }

  const std::string& Body(Part part) const {
    switch (part) {
      case Part::kWhole:
        return whole;
      case Part::kFirstHalf:
        return first_half;
      case Part::kSecondHalf:
        return second_half;
    }
    return whole;
  }

  // The part `body` is, or "something else".
  std::string_view PartOf(std::string_view body) const {
    for (Part part : {Part::kWhole, Part::kFirstHalf, Part::kSecondHalf}) {
      if (body == Body(part)) return PartName(part);
    }
    return "something else";
  }

  static constexpr int64_t kFirstTime = 1'700'000'000'000'000'000;
  std::vector<std::string> lines;
  std::string whole;
  std::string first_half;
  std::string second_half;
};

class InflowdRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(InflowdProcess::BinaryPath().empty())
        << "INFLOW_INFLOWD is not set: run this test through ctest (integration.inflowd), "
           "which sets it to the inflowd it built, or set it to an inflowd binary";
    Status status = server_.Start();
    ASSERT_TRUE(status.ok()) << status.message();
    inflowd_ = std::make_unique<InflowdProcess>();
    std::filesystem::create_directory(inflowd_->File("spool"));
  }

  void TearDown() override {
    if (HasFailure() && inflowd_) {
      std::cerr << "end of inflowd's log (" << inflowd_->log_path() << "):\n"
                << inflowd_->LogTail(8192) << "\n";
    }
    inflowd_.reset();
    server_.Stop();
  }

  std::string socket_path() const { return inflowd_->File("in.sock"); }

  // One session that commits exactly kPoints points as one batch: by count,
  // with its commit_interval out of reach. No batch is given up on or set
  // aside (retry_max_elapsed, max_attempts), so that the table alone rules.
  std::string ConfigYaml() const {
    return "influxdb:\n"
           "  url: " + server_.url() + "\n"
           "  database: " + std::string(kDatabase) + "\n"
           "  request_timeout: 5s\n"
           "  retry_initial_interval: " + std::to_string(kRetryInitialInterval.count()) + "ms\n"
           "  retry_max_interval: " + std::to_string(kRetryMaxInterval.count()) + "ms\n"
           "  retry_max_elapsed: 0s\n"
           "  max_attempts: 0\n"
           "sessions:\n"
           "  - retention_policy: autogen\n"
           "    autocommit_every: " + std::to_string(kPoints) + "\n"
           "    commit_interval: 1h\n"
           "listeners:\n"
           "  - type: unix_stream\n"
           "    path: " + socket_path() + "\n"
           "spool:\n"
           "  directory: " + inflowd_->File("spool") + "\n"
           "log:\n"
           "  level: info\n"
           "shutdown_timeout: 5s\n";
  }

  // Waits until `count` requests were answered, for at most
  // kAllRequestsTimeout, and no longer than inflowd runs.
  bool WaitForRequests(size_t count) {
    const Clock::time_point deadline = Clock::now() + kAllRequestsTimeout;
    while (!server_.WaitForRequests(count, std::min(deadline, Clock::now() + 100ms))) {
      if (Clock::now() >= deadline || !inflowd_->running()) return false;
    }
    return true;
  }

  FakeInfluxDb server_{Script(), FakeInfluxDb::Answer{204}};
  std::unique_ptr<InflowdProcess> inflowd_;
};

// Prints each request's time since the first, the wait before it, its
// answer, its points and which part of the batch they are, and records them
// as test properties.
void Report(const std::vector<FakeInfluxDb::Request>& requests, const SentBatch& sent) {
  std::cout << "request  at (ms)  waited (ms)  answer  points  batch\n";
  for (size_t i = 0; i < requests.size(); ++i) {
    const FakeInfluxDb::Request& r = requests[i];
    double at = Milliseconds(r.received_at - requests.front().received_at).count();
    char waited[32] = "-";
    if (i > 0) {
      std::snprintf(waited, sizeof waited, "%.1f",
                    Milliseconds(r.received_at - requests[i - 1].answered_at).count());
    }
    std::string_view part = sent.PartOf(r.body);
    char row[160];
    std::snprintf(row, sizeof row, "%7zu  %7.1f  %11s  %6d  %6zu  %.*s", i + 1, at, waited,
                  r.status, Lines(r.body).size(), static_cast<int>(part.size()), part.data());
    std::cout << row << "\n";
    ::testing::Test::RecordProperty("request_" + std::to_string(i + 1), row);
  }
  std::cout.flush();
}

TEST_F(InflowdRetryTest, RetriesEachAnswerAsTheTableSaysWithItsTimings) {
  Status status = inflowd_->Start([this] { return ConfigYaml(); });
  ASSERT_TRUE(status.ok()) << status.message();

  const SentBatch sent;
  {
    UnixStreamConnection client(Clock::now() + 10s);
    status = client.Connect(socket_path());
    if (status.ok()) status = client.WriteAll(sent.whole);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  const bool all_came = WaitForRequests(kExpectedRequests);
  // Nothing may follow the last delivery: any retry inflowd still had in
  // mind would come within the longest backoff.
  bool more_came = false;
  if (all_came) {
    Clock::time_point last_answer = server_.requests()[kExpectedRequests - 1].answered_at;
    more_came = server_.WaitForRequests(kExpectedRequests + 1, last_answer + kQuietPeriod);
  }
  std::vector<FakeInfluxDb::Request> requests = server_.requests();
  Report(requests, sent);
  EXPECT_EQ(server_.problem(), "");
  ASSERT_TRUE(all_came) << "expected " << kExpectedRequests << " requests, got "
                        << requests.size() << "; inflowd "
                        << (inflowd_->running() ? "runs" : inflowd_->exit_description());
  EXPECT_FALSE(more_came) << "inflowd wrote again after every point was delivered";

  for (size_t i = 0; i < kExpectedRequests; ++i) {
    const FakeInfluxDb::Request& r = requests[i];
    const ExpectedRequest& expected = kExpected[i];
    SCOPED_TRACE("request " + std::to_string(i + 1) + " (" + std::string(expected.rule) + ")");
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.path, "/write");
    EXPECT_EQ(r.query, "db=" + std::string(kDatabase) + "&rp=autogen&precision=ns");
    EXPECT_EQ(r.status, expected.status);
    EXPECT_EQ(r.body, sent.Body(expected.part))
        << "expected the " << PartName(expected.part) << " " << Printable(sent.Body(expected.part))
        << ", got " << sent.PartOf(r.body) << " " << Printable(r.body);
    if (i + 1 < kExpectedRequests) {
      double wait = Milliseconds(requests[i + 1].received_at - r.answered_at).count();
      EXPECT_GE(wait, Milliseconds(expected.min_wait).count()) << "the wait before the next";
      EXPECT_LT(wait, Milliseconds(expected.max_wait).count()) << "the wait before the next";
    }
  }

  // The halves, in the order sent, are the batch exactly: 5 points each.
  EXPECT_EQ(Lines(requests[6].body).size(), kPoints / 2);
  EXPECT_EQ(Lines(requests[7].body).size(), kPoints / 2);
  EXPECT_EQ(requests[6].body + requests[7].body, requests[0].body);

  // Every point sent was answered 204 exactly once.
  std::vector<std::string> delivered;
  for (const FakeInfluxDb::Request& r : requests) {
    if (r.status / 100 != 2) continue;
    for (std::string& line : Lines(r.body)) delivered.push_back(std::move(line));
  }
  std::vector<std::string> expected_lines = sent.lines;
  std::sort(delivered.begin(), delivered.end());
  std::sort(expected_lines.begin(), expected_lines.end());
  EXPECT_EQ(delivered, expected_lines) << "the lines answered 204, sorted";

  status = inflowd_->Signal(SIGTERM);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(inflowd_->exit_description(), "exited with status 0");
  EXPECT_EQ(server_.requests().size(), kExpectedRequests) << "inflowd wrote again on its way out";
}

}  // namespace
}  // namespace inflow::test
