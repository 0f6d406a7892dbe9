// The last-value lookup answered by InfluxDB itself, for when the cache
// holds nothing: `inflow last` falls back to it. The same query
// (last_value_lookup.h) and the same records, from InfluxQL.
//
// InfluxLastValueLookup is a pure state machine, as LastValueLookup is: it
// says which statements to run (one POST /query each round, statements
// joined by ';'), is given InfluxDB's answer, and in the end holds the
// records. Up to three rounds, one statement each but the last, since
// InfluxDB 1.x answers a failing statement among several with "not
// executed" alone:
//   1. SHOW RETENTION POLICIES: the database's default, unless the query
//      names a policy (then that it exists);
//   2. SHOW FIELD KEYS FROM the measurement, unless the query names fields;
//   3. per field, SELECT last("F") ... GROUP BY *, and with query.last > 1
//      SELECT the fields ... GROUP BY * ORDER BY time DESC LIMIT last.
// One statement per field, not last(*): with several selectors InfluxDB
// 1.x gives every value the time 0, and each field's own time is wanted.
//
// Pure: no I/O (but LookupLastValuesInInfluxDb, in io/). Thread: one
// thread at a time.

#ifndef INFLOW_LAST_VALUE_INFLUX_H_
#define INFLOW_LAST_VALUE_INFLUX_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/influx_protocol.h"
#include "inflow/last_value_lookup.h"
#include "inflow/status.h"

namespace inflow {

class InfluxLastValueLookup {
 public:
  // REQUIRES: CheckLastValueQuery(query).ok(), query.database set.
  explicit InfluxLastValueLookup(LastValueQuery query);
  ~InfluxLastValueLookup();

  // The statements of the next round, ';'-joined, for the query's
  // database; empty once done().
  std::string Statements();

  // The body of InfluxDB's answer to the last Statements(). An error a
  // statement reports, or a body not in InfluxDB's form, is returned; the
  // lookup is then done, with no records. A database, retention policy or
  // measurement InfluxDB does not have is no error: nothing is found (and
  // absent() says which, for the first two).
  Status OnAnswer(std::string_view body);

  bool done() const;

  // Why nothing was found, when InfluxDB said ("database not found: x",
  // "retention policy not found: y"); else empty.
  const std::string& absent() const;

  // The matching series, sorted by series key, as LastValueLookup's;
  // values written as the cache writes them. REQUIRES: done().
  std::vector<LastValueRecord> TakeRecords();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// The lookup run to its end against InfluxDB at `endpoint` (its database:
// the query's), blocking: each round is one POST /query on a loop of its
// own. On success sets *records (empty when nothing matches).
// REQUIRES: as for InfluxLastValueLookup.
// When nothing is found and `absent` is given, sets *absent to the
// lookup's absent().
Status LookupLastValuesInInfluxDb(const InfluxEndpoint& endpoint, const LastValueQuery& query,
                                  std::vector<LastValueRecord>* records,
                                  std::string* absent = nullptr);

}  // namespace inflow

#endif  // INFLOW_LAST_VALUE_INFLUX_H_
