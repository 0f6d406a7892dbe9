// inflowd's spool under stress, against a real InfluxDB 1.6 on loopback:
// damage in a segment costs the damaged record and nothing else; a full
// disk pauses clients instead of losing or crashing, and everything taken is
// delivered once space is freed; a line InfluxDB refuses for good becomes a
// dead letter without a retry; and the points held in memory stay bounded
// by max_pending_bytes however many wait on disk. Each test prints its
// figures and records them as test properties.
//
// The fixture, and how the tests wait, are in inflowd_fixture.h. No test
// sleeps: each polls with a deadline for what it waits for.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "inflowd_fixture.h"
#include "support/files.h"
#include "support/http_client.h"
#include "support/local_sockets.h"
#include "support/stored_point.h"
#include "support/temp_dir.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kPollInterval = 20ms;


// ---------------------------------------------------------------------------
// The spool on disk.

// The record framing of daemon/spool/record_format.h, restated so that the
// tests pin the format on disk: [magic u32][length u32][crc u32][payload],
// little-endian, the crc over the length field and the payload.
constexpr uint32_t kRecordMagic = 0xF7C1F5FE;
constexpr size_t kRecordHeaderBytes = 12;
constexpr size_t kRecordCrcOffset = 8;

struct SpoolRecord {
  size_t offset = 0;  // of its header in the segment file
  size_t bytes = 0;   // header and payload
  std::string payload;
};

uint32_t LittleEndian32(std::string_view bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value |= uint32_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  }
  return value;
}

// Splits an undamaged segment file into its records.
void ParseSegment(const std::string& contents, std::vector<SpoolRecord>* records) {
  records->clear();
  for (size_t at = 0; at < contents.size();) {
    ASSERT_LE(at + kRecordHeaderBytes, contents.size()) << "a header cut short at " << at;
    ASSERT_EQ(LittleEndian32(contents, at), kRecordMagic) << "no record magic at " << at;
    const size_t length = LittleEndian32(contents, at + 4);
    ASSERT_LE(at + kRecordHeaderBytes + length, contents.size()) << "a record cut at " << at;
    records->push_back({at, kRecordHeaderBytes + length,
                        contents.substr(at + kRecordHeaderBytes, length)});
    at += kRecordHeaderBytes + length;
  }
}

// The segment files of a session's spool directory, oldest first.
std::vector<std::string> SegmentFiles(const std::string& dir) {
  std::vector<std::string> paths;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    if (entry.path().extension() == ".seg") paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// VmHWM (the peak resident set) of process `pid`, in KiB; 0 if unreadable.
int64_t PeakRssKib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with("VmHWM:")) return std::stoll(line.substr(6));
  }
  return 0;
}

// The CPU time process `pid` has used, user and system, in milliseconds;
// -1 if unreadable.
int64_t CpuMilliseconds(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  // After the command in parentheses: state, ppid, ... utime (14th field)
  // and stime (15th), in clock ticks.
  const size_t end_of_command = text.rfind(')');
  if (end_of_command == std::string::npos) return -1;
  std::istringstream fields(text.substr(end_of_command + 1));
  std::string field;
  int64_t ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::stoll(field);
  }
  return ticks * 1000 / sysconf(_SC_CLK_TCK);
}

// How often `text` occurs in `haystack`.
size_t Occurrences(std::string_view haystack, std::string_view text) {
  size_t count = 0;
  for (size_t at = haystack.find(text); at != std::string_view::npos;
       at = haystack.find(text, at + text.size())) {
    ++count;
  }
  return count;
}

// ---------------------------------------------------------------------------
// A tmpfs of a given size, mounted over a fresh folder for the life of the
// object: a disk the test can fill. Mounting needs CAP_SYS_ADMIN (root, as
// in CI); mounted() is false, and error() says why, without it.
class TmpfsMount {
 public:
  explicit TmpfsMount(size_t bytes) : dir_("inflow-tmpfs") {
    const std::string options = "size=" + std::to_string(bytes);
    if (mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
      error_ = "mount -t tmpfs -o " + options + " " + dir_.path() + ": " + std::strerror(errno);
      return;
    }
    mounted_ = true;
  }

