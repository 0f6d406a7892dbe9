// Delivery: what to do next with a session's closed batches, given the
// verdict on each write. The retry and quarantine policy, as a pure state
// machine.
//
// Batches go to InfluxDB one at a time, in the order pushed, so that a
// session's points are stored in the order received. What each verdict
// leads to is the delivery table's (DeliveryRules(), delivery_rules.h):
//   delivered      the batch's points are acknowledged; the next batch
//   rejected (400) the batch is a dead letter (the driver finds the lines
//                  InfluxDB named) and acknowledged; the next batch
//   too large      split in halves of whole points (found by parsing: a
//                  string field may hold a newline), written at once; a
//                  single point too large is a dead letter
//   404            with create_database, CREATE DATABASE once per batch,
//                  then the batch again; without, a dead letter
//   401, 403       retried after the backoff, at least unauthorized_interval
//   other failures retried after Retry-After if given, else the backoff
//                  (Backoff, backoff.h: one per session, restarted by a
//                  delivery or a rejection)
// A batch InfluxDB answers with a failure max_attempts times (failures
// without an answer do not count: they tell nothing about the batch) is set
// aside, and the batch behind it is written: if that one fails too,
// InfluxDB is at fault, and the suspect goes back in front, keeping its
// attempts and the time it began failing (its answered failures count
// again from none); if it gets through, the suspect is written once more,
// at once, keeping its attempts, its clock and whether the database was
// created for it, and becomes a dead letter (quarantined) only if InfluxDB
// answers it with a failure again (split for a 413 meanwhile, each half
// does). The points of the batch behind are acknowledged only with the
// suspect's (with its last half), since a spool acknowledges points in push
// order.
// A lone batch is never set aside: it cannot be told from a failing
// InfluxDB. A batch failing for retry_max_elapsed (when not zero) becomes a
// dead letter. The halves of a split are new batches: their failures count
// from none.
//
// A driver (BatchWriter, batch_writer.h) runs it as a loop: Push each batch
// as it closes, then call Next(now) until it says kNone or kWait, doing
// what each action says; after kWrite or kCreateDatabase, hand the
// request's verdict to OnVerdict and call Next again.
//
// Pure: it never reads a clock (it takes `now`), never does I/O and never
// logs; the actions carry what a log needs. Not thread-safe: one owner.

#ifndef INFLOW_DELIVERY_H_
#define INFLOW_DELIVERY_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>

#include "inflow/backoff.h"
#include "inflow/batcher.h"
#include "inflow/delivery_rules.h"
#include "inflow/mono_time.h"

