// The last-value cache's layout in Redis: which keys hold a series, and how
// times are written and compared. README.md, "Last-value cache: keys and
// values", says the same for programs that read Redis directly.
//
// Every key starts with the configured prefix (say `inflow:`), taken as it
// is. The parts that could hold any byte are length-prefixed (the length in
// bytes, in decimal, then ':'), so that a database, retention policy or
// series key holding ':' can never make two series share a key; the last
// part runs to the end of the key. With D = `<len(db)>:<db>:<len(rp)>:<rp>`
// and M = `<len(measurement)>:<measurement>`:
//
//   <prefix>series:D:<series key>   a hash: the series' latest values
//   <prefix>recent:D:<series key>   a list: its last keep_last points
//   <prefix>index:D:<measurement>   a set: the series keys of a measurement
//   <prefix>tag:D:M:<len(key)>:<key>:<value>
//                                   a set: the series keys of a measurement
//                                   with that tag
//   <prefix>catalog                 a set: each D the cache holds
//
// for example `inflow:series:8:telegraf:7:autogen:cpu,host=h1` and
// `inflow:tag:8:telegraf:7:autogen:3:cpu:4:host:h1`. The series key is
// InfluxDB's: the measurement and the tags sorted by key, escaped as line
// protocol (`cpu,host=h1`); the measurement, tag keys and values of the
// index keys are unescaped. A reader finds series without KEYS: the
// catalog's members name the databases and retention policies, SSCAN of
// the index lists a measurement's series, and SINTER of tag sets those with
// given tags. The sets only grow (but expire with redis.ttl): a member
// whose hash has expired is skipped.
//
// The series hash holds, all as text:
//   measurement   the measurement, a JSON string: "cpu"
//   tags          its tags, a JSON object of strings: {"host":"h1"}
//   time          the series' latest time, decimal nanoseconds
//   v:F           for each field F (unescaped): its latest value, as JSON:
//                 23.1, 42, 18446744073709551615, "text", true
//   t:F           that value's own time, decimal nanoseconds
// A point that lacks a field leaves that field's v:F and t:F as they were,
// so fields can have different times. The recent list holds points newest
// first, each one JSON object: {"time":1475848864000000000,"fields":{...}},
// with "time" always first and the fields sorted by name.
//
// Times are decimal strings, not numbers, because Redis's Lua numbers are
// doubles, which hold nanosecond times (~1.7e18) only to about 256 ns; the
// script (last_value_script.h) compares them as strings: CompareTimeText.
//
// Pure: no I/O.

#ifndef INFLOW_LAST_VALUE_LAYOUT_H_
#define INFLOW_LAST_VALUE_LAYOUT_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inflow {

using LastValueTags = std::vector<std::pair<std::string, std::string>>;

// The keys of one series (database, retention policy, series key), and of
// the sets that find it.
struct LastValueKeys {
  std::string series;   // the hash
  std::string recent;   // the list of recent points
  std::string catalog;  // the set of databases and retention policies
  std::string index;    // the measurement's set of series keys
  std::vector<std::string> tag_indexes;  // one per tag, in the order of `tags`
};

// REQUIRES: `measurement` and `tags` (key, value) are the series', unescaped.
LastValueKeys MakeLastValueKeys(std::string_view prefix, std::string_view database,
                                std::string_view retention_policy, std::string_view series_key,
                                std::string_view measurement, const LastValueTags& tags);

// The keys a reader builds (all parts unescaped but the series key).
std::string LastValueSeriesKey(std::string_view prefix, std::string_view database,
                               std::string_view retention_policy, std::string_view series_key);
std::string LastValueRecentKey(std::string_view prefix, std::string_view database,
                               std::string_view retention_policy, std::string_view series_key);
std::string LastValueIndexKey(std::string_view prefix, std::string_view database,
                              std::string_view retention_policy, std::string_view measurement);
std::string LastValueTagIndexKey(std::string_view prefix, std::string_view database,
                                 std::string_view retention_policy,
                                 std::string_view measurement, std::string_view tag_key,
                                 std::string_view tag_value);
std::string LastValueCatalogKey(std::string_view prefix);

// A member of the catalog, D: `<len(db)>:<db>:<len(rp)>:<rp>`.
std::string LastValueCatalogMember(std::string_view database, std::string_view retention_policy);

// Reads a catalog member back; false if `member` is not in that form.
bool ParseLastValueCatalogMember(std::string_view member, std::string* database,
                                 std::string* retention_policy);

// Appends `time_ns` in decimal, the one form the cache writes times in:
// `-` for a negative time, no leading zeros, `0` for zero.
void AppendTimeText(int64_t time_ns, std::string* out);

// True if `text` is in the form AppendTimeText writes (of any length).
bool IsTimeText(std::string_view text);

// Compares two times in AppendTimeText's form without reading them as
// numbers: by sign, then by length (longer is further from zero), then byte
// by byte; for two negative times the order is reversed. Returns <0, 0 or >0
// as a is earlier, the same or later than b. REQUIRES: IsTimeText(a) and
// IsTimeText(b). The script does the same in Lua (keep the two alike).
int CompareTimeText(std::string_view a, std::string_view b);

}  // namespace inflow

#endif  // INFLOW_LAST_VALUE_LAYOUT_H_
