// SessionQueue: one retention policy's session, from its spool to InfluxDB.
//
// The points a listener read gives the session are staged, then appended
// to the session's spool as one record (SessionSpool): only then are they
// accepted. The queue loads the spool's records into its Batcher
// (inflow/batcher.h), which decides when a batch closes,
// while the batches in memory stay under max_pending_bytes; beyond it,
// points wait on disk and are loaded as batches leave. The queue adds what
// needs the loop: the commit_interval timer, the writer, and what to do
// with each verdict, as the delivery table says (DeliveryRules() in
// inflow/delivery_rules.h, shown in the README's "Delivery" section).
//
// Batches go to InfluxDB one at a time, in the order they closed, so a
// session's points are stored in the order received. A batch InfluxDB
// answers with a failure influxdb.max_attempts times (connection failures
// and timeouts do not count) is set aside, and the batch behind it is
// written: if that one fails too, InfluxDB is at fault and the batch goes
// back in front; if it gets through, the batch set aside is written once
// more, at once, and becomes a dead letter (quarantined) only if it fails
// again. The points of the batch behind are acknowledged in the spool only
// with the first batch's, so that a crash meanwhile loses neither. A batch
// failing for longer than influxdb.retry_max_elapsed (when not zero)
// becomes a dead letter.
//
// Ownership: owned by the engine; Close() closes its handles, and the queue
// must outlive the loop's run that follows. Thread: the loop's.

#ifndef INFLOW_DAEMON_SESSIONS_SESSION_QUEUE_H_
#define INFLOW_DAEMON_SESSIONS_SESSION_QUEUE_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "inflow/backoff.h"
#include "config/config.h"
#include "inflow/influx_connection.h"
#include "inflow/batcher.h"
#include "log_rate_limiter.h"
#include "spool/session_spool.h"

namespace inflow::daemon {

struct SessionStats {
  uint64_t points_accepted = 0;   // appended to the spool
  uint64_t points_delivered = 0;
  uint64_t batches_delivered = 0;
  uint64_t points_rejected = 0;   // in batches InfluxDB refused in part (400)
  uint64_t batches_rejected = 0;
  uint64_t points_dead_lettered = 0;  // in whole batches given up (413, 404, quarantine)
  uint64_t write_failures = 0;    // writes to be retried
};

// How a failed write is retried.
struct RetryOptions {
  // The backoff's bounds: retries start fast, for a server restarting, and
  // settle at a pace that costs a down server nothing.
  std::chrono::nanoseconds initial_interval = std::chrono::milliseconds(200);
  std::chrono::nanoseconds max_interval = std::chrono::seconds(30);
  // The least wait after 401/403: credentials are fixed by people, not by
  // retrying faster.
  std::chrono::nanoseconds unauthorized_interval = std::chrono::seconds(10);
};

// Why a batch, or lines of it, became dead letters.
enum class DeadLetterCause : uint8_t {
  kRejected,          // 400: the lines InfluxDB named (FindRejectedLines)
  kTooLarge,          // 413 for a single point
  kDatabaseNotFound,  // 404 and influxdb.create_database false
  kQuarantined,       // max_attempts failures while a later batch got through
  kGaveUp,            // retry_max_elapsed ran out
};

class SessionQueue {
 public:

  // `seed` seeds the backoff's jitter.
  SessionQueue(uv_loop_t* loop, const SessionConfig& options, const InfluxDbConfig* influxdb,
               const RetryOptions& retry, uint64_t seed, std::unique_ptr<SessionSpool> spool);

  SessionQueue(const SessionQueue&) = delete;
  SessionQueue& operator=(const SessionQueue&) = delete;

  const std::string& retention_policy() const { return batcher_.options().retention_policy; }

  // Loads what the spool held at start (replay), while there is room.
  void Start();

  // The spool's staging, for the points of one listener read: see
  // SessionSpool. `line` is one line ending in '\n', ns timestamp.
  void Stage(std::string_view line) { spool_->Stage(line); }
  bool has_staged() const { return spool_->has_staged(); }
  size_t staged_points() const { return spool_->staged_points(); }
  uint64_t staged_bytes() const { return spool_->staged_bytes(); }
  void DiscardStaged() { spool_->DiscardStaged(); }

  // Appends the staged lines to the spool: they are accepted, and loaded
  // now if the session has room, else later. On failure they stay staged.
  Status AppendStaged();

  // Stage and AppendStaged for one line.
  Status Write(std::string_view line);

