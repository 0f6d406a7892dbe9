// Helpers shared by the unit tests of the line protocol parser and writer:
// field values built by type, compared bit for bit and described readably; a
// parsed point decoded into plain values (Decoded) for comparison; and
// readable ParseStatus values in gtest's messages.

#ifndef INFLOW_TESTS_UNIT_TEST_VALUES_H_
#define INFLOW_TESTS_UNIT_TEST_VALUES_H_

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "inflow/line_parser.h"
#include "inflow/line_writer.h"  // FieldValue
#include "inflow/point.h"
#include "support/printable.h"

namespace inflow::test {

inline constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
inline constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
inline constexpr uint64_t kUint64Max = std::numeric_limits<uint64_t>::max();

inline std::string StatusName(ParseStatus status) {
  switch (status) {
    case ParseStatus::kPoint: return "kPoint";
    case ParseStatus::kSkip: return "kSkip";
    case ParseStatus::kError: return "kError";
    case ParseStatus::kNeedMore: return "kNeedMore";
  }
  return "ParseStatus(" + std::to_string(static_cast<int>(status)) + ")";
}

inline FieldValue Float(double v) { return FieldValue(std::in_place_type<double>, v); }
inline FieldValue Int(int64_t v) { return FieldValue(std::in_place_type<int64_t>, v); }
inline FieldValue Uint(uint64_t v) { return FieldValue(std::in_place_type<uint64_t>, v); }
inline FieldValue Str(std::string v) { return FieldValue(std::in_place_type<std::string>, std::move(v)); }
inline FieldValue Bool(bool v) { return FieldValue(std::in_place_type<bool>, v); }

// Equal values of equal type; doubles bit for bit (so -0.0 != 0.0).
inline bool SameValue(const FieldValue& a, const FieldValue& b) {
  if (a.index() != b.index()) return false;
  if (const double* x = std::get_if<double>(&a)) {
    return std::bit_cast<uint64_t>(*x) == std::bit_cast<uint64_t>(std::get<double>(b));
  }
  return a == b;
}


inline std::string Describe(const FieldValue& value) {
  switch (value.index()) {
    case 0: {
      char buf[48];
      std::snprintf(buf, sizeof(buf), "float %.17g", std::get<double>(value));
      return buf;
    }
    case 1: return "integer " + std::to_string(std::get<int64_t>(value));
    case 2: return "unsigned " + std::to_string(std::get<uint64_t>(value));
    case 3: return "string " + Printable(std::get<std::string>(value));
    default: return std::get<bool>(value) ? "boolean true" : "boolean false";
  }
}

// ---------------------------------------------------------------------------
// Decoded points: what a line means, independent of how it was spelled.

using TagList = std::vector<std::pair<std::string, std::string>>;
using FieldList = std::vector<std::pair<std::string, FieldValue>>;

struct Decoded {
  std::string measurement;  // unescaped
  TagList tags;             // unescaped, in the order written
  FieldList fields;         // unescaped keys, in the order written
  std::optional<int64_t> timestamp_ns;
};

inline std::string Describe(const Decoded& d) {
  // No `" " + Printable(...)`: GCC 12 at -O3 reports a false -Wrestrict in it.
  std::string out = "measurement " + Printable(d.measurement) + ", tags {";
  for (const auto& [k, v] : d.tags) out += ' ' + Printable(k) + "=" + Printable(v);
  out += " }, fields {";
  for (const auto& [k, v] : d.fields) out += ' ' + Printable(k) + "=" + Describe(v);
  out += " }, timestamp ";
  out += d.timestamp_ns ? std::to_string(*d.timestamp_ns) : std::string("none");
  return out;
}

// The same point, tags and fields in the same order; values by SameValue.
inline bool Same(const Decoded& a, const Decoded& b) {
  if (a.measurement != b.measurement || a.tags != b.tags || a.timestamp_ns != b.timestamp_ns) return false;
  if (a.fields.size() != b.fields.size()) return false;
  for (size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].first != b.fields[i].first || !SameValue(a.fields[i].second, b.fields[i].second)) return false;
  }
  return true;
}

inline FieldValue DecodeValue(const FieldView& field) {
  switch (field.type) {
    case FieldType::kFloat: return Float(field.AsFloat());
    case FieldType::kInteger: return Int(field.AsInteger());
    case FieldType::kUnsigned: return Uint(field.AsUnsigned());
    case FieldType::kString: return Str(field.AsString());
    case FieldType::kBoolean: return Bool(field.AsBoolean());
  }
  ADD_FAILURE() << "unknown field type " << static_cast<int>(field.type);
  return Bool(false);
}

inline Decoded Decode(const PointView& point) {
  Decoded d;
  d.measurement = UnescapeMeasurement(point.measurement);
  for (const TagView& tag : point.tags) d.tags.emplace_back(UnescapeTag(tag.key), UnescapeTag(tag.value));
  for (const FieldView& field : point.fields) d.fields.emplace_back(UnescapeFieldKey(field.key), DecodeValue(field));
  d.timestamp_ns = point.timestamp_ns;
  return d;
}

}  // namespace inflow::test

namespace inflow {

// Readable ParseStatus values in gtest's failure messages. gtest finds PrintTo
// by argument-dependent lookup, so it stands in ParseStatus's own namespace;
// every unit test that compares ParseStatus values includes this header, so
// that all of them print it the same way.
inline void PrintTo(ParseStatus status, std::ostream* os) { *os << test::StatusName(status); }

}  // namespace inflow

#endif  // INFLOW_TESTS_UNIT_TEST_VALUES_H_
