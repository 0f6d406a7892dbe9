// StoredPoint: a point as InfluxDB stores it (names unescaped, typed field
// values), so that what a test sent, decoded by inflow, can be compared with
// what InfluxDB returns.

#ifndef INFLOW_TESTS_SUPPORT_STORED_POINT_H_
#define INFLOW_TESTS_SUPPORT_STORED_POINT_H_

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "inflow/point.h"
#include "inflow/status.h"
#include "support/influxdb_server.h"
#include "support/printable.h"

namespace inflow::test {

using StoredValue = std::variant<double, int64_t, uint64_t, std::string, bool>;

struct StoredField {
  std::string key;
  FieldType type;
  StoredValue value;
  bool operator==(const StoredField&) const = default;
};

struct StoredPoint {
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;  // key, value
  std::vector<StoredField> fields;
  // Nanoseconds since the epoch; nullopt where times are not compared (a
  // line without a timestamp gets the server's clock).
  std::optional<int64_t> time_ns;
  bool operator==(const StoredPoint&) const = default;
};

// The point a parsed line describes: names unescaped, values decoded with
// FieldView's accessors, the line's timestamp if it has one. Duplicate tag
// or field keys are kept, in the order written.
StoredPoint ToStoredPoint(const PointView& view);

// Sorts each point's tags and fields by key (stable, so duplicates keep
// their order) and the points by measurement, tags and time: the order
// ReadStoredPoints returns, so that two lists compare with ==.
void SortStoredPoints(std::vector<StoredPoint>* points);

// Every point in database `db` of `server`, sorted by SortStoredPoints; times
// are set only if `with_time`. Field types come from SHOW FIELD KEYS.
// Returns an error naming the query and InfluxDB's answer if a query fails
// or an answer is not what InfluxDB 1.x returns; *points is then unspecified.
Status ReadStoredPoints(InfluxDbServer* server, std::string_view db, bool with_time,
                        std::vector<StoredPoint>* points);

// One line per measurement, tag, field and time, indented, for failure
// messages; "(no point)" for an empty list.
std::string DescribeStoredPoints(const std::vector<StoredPoint>& points);

// For GoogleTest's messages: DescribeStoredPoints of the one point.
void PrintTo(const StoredPoint& point, std::ostream* out);


}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_STORED_POINT_H_
