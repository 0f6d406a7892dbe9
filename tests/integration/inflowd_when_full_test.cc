// spool.when_full, against a real InfluxDB 1.6 on loopback that is down
// while the spool fills (so that nothing is delivered and no segment is
// given back), and up again afterwards:
//
// - drop_newest refuses a read that does not fit (HTTP: 503 "spool full")
//   and keeps every point it acknowledged: exactly the points of the POSTs
//   answered 204 are stored, none of a POST answered 503;
// - drop_oldest answers every POST 204, deletes the oldest segments so that
//   the spool stays within spool.max_bytes, and delivers the newest points,
//   each once;
// - block pauses stream clients until there is room (their writes stall,
//   then complete, every line stored once) while datagrams, which cannot
//   wait, are dropped and counted.
//
// Each test prints its figures and records them as test properties. The
// fixture, and how the tests wait, are in inflowd_fixture.h. No test
// sleeps: each polls with a deadline for what it waits for.

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "inflowd_fixture.h"
#include "support/http_client.h"
#include "support/local_sockets.h"
#include "support/stored_point.h"
#include "support/tcp_connection.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The spool of every test: the smallest spool.max_bytes and segment_bytes
// the configuration allows, so that a few MiB overflow it.
constexpr uint64_t kMaxBytes = 1 << 20;
constexpr uint64_t kSegmentBytes = 64 << 10;

// ~50 KiB of line protocol per POST ("m,post=12 f=1299i <19 digits>\n"):
// one spool record each, so one segment each (two do not fit in 64 KiB).
constexpr int kLinesPerPost = 1300;

// How long InfluxDB, once up again, may take to be given what the spool
// holds (a few MiB, retried every 500 ms at most).
constexpr auto kDeliveryTimeout = 30s;


// The session every test writes to: prompt commits, and little memory
// (max_pending_bytes), so that nearly all the points wait on disk only and
// what the spool drops is really lost, not also held in memory.
SessionSpec SpooledSession() {
  SessionSpec session = Prompt("autogen");
  session.options = {"max_batch_bytes: 65536", "max_pending_bytes: 131072"};
  return session;
}

std::vector<std::string> SpoolOptions(std::string_view when_full) {
  return {"max_bytes: " + std::to_string(kMaxBytes),
          "segment_bytes: " + std::to_string(kSegmentBytes),
          "when_full: " + std::string(when_full)};
}

// The lines of POST number `post` of measurement `m`, and the points
// InfluxDB should store of them. Every point of every POST is distinct
// (its own timestamp), so that none can stand for another.
std::string PostBody(std::string_view m, int post, int64_t t, std::vector<StoredPoint>* points) {
  std::string body;
  const std::string tag = std::to_string(post);
  for (int i = 0; i < kLinesPerPost; ++i) {
    const int64_t time = t + int64_t{post} * kLinesPerPost + i;
    body += Line(m, "post=" + tag, i, time);
    points->push_back(IntegerPoint(std::string(m), {{"post", tag}}, i, time));
  }
  return body;
}

// The bytes of the files under `dir` (the spool's sessions/ folder), read
// as they are on disk; files deleted during the walk count as gone.
uint64_t DiskBytes(const std::string& dir) {
  uint64_t bytes = 0;
  std::error_code error;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, error);
       !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
    std::error_code size_error;
    if (!it->is_regular_file(size_error)) continue;
    const uintmax_t size = it->file_size(size_error);
    if (!size_error) bytes += size;
  }
  return bytes;
}

// A point as one comparable string: measurement, tags, integer fields and
// time (the only kinds these tests send).
std::string Key(const StoredPoint& point) {
  std::string key = point.measurement;
  for (const auto& [k, v] : point.tags) key += "," + k + "=" + v;
  for (const StoredField& field : point.fields) {
    key += " " + field.key + "=" +
           (std::holds_alternative<int64_t>(field.value)
                ? std::to_string(std::get<int64_t>(field.value))
                : std::string("(not an integer)"));
  }
  return key + " @" + (point.time_ns ? std::to_string(*point.time_ns) : "-");
}