  // Unmounts; lazily if a process still has files open there (inflowd,
  // when a test failed before stopping it), so the folder can go.
  ~TmpfsMount() {
    if (mounted_ && umount2(dir_.path().c_str(), 0) != 0) {
      umount2(dir_.path().c_str(), MNT_DETACH);
    }
  }

  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  std::string File(std::string_view name) const { return dir_.File(name); }

  // The bytes an unprivileged write could still add.
  uint64_t FreeBytes() const {
    struct statvfs stats {};
    if (statvfs(dir_.path().c_str(), &stats) != 0) return 0;
    return uint64_t{stats.f_bavail} * stats.f_frsize;
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

struct HttpResult {
  Status status;
  HttpResponse response;
};

class InflowdSpoolTest : public InflowdTest {
 protected:
  enum class Damage { kCutMidRecord, kFlippedChecksumByte };

  // The body of the two damage tests, below.
  void ReplaysAroundDamage(Damage damage);

  // The session spool folder of retention policy autogen.
  std::string AutogenSpoolDir() const { return spool_dir() + "/sessions/rp-autogen"; }

  // SIGKILL if inflowd still runs, for early exits of tests whose clients
  // would otherwise wait for it.
  void KillInflowdIfRunning() {
    if (inflowd_ && inflowd_->running()) (void)inflowd_->Signal(SIGKILL, 5s);
  }
};

// Calls `f` when it goes out of scope.
template <typename F>
class AtScopeExit {
 public:
  explicit AtScopeExit(F f) : f_(std::move(f)) {}
  ~AtScopeExit() { f_(); }
  AtScopeExit(const AtScopeExit&) = delete;
  AtScopeExit& operator=(const AtScopeExit&) = delete;

 private:
  F f_;
};

// ---------------------------------------------------------------------------
// Damage in the spool costs the damaged record, and only that one.
//
// Every POST answered 204 is one record of the session's spool (one
// listener read, one session). inflowd is killed with all of them on disk
// and none committed (Holding); the newest segment is damaged by hand; the
// next inflowd must start, say what it skipped, and replay every other
// record, each exactly once, once told to stop (which commits).

void InflowdSpoolTest::ReplaysAroundDamage(Damage damage) {
  constexpr int kWrites = 12;
  constexpr int kLinesPerWrite = 4;
  const int kDamaged = damage == Damage::kCutMidRecord ? kWrites - 1 : kWrites / 2;
  ASSERT_NO_FATAL_FAILURE(
      StartInflowd({.sessions = {Holding("autogen")}, .listeners = {{ListenerKind::kHttp}}}));
  const int64_t t = RecentTime();
  std::vector<StoredPoint> expected;
  for (int w = 0; w < kWrites; ++w) {
    std::string body;
    const std::string tag = "write=" + std::to_string(w);
    for (int i = 0; i < kLinesPerWrite; ++i) {
      const int64_t time = t + w * 100 + i;
      body += Line("spooled", tag, i, time);
      if (w != kDamaged) {
        expected.push_back(IntegerPoint("spooled", {{"write", std::to_string(w)}}, i, time));
      }
    }
    ASSERT_NO_FATAL_FAILURE(Send(0, body));  // answered 204: in the spool
  }
  ASSERT_NO_FATAL_FAILURE(KillInflowd());

  const std::vector<std::string> segments = SegmentFiles(AutogenSpoolDir());
  ASSERT_EQ(segments.size(), 1u) << "in " << AutogenSpoolDir();
  std::string contents;
  Status status = ReadFile(segments.back(), &contents);
  ASSERT_TRUE(status.ok()) << status.message();
  std::vector<SpoolRecord> records;
  ASSERT_NO_FATAL_FAILURE(ParseSegment(contents, &records));
  ASSERT_EQ(records.size(), size_t{kWrites}) << "not one record per POST";
  for (int w = 0; w < kWrites; ++w) {
    ASSERT_NE(records[w].payload.find("write=" + std::to_string(w) + " "), std::string::npos)
        << "record " << w << " does not hold POST " << w;
  }

  const SpoolRecord& victim = records[kDamaged];
  std::string expected_damage;
  if (damage == Damage::kCutMidRecord) {
    // As a crash in the middle of the last append leaves it.
    const size_t cut = victim.offset + kRecordHeaderBytes + victim.payload.size() / 2;
    std::error_code error;
    std::filesystem::resize_file(segments.back(), cut, error);
    ASSERT_FALSE(error) << segments.back() << ": " << error.message();
    expected_damage = "0 corrupt stretches (0 bytes) skipped, " +
                      std::to_string(cut - victim.offset) + " bytes of a torn tail cut";
  } else {
    char& crc_byte = contents[victim.offset + kRecordCrcOffset];
    crc_byte = static_cast<char>(~crc_byte);
    status = WriteFile(segments.back(), contents);
    ASSERT_TRUE(status.ok()) << status.message();
    expected_damage = "1 corrupt stretches (" + std::to_string(victim.bytes) +
                      " bytes) skipped, 0 bytes of a torn tail cut";
  }

  ASSERT_NO_FATAL_FAILURE(RestartInflowd());
  EXPECT_TRUE(inflowd_->LogMentions(expected_damage))
      << "the log does not say \"" << expected_damage << "\":\n" << inflowd_->LogTail();
  EXPECT_TRUE(inflowd_->LogMentions("the spool holds " + std::to_string(kWrites - 1) + " records"))
      << inflowd_->LogTail();
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  ExpectSame(StoredIn("autogen"), expected, "autogen");
  Report("spool_records_lost",
         kWrites - static_cast<int64_t>(expected.size()) / kLinesPerWrite, "records");
  Report("spool_damage_bytes", static_cast<int64_t>(victim.bytes), "bytes");
}

TEST_F(InflowdSpoolTest, ReplaysAroundASpoolCutMidRecord) {
  ReplaysAroundDamage(Damage::kCutMidRecord);
}

TEST_F(InflowdSpoolTest, ReplaysAroundAFlippedChecksumByte) {
  ReplaysAroundDamage(Damage::kFlippedChecksumByte);
}

// ---------------------------------------------------------------------------
// A full disk: with when_full: block, stream and HTTP clients are paused
// (the POST that does not fit is not answered), inflowd stays up, and once
// space is freed every point it took, and every byte a stream client wrote,
// reaches InfluxDB exactly once. InfluxDB is down meanwhile, so that nothing
// is delivered and the spool only grows; spool.max_bytes is far beyond the
// disk, so the disk (ENOSPC) is what stops it.

TEST_F(InflowdSpoolTest, StaysUpWhenItsDiskFillsAndDeliversOnceSpaceIsFreed) {
  constexpr size_t kDiskBytes = 2 << 20;
  constexpr uint64_t kLeftFree = 256 << 10;
  constexpr int kLinesPerPost = 500;
  constexpr int kMaxPosts = 100;  // ~25 KB each: the disk is full after ~10
  TmpfsMount disk(kDiskBytes);
  if (!disk.mounted()) {
    GTEST_SKIP() << "needs a disk it can fill: cannot mount a tmpfs (root, or CAP_SYS_ADMIN, "
                    "is required): "
                 << disk.error();
  }
  const uint64_t free_bytes = disk.FreeBytes();
  ASSERT_GT(free_bytes, kLeftFree);
  const std::string filler = disk.File("filler");
  Status status = WriteFile(filler, std::string(free_bytes - kLeftFree, 'x'));
  ASSERT_TRUE(status.ok()) << status.message();

  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  influxdb()->Kill();
  ASSERT_NO_FATAL_FAILURE(
      StartInflowd({.sessions = {Prompt("autogen")},
                    .listeners = {{ListenerKind::kHttp}, {ListenerKind::kUnixStream}},
                    .influxdb_options = {"retry_max_interval: 500ms"},
                    .spool_options = {"max_bytes: 67108864", "when_full: block"},
                    .spool_directory = disk.File("spool"),
                    .shutdown_timeout = "10s"}));
  const int64_t t = RecentTime();
  const uint16_t port = spec_.listeners[0].port;
  const std::string target = "/write?db=" + db_;

  // POSTs until one is not answered: it waits for room, its connection
  // open. Each runs on a thread of its own so that the test can watch the
  // log meanwhile; the first to wait is the one that found the disk full.
  std::vector<StoredPoint> expected;
  std::future<HttpResult> held;
  // An early return kills inflowd first, so that a waiting POST ends at
  // once rather than at its timeout.
  AtScopeExit kill_first([this] { KillInflowdIfRunning(); });
  int posts = 0;
  int64_t acknowledged = 0;
  for (; posts < kMaxPosts && !held.valid(); ++posts) {
    std::string body;
    for (int i = 0; i < kLinesPerPost; ++i) {
      const int64_t time = t + posts * 1000 + i;
      body += Line("full", "via=http,post=" + std::to_string(posts), i, time);
      expected.push_back(IntegerPoint("full", {{"post", std::to_string(posts)}, {"via", "http"}},
                                      i, time));
    }
    std::future<HttpResult> post = std::async(std::launch::async, [port, target, body] {
      HttpResult result;
      result.status =
          SendHttpRequest("POST", "127.0.0.1", port, target, body, {}, &result.response, 60s);
      return result;
    });
    const auto deadline = Clock::now() + 10s;
    while (post.wait_for(kPollInterval) != std::future_status::ready) {
      if (inflowd_->LogMentions("spool full (")) {
        held = std::move(post);
        break;
      }
      if (Clock::now() >= deadline) {
        KillInflowdIfRunning();
        FAIL() << "POST " << posts << " neither answered nor held after 10 s";
      }
    }
    if (held.valid()) break;
    HttpResult result = post.get();
    ASSERT_TRUE(result.status.ok()) << result.status.message();
    ASSERT_EQ(result.response.status, 204) << Describe(result.response);
    acknowledged += kLinesPerPost;
  }
  ASSERT_TRUE(held.valid()) << "the disk never filled after " << posts << " POSTs";
  const auto held_since = Clock::now();
  const int64_t cpu_when_held = CpuMilliseconds(inflowd_->pid());
  EXPECT_TRUE(inflowd_->running()) << inflowd_->exit_description();
  EXPECT_TRUE(inflowd_->LogMentions("No space left on device")) << inflowd_->LogTail();

  // A stream client's writes are no longer read: the socket's buffer fills
  // and stays full. A line cut there is finished once inflowd reads again.
  std::string stream_text;
  std::vector<size_t> line_ends;
  std::vector<StoredPoint> stream_points;
  for (int i = 0; i < 20'000; ++i) {
    const int64_t time = t + 500'000 + i;
    stream_text += Line("full", "via=stream", i, time);
    line_ends.push_back(stream_text.size());
    stream_points.push_back(IntegerPoint("full", {{"via", "stream"}}, i, time));
  }
  StreamSender stream;
  status = stream.Connect(spec_.listeners[1].path);
  ASSERT_TRUE(status.ok()) << status.message();
  size_t stream_sent = 0;
  status = stream.Send(stream_text, 300ms, Clock::now() + 30s, &stream_sent);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_LT(stream_sent, stream_text.size()) << "inflowd read a stream client with its disk full";
  ASSERT_GT(stream_sent, 0u);
  const size_t stream_lines =
      static_cast<size_t>(std::lower_bound(line_ends.begin(), line_ends.end(), stream_sent) -
                          line_ends.begin()) + 1;
  expected.insert(expected.end(), stream_points.begin(), stream_points.begin() + stream_lines);
  EXPECT_TRUE(inflowd_->running()) << inflowd_->exit_description();
  Report("disk_full_points_acknowledged_over_http", acknowledged, "points");
  Report("disk_full_points_written_to_the_stream", static_cast<int64_t>(stream_lines), "points");

  // Held, inflowd only tries again every 100 ms: it must not spin.
  Report("disk_full_held_ms", MillisecondsSince(held_since), "ms");
  Report("disk_full_cpu_ms_while_held", CpuMilliseconds(inflowd_->pid()) - cpu_when_held, "ms");
  std::error_code error;
  ASSERT_TRUE(std::filesystem::remove(filler, error)) << filler << ": " << error.message();
  const auto freed = Clock::now();
  // The held POST is answered once its points are in the spool.
  ASSERT_EQ(held.wait_for(20s), std::future_status::ready) << "the held POST is never answered";
  HttpResult answer = held.get();
  const int64_t resumed_ms = MillisecondsSince(freed);
  ASSERT_TRUE(answer.status.ok()) << answer.status.message();
  EXPECT_EQ(answer.response.status, 204) << Describe(answer.response);
  size_t finished = 0;
  status = stream.Send(
      std::string_view(stream_text).substr(stream_sent, line_ends[stream_lines - 1] - stream_sent),
      20s, Clock::now() + 30s, &finished);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(stream_sent + finished, line_ends[stream_lines - 1]) << "the cut line not finished";
  stream.Close();

  status = influxdb()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto influxdb_up = Clock::now();
  const auto deadline = influxdb_up + 30s;
  uint64_t stored = 0;
  while ((stored = CountIn("autogen", "full")) < expected.size() && Clock::now() < deadline &&
         inflowd_->running()) {
    std::this_thread::sleep_for(kPollInterval);
  }
  const int64_t delivered_ms = MillisecondsSince(influxdb_up);
  ASSERT_EQ(stored, expected.size()) << "points stored " << delivered_ms << " ms after InfluxDB "
                                     << "came back";
  Report("disk_full_resumed_after_space_freed_ms", resumed_ms, "ms");
  Report("disk_full_delivered_after_influxdb_up_ms", delivered_ms, "ms");
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  ExpectSame(StoredIn("autogen"), expected, "autogen");
  EXPECT_TRUE(inflowd_->LogMentions("the spool has room again after")) << inflowd_->LogTail();
}

// ---------------------------------------------------------------------------
// One line of a batch of 5,000 that InfluxDB refuses for good (a field type
// conflict) becomes a dead letter; the other 4,999 are stored, and the
// batch is written once: a 400 is never retried.

TEST_F(InflowdSpoolTest, KeepsOneTypeConflictingLineOf5000AsADeadLetter) {
  constexpr int kLines = 5000;
  constexpr int kConflicting = 2500;
  const int64_t t = RecentTime();
  // f is an integer in measurement typed before inflowd writes.
  HttpResponse response;
  Status status = influxdb()->Write(db_, Line("typed", "host=a", -1, t - 1), "ns", "", &response);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(response.status, 204) << Describe(response);

  // One batch: it commits at its 5,000th point, and not by time.
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {{"autogen", kLines, "1h"}},
                                        .listeners = {{ListenerKind::kUnixStream}}}));
  const std::string conflicting = "typed,host=a f=2.5 " + std::to_string(t + kConflicting);
  std::string lines;
  for (int i = 0; i < kLines; ++i) {
    lines += i == kConflicting ? conflicting + "\n" : Line("typed", "host=a", i, t + i);
  }
  ASSERT_NO_FATAL_FAILURE(Send(0, lines));
  const auto deadline = Clock::now() + kArrivalTimeout;
  while (CountIn("autogen", "typed") < kLines && Clock::now() < deadline) {
    std::this_thread::sleep_for(kPollInterval);
  }
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  const uint64_t stored = CountIn("autogen", "typed") - 1;  // less the point written first
  EXPECT_EQ(stored, uint64_t{kLines - 1});
  Report("dead_letter_batch_points_stored", static_cast<int64_t>(stored), "points");

  // One file in <spool>/rejected/, YYYY-MM-DD.lp, holding the comment and
  // the line.
  const std::filesystem::path folder = spool_dir() + "/rejected";
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    files.push_back(entry.path());
  }
  ASSERT_EQ(files.size(), 1u) << folder << ": " << error.message();
  const std::string name = files[0].filename().string();
  EXPECT_TRUE(name.size() == 13 && name[4] == '-' && name[7] == '-' && name.ends_with(".lp"))
      << name;
  std::string letters;
  status = ReadFile(files[0].string(), &letters);
  ASSERT_TRUE(status.ok()) << status.message();
  const size_t comment_end = letters.find('\n');
  ASSERT_NE(comment_end, std::string::npos) << letters;
  const std::string comment = letters.substr(0, comment_end);
  EXPECT_TRUE(comment.starts_with("# ")) << comment;
  EXPECT_NE(comment.find(" session=autogen reason=\"field type conflict: input field "),
            std::string::npos)
      << comment;
  EXPECT_NE(comment.find("is type float, already exists as type integer"), std::string::npos)
      << comment;
  EXPECT_EQ(letters.substr(comment_end + 1), conflicting + "\n") << "not just the line refused";

  // Written once, never retried: no failed attempt in inflowd's log or its
  // stats, and one write of the batch in InfluxDB's request log.
  const std::string log = inflowd_->Log();
  EXPECT_EQ(log.find("attempt"), std::string::npos) << log;
  EXPECT_NE(log.find(std::to_string(kLines) + " points accepted"), std::string::npos) << log;
  EXPECT_NE(log.find(" 0 failed writes"), std::string::npos) << log;
  std::string influxdb_log;
  status = ReadFile(influxdb()->log_path(), &influxdb_log);
  ASSERT_TRUE(status.ok()) << status.message();
  const size_t writes =
      Occurrences(influxdb_log, "POST /write?db=" + db_ + "&rp=autogen&precision=ns ");
  EXPECT_EQ(writes, 1u) << "inflowd's writes of the batch, in InfluxDB's log";
  Report("dead_letter_batch_writes", static_cast<int64_t>(writes), "writes");
}

