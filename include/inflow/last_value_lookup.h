// Reading the last-value cache (layout: last_value_layout.h): which series
// of a measurement match a query, and their latest values, as one JSON
// object per series.
//
// LastValueLookup is the lookup as a pure state machine, so that one piece
// of code serves both the blocking client (LookupLastValues, on
// RedisClient: the library and `inflow last`) and inflowd's loop (GET
// /last, on the async connection): it says which commands to send, is given
// their replies, and in the end holds the records.
//
//   LastValueLookup lookup(prefix, query);
//   while (!lookup.done()) {
//     auto commands = lookup.Commands();    // send them pipelined
//     ... replies, one per command, in order ...
//     if (Status s = lookup.OnReplies(replies); !s.ok()) return s;
//   }
//   records = lookup.TakeRecords();
//
// Series are found without KEYS: through the measurement's index set, or,
// when the query names tags, the intersection of their tag index sets.
//
// Pure: no I/O (but LookupLastValues, in io/). Thread: one thread at a
// time.

#ifndef INFLOW_LAST_VALUE_LOOKUP_H_
#define INFLOW_LAST_VALUE_LOOKUP_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "inflow/redis_value.h"
#include "inflow/status.h"

namespace inflow {

class RedisClient;

struct LastValueQuery {
  std::string measurement;  // unescaped; required
  // Only series with every one of these tags (key, value; unescaped).
  std::vector<std::pair<std::string, std::string>> tags;
  // Only these fields (unescaped); empty: every field.
  std::vector<std::string> fields;
  // Only this database / retention policy; nullopt: any the cache holds.
  std::optional<std::string> database;
  std::optional<std::string> retention_policy;
  // Points per series: 1, the latest values; 2..100 also that many recent
  // points, newest first (as many as the cache keeps: redis.keep_last).
  int last = 1;

  static constexpr int kMaxLast = 100;
};

// OK, or an error naming what is wrong (no measurement, last out of range).
Status CheckLastValueQuery(const LastValueQuery& query);

struct LastValueField {
  std::string name;  // unescaped
  std::string json;  // its value as JSON (field_json.h)
  int64_t time_ns = 0;
};

// With query.fields, `time_ns` is the latest of those fields' times (as
// InfluxDB's last() gives it); without, the series' latest time.
struct LastValueRecord {
  std::string database;
  std::string retention_policy;
  std::string measurement;  // unescaped
  std::vector<std::pair<std::string, std::string>> tags;  // sorted by key
  int64_t time_ns = 0;  // the series' latest time
  std::vector<LastValueField> fields;
  // With query.last > 1: recent points, newest first, each a JSON object
  // {"time":T,"fields":{...}} as the cache stores it.
  std::vector<std::string> recent;
};

// One line of JSON, without the newline:
//   {"measurement":"temperature","tags":{"host":"h1"},
//    "time":1475848864000000000,"fields":{"value":23.1},
//    "field_times":{"value":1475848864000000000},
//    "database":"db","retention_policy":"autogen"}
// with "recent":[...] after "field_times" when the record has any.
std::string FormatLastValueRecord(const LastValueRecord& record);

// The databases and retention policies the cache holds (its catalog set),
// sorted.
using LastValueCatalog = std::vector<std::pair<std::string, std::string>>;

class LastValueLookup {
 public:
  // REQUIRES: CheckLastValueQuery(query).ok().
  LastValueLookup(std::string key_prefix, LastValueQuery query);
  // As above, with the catalog known (read by an earlier lookup a moment
  // ago: catalog_read()), so that it is not read again: one round fewer.
  // A database or retention policy the cache gained since is not seen.
  LastValueLookup(std::string key_prefix, LastValueQuery query, const LastValueCatalog& catalog);
  ~LastValueLookup();

  // The commands to send next, each an argv, to be sent pipelined; empty
  // once done().
  std::vector<std::vector<std::string>> Commands();

  // The replies to the commands of the last Commands(), one each, in order.
  // An error reply, or a reply of the wrong shape, is returned as an error
  // naming the command; the lookup is then done, with no records.
  Status OnReplies(std::span<const RedisValue> replies);

  bool done() const;

  // The catalog, when this lookup read it (the query named no database or
  // no retention policy, and no catalog was given); else nullopt.
  const std::optional<LastValueCatalog>& catalog_read() const;

  // The matching series, sorted by database, retention policy and series
  // key. REQUIRES: done().
  std::vector<LastValueRecord> TakeRecords();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The lookup, run to its end over `client`. On success sets *records
// (empty when nothing matches: not an error).
Status LookupLastValues(RedisClient* client, std::string_view key_prefix,
                        const LastValueQuery& query, std::vector<LastValueRecord>* records);

}  // namespace inflow

#endif  // INFLOW_LAST_VALUE_LOOKUP_H_
