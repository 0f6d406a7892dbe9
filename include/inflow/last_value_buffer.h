// LastValueBuffer: points coalesced per series between two flushes to the
// last-value cache in Redis (last_value_layout.h, last_value_script.h).
//
// The cache output adds every accepted point; each flush takes what is
// pending as one script call per series, so Redis traffic grows with the
// series updated, not with the points. Within the buffer nothing moves
// backwards either: per series it keeps each field's value of the latest
// time (on the same time, the later Add wins, as in the script), the
// series' latest time, and, with keep_last > 1, its keep_last newest
// points (points of the same time merged field by field, later wins).
//
// Bounded: at most max_pending_series series are pending. A point of a new
// series beyond that is refused and counted (refused_points()); the
// series already pending keep coalescing. Its memory: per pending series
// about 300 bytes of bookkeeping, plus 2x its Redis key (prefix, database,
// retention policy, series key), its index key, a tag index key per tag,
// its measurement and tags as JSON, and per field its unescaped name, its
// value as written and 48 bytes; with keep_last > 1, up to keep_last points
// of fields more. All
// strings are owned by the buffer; nothing refers to the added point after
// Add returns.
//
// Pure: no I/O, no clock. Thread: one thread at a time.

#ifndef INFLOW_LAST_VALUE_BUFFER_H_
#define INFLOW_LAST_VALUE_BUFFER_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "inflow/point.h"
#include "inflow/status.h"

namespace inflow {

struct LastValueOptions {
  std::string key_prefix = "inflow:";
  // Seconds each key lives after its last update; 0 = for ever.
  // REQUIRES: <= kMaxTtlSeconds.
  int64_t ttl_seconds = 0;
  // Points kept per series: 1 keeps the hash alone, 2..100 also a list.
  int keep_last = 1;
  // REQUIRES: >= 1.
  size_t max_pending_series = 100'000;

  static constexpr int kMaxKeepLast = 100;
  static constexpr int64_t kMaxTtlSeconds = int64_t{10} * 365 * 24 * 3600;
};

// OK, or an error naming the option out of range.
Status CheckLastValueOptions(const LastValueOptions& options);

// Which series a point belongs to. Views, read during Add only.
struct SeriesIdentity {
  std::string_view database;
  std::string_view retention_policy;
  std::string_view series_key;   // canonical (AcceptedPoint::series_key)
  std::string_view measurement;  // escaped, as parsed
  std::span<const TagView> tags;       // escaped, as parsed, in any order
  const TagView* left_out = nullptr;   // one of `tags` not of the series (the routing tag)
};

// One series' update: exactly the script's KEYS and ARGV
// (last_value_script.h), to send as EVALSHA sha keys.size() keys... args...
struct LastValueUpdate {
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

class LastValueBuffer {
 public:
  // REQUIRES: CheckLastValueOptions(options).ok().
  explicit LastValueBuffer(LastValueOptions options);

  enum class AddResult : uint8_t {
    kTaken,    // coalesced (also when every field was older than pending)
    kRefused,  // a new series and max_pending_series are pending: counted
  };

  // Coalesces a point of `series` with `fields` at `time_ns`.
  // REQUIRES: `fields` were parsed by LineParser (see AppendFieldJson).
  AddResult Add(const SeriesIdentity& series, std::span<const FieldView> fields,
                int64_t time_ns);

  // Everything pending, one update per series in the order each series was
  // first added since the last Take; the buffer is left empty.
  std::vector<LastValueUpdate> Take();

  size_t pending_series() const { return pending_.size(); }
  // Points refused since construction.
  uint64_t refused_points() const { return refused_points_; }
  const LastValueOptions& options() const { return options_; }

 private:
  // A field's value is kept as written, and written as JSON only when
  // taken: of the many points a series may get between two flushes, only
  // the last of each field is decoded and encoded.
  struct Field {
    std::string name;   // unescaped
    std::string value;  // as written (FieldView::value)
    FieldType type;
    int64_t time_ns;

    void AppendJson(std::string* out) const;
  };
  struct RecentPoint {
    int64_t time_ns;
    std::vector<Field> fields;  // each of time_ns
  };
  struct Series {
    std::vector<std::string> keys;
    std::string series_key;
    std::string catalog_member;
    std::string measurement_json;
    std::string tags_json;
    int64_t time_ns;
    std::vector<Field> fields;
    std::vector<RecentPoint> recent;  // newest first, at most keep_last
  };

  Series NewSeries(const SeriesIdentity& series) const;
  void MergeRecent(Series* series, std::span<const FieldView> fields, int64_t time_ns);
  LastValueUpdate MakeUpdate(Series* series) const;

  LastValueOptions options_;
  std::vector<Series> pending_;
  std::unordered_map<std::string, size_t> index_;  // series hash key → pending_
  std::string scratch_;
  uint64_t refused_points_ = 0;
};

}  // namespace inflow

#endif  // INFLOW_LAST_VALUE_BUFFER_H_
