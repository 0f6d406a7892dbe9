#include "sessions/session_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <utility>


#include "inflow/line_parser.h"

namespace inflow::daemon {

using std::chrono::milliseconds;

std::string_view DeadLetterCauseName(DeadLetterCause cause) {
  switch (cause) {
    case DeadLetterCause::kRejected:
      return "rejected";
    case DeadLetterCause::kTooLarge:
      return "too large";
    case DeadLetterCause::kDatabaseNotFound:
      return "database not found";
    case DeadLetterCause::kQuarantined:
      return "quarantined";
    case DeadLetterCause::kGaveUp:
      return "gave up";
  }
  return "dead letter";
}

SessionQueue::SessionQueue(uv_loop_t* loop, const SessionConfig& options,
                           const InfluxDbConfig* influxdb, const RetryOptions& retry,
                           uint64_t seed, std::unique_ptr<SessionSpool> spool)
    : loop_(loop),
      influxdb_(influxdb),
      batcher_(options),
      max_pending_bytes_(options.max_pending_bytes),
      spool_(std::move(spool)),
      writer_(loop, influxdb),
      backoff_(retry.initial_interval, retry.max_interval, seed),
      unauthorized_interval_(retry.unauthorized_interval),
      failure_log_(5, std::chrono::seconds(10)),
      spool_log_(5, std::chrono::seconds(10)) {
  uv_timer_init(loop_, &commit_timer_);
  commit_timer_.data = this;
  uv_timer_init(loop_, &retry_timer_);
  retry_timer_.data = this;
}

MonoTime SessionQueue::Now() const { return MonoTime(milliseconds(uv_now(loop_))); }

void SessionQueue::Start() { Load(); }

Status SessionQueue::AppendStaged() {
  const size_t points = spool_->staged_points();
  if (Status s = spool_->AppendStaged(); !s.ok()) return s;
  stats_.points_accepted += points;
  Load();
  return Status::Ok();
}

Status SessionQueue::Write(std::string_view line) {
  spool_->Stage(line);
  return AppendStaged();
}

Status SessionQueue::DropOldest(uint64_t* bytes, uint64_t* records) {
  Status status = spool_->DropOldest(bytes, records);
  Load();
  return status;
}

// Loads the spool's records into the session while the session has room,
// and sends what closes.
void SessionQueue::Load() {
  if (loading_ || closed_) return;
  loading_ = true;
  const MonoTime now = Now();
  while (memory_bytes() < max_pending_bytes_ && spool_->lagging()) {
    LoadedRecord record;
    bool loaded = false;
    Status status = spool_->LoadNext(
        [this, now](std::string_view line) { batcher_.Write(line, now); }, &record, &loaded);
    uint64_t suppressed = 0;
    if (!status.ok()) {
      // Tried again when a batch leaves or points arrive.
      if (spool_log_.Allow(now, &suppressed)) {
        spdlog::error("session {}: cannot read the spool back: {}", retention_policy(),
                      status.message());
      }
      break;
    }
    if (!loaded) break;
    if (record.damaged && spool_log_.Allow(now, &suppressed)) {
      spdlog::error("session {}: a spool record in {} did not decode after {} points; the rest "
                    "of it is lost",
                    retention_policy(), spool_->dir(), record.points);
    }
    MoveClosedBatches();
  }
  loading_ = false;
  // Draining: the last points loaded need not wait for their commit.
  if (committing_ && !spool_->lagging()) batcher_.Commit();
  TakeClosedBatches();
  ArmCommitTimer();
}

void SessionQueue::Commit() {
  committing_ = true;
  batcher_.Commit();
  TakeClosedBatches();
  ArmCommitTimer();
}

void SessionQueue::MoveClosedBatches() {
  while (batcher_.HasBatch()) {
    outbox_.push_back(batcher_.TakeBatch());
    outbox_bytes_ += outbox_.back().body.size();
  }
}

void SessionQueue::TakeClosedBatches() {
  MoveClosedBatches();
  SendNext();
}

// The timer runs while points are pending, for the deadline of the oldest.
void SessionQueue::ArmCommitTimer() {
  std::optional<MonoTime> deadline = batcher_.CommitDeadline();
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
  self->batcher_.Tick(self->Now());
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
      PopFront();
      break;
    case WriteOutcome::kRejected:
      // InfluxDB stored the good points and will never take the others.
      backoff_.Reset();
      ++stats_.batches_rejected;
      stats_.points_rejected += batch.points;
      DeadLetterFront(verdict, DeadLetterCause::kRejected);
      PopFront();
      break;
    case WriteOutcome::kTooLarge:
      SplitFront(verdict);
      break;
    case WriteOutcome::kDatabaseNotFound:
      if (!influxdb_->create_database) {
        DeadLetterFront(verdict, DeadLetterCause::kDatabaseNotFound);
        PopFront();
        break;
      }
      // Once per batch: if the database is gone again right after it was
      // created, something else is wrong, and the backoff takes over.
      if (!created_database_) {
        CreateDatabase();
        return;
      }
      RetryLater(verdict);
      return;
    case WriteOutcome::kUnauthorized:
    case WriteOutcome::kRetry:
      if (confirming_ && verdict.answered) {
        // It fails again right after the batch behind it got through.
        spdlog::error("session {}: a batch of {} points failed again while the batch behind it "
                      "was delivered: quarantined to the dead letters ({})",
                      retention_policy(), batch.points, verdict.error);
        DeadLetterFront(verdict, DeadLetterCause::kQuarantined);
        PopFront();
        break;
      }
      if (suspect_) {
        // The batch behind the suspect fails too: InfluxDB is at fault, not
        // the suspect, which goes back in front.
        spdlog::warn("session {}: the next batch failed too ({}); InfluxDB is at fault, not the "
                     "batch set aside, which is written again first",
                     retention_policy(), WriteOutcomeName(verdict.outcome));
        // Its failures go on counting from where they were, and this one
        // was not its own.
        outbox_.push_front(std::move(*suspect_));
        suspect_.reset();
        front_attempts_ = suspect_attempts_;
        front_failing_since_ = suspect_failing_since_;
        front_answered_failures_ = 0;
        created_database_ = false;
        RetryLater(verdict, /*count=*/false);
        return;
      }
      RetryLater(verdict);
      return;
  }
  sending_ = false;
  Load();
  SendNext();
  CheckDrained();
}

