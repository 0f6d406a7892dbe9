#include "sessions/session_queue.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace inflow::daemon {

using std::chrono::milliseconds;

namespace {

DeliveryOptions MakeDeliveryOptions(const InfluxDbConfig& influxdb, const RetryOptions& retry,
                                    uint64_t seed) {
  DeliveryOptions options;
  options.retry = retry;
  options.max_attempts = influxdb.max_attempts;
  options.retry_max_elapsed = influxdb.retry_max_elapsed;
  options.create_database = influxdb.create_database;
  options.seed = seed;
  return options;
}

}  // namespace

SessionQueue::SessionQueue(uv_loop_t* loop, const Clock* clock, const SessionConfig& options,
                           const InfluxDbConfig* influxdb, const RetryOptions& retry,
                           uint64_t seed, std::unique_ptr<SessionSpool> spool)
    : clock_(clock),
      influxdb_(influxdb),
      batcher_(options),
      max_pending_bytes_(options.max_pending_bytes),
      spool_(std::move(spool)),
      writer_(loop, clock, influxdb, options.retention_policy,
              MakeDeliveryOptions(*influxdb, retry, seed)),
      failure_log_(5, std::chrono::seconds(10)),
      spool_log_(5, std::chrono::seconds(10)) {
  uv_timer_init(loop, &commit_timer_.handle);
  commit_timer_.handle.data = this;
  handles_.Adopt(&commit_timer_);
  writer_.set_on_acknowledged([this](uint64_t points) { OnAcknowledged(points); });
  writer_.set_on_dead_letter([this](const DeliveryAction& action) { OnDeadLetter(action); });
  writer_.set_on_event([this](const DeliveryAction& action) {
    LogEvent(action);
    // The batch behind a suspect left memory, to be acknowledged only with
    // the suspect: there is room for points waiting on disk already.
    if (action.kind == DeliveryActionKind::kSuspectAgain) Load();
  });
  writer_.set_on_drained([this] { CheckDrained(); });
}

void SessionQueue::Start() { Load(); }

Status SessionQueue::AppendStaged() {
  const size_t points = spool_->staged_points();
  if (Status s = spool_->AppendStaged(); !s.ok()) return s;
  points_accepted_ += points;
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
// and hands the writer what closes.
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
  MoveClosedBatches();
  ArmCommitTimer();
}

void SessionQueue::Commit() {
  committing_ = true;
  batcher_.Commit();
  MoveClosedBatches();
  ArmCommitTimer();
}

void SessionQueue::MoveClosedBatches() {
  while (batcher_.HasBatch() && !closed_) writer_.Push(batcher_.TakeBatch());
}

// The timer runs while points are pending, for the deadline of the oldest.
void SessionQueue::ArmCommitTimer() {
  std::optional<MonoTime> deadline = batcher_.CommitDeadline();
  if (!deadline || closed_) {
    uv_timer_stop(&commit_timer_.handle);
    return;
  }
  auto wait = std::chrono::ceil<milliseconds>(*deadline - Now()).count();
  uv_timer_start(&commit_timer_.handle, OnCommitTimer,
                 static_cast<uint64_t>(std::max<int64_t>(wait, 0)), 0);
}

void SessionQueue::OnCommitTimer(uv_timer_t* timer) {
  auto* self = static_cast<SessionQueue*>(timer->data);
  self->batcher_.Tick(self->Now());
  self->MoveClosedBatches();
  self->ArmCommitTimer();
}

void SessionQueue::OnAcknowledged(uint64_t points) {
  if (Status s = spool_->Delivered(points); !s.ok()) {
    uint64_t suppressed = 0;
    if (spool_log_.Allow(Now(), &suppressed)) {
      spdlog::error("session {}: cannot delete delivered spool segments: {}", retention_policy(),
                    s.message());
    }
  }
  // A batch left memory: there may be room for points waiting on disk.
  Load();
}