namespace inflow {

// How a failed write is retried.
struct RetryOptions {
  // The backoff's bounds: retries start fast, for a server restarting, and
  // settle at a pace that costs a down server nothing.
  // REQUIRES: 0 < initial_interval <= max_interval.
  std::chrono::nanoseconds initial_interval = std::chrono::milliseconds(200);
  std::chrono::nanoseconds max_interval = std::chrono::seconds(30);
  // The least wait after 401/403: credentials are fixed by people, not by
  // retrying faster.
  std::chrono::nanoseconds unauthorized_interval = std::chrono::seconds(10);
};

struct DeliveryOptions {
  RetryOptions retry;
  // Failures InfluxDB answered after which a batch is set aside while the
  // one behind it is written; 0: never.
  size_t max_attempts = 10;
  // How long a batch may keep failing before it becomes a dead letter,
  // from its first failure; zero: forever.
  std::chrono::nanoseconds retry_max_elapsed{0};
  // On 404 "database not found": CREATE DATABASE and write again (true),
  // or the batch is a dead letter.
  bool create_database = true;
  // Seeds the backoff's jitter: the same seed, the same delays.
  uint64_t seed = 0;
};

// Why a batch, or lines of it, became dead letters.
enum class DeadLetterCause : uint8_t {
  kRejected,          // 400: the lines InfluxDB named (FindRejectedLines)
  kTooLarge,          // 413 for a single point
  kDatabaseNotFound,  // 404 and create_database false
  kQuarantined,       // max_attempts failures while a later batch got through
  kGaveUp,            // retry_max_elapsed ran out
};

// "rejected", "too large", "database not found", "quarantined", "gave up":
// for logs and dead-letter reasons.
std::string_view DeadLetterCauseName(DeadLetterCause cause);

struct DeliveryStats {
  uint64_t points_delivered = 0;
  uint64_t batches_delivered = 0;
  uint64_t points_rejected = 0;  // in batches InfluxDB refused in part (400)
  uint64_t batches_rejected = 0;
  uint64_t points_dead_lettered = 0;  // in whole batches given up (413, 404, quarantine)
  uint64_t write_failures = 0;        // failed requests, to be retried
};

enum class DeliveryActionKind : uint8_t {
  // Nothing to do until a Push (or, while a request is in flight, its
  // OnVerdict).
  kNone,
  // Write `body` (`points` points); then OnVerdict with the verdict.
  kWrite,
  // CREATE DATABASE; then OnVerdict with its verdict (a query's).
  kCreateDatabase,
  // Nothing to do before `until`; then Next again.
  kWait,
  // `points` more points, the oldest not yet acknowledged, are done with
  // (delivered, or dead letters kept): the spool may let them go.
  kAcknowledge,
  // Keep `batch` as dead letters, for `cause` (for kRejected, the lines
  // named in verdict.error); it is acknowledged by a later kAcknowledge.
  kDeadLetter,
  // The rest are reports, for logs; nothing to do but call Next again.
  // An attempt failed (`verdict`, the `attempts`-th of the batch of
  // `points`); it is written again after `delay`, at `until`.
  kRetryLater,
  // A batch too large was split into `points` and `second_points` points.
  kSplit,
  // The batch of `points` points failed `attempts` times answered
  // (`verdict`); it is set aside and the one behind it written.
  kSetAside,
  // The batch behind the one set aside failed too (`verdict`): the one set
  // aside goes back in front, InfluxDB being at fault.
  kSuspectBack,
  // The batch behind the one set aside is done with: that one is written
  // once more, and quarantined if it fails again.
  kSuspectAgain,
  // CREATE DATABASE succeeded; the batch is written again.
  kDatabaseCreated,
};

// "none", "write", "create database", "wait", "acknowledge", ...: for test
// messages.
std::string_view DeliveryActionKindName(DeliveryActionKind kind);

// What Next says to do. Only the fields its kind names are set.
struct DeliveryAction {
  DeliveryActionKind kind = DeliveryActionKind::kNone;
  // kWrite: the front batch's lines, valid until the next OnVerdict.
  std::string_view body;
  // The points of the batch concerned; kAcknowledge: the points acknowledged.
  uint64_t points = 0;
  uint64_t second_points = 0;  // kSplit
  // kDeadLetter: the batch, which Delivery no longer holds.
  Batch batch;
  DeadLetterCause cause = DeadLetterCause::kRejected;  // kDeadLetter
  // kDeadLetter, kRetryLater, kSetAside, kSuspectBack: the verdict that led
  // to it.
  WriteVerdict verdict;
  // kRetryLater, kDeadLetter: the batch's failed attempts; kSetAside: those
  // InfluxDB answered.
  size_t attempts = 0;
  std::chrono::nanoseconds delay{0};        // kRetryLater
  std::chrono::nanoseconds failing_for{0};  // kDeadLetter: since its first failure
  MonoTime until{};                         // kWait, kRetryLater
};

class Delivery {
 public:
  explicit Delivery(const DeliveryOptions& options);

  Delivery(const Delivery&) = delete;
  Delivery& operator=(const Delivery&) = delete;

  const DeliveryOptions& options() const { return options_; }

  // Queues a closed batch behind the others. REQUIRES: batch.points > 0,
  // its body whole lines of line protocol, each ending in '\n'.
  void Push(Batch batch);