  // The spool's: see SessionSpool.
  Status SyncSpool() { return spool_->Sync(); }
  uint64_t ReclaimDelivered() { return spool_->ReclaimDelivered(); }
  Status DropOldest(uint64_t* bytes, uint64_t* records);
  uint64_t spool_bytes() const { return spool_->bytes(); }

  // Commits what is pending, and from now on every point loaded at once,
  // as on shutdown.
  void Commit();

  // Whether every point accepted was written (or became a dead letter).
  bool drained() const;

  // Called with each batch (or, for kRejected, the lines of it InfluxDB
  // named in verdict.error) to keep as dead letters, before the batch is
  // dropped and acknowledged.
  using DeadLetterHandler =
      std::function<void(const Batch& batch, const WriteVerdict& verdict, DeadLetterCause cause)>;
  void set_on_dead_letters(DeadLetterHandler handler) { on_dead_letters_ = std::move(handler); }

  // Called whenever the queue becomes drained.
  void set_on_drained(std::function<void()> on_drained) { on_drained_ = std::move(on_drained); }

  // Points in memory not yet written: pending, queued or in flight. Points
  // still on disk only (lagging()) come on top.
  uint64_t undelivered_points() const;
  bool lagging() const { return spool_->lagging(); }
  // Bytes of points in memory, bounded by max_pending_bytes (and one
  // record more).
  uint64_t memory_bytes() const { return batcher_.pending_bytes() + outbox_bytes_; }

  const SessionStats& stats() const { return stats_; }

  // Abandons any write in flight and closes the timers and the connection.
  void Close();

 private:
  MonoTime Now() const;
  void Load();
  // Moves the batches the session closed to the outbox.
  void MoveClosedBatches();
  void TakeClosedBatches();
  void ArmCommitTimer();
  void SendNext();
  void OnWritten(const WriteVerdict& verdict);
  // Schedules the front batch's next attempt; `count`: the failure was the
  // front batch's own (not that of the batch behind a suspect).
  void RetryLater(const WriteVerdict& verdict, bool count = true);
  bool GiveUpOnFront(const WriteVerdict& verdict);
  void CreateDatabase();
  void SplitFront(const WriteVerdict& verdict);
  // Removes the front batch, done with (delivered, or dead letters), and
  // acknowledges its points (and a quarantined batch's before them).
  void PopFront();
  // The batch behind a suspect got through: the suspect goes in front again.
  void RetrySuspect();
  void DeadLetterFront(const WriteVerdict& verdict, DeadLetterCause cause);
  void CheckDrained();

  static void OnCommitTimer(uv_timer_t* timer);
  static void OnRetryTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  const InfluxDbConfig* influxdb_;
  Batcher batcher_;
  size_t max_pending_bytes_;
  std::unique_ptr<SessionSpool> spool_;
  InfluxConnection writer_;
  Backoff backoff_;
  std::chrono::nanoseconds unauthorized_interval_;
  LogRateLimiter failure_log_;
  LogRateLimiter spool_log_;
  uv_timer_t commit_timer_;
  uv_timer_t retry_timer_;
  std::deque<Batch> outbox_;  // closed batches, oldest first
  uint64_t outbox_bytes_ = 0;
  bool sending_ = false;      // outbox_.front() is at the writer or waits to be retried
  bool closed_ = false;
  bool created_database_ = false;  // for the batch at the front of outbox_
  // The front batch's failed attempts, those InfluxDB answered, and when
  // the first failed.
  size_t front_attempts_ = 0;
  size_t front_answered_failures_ = 0;
  MonoTime front_failing_since_{};
  // A batch set aside after max_attempts while the one behind it is tried.
  std::optional<Batch> suspect_;
  size_t suspect_attempts_ = 0;
  MonoTime suspect_failing_since_{};
  // The front batch is a suspect written again after the batch behind it
  // got through: one more failure makes it a dead letter.
  bool confirming_ = false;
  // Points delivered behind a suspect, acknowledged with it.
  uint64_t deferred_points_ = 0;
  bool loading_ = false;     // Load() is on the stack
  bool committing_ = false;  // Commit() was called: draining
  std::function<void()> on_drained_;
  DeadLetterHandler on_dead_letters_;
  SessionStats stats_;
};

// The name of a cause, for logs and dead-letter reasons.
std::string_view DeadLetterCauseName(DeadLetterCause cause);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SESSIONS_SESSION_QUEUE_H_
