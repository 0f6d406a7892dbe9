// SessionQueue: one retention policy's session, from its spool to InfluxDB.
//
// The points a listener read gives the session are staged, then appended
// to the session's spool as one record (SessionSpool): only then are they
// accepted. The queue loads the spool's records into its Batcher
// (inflow/batcher.h), which decides when a batch closes, while the batches
// in memory stay under max_pending_bytes; beyond it, points wait on disk
// and are loaded as batches leave. The queue adds what needs the loop: the
// commit_interval timer, and a BatchWriter (inflow/batch_writer.h) that
// hands each closed batch to InfluxDB as Delivery (inflow/delivery.h)
// decides: in order, one at a time, retried, split, set aside or made dead
// letters, as the delivery table says (DeliveryRules(), shown in the
// README's "Delivery" section). The points of a batch done with are
// acknowledged in the spool; the queue logs what the writer reports.
//
// Ownership: owned by the engine; Close() closes its handles, and the queue
// must outlive the loop's run that follows. Thread: the loop's.

#ifndef INFLOW_DAEMON_SESSIONS_SESSION_QUEUE_H_
#define INFLOW_DAEMON_SESSIONS_SESSION_QUEUE_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "inflow/batch_writer.h"
#include "inflow/batcher.h"
#include "inflow/clock.h"
#include "inflow/delivery.h"
#include "inflow/handle_set.h"
#include "log_rate_limiter.h"
#include "spool/session_spool.h"

namespace inflow::daemon {

// Delivery's figures, and the points appended to the spool.
struct SessionStats : DeliveryStats {
  uint64_t points_accepted = 0;
};

class SessionQueue {
 public:
  // `seed` seeds the backoff's jitter. The queue reads time through
  // `clock` only; `clock` and `influxdb` must outlive it.
  SessionQueue(uv_loop_t* loop, const Clock* clock, const SessionConfig& options,
               const InfluxDbConfig* influxdb, const RetryOptions& retry, uint64_t seed,
               std::unique_ptr<SessionSpool> spool);

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
  uint64_t memory_bytes() const { return batcher_.pending_bytes() + writer_.bytes(); }

  SessionStats stats() const;

  // Abandons any write in flight and closes the timers and the connection.
  void Close();

 private:
  MonoTime Now() const { return clock_->Now(); }
  void Load();
  // Hands the batches the session closed to the writer.
  void MoveClosedBatches();
  void ArmCommitTimer();
  void OnAcknowledged(uint64_t points);
  void OnDeadLetter(const DeliveryAction& action);
  void LogEvent(const DeliveryAction& action);
  void CheckDrained();

  static void OnCommitTimer(uv_timer_t* timer);

  const Clock* clock_;
  const InfluxDbConfig* influxdb_;
  Batcher batcher_;
  size_t max_pending_bytes_;
  std::unique_ptr<SessionSpool> spool_;
  BatchWriter writer_;
  LogRateLimiter failure_log_;
  LogRateLimiter spool_log_;
  HandleSet handles_{"SessionQueue"};
  TrackedHandle<uv_timer_t> commit_timer_;
  bool closed_ = false;
  bool loading_ = false;     // Load() is on the stack
  bool committing_ = false;  // Commit() was called: draining
  std::function<void()> on_drained_;
  DeadLetterHandler on_dead_letters_;
  uint64_t points_accepted_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SESSIONS_SESSION_QUEUE_H_
