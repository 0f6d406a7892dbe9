#include "inflow/delivery.h"

#include <algorithm>
#include <utility>

#include "inflow/batch_lines.h"

namespace inflow {

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

std::string_view DeliveryActionKindName(DeliveryActionKind kind) {
  switch (kind) {
    case DeliveryActionKind::kNone:
      return "none";
    case DeliveryActionKind::kWrite:
      return "write";
    case DeliveryActionKind::kCreateDatabase:
      return "create database";
    case DeliveryActionKind::kWait:
      return "wait";
    case DeliveryActionKind::kAcknowledge:
      return "acknowledge";
    case DeliveryActionKind::kDeadLetter:
      return "dead letter";
    case DeliveryActionKind::kRetryLater:
      return "retry later";
    case DeliveryActionKind::kSplit:
      return "split";
    case DeliveryActionKind::kSetAside:
      return "set aside";
    case DeliveryActionKind::kSuspectBack:
      return "suspect back";
    case DeliveryActionKind::kSuspectAgain:
      return "suspect again";
    case DeliveryActionKind::kDatabaseCreated:
      return "database created";
  }
  return "?";
}

Delivery::Delivery(const DeliveryOptions& options)
    : options_(options),
      backoff_(options.retry.initial_interval, options.retry.max_interval, options.seed) {}

void Delivery::Push(Batch batch) {
  bytes_ += batch.body.size();
  Entry entry;
  entry.batch = std::move(batch);
  queue_.push_back(std::move(entry));
}

DeliveryAction Delivery::Next(MonoTime now) {
  DeliveryAction action;
  if (!reports_.empty()) {
    action = std::move(reports_.front());
    reports_.pop_front();
    return action;
  }
  if (in_flight() || queue_.empty()) return action;
  if (retry_at_ && now < *retry_at_) {
    action.kind = DeliveryActionKind::kWait;
    action.until = *retry_at_;
    return action;
  }
  retry_at_.reset();
  const Batch& front = queue_.front().batch;
  action.points = front.points;
  if (create_next_) {
    create_next_ = false;
    in_flight_ = InFlight::kCreateDatabase;
    action.kind = DeliveryActionKind::kCreateDatabase;
    return action;
  }
  in_flight_ = InFlight::kWrite;
  action.kind = DeliveryActionKind::kWrite;
  action.body = front.body;
  return action;
}

void Delivery::OnVerdict(const WriteVerdict& verdict, MonoTime now) {
  const InFlight request = std::exchange(in_flight_, InFlight::kNone);
  if (request == InFlight::kCreateDatabase) {
    OnCreateVerdict(verdict, now);
  } else {
    OnWriteVerdict(verdict, now);
  }
}

void Delivery::OnWriteVerdict(const WriteVerdict& verdict, MonoTime now) {
  Entry& front = queue_.front();
  switch (verdict.outcome) {
    case WriteOutcome::kDelivered: {
      backoff_.Reset();
      ++stats_.batches_delivered;
      stats_.points_delivered += front.batch.points;
      Acknowledge(TakeFront().batch.points);
      return;
    }
    case WriteOutcome::kRejected:
      // InfluxDB stored the good points and will never take the others.
      backoff_.Reset();
      ++stats_.batches_rejected;
      stats_.points_rejected += front.batch.points;
      DeadLetterFront(verdict, DeadLetterCause::kRejected, now);
      return;
    case WriteOutcome::kTooLarge:
      SplitFront(verdict, now);
      return;
    case WriteOutcome::kDatabaseNotFound:
      if (!options_.create_database) {
        DeadLetterFront(verdict, DeadLetterCause::kDatabaseNotFound, now);
        return;
      }
      // Once per batch: if the database is gone again right after it was
      // created, something else is wrong, and the backoff takes over.
      if (!front.created_database) {
        front.created_database = true;
        create_next_ = true;
        return;
      }
      RetryLater(verdict, now, /*own=*/true);
      return;
    case WriteOutcome::kUnauthorized:
    case WriteOutcome::kRetry:
      if (confirming_ > 0 && verdict.answered) {
        // It fails again right after the batch behind it got through.
        DeadLetterFront(verdict, DeadLetterCause::kQuarantined, now);
        return;
      }
      if (suspect_) {
        // The batch behind the suspect fails too: InfluxDB is at fault, not
        // the suspect, which goes back in front. Its attempts and clock go
        // on from where they were; its answered failures count from none,
        // or it would be set aside again at once, without a wait.
        DeliveryAction report;
        report.kind = DeliveryActionKind::kSuspectBack;
        report.points = suspect_->batch.points;
        report.verdict = verdict;
        Report(std::move(report));
        suspect_->answered_failures = 0;
        queue_.push_front(std::move(*suspect_));
        suspect_.reset();
        // This failure was not the suspect's own.
        RetryLater(verdict, now, /*own=*/false);
        return;
      }
      RetryLater(verdict, now, /*own=*/true);
      return;
  }
}

void Delivery::OnCreateVerdict(const WriteVerdict& verdict, MonoTime now) {
  if (verdict.outcome != WriteOutcome::kDelivered) {
    // Not created: the next 404 tries again, after the backoff.
    queue_.front().created_database = false;
    RetryLater(verdict, now, /*own=*/true);
    return;
  }
  DeliveryAction report;
  report.kind = DeliveryActionKind::kDatabaseCreated;
  report.points = queue_.front().batch.points;
  Report(std::move(report));
}

void Delivery::RetryLater(const WriteVerdict& verdict, MonoTime now, bool own) {
  ++stats_.write_failures;
  Entry& front = queue_.front();
  if (own) {
    if (front.attempts++ == 0) front.failing_since = now;
    if (verdict.answered) ++front.answered_failures;
  }
  if (GiveUpOnFront(verdict, now)) return;
  std::optional<std::chrono::nanoseconds> retry_after;
  if (verdict.retry_after) retry_after = *verdict.retry_after;
  std::chrono::nanoseconds delay = backoff_.NextDelay(retry_after);
  if (verdict.outcome == WriteOutcome::kUnauthorized) {
    delay = std::max(delay, options_.retry.unauthorized_interval);
  }
  retry_at_ = now + delay;
  DeliveryAction report;
  report.kind = DeliveryActionKind::kRetryLater;
  report.points = front.batch.points;
  report.verdict = verdict;
  report.attempts = front.attempts;
  report.delay = delay;
  report.until = *retry_at_;
  Report(std::move(report));
}

bool Delivery::GiveUpOnFront(const WriteVerdict& verdict, MonoTime now) {
  const Entry& front = queue_.front();
  if (options_.retry_max_elapsed.count() > 0 && front.attempts > 0 &&
      now - front.failing_since >= options_.retry_max_elapsed) {
    DeadLetterFront(verdict, DeadLetterCause::kGaveUp, now);
    return true;
  }
  if (options_.max_attempts > 0 && front.answered_failures >= options_.max_attempts &&
      !suspect_ && confirming_ == 0 && queue_.size() > 1) {
    DeliveryAction report;
    report.kind = DeliveryActionKind::kSetAside;
    report.points = front.batch.points;
    report.verdict = verdict;
    report.attempts = front.answered_failures;
    Report(std::move(report));
    suspect_ = std::move(queue_.front());
    queue_.pop_front();
    return true;
  }
  return false;
}

// Splits the front batch at the line nearest its middle.
void Delivery::SplitFront(const WriteVerdict& verdict, MonoTime now) {
  if (queue_.front().batch.points < 2) {
    DeadLetterFront(verdict, DeadLetterCause::kTooLarge, now);
    return;
  }
  Batch first = std::move(queue_.front().batch);
  queue_.pop_front();
  // A suspect being confirmed is confirmed in both halves.
  if (confirming_ > 0) ++confirming_;
  const size_t offset = PrefixOfPoints(first.body, first.points / 2);
  // The halves are new batches: their failures count from none, and each
  // may have the database created for it (bug 1: they inherited both).
  Entry second;
  second.batch.body = first.body.substr(offset);
  second.batch.points = first.points - first.points / 2;
  first.body.resize(offset);
  first.points /= 2;
  DeliveryAction report;
  report.kind = DeliveryActionKind::kSplit;
  report.points = first.points;
  report.second_points = second.batch.points;
  Report(std::move(report));
  queue_.push_front(std::move(second));
  Entry half;
  half.batch = std::move(first);
  queue_.push_front(std::move(half));
}

void Delivery::DeadLetterFront(const WriteVerdict& verdict, DeadLetterCause cause,
                               MonoTime now) {
  Entry entry = TakeFront();
  if (cause != DeadLetterCause::kRejected) stats_.points_dead_lettered += entry.batch.points;
  const uint64_t points = entry.batch.points;
  DeliveryAction report;
  report.kind = DeliveryActionKind::kDeadLetter;
  report.points = points;
  report.cause = cause;
  report.verdict = verdict;
  report.attempts = entry.attempts;
  if (entry.attempts > 0) report.failing_for = now - entry.failing_since;
  report.batch = std::move(entry.batch);
  Report(std::move(report));
  Acknowledge(points);
}

Delivery::Entry Delivery::TakeFront() {
  Entry entry = std::move(queue_.front());
  queue_.pop_front();
  bytes_ -= entry.batch.body.size();
  return entry;
}

void Delivery::Acknowledge(uint64_t points) {
  if (suspect_) {
    // The batch behind a suspect is done with: its points are acknowledged
    // with the suspect's, since the spool counts points in push order and
    // the suspect's come first; the suspect is written again, at once.
    deferred_points_ += points;
    DeliveryAction report;
    report.kind = DeliveryActionKind::kSuspectAgain;
    report.points = suspect_->batch.points;
    Report(std::move(report));
    suspect_->answered_failures = 0;
    queue_.push_front(std::move(*suspect_));
    suspect_.reset();
    confirming_ = 1;
    return;
  }
  // The batch done with is the front's: a part of the suspect while
  // confirming_, whose last part brings the points deferred behind it.
  if (confirming_ > 0) --confirming_;
  DeliveryAction report;
  report.kind = DeliveryActionKind::kAcknowledge;
  report.points = points;
  if (confirming_ == 0) report.points += std::exchange(deferred_points_, 0);
  Report(std::move(report));
}

bool Delivery::drained() const {
  return queue_.empty() && !suspect_ && reports_.empty() && !in_flight();
}

uint64_t Delivery::undelivered_points() const {
  uint64_t points = suspect_ ? suspect_->batch.points : 0;
  for (const Entry& entry : queue_) points += entry.batch.points;
  return points;
}

}  // namespace inflow