std::vector<std::string> SortedKeys(const std::vector<StoredPoint>& points) {
  std::vector<std::string> keys;
  keys.reserve(points.size());
  for (const StoredPoint& point : points) keys.push_back(Key(point));
  std::sort(keys.begin(), keys.end());
  return keys;
}

// Up to 10 of `keys`, for failure messages.
std::string FirstKeys(const std::vector<std::string>& keys) {
  std::string text;
  for (size_t i = 0; i < keys.size() && i < 10; ++i) text += "  " + keys[i] + "\n";
  if (keys.size() > 10) text += "  ... " + std::to_string(keys.size() - 10) + " more\n";
  return text;
}

// The sorted keys in `a` that are not in `b` (both sorted).
std::vector<std::string> Missing(const std::vector<std::string>& a,
                                 const std::vector<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

// From inflowd's last words (Engine::Close): "session <rp>: <accepted>
// points accepted, <delivered> delivered in ...". False if it is not there.
bool SessionTotals(const std::string& log, std::string_view rp, uint64_t* accepted,
                   uint64_t* delivered) {
  // (Parsed by hand: std::regex trips GCC 12's -Wmaybe-uninitialized in
  // the sanitized build.)
  const std::string prefix = "session " + std::string(rp) + ": ";
  for (size_t at = log.find(prefix); at != std::string::npos; at = log.find(prefix, at + 1)) {
    unsigned long long a = 0, d = 0;
    if (std::sscanf(log.c_str() + at + prefix.size(), "%llu points accepted, %llu delivered", &a,
                    &d) == 2) {
      *accepted = a;
      *delivered = d;
      return true;
    }
  }
  return false;
}

// The bytes queued for reading, and the drops, of the UDP sockets bound to
// 127.0.0.1:`port`, from /proc/net/udp (whose queue shows what inflowd has
// not read yet). False if no such socket is listed.
bool UdpSocketState(uint16_t port, uint64_t* queued, uint64_t* drops) {
  char local[32];
  std::snprintf(local, sizeof local, "0100007F:%04X", static_cast<unsigned>(port));
  std::ifstream table("/proc/net/udp");
  std::string line;
  bool found = false;
  *queued = 0;
  *drops = 0;
  while (std::getline(table, line)) {
    // sl local rem st tx_queue:rx_queue tr:tm retrnsmt uid timeout inode ref pointer drops
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string field; fields >> field;) f.push_back(field);
    if (f.size() < 13 || f[1] != local) continue;
    found = true;
    const size_t colon = f[4].find(':');
    if (colon == std::string::npos) continue;
    *queued += std::stoull(f[4].substr(colon + 1), nullptr, 16);
    *drops += std::stoull(f[12]);
  }
  return found;
}

class InflowdWhenFullTest : public InflowdTest {
 protected:
  std::string SessionsDir() const { return spool_dir() + "/sessions"; }

  // The points stored of each POST of measurement `m` in autogen, by the
  // number in their post tag (SELECT count(f) ... GROUP BY post).
  std::map<int, uint64_t> PointsPerPost(std::string_view m) {
    std::map<int, uint64_t> counts;
    std::string json;
    const std::string q = "SELECT count(f) FROM " + Quoted(db_) + ".\"autogen\"." + Quoted(m) +
                          " GROUP BY \"post\"";
    Status status = influxdb()->Query(q, db_, &json);
    EXPECT_TRUE(status.ok()) << status.message();
    // ..."series":[{"name":"m","tags":{"post":"12"},"columns":["time","count"],
    // "values":[["1970-01-01T00:00:00Z",1300]]},...
    const std::string tag_key = "\"tags\":{\"post\":\"";
    const std::string values_key = "\"values\":[[";
    for (size_t at = json.find(tag_key); at != std::string::npos;
         at = json.find(tag_key, at + 1)) {
      const size_t tag_end = json.find('"', at + tag_key.size());
      const size_t values = json.find(values_key, at);
      if (tag_end == std::string::npos || values == std::string::npos) break;
      const size_t comma = json.find(',', values + values_key.size());
      if (comma == std::string::npos) break;
      const std::string post = json.substr(at + tag_key.size(), tag_end - at - tag_key.size());
      counts[std::stoi(post)] = std::stoull(json.substr(comma + 1));
    }
    return counts;
  }
};

