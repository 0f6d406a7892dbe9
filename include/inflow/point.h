// A point of InfluxDB line protocol, as views into the buffer it was parsed from.
//
// A PointView never owns memory: every string_view points into the buffer
// handed to LineParser, and the tag and field arrays belong to the parser.
// Both stay valid until the parser parses its next line or the buffer is
// released, whichever comes first.
//
// Names and values are kept as written (escaped), so a valid line can be
// forwarded byte for byte; the Unescaped* helpers and the accessors of
// FieldView decode them on demand.

#ifndef INFLOW_POINT_H_
#define INFLOW_POINT_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace inflow {

// The unit of a line's timestamp, as InfluxDB's `precision` parameter.
enum class Precision : uint8_t { kNanoseconds, kMicroseconds, kMilliseconds, kSeconds };

// Accepts "ns", "us", "ms" and "s", and InfluxDB 1.x's spellings "n" and "u".
// Returns nullopt for anything else.
std::optional<Precision> ParsePrecision(std::string_view text);

// "ns", "us", "ms" or "s".
std::string_view PrecisionName(Precision precision);

// Nanoseconds per unit of `precision`.
int64_t PrecisionMultiplier(Precision precision);

// The range of timestamps InfluxDB 1.x stores, in nanoseconds since the epoch:
// 1677-09-21T00:12:43.145224194Z to 2262-04-11T23:47:16.854775806Z. The two
// lowest and the highest int64 values are reserved by its storage engine.
inline constexpr int64_t kMinTimestampNs = INT64_MIN + 2;
inline constexpr int64_t kMaxTimestampNs = INT64_MAX - 1;

enum class FieldType : uint8_t { kFloat, kInteger, kUnsigned, kString, kBoolean };

std::string_view FieldTypeName(FieldType type);

struct TagView {
  std::string_view key;    // escaped, as written
  std::string_view value;  // escaped, as written
};

struct FieldView {
  std::string_view key;  // escaped, as written

  // The value as written: `-1.5e3`, `42i`, `7u`, `"quoted \"text\""`, `true`.
  std::string_view value;
  FieldType type;

  // Decoders. REQUIRES: type matches. The parser has already validated the
  // value, so these cannot fail.
  double AsFloat() const;
  int64_t AsInteger() const;
  uint64_t AsUnsigned() const;
  bool AsBoolean() const;
  std::string AsString() const;  // without quotes, escapes resolved
};

struct PointView {
  // The line from its measurement to the end of its last part: without
  // leading or trailing blanks and without its line ending.
  std::string_view line;
  std::string_view measurement;  // escaped, as written
  std::string_view key;          // measurement and tags as written
  std::string_view field_set;    // the fields as written
  std::span<const TagView> tags;      // in the order written
  std::span<const FieldView> fields;  // in the order written

  // The timestamp in nanoseconds since the epoch, converted from the line's
  // precision; nullopt when the line has none.
  std::optional<int64_t> timestamp_ns;
  std::string_view timestamp_text;  // as written; empty when the line has none
  Precision precision = Precision::kNanoseconds;  // the unit of timestamp_text
};

// Removes the escapes of each part of a line, as InfluxDB reads them: a
// measurement drops a backslash before `,`, ` `, `=` and `"`; a tag key or
// value before `,`, ` ` and `=`; a field key before `,`, ` `, `=` and `"`; a
// string value before `\` and `"`. A backslash before any other byte is
// literal.
std::string UnescapeMeasurement(std::string_view escaped);
std::string UnescapeTag(std::string_view escaped);
std::string UnescapeFieldKey(std::string_view escaped);
std::string UnescapeStringValue(std::string_view escaped);  // between the quotes

}  // namespace inflow

#endif  // INFLOW_POINT_H_
