#include "inflow/point.h"

#include "line/number.h"

namespace inflow {

std::optional<Precision> ParsePrecision(std::string_view text) {
  if (text == "ns" || text == "n") return Precision::kNanoseconds;
  if (text == "us" || text == "u") return Precision::kMicroseconds;
  if (text == "ms") return Precision::kMilliseconds;
  if (text == "s") return Precision::kSeconds;
  return std::nullopt;
}

std::string_view PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kNanoseconds:
      return "ns";
    case Precision::kMicroseconds:
      return "us";
    case Precision::kMilliseconds:
      return "ms";
    case Precision::kSeconds:
      return "s";
  }
  return "ns";
}

int64_t PrecisionMultiplier(Precision precision) {
  switch (precision) {
    case Precision::kNanoseconds:
      return 1;
    case Precision::kMicroseconds:
      return 1'000;
    case Precision::kMilliseconds:
      return 1'000'000;
    case Precision::kSeconds:
      return 1'000'000'000;
  }
  return 1;
}

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kFloat:
      return "float";
    case FieldType::kInteger:
      return "integer";
    case FieldType::kUnsigned:
      return "unsigned";
    case FieldType::kString:
      return "string";
    case FieldType::kBoolean:
      return "boolean";
  }
  return "unknown";
}

double FieldView::AsFloat() const {
  double v = 0;
  ParseFloat(value, &v);
  return v;
}

int64_t FieldView::AsInteger() const {
  int64_t v = 0;
  ParseInt64(value.substr(0, value.size() - 1), &v);
  return v;
}

uint64_t FieldView::AsUnsigned() const {
  uint64_t v = 0;
  ParseUint64(value.substr(0, value.size() - 1), &v);
  return v;
}

bool FieldView::AsBoolean() const { return value[0] == 't' || value[0] == 'T'; }

std::string FieldView::AsString() const {
  return UnescapeStringValue(value.substr(1, value.size() - 2));
}

namespace {

// Drops each backslash that directly precedes one of `specials`; every
// other byte, other backslashes included, is kept. This is how InfluxDB
// reads each part (unescapeMeasurement, unescapeTag, escape.AppendUnescaped,
// unescapeStringField): a backslash is never consumed by the byte before it.
template <size_t N>
std::string Unescape(std::string_view in, const char (&specials)[N]) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '\\' && i + 1 < in.size()) {
      char next = in[i + 1];
      bool special = false;
      for (size_t k = 0; k + 1 < N; ++k) special |= next == specials[k];
      if (special) {
        out.push_back(next);
        ++i;
        continue;
      }
    }
    out.push_back(in[i]);
  }
  return out;
}

}  // namespace

// InfluxDB names a measurement by Point.Name(), which drops backslashes
// before `"` and `=` as well (escape.Unescape), though only `,` and ` ` need one.
std::string UnescapeMeasurement(std::string_view escaped) { return Unescape(escaped, ", =\""); }
std::string UnescapeTag(std::string_view escaped) { return Unescape(escaped, ", ="); }
std::string UnescapeFieldKey(std::string_view escaped) { return Unescape(escaped, ", =\""); }
std::string UnescapeStringValue(std::string_view escaped) { return Unescape(escaped, "\\\""); }

}  // namespace inflow
