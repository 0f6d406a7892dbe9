// Writing line protocol: points from values, the canonical form of a parsed
// line, and the series key.
//
// Everything written here parses back, with InfluxDB's parser and with
// LineParser, to exactly the values it was written from. Names that line
// protocol cannot carry are refused with an error rather than written in a
// form that would be read back differently.

#ifndef INFLOW_LINE_WRITER_H_
#define INFLOW_LINE_WRITER_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "inflow/point.h"
#include "inflow/status.h"

namespace inflow {

// A field value. The alternatives map to line protocol's types: double to a
// float, int64_t to an integer (`i`), uint64_t to an unsigned (`u`),
// std::string to a string and bool to a boolean.
using FieldValue = std::variant<double, int64_t, uint64_t, std::string, bool>;

struct Tag {
  std::string key;    // unescaped
  std::string value;  // unescaped
};

struct Field {
  std::string key;  // unescaped
  FieldValue value;
};

// Appends one line for the point to *out, with tags sorted by key, and a
// newline. `timestamp` is in units of `precision`; without one, InfluxDB
// (or inflowd) assigns the time it receives the point.
//
// On failure, returns an error that names the offending part and leaves
// *out unchanged. It fails for: an empty measurement or field list; an empty
// key or tag value; a name containing a newline; a name ending in a
// backslash; a measurement or field key starting with a tab or a NUL byte; a
// measurement starting with `#`, or with a backslash before `,`, ` `, `=`
// or `"` (InfluxDB stores such a point where no query finds it); a field key with an odd run of backslashes
// before `,`, ` ` or `=`; duplicate tag keys; a tag key `time`; fields all
// named `time`; a field key repeated with a different type; a float that is
// NaN or infinite; a string over kMaxStringBytes bytes; a timestamp outside
// InfluxDB's range; a series key over kMaxKeyBytes bytes; a line that
// InfluxDB's line splitter would read otherwise (see LineParser).
Status AppendLine(std::string_view measurement, std::span<const Tag> tags,
                  std::span<const Field> fields, std::optional<int64_t> timestamp,
                  Precision precision, std::string* out);

// Appends the canonical form of a parsed point to *out, without a newline:
// tags sorted by key, every name and value escaped the one way this writer
// escapes it, floats in their shortest exact form, booleans as `true` or
// `false`, integers without leading zeros, and the timestamp as written
// (in the precision it was parsed with), if the line had one.
void AppendCanonical(const PointView& point, std::string* out);

// Appends the line of a parsed point to *out as it will be sent to InfluxDB
// with precision=ns, and a newline: byte for byte when it has a timestamp in
// nanoseconds; with its timestamp converted to nanoseconds when it was
// parsed with another precision; and with `received_ns` appended when it
// has none, so that a batch sent twice stores each point once. `without`,
// if given, is one of point.tags, left out (a routing tag).
void AppendForwardLine(const PointView& point, int64_t received_ns, std::string* out,
                       const TagView* without = nullptr);

// Appends the series key of a parsed point to *out: its measurement and
// tags, sorted by key, in canonical form (`cpu,host=a,region=b`). Two lines
// write the same series exactly when their series keys are equal.
// `without`, if given, is one of point.tags, left out (a routing tag).
void AppendSeriesKey(const PointView& point, std::string* out,
                     const TagView* without = nullptr);

// Escapes for each position in a line. The Append* forms append to *out.
void AppendEscapedMeasurement(std::string_view raw, std::string* out);
void AppendEscapedTag(std::string_view raw, std::string* out);
void AppendEscapedFieldKey(std::string_view raw, std::string* out);
void AppendEscapedStringValue(std::string_view raw, std::string* out);  // without quotes

// Appends a float in the shortest form that parses back to the same double.
// REQUIRES: value is finite.
void AppendFloat(double value, std::string* out);

}  // namespace inflow

#endif  // INFLOW_LINE_WRITER_H_
