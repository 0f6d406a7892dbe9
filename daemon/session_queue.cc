#include "session_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "inflow/line_parser.h"

namespace inflow::daemon {

using std::chrono::milliseconds;

SessionQueue::SessionQueue(uv_loop_t* loop, const SessionOptions& options,
                           const InfluxDbConfig* influxdb, const RetryOptions& retry,
                           uint64_t seed)
    : loop_(loop),
      influxdb_(influxdb),
      session_(options),
      writer_(loop, influxdb),
      backoff_(retry.initial_interval, retry.max_interval, seed),
      unauthorized_interval_(retry.unauthorized_interval),
      failure_log_(5, std::chrono::seconds(10)) {
  uv_timer_init(loop_, &commit_timer_);
  commit_timer_.data = this;
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
}

MonoTime SessionQueue::Now() const { return MonoTime(milliseconds(uv_now(loop_))); }

void SessionQueue::Write(std::string_view line) {
  ++stats_.points_accepted;
  bool was_empty = session_.pending_points() == 0;
  session_.Write(line, Now());
  if (session_.HasBatch()) {
    TakeClosedBatches();
    ArmCommitTimer();
  } else if (was_empty) {
    ArmCommitTimer();
  }
}

void SessionQueue::Commit() {
  session_.Commit();
  TakeClosedBatches();
  ArmCommitTimer();
}

void SessionQueue::TakeClosedBatches() {
  while (session_.HasBatch()) outbox_.push_back(session_.TakeBatch());
  SendNext();
}

// The timer runs while points are pending, for the deadline of the oldest.
void SessionQueue::ArmCommitTimer() {
  std::optional<MonoTime> deadline = session_.CommitDeadline();
  if (!deadline || closed_) {
    uv_timer_stop(&commit_timer_);
    return;
  }
  auto wait = std::chrono::ceil<milliseconds>(*deadline - Now()).count();
  uv_timer_start(&commit_timer_, OnCommitTimer, static_cast<uint64_t>(std::max<int64_t>(wait, 0)),
                 0);
}

void SessionQueue::OnCommitTimer(uv_timer_t* timer) {
  auto* self = static_cast<SessionQueue*>(timer->data);
  self->session_.Tick(self->Now());
  self->TakeClosedBatches();
  self->ArmCommitTimer();
}

void SessionQueue::SendNext() {
  if (sending_ || outbox_.empty() || closed_) return;
  sending_ = true;
  writer_.Write(retention_policy(), outbox_.front().body,
                [this](const WriteVerdict& verdict) { OnWritten(verdict); });
}

void SessionQueue::OnWritten(const WriteVerdict& verdict) {
  const Batch& batch = outbox_.front();
  switch (verdict.outcome) {
    case WriteOutcome::kDelivered:
      backoff_.Reset();
      ++stats_.batches_delivered;
      stats_.points_delivered += batch.points;
      outbox_.pop_front();
      break;
    case WriteOutcome::kRejected:
      // InfluxDB stored the good points and will never take the others.
      backoff_.Reset();
      ++stats_.batches_rejected;
      stats_.points_rejected += batch.points;
      if (on_rejected_) {
        on_rejected_(batch, verdict);
      } else {
        spdlog::warn("session {}: InfluxDB refused lines of a batch of {} points: {}",
                     retention_policy(), batch.points, verdict.error);
      }
      outbox_.pop_front();
      break;
    case WriteOutcome::kTooLarge:
      SplitFront();
      break;
    case WriteOutcome::kDatabaseNotFound:
      // Once per batch: if the database is gone again right after it was
      // created, something else is wrong, and the backoff takes over.
      if (influxdb_->create_database && !created_database_) {
        CreateDatabase();
        return;
      }
      RetryLater(verdict);
      return;
    case WriteOutcome::kUnauthorized:
    case WriteOutcome::kRetry:
      RetryLater(verdict);
      return;
  }
  created_database_ = false;
  sending_ = false;
  SendNext();
  CheckDrained();
}

void SessionQueue::CreateDatabase() {
  created_database_ = true;
  spdlog::warn("session {}: InfluxDB has no database \"{}\"; creating it",
               retention_policy(), influxdb_->database);
  writer_.CreateDatabase([this](const WriteVerdict& verdict) {
    if (verdict.outcome != WriteOutcome::kDelivered) {
      RetryLater(verdict);
      return;
    }
    spdlog::info("session {}: created database \"{}\"", retention_policy(), influxdb_->database);
    sending_ = false;
    SendNext();
  });
}

void SessionQueue::RetryLater(const WriteVerdict& verdict) {
  ++stats_.write_failures;
  std::optional<std::chrono::nanoseconds> retry_after;
  if (verdict.retry_after) retry_after = *verdict.retry_after;
  std::chrono::nanoseconds delay = backoff_.NextDelay(retry_after);
  if (verdict.outcome == WriteOutcome::kUnauthorized) {
    delay = std::max(delay, unauthorized_interval_);
  }
  auto delay_ms = std::chrono::ceil<milliseconds>(delay).count();
  uint64_t suppressed = 0;
  if (failure_log_.Allow(Now(), &suppressed)) {
    auto level = verdict.outcome == WriteOutcome::kRetry ? spdlog::level::warn
                                                         : spdlog::level::err;
    spdlog::log(level,
                "session {}: write of {} points: {} ({}); attempt {} failed, next in {} ms{}",
                retention_policy(), outbox_.front().points, WriteOutcomeName(verdict.outcome),
                verdict.error.empty() ? "no error text" : verdict.error, backoff_.failures(),
                delay_ms,
                suppressed > 0 ? fmt::format(" ({} similar messages left out)", suppressed)
                               : std::string());
  }
  uv_timer_start(&retry_timer_, OnRetryTimer, static_cast<uint64_t>(delay_ms), 0);
}

void SessionQueue::OnRetryTimer(uv_timer_t* timer) {
  auto* self = static_cast<SessionQueue*>(timer->data);
  self->sending_ = false;
  self->SendNext();
}

// Splits the front batch at the line nearest its middle. A string field may
// hold a newline, so lines are found with the parser, not by newlines.
void SessionQueue::SplitFront() {
  if (outbox_.front().points < 2) {
    ++stats_.batches_rejected;
    stats_.points_rejected += outbox_.front().points;
    spdlog::error("session {}: InfluxDB refused a single point of {} bytes as too large",
                  retention_policy(), outbox_.front().body.size());
    outbox_.pop_front();
    return;
  }
  Batch batch = std::move(outbox_.front());
  ParserOptions options;
  options.max_line_bytes = batch.body.size();
  LineParser parser(options);
  std::string_view rest = batch.body;
  size_t offset = 0;
  for (size_t points = 0; points < batch.points / 2 && offset < batch.body.size();) {
    size_t consumed = 0;
    size_t newlines = 0;
    if (parser.Parse(rest.substr(offset), true, &consumed, &newlines) == ParseStatus::kPoint) {
      ++points;
    }
    offset += consumed;
    if (consumed == 0) break;
  }
  Batch second;
  second.body = batch.body.substr(offset);
  second.points = batch.points - batch.points / 2;
  batch.body.resize(offset);
  batch.points /= 2;
  spdlog::info("session {}: InfluxDB found a batch too large; writing it as {} and {} points",
               retention_policy(), batch.points, second.points);
  outbox_.front() = std::move(second);
  outbox_.push_front(std::move(batch));
}

void SessionQueue::CheckDrained() {
  if (drained() && !sending_ && on_drained_) on_drained_();
}

uint64_t SessionQueue::undelivered_points() const {
  uint64_t points = session_.pending_points();
  for (const Batch& batch : outbox_) points += batch.points;
  return points;
}

void SessionQueue::Close() {
  if (closed_) return;
  closed_ = true;
  writer_.Close();
  uv_close(reinterpret_cast<uv_handle_t*>(&commit_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&retry_timer_), nullptr);
}

}  // namespace inflow::daemon
