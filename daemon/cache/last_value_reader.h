// LastValueReader: inflowd's reads of the last-value cache, for GET /last
// (listeners/http_listener.h).
//
// Each lookup is a LastValueLookup (inflow/last_value_lookup.h) run over a
// RedisConnection of the reader's own, so that reads never queue behind the
// cache's flushes (cache/last_value_cache.h writes on another connection):
// each round's commands are sent pipelined, one Send each, and the next
// round is sent once every reply of the round has come.
//
// Nothing waits for Redis: while the connection is down (being made again,
// with backoff), a lookup is done at once with an error naming why, rather
// than held until it is back; an answer that does not come within
// redis.timeout drops the connection, and the lookups in flight are done
// with that error. At most kMaxLookups run at once; beyond, a lookup is
// done at once with an error ("too many lookups").
//
// Ownership: the engine holds it (when redis.url is set), starts it with
// its outputs and closes it in Engine::Close, after the listeners; it must
// outlive the loop's run. Thread: the loop's.

#ifndef INFLOW_DAEMON_CACHE_LAST_VALUE_READER_H_
#define INFLOW_DAEMON_CACHE_LAST_VALUE_READER_H_

#include <uv.h>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "config/config.h"
#include "inflow/clock.h"
#include "inflow/handle_set.h"
#include "inflow/last_value_lookup.h"
#include "inflow/redis_connection.h"
#include "inflow/status.h"
#include "log_rate_limiter.h"

namespace inflow::daemon {

class LastValueReader {
 public:
  using Done = std::function<void(Status status, std::vector<LastValueRecord> records)>;

  // Lookups running at once, beyond which Lookup refuses.
  static constexpr size_t kMaxLookups = 64;

  // How long a catalog read (the databases and retention policies the
  // cache holds) serves later lookups: one that names no retention policy
  // then takes two round trips, not three. One that finds nothing so looks
  // again, reading the catalog; a retention policy new to the cache may be
  // missing for this long from answers that found others.
  static constexpr uint64_t kCatalogLifetimeMs = 1000;

  // Reads under config.redis.cache.key_prefix, on config.redis.address.
  // REQUIRES: config.redis.enabled.
  LastValueReader(uv_loop_t* loop, const Config& config);
  ~LastValueReader();

  LastValueReader(const LastValueReader&) = delete;
  LastValueReader& operator=(const LastValueReader&) = delete;

  // Begins connecting. REQUIRES: once, before Close.
  void Start();

  // Looks up the series `query` asks for. `done` runs once, on the loop and
  // never inside Lookup: with OK and the records (sorted by database,
  // retention policy and series key; empty when nothing matches); or with
  // an error that names the cause: a bad query (CheckLastValueQuery's
  // words), Redis not connected or lost, an answer not in the cache's
  // layout, more than kMaxLookups lookups, or the reader closing.
  void Lookup(LastValueQuery query, Done done);

  // Lookups not yet done.
  size_t in_flight() const { return runs_.size() + later_.size(); }

  // Ends every lookup not done (their `done` runs now, with an error),
  // closes the connection and the handles. REQUIRES: once.
  void Close();

 private:
  struct Run;

  void SendRound(Run* run);
  void OnReply(Run* run, size_t index, const Status& status, const RedisValue& reply);
  void Finish(Run* run, Status status);
  Status NotConnected() const;
  void Later(Done done, Status status);
  void OnState(bool up, const Status& why);
  static void OnLaterTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  LoopClock clock_;
  std::string key_prefix_;
  RedisConnection connection_;
  // Why the connection is down, for the lookups refused meanwhile.
  Status down_why_;
  // The catalog the last lookup that read it found, reused for
  // kCatalogLifetime (uv_now ms) to save lookups a round trip.
  LastValueCatalog catalog_;
  std::optional<uint64_t> catalog_read_at_;
  std::unordered_set<Run*> runs_;  // owned: freed by Finish
  // Lookups done before they ran, their `done` to be called from the loop.
  std::deque<std::pair<Done, Status>> later_;
  bool closed_ = false;
  HandleSet handles_{"LastValueReader"};
  TrackedHandle<uv_timer_t> later_timer_;
  LogRateLimiter state_log_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_CACHE_LAST_VALUE_READER_H_