void SessionQueue::CreateDatabase() {
  created_database_ = true;
  spdlog::warn("session {}: InfluxDB has no database \"{}\"; creating it",
               retention_policy(), influxdb_->database);
  writer_.CreateDatabase([this](const WriteVerdict& verdict) {
    if (verdict.outcome != WriteOutcome::kDelivered) {
      // Not created: the next 404 tries again, after the backoff.
      created_database_ = false;
      RetryLater(verdict);
      return;
    }
    spdlog::info("session {}: created database \"{}\"", retention_policy(), influxdb_->database);
    sending_ = false;
    SendNext();
  });
}

void SessionQueue::RetryLater(const WriteVerdict& verdict, bool count) {
  ++stats_.write_failures;
  if (count) {
    if (front_attempts_++ == 0) front_failing_since_ = Now();
    if (verdict.answered) ++front_answered_failures_;
  }
  if (GiveUpOnFront(verdict)) {
    sending_ = false;
    Load();
    SendNext();
    CheckDrained();
    return;
  }
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
                verdict.error.empty() ? "no error text" : verdict.error, front_attempts_,
                delay_ms,
                suppressed > 0 ? fmt::format(" ({} similar messages left out)", suppressed)
                               : std::string());
  }
  uv_timer_start(&retry_timer_, OnRetryTimer, static_cast<uint64_t>(delay_ms), 0);
}

