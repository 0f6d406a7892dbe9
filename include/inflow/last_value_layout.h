// The last-value cache's layout in Redis: which keys hold a series, and how
// times are written and compared. README.md, "Last-value cache: keys and
// values", says the same for programs that read Redis directly.
//
// Every key starts with the configured prefix (say `inflow:`), taken as it
// is. The parts that could hold any byte are length-prefixed (the length in
// bytes, in decimal, then ':'), so that a database, retention policy or
// series key holding ':' can never make two series share a key; the last
// part runs to the end of the key. With D = `<len(db)>:<db>:<len(rp)>:<rp>`:
//
//   <prefix>series:D:<series key>    a hash: the series' latest values
//   <prefix>recent:D:<series key>    a list: its last keep_last points
//   <prefix>index:D:<measurement>    a set: the series keys of a measurement
//
// for example `inflow:series:8:telegraf:7:autogen:cpu,host=h1`. The series
// key is InfluxDB's: the measurement and the tags sorted by key, escaped as
// line protocol (`cpu,host=h1`); the index's measurement is unescaped.
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
// with "time" always first.
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

namespace inflow {

// The keys of one series (database, retention policy, series key), and the
// index of its measurement.
struct LastValueKeys {
  std::string series;  // the hash
  std::string recent;  // the list of recent points
  std::string index;   // the measurement's set of series keys
};

// REQUIRES: `measurement` is the series' measurement, unescaped.
LastValueKeys MakeLastValueKeys(std::string_view prefix, std::string_view database,
                                std::string_view retention_policy, std::string_view series_key,
                                std::string_view measurement);

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
