#include "cache/last_value_cache.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "cache/connection_options.h"
#include "inflow/last_value_script.h"

namespace inflow::daemon {
namespace {

// Redis refused for now (loading, out of memory, a script running, a
// replica): worth sending again. Any other error reply is for good.
bool IsPassing(std::string_view error) {
  for (std::string_view prefix : {"NOSCRIPT", "LOADING", "OOM", "BUSY", "READONLY", "MASTERDOWN",
                                  "TRYAGAIN", "CLUSTERDOWN"}) {
    if (error.starts_with(prefix)) return true;
  }
  return false;
}

}  // namespace

LastValueCache::LastValueCache(uv_loop_t* loop, const Config& config)
    : loop_(loop),
      clock_(loop),
      database_(config.influxdb.database),
      flush_interval_(config.redis.flush_interval),
      buffer_(config.redis.cache),
      connection_(loop, ConnectionOptions(config.redis),
                  [this](bool up, const Status& why) { OnState(up, why); }),
      state_log_(3, std::chrono::seconds(10)),
      left_out_log_(1, std::chrono::seconds(10)),
      refused_log_(3, std::chrono::seconds(10)) {
  for (const SessionConfig& session : config.sessions) {
    retention_policies_.push_back(session.retention_policy);
  }
  staged_.resize(retention_policies_.size());
  uv_timer_init(loop_, &flush_timer_.handle);
  flush_timer_.handle.data = this;
  handles_.Adopt(&flush_timer_);
}

LastValueCache::~LastValueCache() = default;

void LastValueCache::Start() {
  spdlog::info("last-value cache: Redis {}, keys {}*, flushed every {} ms", connection_.name(),
               buffer_.options().key_prefix,
               std::chrono::duration_cast<std::chrono::milliseconds>(flush_interval_).count());
  started_ = true;
  connection_.Start();
}

LastValueCache::Part LastValueCache::Staged::Put(std::string_view part) {
  Part placed{static_cast<uint32_t>(text.size()), static_cast<uint32_t>(part.size())};
  text.append(part);
  return placed;
}

void LastValueCache::Staged::Clear() {
  text.clear();
  points.clear();
  tags.clear();
  fields.clear();
}

// The point is copied as parsed, so that Admitted need not parse it again:
// its series key (which the intake makes once), measurement, tags but the
// routing tag, and fields.
void LastValueCache::Stage(const AcceptedPoint& point) {
  if (stopping_) return;
  Staged& staged = staged_[point.session()];
  const PointView& p = point.point();
  StagedPoint sp{};
  sp.series_key = staged.Put(point.series_key());
  sp.measurement = staged.Put(p.measurement);
  for (const TagView& tag : p.tags) {
    if (&tag == point.routing_tag()) continue;
    staged.tags.emplace_back(staged.Put(tag.key), staged.Put(tag.value));
  }
  for (const FieldView& field : p.fields) {
    staged.fields.push_back(StagedField{staged.Put(field.key), staged.Put(field.value), field.type});
  }
  sp.tags_end = static_cast<uint32_t>(staged.tags.size());
  sp.fields_end = static_cast<uint32_t>(staged.fields.size());
  sp.time_ns = point.timestamp_ns();
  staged.points.push_back(sp);
}

void LastValueCache::Discarded(size_t session) { staged_[session].Clear(); }

void LastValueCache::Admitted(size_t session) {
  Staged& staged = staged_[session];
  uint32_t tag = 0;
  uint32_t field = 0;
  for (const StagedPoint& sp : staged.points) {
    tag_views_.clear();
    for (; tag < sp.tags_end; ++tag) {
      tag_views_.push_back(TagView{.key = staged.View(staged.tags[tag].first),
                                   .value = staged.View(staged.tags[tag].second)});
    }
    field_views_.clear();
    for (; field < sp.fields_end; ++field) {
      const StagedField& f = staged.fields[field];
      field_views_.push_back(
          FieldView{.key = staged.View(f.key), .value = staged.View(f.value), .type = f.type});
    }
    SeriesIdentity identity{.database = database_,
                            .retention_policy = retention_policies_[session],
                            .series_key = staged.View(sp.series_key),
                            .measurement = staged.View(sp.measurement),
                            .tags = tag_views_,
                            .left_out = nullptr};
    if (buffer_.Add(identity, field_views_, sp.time_ns) == LastValueBuffer::AddResult::kTaken) {
      ++stats_.points_cached;
    } else {
      ++stats_.points_left_out;
      uint64_t suppressed = 0;
      if (left_out_log_.Allow(clock_.Now(), &suppressed)) {
        spdlog::warn("last-value cache: {} series wait for Redis {} (redis.max_pending_series); "
                     "points of other series are left out of the cache ({} so far)",
                     buffer_.pending_series(), connection_.name(), stats_.points_left_out);
      }
    }
  }
  staged.Clear();
  ArmFlush();
}

void LastValueCache::ArmFlush() {
  if (stopping_ || uv_is_active(flush_timer_.base())) return;
  if (buffer_.pending_series() == 0 && resend_.empty()) return;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(flush_interval_).count();
  uv_timer_start(&flush_timer_.handle, OnFlushTimer, static_cast<uint64_t>(ms > 0 ? ms : 1), 0);
}

void LastValueCache::OnFlushTimer(uv_timer_t* timer) {
  static_cast<LastValueCache*>(timer->data)->Flush();
}

// One flush at a time: what waits meanwhile keeps coalescing. Updates sent
// again go alone, so that memory stays within twice max_pending_series.
void LastValueCache::Flush() {
  if (awaited_ > 0 || !connection_.up()) return;  // FlushDone or OnState flushes again
  in_flight_ = resend_.empty() ? buffer_.Take() : std::move(resend_);
  resend_.clear();
  if (in_flight_.empty()) {
    if (stopping_) Finish();
    return;
  }
  ++stats_.flushes;
  if (!script_loaded_) {
    // Pipelined before the updates, so that their EVALSHA finds it.
    std::vector<std::string> load = {"SCRIPT", "LOAD", std::string(LastValueScript())};
    connection_.Send(load, [this](const Status& status, const RedisValue& reply) {
      if (status.ok() && reply.kind == RedisValue::Kind::kString) {
        script_loaded_ = true;
      } else if (status.ok()) {
        spdlog::error("last-value cache: Redis {} refused the script: {}", connection_.name(),
                      reply.text);
      }
    });
  }
  awaited_ = in_flight_.size();
  std::vector<std::string> argv;
  for (size_t i = 0; i < in_flight_.size(); ++i) {
    const LastValueUpdate& update = in_flight_[i];
    argv.clear();
    argv.reserve(3 + update.keys.size() + update.args.size());
    argv.emplace_back("EVALSHA");
    argv.push_back(LastValueScriptSha1());
    argv.push_back(std::to_string(update.keys.size()));
    argv.insert(argv.end(), update.keys.begin(), update.keys.end());
    argv.insert(argv.end(), update.args.begin(), update.args.end());
    connection_.Send(argv, [this, i](const Status& status, const RedisValue& reply) {
      OnAnswer(i, status, reply);
    });
  }
}

void LastValueCache::OnAnswer(size_t index, const Status& status, const RedisValue& reply) {
  bool again = false;
  if (!status.ok()) {
    again = true;
  } else if (reply.kind == RedisValue::Kind::kError) {
    if (reply.text.starts_with("NOSCRIPT")) script_loaded_ = false;
    if (IsPassing(reply.text)) {
      again = true;
    } else {
      ++stats_.updates_refused;
      uint64_t suppressed = 0;
      if (refused_log_.Allow(clock_.Now(), &suppressed)) {
        spdlog::error("last-value cache: Redis {} refused the update of {}: {} ({} refused, {} "
                      "messages left out)",
                      connection_.name(), in_flight_[index].keys[0], reply.text,
                      stats_.updates_refused, suppressed);
      }
    }
  } else {
    ++stats_.updates_written;
  }
  if (again) {
    ++stats_.updates_resent;
    resend_.push_back(std::move(in_flight_[index]));
  }
  if (--awaited_ == 0) FlushDone();
}

void LastValueCache::FlushDone() {
  in_flight_.clear();
  if (stopping_) {
    // Once more, for what came meanwhile, if Redis is still there; what
    // failed is not tried again, and is counted as not written.
    failed_at_stop_ += resend_.size();
    resend_.clear();
    if (connection_.up() && buffer_.pending_series() > 0) {
      Flush();
    } else {
      Finish();
    }
    return;
  }
  ArmFlush();  // what failed is sent again then (or when the connection is back)
}

void LastValueCache::OnState(bool up, const Status& why) {
  uint64_t suppressed = 0;
  if (up) {
    script_loaded_ = false;
    spdlog::info("last-value cache: connected to Redis {}; {} series to write",
                 connection_.name(), buffer_.pending_series() + resend_.size());
    if (stopping_) return;
    Flush();
    return;
  }
  if (stopping_ && awaited_ == 0) {
    Finish();
    return;
  }
  if (state_log_.Allow(clock_.Now(), &suppressed)) {
    spdlog::warn("last-value cache: {}; connecting again ({} series wait{})", why.message(),
                 buffer_.pending_series() + resend_.size() + in_flight_.size(),
                 suppressed > 0 ? ", " + std::to_string(suppressed) + " messages left out" : "");
  }
}

void LastValueCache::Stop() {
  if (stopping_) return;
  stopping_ = true;
  uv_timer_stop(&flush_timer_.handle);
  for (Staged& staged : staged_) staged.Clear();
  if (awaited_ > 0) return;  // FlushDone goes on
  if (connection_.up()) {
    Flush();
  } else {
    Finish();
  }
}

void LastValueCache::Finish() {
  if (stopped_) return;
  stopped_ = true;
  connection_.Close([] {});
  handles_.Close(&flush_timer_);
  if (!started_) return;  // inflowd did not start: nothing to tell
  size_t left = buffer_.pending_series() + resend_.size() + failed_at_stop_;
  spdlog::info("last-value cache: {} points cached, {} updates written to Redis in {} flushes, "
               "{} sent again, {} refused, {} points left out",
               stats_.points_cached, stats_.updates_written, stats_.flushes,
               stats_.updates_resent, stats_.updates_refused, stats_.points_left_out);
  if (left > 0) {
    spdlog::warn("last-value cache: {} series not written: Redis {} is not reachable", left,
                 connection_.name());
  }
}

}  // namespace inflow::daemon