// ---------------------------------------------------------------------------
// drop_newest: a POST whose points do not fit is answered 503 and its points
// are not kept; every POST answered 204 before it is kept and delivered once
// InfluxDB is back, and then, the delivered segments deleted, the spool
// takes POSTs again.

TEST_F(InflowdWhenFullTest, DropNewestAnswers503AndKeepsWhatItAcknowledged) {
  // ~20 POSTs of ~50 KiB fill 1 MiB; far fewer than this mean no spool full.
  constexpr int kMaxPosts = 100;
  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  influxdb()->Kill();
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {SpooledSession()},
                                        .listeners = {{ListenerKind::kHttp}},
                                        .influxdb_options = {"retry_max_interval: 500ms"},
                                        .spool_options = SpoolOptions("drop_newest")}));
  const int64_t t = RecentTime();
  const std::string target = "/write?db=" + db_;

  std::vector<StoredPoint> expected;  // of the POSTs answered 204
  int refused_post = -1;
  HttpResponse refusal;
  int post = 0;
  size_t body_bytes = 0;
  for (; post < kMaxPosts && refused_post < 0; ++post) {
    std::vector<StoredPoint> points;
    const std::string body = PostBody("newest", post, t, &points);
    body_bytes = body.size();
    HttpResponse response = Post(0, target, body);
    if (response.status == 503) {
      refused_post = post;
      refusal = response;
      break;
    }
    ASSERT_EQ(response.status, 204) << "POST " << post << ": " << Describe(response);
    expected.insert(expected.end(), points.begin(), points.end());
  }
  ASSERT_GE(refused_post, 0) << kMaxPosts << " POSTs of " << body_bytes << " bytes all taken "
                             << "by a spool of " << kMaxBytes << " bytes";
  const uint64_t spool_bytes_when_full = DiskBytes(SessionsDir());
  Report("drop_newest_posts_acknowledged", refused_post, "POSTs");
  Report("drop_newest_points_acknowledged", static_cast<int64_t>(expected.size()), "points");
  Report("drop_newest_spool_bytes_when_full", static_cast<int64_t>(spool_bytes_when_full),
         "bytes");
  EXPECT_TRUE(refusal.body.starts_with("{\"error\":\"spool full")) << Describe(refusal);
  // Refused because it was full, not before: one more POST would not fit.
  EXPECT_LE(spool_bytes_when_full, kMaxBytes);
  EXPECT_GT(spool_bytes_when_full + 2 * body_bytes, kMaxBytes);
  EXPECT_TRUE(inflowd_->running()) << inflowd_->exit_description();
  {
    // Still full: nothing was delivered meanwhile.
    std::vector<StoredPoint> ignored;
    HttpResponse again = Post(0, target, PostBody("newest", refused_post + 1, t, &ignored));
    EXPECT_EQ(again.status, 503) << Describe(again);
  }
  EXPECT_TRUE(inflowd_->LogMentions("points for session autogen dropped")) << inflowd_->LogTail();

  Status status = influxdb()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto influxdb_up = Clock::now();
  uint64_t stored = 0;
  EXPECT_TRUE(PollUntil(kDeliveryTimeout, [&] {
    return (stored = CountIn("autogen", "newest")) >= expected.size();
  })) << stored << " of " << expected.size() << " acknowledged points stored";
  Report("drop_newest_delivered_after_influxdb_up_ms", MillisecondsSince(influxdb_up), "ms");

  // Delivered segments are deleted (all but the newest, where appends go
  // on): then a POST fits again.
  EXPECT_TRUE(PollUntil(10s, [&] { return DiskBytes(SessionsDir()) <= kSegmentBytes; }))
      << "the spool still holds " << DiskBytes(SessionsDir()) << " bytes once delivered";
  const int after_post = refused_post + 2;
  std::vector<StoredPoint> after_points;
  HttpResponse after = Post(0, target, PostBody("newest", after_post, t, &after_points));
  EXPECT_EQ(after.status, 204) << "once delivered: " << Describe(after);
  if (after.status == 204) {
    expected.insert(expected.end(), after_points.begin(), after_points.end());
  }
  EXPECT_TRUE(PollUntil(kArrivalTimeout, [&] {
    return (stored = CountIn("autogen", "newest")) >= expected.size();
  })) << stored << " of " << expected.size() << " points stored";
  ASSERT_NO_FATAL_FAILURE(StopInflowd());

  // Exactly what was acknowledged: nothing of the two POSTs answered 503.
  const std::vector<std::string> want = SortedKeys(expected);
  const std::vector<std::string> have = SortedKeys(StoredIn("autogen"));
  EXPECT_EQ(have.size(), want.size());
  const std::vector<std::string> lost = Missing(want, have);
  const std::vector<std::string> extra = Missing(have, want);
  EXPECT_TRUE(lost.empty()) << "acknowledged but not stored:\n" << FirstKeys(lost);
  EXPECT_TRUE(extra.empty()) << "stored but not acknowledged (a 503's):\n" << FirstKeys(extra);
  const std::map<int, uint64_t> per_post = PointsPerPost("newest");
  EXPECT_EQ(per_post.count(refused_post), 0u);
  EXPECT_EQ(per_post.count(refused_post + 1), 0u);
}

