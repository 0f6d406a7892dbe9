// SessionQueue: one retention policy's session, and the writes of its batches.
//
// The session (core/include/inflow/session.h) decides when a batch closes;
// the queue adds what needs the loop: the commit_interval timer, the writer,
// and what to do with each verdict. Batches go to InfluxDB one at a time, in
// the order they closed, so a session's points are stored in the order they
// were received. On kRetry (a connection failure, 429, 5xx), on kUnauthorized
// and on kDatabaseNotFound the batch is kept and written again after a
// capped exponential backoff with full jitter (Retry-After when given),
// except that a missing database is first created when
// influxdb.create_database allows; a rejected batch (400) is logged and
// dropped, since InfluxDB stored its good points and will never take the
// others; a batch too large (413) is split in halves.
//
// Ownership: owned by the engine; Close() closes its handles, and the queue
// must outlive the loop's run that follows. Thread: the loop's.

#ifndef INFLOW_DAEMON_SESSION_QUEUE_H_
#define INFLOW_DAEMON_SESSION_QUEUE_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string_view>

#include "backoff.h"
#include "config.h"
#include "influx_writer.h"
#include "inflow/session.h"
#include "log_rate_limiter.h"

namespace inflow::daemon {

struct SessionStats {
  uint64_t points_accepted = 0;
  uint64_t points_delivered = 0;
  uint64_t batches_delivered = 0;
  uint64_t points_rejected = 0;   // in batches InfluxDB refused in part (400)
  uint64_t batches_rejected = 0;
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

class SessionQueue {
 public:
  // `seed` seeds the backoff's jitter.
  SessionQueue(uv_loop_t* loop, const SessionOptions& options, const InfluxDbConfig* influxdb,
               const RetryOptions& retry, uint64_t seed);

  SessionQueue(const SessionQueue&) = delete;
  SessionQueue& operator=(const SessionQueue&) = delete;

  const std::string& retention_policy() const { return session_.options().retention_policy; }

  // Adds one line (ending in '\n', ns timestamp) to the session; sends the
  // batches it closes.
  void Write(std::string_view line);

  // Commits what is pending, as on shutdown.
  void Commit();

  // Whether every point accepted was written (or refused by InfluxDB).
  bool drained() const { return outbox_.empty() && session_.pending_points() == 0; }

  // Called with each batch InfluxDB refused in part (400) and InfluxDB's
  // verdict, before the batch is dropped: the engine keeps the lines
  // refused as dead letters.
  using RejectedHandler = std::function<void(const Batch& batch, const WriteVerdict& verdict)>;
  void set_on_rejected(RejectedHandler on_rejected) { on_rejected_ = std::move(on_rejected); }

  // Called whenever the queue becomes drained.
  void set_on_drained(std::function<void()> on_drained) { on_drained_ = std::move(on_drained); }

  // Points accepted and not yet written: pending, queued or in flight.
  uint64_t undelivered_points() const;

  const SessionStats& stats() const { return stats_; }

  // Abandons any write in flight and closes the timers and the connection.
  void Close();

 private:
  MonoTime Now() const;
  void TakeClosedBatches();
  void ArmCommitTimer();
  void SendNext();
  void OnWritten(const WriteVerdict& verdict);
  void RetryLater(const WriteVerdict& verdict);
  void CreateDatabase();
  void SplitFront();
  void CheckDrained();

  static void OnCommitTimer(uv_timer_t* timer);
  static void OnRetryTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  const InfluxDbConfig* influxdb_;
  Session session_;
  InfluxWriter writer_;
  Backoff backoff_;
  std::chrono::nanoseconds unauthorized_interval_;
  LogRateLimiter failure_log_;
  uv_timer_t commit_timer_;
  uv_timer_t retry_timer_;
  std::deque<Batch> outbox_;  // closed batches, oldest first
  bool sending_ = false;      // outbox_.front() is at the writer or waits to be retried
  bool closed_ = false;
  bool created_database_ = false;  // for the batch at the front of outbox_
  std::function<void()> on_drained_;
  RejectedHandler on_rejected_;
  SessionStats stats_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SESSION_QUEUE_H_