  // The next thing to do at `now`: first the reports and acknowledgements
  // that the last verdict led to, in order, one per call; then kWait while
  // a retry is not due; then kWrite of the front batch, or kCreateDatabase.
  // kNone while a request it asked for awaits its verdict, or when nothing
  // is queued. After kWrite or kCreateDatabase, the request is in flight.
  DeliveryAction Next(MonoTime now);

  // The verdict on the request in flight, heard at `now`. For a write:
  // ClassifyWriteAnswer's, or kRetry (answered false) for a request that
  // failed without an answer; for CREATE DATABASE: ClassifyQueryAnswer's.
  // REQUIRES: a request is in flight (in_flight()).
  void OnVerdict(const WriteVerdict& verdict, MonoTime now);

  // Whether a request Next asked for awaits its verdict.
  bool in_flight() const { return in_flight_ != InFlight::kNone; }

  // Whether every batch pushed is done with (delivered or dead letters),
  // and Next has returned every report and acknowledgement.
  bool drained() const;

  // Points pushed and not yet done with: queued, set aside or in flight.
  uint64_t undelivered_points() const;
  // Bytes of the bodies of those batches.
  uint64_t bytes() const { return bytes_; }

  const DeliveryStats& stats() const { return stats_; }

 private:
  // A batch and its own failures.
  struct Entry {
    Batch batch;
    size_t attempts = 0;           // failed attempts
    size_t answered_failures = 0;  // of those, the ones InfluxDB answered
    MonoTime failing_since{};      // when the first failed
    bool created_database = false;  // CREATE DATABASE already tried for it
  };
  enum class InFlight : uint8_t { kNone, kWrite, kCreateDatabase };

  void OnWriteVerdict(const WriteVerdict& verdict, MonoTime now);
  void OnCreateVerdict(const WriteVerdict& verdict, MonoTime now);
  // A failed attempt of the front batch; `own`: the failure was the front
  // batch's own (not that of the batch behind a suspect).
  void RetryLater(const WriteVerdict& verdict, MonoTime now, bool own);
  // Whether the front batch leaves the front after a failure: as a dead
  // letter (retry_max_elapsed ran out) or set aside (max_attempts).
  bool GiveUpOnFront(const WriteVerdict& verdict, MonoTime now);
  void SplitFront(const WriteVerdict& verdict, MonoTime now);
  // The front batch becomes a dead letter, and is done with.
  void DeadLetterFront(const WriteVerdict& verdict, DeadLetterCause cause, MonoTime now);
  // Removes the front batch and returns it.
  Entry TakeFront();
  // A batch of `points` is done with: they are acknowledged (with those
  // deferred behind a suspect), or, behind a suspect, deferred, and the
  // suspect goes in front again.
  void Acknowledge(uint64_t points);
  void Report(DeliveryAction action) { reports_.push_back(std::move(action)); }

  DeliveryOptions options_;
  Backoff backoff_;
  std::deque<Entry> queue_;  // oldest first; the front is written next
  uint64_t bytes_ = 0;       // of the batches in queue_ and suspect_
  InFlight in_flight_ = InFlight::kNone;
  // The front batch waits until then to be written again.
  std::optional<MonoTime> retry_at_;
  // The front batch's next request is CREATE DATABASE.
  bool create_next_ = false;
  // A batch set aside after max_attempts while the one behind it is tried.
  std::optional<Entry> suspect_;
  // The front `confirming_` batches are a suspect written again after the
  // batch behind it got through (more than one once a 413 split it): one
  // more answered failure makes such a batch a dead letter.
  size_t confirming_ = 0;
  // Points done with behind a suspect, acknowledged with the last of the
  // suspect's batches, since the spool counts points in push order.
  uint64_t deferred_points_ = 0;
  std::deque<DeliveryAction> reports_;  // for Next, oldest first
  DeliveryStats stats_;
};

}  // namespace inflow

#endif  // INFLOW_DELIVERY_H_
