// BatchWriter: a session's closed batches, written to InfluxDB.
//
// The libuv driver of Delivery (delivery.h), which decides everything: the
// writer writes one batch at a time, in the order pushed, over its
// InfluxConnection, waits on its retry timer, creates the database, and
// reports what Delivery says through the callbacks below. It reads time
// only through its Clock.
//
// Callbacks are called in the order Delivery reports, from the loop: on a
// verdict or the retry timer, never from inside Push (the connection gives
// every verdict from the loop, never from inside Write); each may Push (a
// batch pushed from one is written after the callback returns) or Close
// the writer. Nothing is logged here: the owner
// logs the events it is given.
//
// Ownership: the writer owns its connection and its retry timer; the
// endpoint and the clock must outlive it. Close() closes the handles; the
// writer must outlive the loop's run that follows (their close callbacks).
// Thread: the loop's.

#ifndef INFLOW_BATCH_WRITER_H_
#define INFLOW_BATCH_WRITER_H_

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>

#include "inflow/batcher.h"
#include "inflow/clock.h"
#include "inflow/delivery.h"
#include "inflow/handle_set.h"
#include "inflow/influx_connection.h"
#include "inflow/influx_protocol.h"

namespace inflow {

class BatchWriter {
 public:
  // Writes to `endpoint`'s database, into `retention_policy` (empty: the
  // database's default).
  BatchWriter(uv_loop_t* loop, const Clock* clock, const InfluxEndpoint* endpoint,
              std::string retention_policy, const DeliveryOptions& options);

  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Queues a closed batch; it is written once those before it are done
  // with. REQUIRES: as Delivery::Push; not closed.
  void Push(Batch batch);

  // `points` more points, in push order, are done with (delivered, or
  // dead letters given to on_dead_letter first).
  void set_on_acknowledged(std::function<void(uint64_t points)> handler) {
    on_acknowledged_ = std::move(handler);
  }
  // A batch to keep as dead letters: a kDeadLetter action (its batch,
  // cause, verdict, attempts and how long it failed).
  void set_on_dead_letter(std::function<void(const DeliveryAction&)> handler) {
    on_dead_letter_ = std::move(handler);
  }
  // For logs: Delivery's reports (kRetryLater, kSplit, kSetAside,
  // kSuspectBack, kSuspectAgain, kDatabaseCreated) and kCreateDatabase as
  // it is sent.
  void set_on_event(std::function<void(const DeliveryAction&)> handler) {
    on_event_ = std::move(handler);
  }
  // Called when a verdict leaves the writer drained().
  void set_on_drained(std::function<void()> handler) { on_drained_ = std::move(handler); }

  // Whether every batch pushed is done with.
  bool drained() const { return delivery_.drained(); }
  // Points pushed and not yet done with: queued, set aside or in flight.
  uint64_t undelivered_points() const { return delivery_.undelivered_points(); }
  // Bytes of those points' lines.
  uint64_t bytes() const { return delivery_.bytes(); }
  const DeliveryStats& stats() const { return delivery_.stats(); }

  // Abandons a request in flight (no callback is called for it) and closes
  // the connection and the timer. Later calls do nothing.
  void Close();

 private:
  // Does what Delivery says until it waits for a verdict, a timer or a Push.
  void Pump();
  void OnVerdict(const WriteVerdict& verdict);
  static void OnRetryTimer(uv_timer_t* timer);

  const Clock* clock_;
  std::string retention_policy_;
  Delivery delivery_;
  InfluxConnection connection_;
  HandleSet handles_{"BatchWriter"};
  TrackedHandle<uv_timer_t> retry_timer_;
  bool waiting_ = false;       // the retry timer runs
  bool pumping_ = false;       // Pump() is on the stack
  bool heard_verdict_ = false;  // since Pump() last returned
  bool closed_ = false;
  std::function<void(uint64_t)> on_acknowledged_;
  std::function<void(const DeliveryAction&)> on_dead_letter_;
  std::function<void(const DeliveryAction&)> on_event_;
  std::function<void()> on_drained_;
};

}  // namespace inflow

#endif  // INFLOW_BATCH_WRITER_H_