// ---------------------------------------------------------------------------
// drop_oldest: every POST is answered 204 however much is sent; the oldest
// segments are deleted to make room, so the spool stays within max_bytes
// (on disk: max_bytes, and a segment more at most, is the bound this test
// holds it to). Once InfluxDB is back, the newest points are all stored,
// some of the oldest are not, and no point is delivered twice.

TEST_F(InflowdWhenFullTest, DropOldestKeepsAcceptingAndDeletesTheOldest) {
  constexpr int kPosts = 60;  // ~3 MiB: three times max_bytes
  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  influxdb()->Kill();
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {SpooledSession()},
                                        .listeners = {{ListenerKind::kHttp}},
                                        .influxdb_options = {"retry_max_interval: 500ms"},
                                        .spool_options = SpoolOptions("drop_oldest")}));
  const int64_t t = RecentTime();
  const std::string target = "/write?db=" + db_;

  std::vector<StoredPoint> sent;
  std::vector<size_t> body_bytes;
  uint64_t largest_spool = 0;
  for (int post = 0; post < kPosts; ++post) {
    const std::string body = PostBody("oldest", post, t, &sent);
    body_bytes.push_back(body.size());
    HttpResponse response = Post(0, target, body);
    ASSERT_EQ(response.status, 204) << "POST " << post << ": " << Describe(response);
    const uint64_t spool = DiskBytes(SessionsDir());
    largest_spool = std::max(largest_spool, spool);
    ASSERT_LE(spool, kMaxBytes + kSegmentBytes) << "after POST " << post;
  }
  Report("drop_oldest_bytes_posted",
         static_cast<int64_t>(kPosts) * static_cast<int64_t>(body_bytes.front()), "bytes");
  Report("drop_oldest_largest_spool_bytes", static_cast<int64_t>(largest_spool), "bytes");
  EXPECT_TRUE(inflowd_->LogMentions("deleted the oldest segment")) << inflowd_->LogTail();

  // The newest POSTs, ~max_bytes/2 of them: no drop may have touched them.
  int newest_from = kPosts;
  for (uint64_t bytes = 0; newest_from > 0 && bytes + body_bytes[newest_from - 1] <= kMaxBytes / 2;
       bytes += body_bytes[--newest_from]) {
  }
  ASSERT_LT(newest_from, kPosts);
  Status status = influxdb()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto influxdb_up = Clock::now();
  std::map<int, uint64_t> per_post;
  auto newest_stored = [&] {
    per_post = PointsPerPost("oldest");
    for (int post = newest_from; post < kPosts; ++post) {
      if (per_post[post] < kLinesPerPost) return false;
    }
    return true;
  };
  EXPECT_TRUE(PollUntil(kDeliveryTimeout, newest_stored))
      << "the newest POSTs (" << newest_from << " on) are not all stored";
  Report("drop_oldest_newest_delivered_after_influxdb_up_ms", MillisecondsSince(influxdb_up),
         "ms");
  // A clean stop waits until InfluxDB has taken all the spool holds: after
  // it, what is stored is final.
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  EXPECT_FALSE(inflowd_->LogMentions("stay in the spool")) << inflowd_->LogTail();

  per_post = PointsPerPost("oldest");
  int missing_posts = 0;
  for (int post = 0; post < kPosts; ++post) {
    const uint64_t count = per_post.count(post) > 0 ? per_post[post] : 0;
    // A POST is one spool record, and a segment holds whole records: a
    // drop deletes a POST whole, or leaves it whole.
    EXPECT_TRUE(count == 0 || count == kLinesPerPost) << "POST " << post << ": " << count;
    if (count == 0) {
      ++missing_posts;
      EXPECT_LT(post, newest_from) << "a newest POST dropped";
    }
  }
  Report("drop_oldest_posts_dropped", missing_posts, "POSTs");
  EXPECT_GT(missing_posts, 0) << "drop_oldest dropped nothing of " << kPosts << " POSTs";

  // InfluxDB stores a point written twice once, so what it holds cannot
  // show a duplicate: inflowd's count of points delivered can. Each stored
  // point is one that was sent, and was delivered once.
  const std::vector<std::string> have = SortedKeys(StoredIn("autogen"));
  EXPECT_TRUE(std::adjacent_find(have.begin(), have.end()) == have.end());
  const std::vector<std::string> unknown = Missing(have, SortedKeys(sent));
  EXPECT_TRUE(unknown.empty()) << "stored but never sent:\n" << FirstKeys(unknown);
  uint64_t accepted = 0;
  uint64_t delivered = 0;
  ASSERT_TRUE(SessionTotals(inflowd_->Log(), "autogen", &accepted, &delivered))
      << inflowd_->LogTail();
  Report("drop_oldest_points_stored", static_cast<int64_t>(have.size()), "points");
  EXPECT_EQ(accepted, sent.size());
  EXPECT_EQ(delivered, have.size()) << "points delivered more than once";
}