// ---------------------------------------------------------------------------
// While InfluxDB is down, points wait in the spool, not in memory: a
// million points (~70 MB of line protocol) sent as fast as the socket
// takes them leave inflowd's peak resident set under kPeakRssBound, and all
// of them are stored once InfluxDB is back, none twice.
//
// The bound: the session holds at most max_pending_bytes (4 MiB) of points
// and one record more, as batch bodies that may take twice their size in
// string capacity; the writer holds a request of one batch (max_batch_bytes,
// 1 MiB) and its answer; the listener a 64 KiB read buffer and a staged
// record of one read; replay a scanner chunk (256 KiB) and a record. That is
// ~12 MiB at most, on top of the binary's own ~6 MiB at rest (measured and
// reported: memory_start_rss_kib). 32 MiB leaves room for the allocator's
// slack, and fails an inflowd that ignores the limit: with max_pending_bytes
// at 64 MiB, the same run peaks at ~72 MiB.

TEST_F(InflowdSpoolTest, BoundsMemoryWhileInfluxDbIsDown) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "under AddressSanitizer the peak resident set measures its shadow memory and "
                  "quarantine, not inflowd's bound";
#endif
  constexpr int64_t kPeakRssBoundKib = 32 << 10;
  constexpr int kPoints = 1'000'000;
  constexpr int kConnections = 2;
  constexpr int kLinesPerChunk = 5'000;
  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  influxdb()->Kill();
  ASSERT_NO_FATAL_FAILURE(StartInflowd(
      {.sessions = {{"autogen", 5000, "1s", {"max_pending_bytes: 4194304"}}},
       .listeners = {{ListenerKind::kUnixStream}},
       .influxdb_options = {"retry_max_interval: 500ms"},
       .spool_options = {"max_bytes: 536870912"}}));
  Report("memory_start_rss_kib", PeakRssKib(inflowd_->pid()), "KiB");

  std::vector<std::unique_ptr<StreamSender>> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.push_back(std::make_unique<StreamSender>());
    Status status = clients.back()->Connect(spec_.listeners[0].path);
    ASSERT_TRUE(status.ok()) << status.message();
  }
  // Chunks of whole lines, each wholly sent before the next, in turn on
  // each connection. Every point has a time of its own in one series, so
  // InfluxDB's count is the number of distinct points stored.
  const int64_t t = RecentTime();
  const auto sending = Clock::now();
  uint64_t bytes_sent = 0;
  for (int first = 0; first < kPoints; first += kLinesPerChunk) {
    const int c = (first / kLinesPerChunk) % kConnections;
    std::string chunk;
    for (int i = first; i < first + kLinesPerChunk; ++i) {
      chunk += "memory,host=sensor-0042,conn=c" + std::to_string(c) + " f=" + std::to_string(i) +
               "i,load=0.125 " + std::to_string(t + i) + "\n";
    }
    size_t sent = 0;
    Status status = clients[c]->Send(chunk, 10s, Clock::now() + 30s, &sent);
    ASSERT_TRUE(status.ok()) << status.message();
    ASSERT_EQ(sent, chunk.size()) << "inflowd stopped reading for 10 s, at point " << first;
    bytes_sent += sent;
  }
  // Everything is read once the kernel holds nothing unread for inflowd;
  // each read is in the spool before the next is taken.
  for (auto& client : clients) {
    const auto deadline = Clock::now() + 30s;
    size_t unread = 1;
    while (unread > 0) {
      Status status = client->Unread(&unread);
      ASSERT_TRUE(status.ok()) << status.message();
      ASSERT_TRUE(Clock::now() < deadline) << unread << " bytes never read";
      if (unread > 0) std::this_thread::sleep_for(kPollInterval);
    }
    client->Close();
  }
  const int64_t send_ms = MillisecondsSince(sending);
  const int64_t intake_peak_kib = PeakRssKib(inflowd_->pid());
  Report("memory_bytes_sent", static_cast<int64_t>(bytes_sent), "bytes");
  Report("memory_intake_ms", send_ms, "ms");
  Report("memory_peak_rss_after_intake_kib", intake_peak_kib, "KiB");
  EXPECT_LT(intake_peak_kib, kPeakRssBoundKib) << "KiB: VmHWM with InfluxDB down";

  ASSERT_TRUE(influxdb()->Start().ok());
  const auto influxdb_up = Clock::now();
  const auto deadline = influxdb_up + 60s;
  uint64_t stored = 0;
  while ((stored = CountIn("autogen", "memory")) < kPoints && Clock::now() < deadline &&
         inflowd_->running()) {
    std::this_thread::sleep_for(500ms);  // each count reads every point so far
  }
  const int64_t delivered_ms = MillisecondsSince(influxdb_up);
  const int64_t peak_kib = PeakRssKib(inflowd_->pid());
  Report("memory_delivery_ms", delivered_ms, "ms");
  Report("memory_peak_rss_after_delivery_kib", peak_kib, "KiB");
  ASSERT_EQ(stored, uint64_t{kPoints}) << "after " << delivered_ms << " ms";
  EXPECT_LT(peak_kib, kPeakRssBoundKib) << "KiB: VmHWM after replaying the spool";
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  // Each point accepted once and delivered once: none was read twice, and
  // no batch was written again after InfluxDB took it.
  EXPECT_TRUE(inflowd_->LogMentions("1000000 points accepted, 1000000 delivered"))
      << inflowd_->LogTail();
}

}  // namespace
}  // namespace inflow::test