// After a failed attempt: whether the front batch leaves the front, as a
// dead letter (retry_max_elapsed ran out) or set aside (max_attempts).
bool SessionQueue::GiveUpOnFront(const WriteVerdict& verdict) {
  const Batch& batch = outbox_.front();
  const auto elapsed = Now() - front_failing_since_;
  if (influxdb_->retry_max_elapsed.count() > 0 && elapsed >= influxdb_->retry_max_elapsed) {
    spdlog::error("session {}: giving up on a batch of {} points after {} attempts in {} ms ({}); "
                  "it goes to the dead letters",
                  retention_policy(), batch.points, front_attempts_,
                  std::chrono::duration_cast<milliseconds>(elapsed).count(), verdict.error);
    DeadLetterFront(verdict, DeadLetterCause::kGaveUp);
    PopFront();
    return true;
  }
  if (influxdb_->max_attempts > 0 && front_answered_failures_ >= influxdb_->max_attempts &&
      !suspect_ && !confirming_ && outbox_.size() > 1) {
    spdlog::warn("session {}: InfluxDB refused a batch of {} points {} times ({}); writing the "
                 "next batch to tell whether the batch or InfluxDB is at fault",
                 retention_policy(), batch.points, front_answered_failures_, verdict.error);
    suspect_ = std::move(outbox_.front());
    suspect_attempts_ = front_attempts_;
    suspect_failing_since_ = front_failing_since_;
    outbox_.pop_front();
    front_attempts_ = 0;
    front_answered_failures_ = 0;
    created_database_ = false;
    return true;
  }
  return false;
}

void SessionQueue::OnRetryTimer(uv_timer_t* timer) {
  auto* self = static_cast<SessionQueue*>(timer->data);
  self->sending_ = false;
  self->SendNext();
}

void SessionQueue::DeadLetterFront(const WriteVerdict& verdict, DeadLetterCause cause) {
  const Batch& batch = outbox_.front();
  if (cause != DeadLetterCause::kRejected) stats_.points_dead_lettered += batch.points;
  if (on_dead_letters_) {
    on_dead_letters_(batch, verdict, cause);
  } else {
    spdlog::warn("session {}: a batch of {} points is a dead letter ({}): {}", retention_policy(),
                 batch.points, DeadLetterCauseName(cause), verdict.error);
  }
}

void SessionQueue::PopFront() {
  uint64_t points = outbox_.front().points;
  outbox_bytes_ -= outbox_.front().body.size();
  outbox_.pop_front();
  front_attempts_ = 0;
  front_answered_failures_ = 0;
  created_database_ = false;
  if (suspect_) {
    // The batch behind a suspect is done with: its points are acknowledged
    // with the suspect's, since the spool counts points in load order and
    // the suspect's come first; the suspect is written again.
    deferred_points_ += points;
    RetrySuspect();
    return;
  }
  confirming_ = false;
  points += std::exchange(deferred_points_, 0);
  if (Status s = spool_->Delivered(points); !s.ok()) {
    uint64_t suppressed = 0;
    if (spool_log_.Allow(Now(), &suppressed)) {
      spdlog::error("session {}: cannot delete delivered spool segments: {}", retention_policy(),
                    s.message());
    }
  }
}

void SessionQueue::RetrySuspect() {
  spdlog::warn("session {}: the batch behind the one set aside is done with; writing that one "
               "once more, and quarantining it if it fails again",
               retention_policy());
  outbox_.push_front(std::move(*suspect_));
  suspect_.reset();
  confirming_ = true;
}

// Splits the front batch at the line nearest its middle. A string field may
// hold a newline, so lines are found with the parser, not by newlines.
void SessionQueue::SplitFront(const WriteVerdict& verdict) {
  if (outbox_.front().points < 2) {
    spdlog::error("session {}: InfluxDB refused a single point of {} bytes as too large",
                  retention_policy(), outbox_.front().body.size());
    DeadLetterFront(verdict, DeadLetterCause::kTooLarge);
    PopFront();
    return;
  }
  // The halves are new batches: their failures count from none.
  front_attempts_ = 0;
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

bool SessionQueue::drained() const {
  return outbox_.empty() && !suspect_ && batcher_.pending_points() == 0 && !spool_->lagging();
}

void SessionQueue::CheckDrained() {
  if (drained() && !sending_ && on_drained_) on_drained_();
}

uint64_t SessionQueue::undelivered_points() const {
  uint64_t points = batcher_.pending_points();
  for (const Batch& batch : outbox_) points += batch.points;
  if (suspect_) points += suspect_->points;
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