// ---------------------------------------------------------------------------
// block: a stream client's writes stall once the spool is full (inflowd stops
// reading it) and complete once InfluxDB has made room, every line stored
// once; datagrams read meanwhile cannot wait and are dropped and counted.
// The datagrams are sent, and read by inflowd, while InfluxDB is still down:
// the hold cannot end then (nothing is delivered, so no segment is given
// back), so each of them must be dropped, none stored.

TEST_F(InflowdWhenFullTest, BlockDropsDatagramsButHoldsStreams) {
  constexpr int kStreamLines = 60'000;  // ~2.7 MB: the spool and the socket's buffers, and more
  constexpr int kDatagrams = 100;
  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  influxdb()->Kill();
  ASSERT_NO_FATAL_FAILURE(
      StartInflowd({.sessions = {SpooledSession()},
                    .listeners = {{ListenerKind::kUnixStream}, {ListenerKind::kUdp}},
                    .influxdb_options = {"retry_max_interval: 500ms"},
                    .spool_options = SpoolOptions("block")}));
  const int64_t t = RecentTime();

  std::string stream_text;
  for (int i = 0; i < kStreamLines; ++i) stream_text += Line("held", "via=stream", i, t + i);
  StreamSender stream;
  Status status = stream.Connect(spec_.listeners[0].path);
  ASSERT_TRUE(status.ok()) << status.message();
  // Writes until they stall with the hold in the log: a stall alone may be
  // inflowd busy writing its spool.
  size_t sent = 0;
  const auto fill_deadline = Clock::now() + 30s;
  bool held = false;
  while (!held && sent < stream_text.size() && Clock::now() < fill_deadline) {
    status = stream.Send(std::string_view(stream_text).substr(sent), 300ms, fill_deadline, &sent);
    ASSERT_TRUE(status.ok()) << status.message();
    held = inflowd_->LogMentions("pausing stream and HTTP clients");
  }
  ASSERT_TRUE(held) << "no hold after " << sent << " of " << stream_text.size() << " bytes";
  ASSERT_LT(sent, stream_text.size()) << "inflowd read the whole stream with its spool full";
  Report("block_stream_bytes_taken_before_the_hold", static_cast<int64_t>(sent), "bytes");
  size_t unread = 0;
  status = stream.Unread(&unread);
  ASSERT_TRUE(status.ok()) << status.message();
  Report("block_stream_bytes_unread_in_the_socket", static_cast<int64_t>(unread), "bytes");
  EXPECT_LE(DiskBytes(SessionsDir()), kMaxBytes);

  const uint16_t udp_port = spec_.listeners[1].port;
  for (int i = 0; i < kDatagrams; ++i) {
    status = SendUdpDatagram(udp_port, Line("held_udp", "", i, t + i));
    ASSERT_TRUE(status.ok()) << status.message();
  }
  // Read by inflowd: nothing left in the socket's queue, none lost there.
  uint64_t queued = 0;
  uint64_t kernel_drops = 0;
  EXPECT_TRUE(PollUntil(10s, [&] {
    return UdpSocketState(udp_port, &queued, &kernel_drops) && queued == 0;
  })) << queued << " bytes of datagrams still unread";
  EXPECT_EQ(kernel_drops, 0u);
  EXPECT_TRUE(PollUntil(5s, [&] { return inflowd_->LogMentions("points of datagrams dropped"); }))
      << inflowd_->LogTail();
  EXPECT_FALSE(inflowd_->LogMentions("the spool has room again")) << inflowd_->LogTail();
  EXPECT_TRUE(inflowd_->running()) << inflowd_->exit_description();

  status = influxdb()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto influxdb_up = Clock::now();
  // The stream is read again: its writes complete.
  status = stream.Send(std::string_view(stream_text).substr(sent), 20s,
                       Clock::now() + kDeliveryTimeout, &sent);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(sent, stream_text.size()) << "the stream's writes never completed";
  Report("block_stream_resumed_after_influxdb_up_ms", MillisecondsSince(influxdb_up), "ms");
  stream.Close();
  uint64_t stored = 0;
  EXPECT_TRUE(PollUntil(kDeliveryTimeout, [&] {
    return (stored = CountIn("autogen", "held")) >= kStreamLines;
  })) << stored << " of " << kStreamLines << " stream lines stored";
  Report("block_delivered_after_influxdb_up_ms", MillisecondsSince(influxdb_up), "ms");
  ASSERT_NO_FATAL_FAILURE(StopInflowd());

  EXPECT_EQ(CountIn("autogen", "held"), static_cast<uint64_t>(kStreamLines));
  EXPECT_EQ(CountIn("autogen", "held_udp"), 0u) << "datagrams read during the hold were stored";
  // As for drop_oldest: each stream line delivered once, and only they.
  uint64_t accepted = 0;
  uint64_t delivered = 0;
  const std::string log = inflowd_->Log();
  ASSERT_TRUE(SessionTotals(log, "autogen", &accepted, &delivered)) << inflowd_->LogTail();
  EXPECT_EQ(accepted, static_cast<uint64_t>(kStreamLines));
  EXPECT_EQ(delivered, static_cast<uint64_t>(kStreamLines));
  // Counted: every datagram's point, and nothing else, dropped for the full spool.
  EXPECT_NE(log.find("the spool was full: " + std::to_string(kDatagrams) + " points dropped"),
            std::string::npos)
      << inflowd_->LogTail();
  EXPECT_TRUE(inflowd_->LogMentions("the spool has room again after")) << inflowd_->LogTail();
}

