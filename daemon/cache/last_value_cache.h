// LastValueCache: the PointOutput that keeps the last value of every series
// in Redis (layout: inflow/last_value_layout.h; README "Last-value cache").
//
// Every accepted point (PointOutput::Admitted: it is in the spool) is
// coalesced per series (LastValueBuffer); every redis.flush_interval what is
// pending is written, one EVALSHA of the cache's script per series,
// pipelined on one connection (RedisConnection, on inflowd's loop). The
// script decides inside Redis whether a value is newer, so the cache never
// moves backwards, whatever order points, replays or other inflowd
// instances bring. A point InfluxDB later refuses may have reached the
// cache: it holds what inflowd accepted, not what InfluxDB confirmed, and
// so it keeps answering while InfluxDB is down.
//
// Redis down or slow never holds up ingestion: nothing here waits. While
// Redis cannot be written, points keep coalescing, the latest per series,
// up to redis.max_pending_series series (points of further series are left
// out and counted); the connection is made again with backoff, and what is
// held is written then. Memory: the pending series, plus at most as many
// again in the one flush in flight (or failed, to be sent again).
//
// An update whose answer is lost (connection lost, timeout) is sent again:
// the script is idempotent. After NOSCRIPT (a restarted Redis, SCRIPT
// FLUSH) the script is loaded again and the update sent again. An update
// Redis refuses for what it holds (e.g. WRONGTYPE: a key of the cache
// holding something else) is dropped, counted and logged.
//
// Ownership: the engine holds it (Engine::AddOutput); it must outlive the
// loop's run. Thread: the loop's.

#ifndef INFLOW_DAEMON_CACHE_LAST_VALUE_CACHE_H_
#define INFLOW_DAEMON_CACHE_LAST_VALUE_CACHE_H_

#include <uv.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"
#include "inflow/clock.h"
#include "inflow/handle_set.h"
#include "inflow/last_value_buffer.h"
#include "inflow/point.h"
#include "inflow/redis_connection.h"
#include "log_rate_limiter.h"
#include "point_output.h"

namespace inflow::daemon {

struct LastValueCacheStats {
  uint64_t points_cached = 0;     // coalesced into the buffer
  uint64_t points_left_out = 0;   // of new series beyond max_pending_series
  uint64_t flushes = 0;           // flushes sent
  uint64_t updates_written = 0;   // script calls Redis answered
  uint64_t updates_resent = 0;    // sent again after a lost answer or NOSCRIPT
  uint64_t updates_refused = 0;   // refused by Redis for good, dropped
};

class LastValueCache : public PointOutput {
 public:
  // `config.redis.enabled`. The database is config.influxdb.database; the
  // retention policy of session i is config.sessions[i]'s.
  LastValueCache(uv_loop_t* loop, const Config& config);
  ~LastValueCache() override;

  LastValueCache(const LastValueCache&) = delete;
  LastValueCache& operator=(const LastValueCache&) = delete;

  // PointOutput.
  void Start() override;
  void Stage(const AcceptedPoint& point) override;
  void Admitted(size_t session) override;
  void Discarded(size_t session) override;
  // Writes what is pending if Redis is up, waits for the answers (at most
  // redis.timeout), then closes the connection and the handles.
  void Stop() override;

  const LastValueCacheStats& stats() const { return stats_; }
  size_t pending_series() const { return buffer_.pending_series(); }

 private:
  void OnState(bool up, const Status& why);
  void ArmFlush();
  void Flush();
  void OnAnswer(size_t index, const Status& status, const RedisValue& reply);
  void FlushDone();
  void Finish();
  static void OnFlushTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  LoopClock clock_;
  std::string database_;
  std::vector<std::string> retention_policies_;  // by session
  std::chrono::nanoseconds flush_interval_;
  // The points of a session staged by the read under way, as parsed, their
  // text copied into `text` (the parsed views live only during Stage): the
  // parts are offsets into it, so that it may grow.
  struct Part {
    uint32_t offset;
    uint32_t size;
  };
  struct StagedPoint {
    Part series_key;
    Part measurement;
    uint32_t tags_end;    // into tags: this point's run ends here
    uint32_t fields_end;  // into fields
    int64_t time_ns;
  };
  struct StagedField {
    Part key;
    Part value;
    FieldType type;
  };
  struct Staged {
    std::string text;
    std::vector<StagedPoint> points;
    std::vector<std::pair<Part, Part>> tags;
    std::vector<StagedField> fields;

    Part Put(std::string_view part);
    std::string_view View(Part part) const { return {text.data() + part.offset, part.size}; }
    void Clear();
  };

  LastValueBuffer buffer_;
  std::vector<Staged> staged_;  // by session
  // Views of one staged point, rebuilt for each Add.
  std::vector<TagView> tag_views_;
  std::vector<FieldView> field_views_;
  RedisConnection connection_;
  bool script_loaded_ = false;  // on this connection
  // The flush in flight (or failed in part: the updates to send again).
  std::vector<LastValueUpdate> in_flight_;
  size_t awaited_ = 0;
  std::vector<LastValueUpdate> resend_;
  size_t failed_at_stop_ = 0;  // updates that failed after Stop: not tried again
  bool started_ = false;  // Start was called
  bool stopping_ = false;
  bool stopped_ = false;
  HandleSet handles_{"LastValueCache"};
  TrackedHandle<uv_timer_t> flush_timer_;
  LogRateLimiter state_log_;
  LogRateLimiter left_out_log_;
  LogRateLimiter refused_log_;
  LastValueCacheStats stats_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_CACHE_LAST_VALUE_CACHE_H_
