// The Lua script that merges one series' update into the last-value cache
// (layout: last_value_layout.h). The decision whether a value is newer is
// made inside Redis, so that several inflowd instances sharing one Redis
// never move a series backwards, whatever order their updates reach it in.
//
// Call it as EVALSHA <LastValueScriptSha1()> <number of keys> KEYS... ARGV...,
// and with EVAL <LastValueScript()> when Redis answers NOSCRIPT (after a
// restart, or SCRIPT FLUSH); LastValueBuffer (last_value_buffer.h) builds
// the arguments:
//
//   KEYS[1]  the series hash        KEYS[2]  the recent list
//   KEYS[3]  the catalog set        KEYS[4]  the measurement's index set
//   KEYS[5]... the series' tag index sets, one per tag
//   ARGV[1]  ttl in seconds, 0 = none        ARGV[2]  keep_last, 1..100
//   ARGV[3]  the series key (index member)   ARGV[4]  measurement, JSON
//   ARGV[5]  tags, JSON                      ARGV[6]  the update's time
//   ARGV[7]  the catalog member (D)
//   ARGV[8]  n, the number of fields; then n triples: field name
//            (unescaped), value JSON, the value's time
//   then     the recent points, newest first (none when keep_last is 1),
//            each {"time":T,"fields":{...}} with "time" first
//
// What it does, all in one atomic step:
//   - each field's v:F and t:F are replaced if its time is later than or
//     the same as t:F (or there is none); `time` likewise. On the same
//     time the update wins: InfluxDB keeps one value per series, field and
//     time, the last one written, so the cache holds what a write in the
//     same order leaves in InfluxDB, and a replay rewrites the same value.
//   - `measurement` and `tags` are set, the series key is added to the
//     index and tag sets, and D to the catalog.
//   - with keep_last > 1, each recent point is merged into the list, in
//     time order, newest first: a point of a time the list has replaces
//     that entry (the same point, written again); one older than the
//     keep_last it keeps is dropped; the list is cut to keep_last.
//   - the hash, the list and the index and tag sets get EXPIRE ttl (or
//     PERSIST if ttl is 0), on every call; the catalog, a handful of
//     members, never expires.
// Times are compared as decimal strings (CompareTimeText), never as Lua
// numbers (doubles), and no JSON is decoded or encoded in Lua (cjson would
// rewrite floats with 14 digits). A time not in AppendTimeText's form, or a
// recent point not starting {"time":, is an error reply ("ERR inflow: ...")
// and nothing is changed. It answers {fields replaced, 1 if `time` moved}.

#ifndef INFLOW_LAST_VALUE_SCRIPT_H_
#define INFLOW_LAST_VALUE_SCRIPT_H_

#include <string>
#include <string_view>

namespace inflow {

// The script's text.
std::string_view LastValueScript();

// Its SHA-1, as SCRIPT LOAD names it: computed at the first call.
const std::string& LastValueScriptSha1();

}  // namespace inflow

#endif  // INFLOW_LAST_VALUE_SCRIPT_H_