// ---------------------------------------------------------------------------
// block, over HTTP with spool.fsync: always: of three requests pipelined in
// one write, the first fits and is answered at once, the second fills the
// spool and is held, without an answer, and the third waits unread behind
// it. Once InfluxDB takes the spool's points, the second is admitted and
// answered, then the third is read and served: three 204s, in order, and
// every point stored once.
TEST_F(InflowdWhenFullTest, BlockHoldsAPipelinedRequestAndServesTheRestInOrderLater) {
  constexpr int kMaxFillPosts = 40;
  ASSERT_NO_FATAL_FAILURE(UseOwnInfluxDb());
  influxdb()->Kill();
  std::vector<std::string> spool = SpoolOptions("block");
  spool.push_back("fsync: always");
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {SpooledSession()},
                                        .listeners = {{ListenerKind::kHttp}},
                                        .influxdb_options = {"retry_max_interval: 500ms"},
                                        .spool_options = spool}));
  const int64_t t = RecentTime();
  const std::string target = "/write?db=" + db_;
  std::vector<StoredPoint> expected;

  // Fill the spool until one more POST fits, and not two.
  int post = 0;
  size_t body_bytes = 0;
  for (; post < kMaxFillPosts; ++post) {
    std::vector<StoredPoint> points;
    const std::string body = PostBody("pipelined", post, t, &points);
    body_bytes = body.size();
    if (DiskBytes(SessionsDir()) + 2 * (body_bytes + 64) <= kMaxBytes) {
      HttpResponse response = Post(0, target, body);
      ASSERT_EQ(response.status, 204) << "POST " << post << ": " << Describe(response);
      expected.insert(expected.end(), points.begin(), points.end());
      continue;
    }
    break;
  }
  ASSERT_LT(post, kMaxFillPosts) << "the spool never filled";
  Report("pipelined_fill_posts", post, "POSTs");

  std::string requests;
  for (int i = 0; i < 3; ++i, ++post) {
    std::vector<StoredPoint> points;
    const std::string body = PostBody("pipelined", post, t, &points);
    requests += "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                std::to_string(body.size()) + "\r\n\r\n" + body;
    expected.insert(expected.end(), points.begin(), points.end());
  }
  TcpConnection connection(Clock::now() + kDeliveryTimeout + 30s);
  Status status = connection.Connect("127.0.0.1", spec_.listeners[0].port);
  ASSERT_TRUE(status.ok()) << status.message();
  status = connection.WriteAll(requests);
  ASSERT_TRUE(status.ok()) << status.message();

  // The first answer comes at once; the second request is held.
  std::string answers;
  auto count_answers = [&answers] {
    size_t count = 0;
    for (size_t at = answers.find("HTTP/1.1 "); at != std::string::npos;
         at = answers.find("HTTP/1.1 ", at + 1)) {
      ++count;
    }
    return count;
  };
  bool eof = false;
  while (count_answers() < 1 && !eof) {
    status = connection.Read(&answers, &eof);
    ASSERT_TRUE(status.ok()) << status.message() << "; read so far: " << answers;
  }
  ASSERT_TRUE(answers.starts_with("HTTP/1.1 204")) << answers;
  ASSERT_TRUE(PollUntil(10s, [&] {
    return inflowd_->LogMentions("pausing stream and HTTP clients");
  })) << inflowd_->LogTail();
  EXPECT_EQ(count_answers(), 1u) << "answered before its points were spooled: " << answers;

  status = influxdb()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const auto influxdb_up = Clock::now();
  while (count_answers() < 3 && !eof) {
    status = connection.Read(&answers, &eof);
    ASSERT_TRUE(status.ok()) << status.message() << "; read so far: " << answers;
  }
  Report("pipelined_all_answered_after_influxdb_up_ms", MillisecondsSince(influxdb_up), "ms");
  ASSERT_EQ(count_answers(), 3u) << answers;
  for (size_t at = answers.find("HTTP/1.1 "); at != std::string::npos;
       at = answers.find("HTTP/1.1 ", at + 1)) {
    EXPECT_EQ(answers.substr(at, 12), "HTTP/1.1 204") << answers;
  }
  EXPECT_TRUE(inflowd_->LogMentions("the spool has room again after")) << inflowd_->LogTail();

  uint64_t stored = 0;
  EXPECT_TRUE(PollUntil(kDeliveryTimeout, [&] {
    return (stored = CountIn("autogen", "pipelined")) >= expected.size();
  })) << stored << " of " << expected.size() << " points stored";
  ASSERT_NO_FATAL_FAILURE(StopInflowd());
  const std::vector<std::string> want = SortedKeys(expected);
  const std::vector<std::string> have = SortedKeys(StoredIn("autogen"));
  EXPECT_EQ(have.size(), want.size());
  EXPECT_TRUE(Missing(want, have).empty()) << FirstKeys(Missing(want, have));
  EXPECT_FALSE(inflowd_->LogMentions("could not be synced")) << inflowd_->LogTail();
}

}  // namespace
}  // namespace inflow::test