void SessionQueue::OnDeadLetter(const DeliveryAction& action) {
  const Batch& batch = action.batch;
  const WriteVerdict& verdict = action.verdict;
  switch (action.cause) {
    case DeadLetterCause::kTooLarge:
      spdlog::error("session {}: InfluxDB refused a single point of {} bytes as too large",
                    retention_policy(), batch.body.size());
      break;
    case DeadLetterCause::kQuarantined:
      spdlog::error("session {}: a batch of {} points failed again while the batch behind it "
                    "was delivered: quarantined to the dead letters ({})",
                    retention_policy(), batch.points, verdict.error);
      break;
    case DeadLetterCause::kGaveUp:
      spdlog::error("session {}: giving up on a batch of {} points after {} attempts in {} ms "
                    "({}); it goes to the dead letters",
                    retention_policy(), batch.points, action.attempts,
                    std::chrono::duration_cast<milliseconds>(action.failing_for).count(),
                    verdict.error);
      break;
    case DeadLetterCause::kRejected:
    case DeadLetterCause::kDatabaseNotFound:
      break;
  }
  if (on_dead_letters_) {
    on_dead_letters_(batch, verdict, action.cause);
  } else {
    spdlog::warn("session {}: a batch of {} points is a dead letter ({}): {}", retention_policy(),
                 batch.points, DeadLetterCauseName(action.cause), verdict.error);
  }
}

// The messages are those the session logged before Delivery was its own
// (tests/integration greps some of them).
void SessionQueue::LogEvent(const DeliveryAction& action) {
  const std::string& rp = retention_policy();
  switch (action.kind) {
    case DeliveryActionKind::kRetryLater: {
      const WriteVerdict& verdict = action.verdict;
      uint64_t suppressed = 0;
      if (!failure_log_.Allow(Now(), &suppressed)) return;
      auto level = verdict.outcome == WriteOutcome::kRetry ? spdlog::level::warn
                                                           : spdlog::level::err;
      spdlog::log(level,
                  "session {}: write of {} points: {} ({}); attempt {} failed, next in {} ms{}",
                  rp, action.points, WriteOutcomeName(verdict.outcome),
                  verdict.error.empty() ? "no error text" : verdict.error, action.attempts,
                  std::chrono::ceil<milliseconds>(action.delay).count(),
                  suppressed > 0 ? fmt::format(" ({} similar messages left out)", suppressed)
                                 : std::string());
      return;
    }
    case DeliveryActionKind::kSplit:
      spdlog::info("session {}: InfluxDB found a batch too large; writing it as {} and {} points",
                   rp, action.points, action.second_points);
      return;
    case DeliveryActionKind::kSetAside:
      spdlog::warn("session {}: InfluxDB refused a batch of {} points {} times ({}); writing "
                   "the next batch to tell whether the batch or InfluxDB is at fault",
                   rp, action.points, action.attempts, action.verdict.error);
      return;
    case DeliveryActionKind::kSuspectBack:
      spdlog::warn("session {}: the next batch failed too ({}); InfluxDB is at fault, not the "
                   "batch set aside, which is written again first",
                   rp, WriteOutcomeName(action.verdict.outcome));
      return;
    case DeliveryActionKind::kSuspectAgain:
      spdlog::warn("session {}: the batch behind the one set aside is done with; writing that "
                   "one once more, and quarantining it if it fails again",
                   rp);
      return;
    case DeliveryActionKind::kCreateDatabase:
      spdlog::warn("session {}: InfluxDB has no database \"{}\"; creating it", rp,
                   influxdb_->database);
      return;
    case DeliveryActionKind::kDatabaseCreated:
      spdlog::info("session {}: created database \"{}\"", rp, influxdb_->database);
      return;
    case DeliveryActionKind::kNone:
    case DeliveryActionKind::kWrite:
    case DeliveryActionKind::kWait:
    case DeliveryActionKind::kAcknowledge:
    case DeliveryActionKind::kDeadLetter:
      return;  // not events: the writer acts on them
  }
}

bool SessionQueue::drained() const {
  return writer_.drained() && batcher_.pending_points() == 0 && !spool_->lagging();
}

void SessionQueue::CheckDrained() {
  if (drained() && on_drained_) on_drained_();
}

uint64_t SessionQueue::undelivered_points() const {
  return batcher_.pending_points() + writer_.undelivered_points();
}

SessionStats SessionQueue::stats() const {
  SessionStats stats;
  static_cast<DeliveryStats&>(stats) = writer_.stats();
  stats.points_accepted = points_accepted_;
  return stats;
}

void SessionQueue::Close() {
  if (closed_) return;
  closed_ = true;
  writer_.Close();
  handles_.Close(&commit_timer_);
}

}  // namespace inflow::daemon
