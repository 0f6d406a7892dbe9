// Batcher: points accumulated for one retention policy, committed as batches.
//
// As in the seed library's sessions: a session accumulates writes and
// commits them as one write; it commits when `autocommit_every` points are
// pending, or `commit_interval` after its first pending point, whichever
// comes first; a batch also closes before it would exceed
// `max_batch_bytes`. Its retention policy is session-wide.
//
// This is the pure core of a session: it never touches a clock, a socket or
// a file. Callers pass the current time, take the closed batches with
// TakeBatch() and hand them to a writer; the daemon's engine and the
// embedded client library share it. Not thread-safe: one owner.

#ifndef INFLOW_BATCHER_H_
#define INFLOW_BATCHER_H_

#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include "inflow/mono_time.h"

namespace inflow {

struct BatchOptions {
  // Empty: the database's default retention policy.
  std::string retention_policy;
  // Points; 0 disables committing by count.
  size_t autocommit_every = 5000;
  // Time from a batch's first point to its commit; zero disables the timer.
  std::chrono::nanoseconds commit_interval = std::chrono::seconds(1);
  // Bytes of line protocol in one batch. A single point larger than this
  // is committed alone.
  size_t max_batch_bytes = 1 << 20;
};

// A closed batch: the body of one InfluxDB write, in the order received.
struct Batch {
  std::string body;   // lines, each ending in '\n'
  size_t points = 0;
};

class Batcher {
 public:
  explicit Batcher(BatchOptions options);

  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  const BatchOptions& options() const { return options_; }

  // Adds one point. REQUIRES: `line` is one valid line of line protocol
  // ending in '\n'. Closes the pending batch first if the line would take
  // it past max_batch_bytes, and after the line if it makes
  // autocommit_every points.
  void Write(std::string_view line, MonoTime now);

  // Closes the pending batch if its commit_interval has run out by `now`.
  void Tick(MonoTime now);

  // Closes the pending batch, if any: an explicit commit.
  void Commit();

  // When Tick must next be called to honour commit_interval; nullopt when
  // nothing is pending or the timer is disabled.
  std::optional<MonoTime> CommitDeadline() const;

  // Whether closed batches wait to be taken.
  bool HasBatch() const { return !closed_.empty(); }

  // Removes and returns the oldest closed batch. REQUIRES: HasBatch().
  Batch TakeBatch();

  size_t pending_points() const { return pending_.points; }
  size_t pending_bytes() const { return pending_.body.size(); }

 private:
  void Close();

  BatchOptions options_;
  Batch pending_;
  MonoTime first_pending_{};  // when pending_ got its first point
  std::deque<Batch> closed_;
};

}  // namespace inflow

#endif  // INFLOW_BATCHER_H_
