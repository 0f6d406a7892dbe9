#include "support/stored_point.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <tuple>

namespace inflow::test {
namespace {

std::string Describe(const StoredValue& value) {
  if (const auto* d = std::get_if<double>(&value)) {
    char buffer[40];
    std::snprintf(buffer, sizeof buffer, "%.17g", *d);
    return buffer;
  }
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* u = std::get_if<uint64_t>(&value)) return std::to_string(*u);
  if (const auto* s = std::get_if<std::string>(&value)) return Printable(*s);
  return std::get<bool>(value) ? "true" : "false";
}

std::optional<FieldType> FieldTypeFromName(std::string_view name) {
  for (FieldType type : {FieldType::kFloat, FieldType::kInteger, FieldType::kUnsigned,
                         FieldType::kString, FieldType::kBoolean}) {
    if (FieldTypeName(type) == name) return type;
  }
  return std::nullopt;
}

// simdjson 3.0 rejects a whole document with an integer beyond 64 bits, and
// Go writes floats below 1e21 with an integral value as integers (2e19 as
// 20000000000000000000). Integers of 20 digits or more are quoted here, to
// be read back by ReadValue; those of 19 digits or fewer fit an int64.
std::string QuoteLongIntegers(std::string_view json) {
  constexpr size_t kMaxDigits = 19;
  std::string out;
  out.reserve(json.size());
  bool in_string = false;
  for (size_t i = 0; i < json.size();) {
    char c = json[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < json.size()) out += json[++i];
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') in_string = true;
    if (c != '-' && (c < '0' || c > '9')) {
      out += c;
      ++i;
      continue;
    }
    size_t end = i + 1;
    while (end < json.size() &&
           std::string_view("0123456789+-.eE").find(json[end]) != std::string_view::npos) {
      ++end;
    }
    std::string_view number = json.substr(i, end - i);
    size_t digits = number.size() - (number[0] == '-' ? 1 : 0);
    bool integer = number.find_first_of(".eE") == std::string_view::npos;
    if (integer && digits > kMaxDigits) {
      out += '"';
      out += number;
      out += '"';
    } else {
      out += number;
    }
    i = end;
  }
  return out;
}

// The "series" of the first result of a query's answer (none if it has
// none), or an error for a result with "error".
Status SeriesOf(const std::string& json, simdjson::dom::parser* parser,
                std::vector<simdjson::dom::element>* series) {
  simdjson::dom::element result;
  if (parser->parse(QuoteLongIntegers(json)).get(result) != simdjson::SUCCESS ||
      result["results"].at(0).get(result) != simdjson::SUCCESS) {
    return Status::Error("unexpected answer: " + json);
  }
  std::string_view error;
  if (result["error"].get(error) == simdjson::SUCCESS) {
    return Status::Error("query failed: " + std::string(error));
  }
  series->clear();
  simdjson::dom::array array;
  if (result["series"].get(array) == simdjson::SUCCESS) {
    for (simdjson::dom::element one : array) series->push_back(one);
  }
  return Status::Ok();
}

// Reads the JSON value of a field of type `type`.
bool ReadValue(simdjson::dom::element json, FieldType type, StoredValue* value) {
  switch (type) {
    case FieldType::kFloat: {
      // Go writes a float with an integral value as an integer, a long one
      // quoted by QuoteLongIntegers; each converts exactly.
      *value = 0.0;
      std::string_view quoted;
      if (json.get(quoted) == simdjson::SUCCESS) {
        const char* end = quoted.data() + quoted.size();
        return std::from_chars(quoted.data(), end, std::get<double>(*value)).ptr == end;
      }
      return json.get(std::get<double>(*value)) == simdjson::SUCCESS;
    }
    case FieldType::kInteger:
      *value = int64_t{0};
      return json.get(std::get<int64_t>(*value)) == simdjson::SUCCESS;
    case FieldType::kUnsigned: {
      *value = uint64_t{0};
      std::string_view quoted;
      if (json.get(quoted) == simdjson::SUCCESS) {
        const char* end = quoted.data() + quoted.size();
        return std::from_chars(quoted.data(), end, std::get<uint64_t>(*value)).ptr == end;
      }
      return json.get(std::get<uint64_t>(*value)) == simdjson::SUCCESS;
    }
    case FieldType::kString: {
      std::string_view s;
      if (json.get(s) != simdjson::SUCCESS) return false;
      *value = std::string(s);
      return true;
    }
    case FieldType::kBoolean:
      *value = false;
      return json.get(std::get<bool>(*value)) == simdjson::SUCCESS;
  }
  return false;
}

using FieldTypes = std::vector<std::tuple<std::string, std::string, FieldType>>;

// measurement, field key and type, from SHOW FIELD KEYS.
Status ReadFieldTypes(InfluxDbServer* server, std::string_view db, FieldTypes* types) {
  std::string json;
  if (Status status = server->Query("SHOW FIELD KEYS", db, &json); !status.ok()) return status;
  simdjson::dom::parser parser;
  std::vector<simdjson::dom::element> series;
  if (Status status = SeriesOf(json, &parser, &series); !status.ok()) return status;
  for (simdjson::dom::element one : series) {
    std::string_view name;
    simdjson::dom::array rows;
    if (one["name"].get(name) != simdjson::SUCCESS ||
        one["values"].get(rows) != simdjson::SUCCESS) {
      return Status::Error("unexpected SHOW FIELD KEYS answer: " + json);
    }
    for (simdjson::dom::element row : rows) {
      std::string_view key;
      std::string_view type_name;
      if (row.at(0).get(key) != simdjson::SUCCESS ||
          row.at(1).get(type_name) != simdjson::SUCCESS || !FieldTypeFromName(type_name)) {
        return Status::Error("unexpected SHOW FIELD KEYS answer: " + json);
      }
      types->emplace_back(std::string(name), std::string(key), *FieldTypeFromName(type_name));
    }
  }
  return Status::Ok();
}

// The one type of a field, or nullopt if it has none or several (in
// different shards).
std::optional<FieldType> TypeOf(const FieldTypes& types, std::string_view measurement,
                                std::string_view key) {
  std::optional<FieldType> found;
  for (const auto& [m, k, type] : types) {
    if (m == measurement && k == key) {
      if (found) return std::nullopt;
      found = type;
    }
  }
  return found;
}

}  // namespace

StoredPoint ToStoredPoint(const PointView& view) {
  StoredPoint point;
  point.measurement = UnescapeMeasurement(view.measurement);
  for (const TagView& tag : view.tags) {
    point.tags.emplace_back(UnescapeTag(tag.key), UnescapeTag(tag.value));
  }
  for (const FieldView& field : view.fields) {
    StoredValue value;
    switch (field.type) {
      case FieldType::kFloat:
        value = field.AsFloat();
        break;
      case FieldType::kInteger:
        value = field.AsInteger();
        break;
      case FieldType::kUnsigned:
        value = field.AsUnsigned();
        break;
      case FieldType::kString:
        value = field.AsString();
        break;
      case FieldType::kBoolean:
        value = field.AsBoolean();
        break;
    }
    point.fields.push_back({UnescapeFieldKey(field.key), field.type, std::move(value)});
  }
  point.time_ns = view.timestamp_ns;
  return point;
}

void SortStoredPoints(std::vector<StoredPoint>* points) {
  for (StoredPoint& point : *points) {
    std::stable_sort(point.tags.begin(), point.tags.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(point.fields.begin(), point.fields.end(),
                     [](const StoredField& a, const StoredField& b) { return a.key < b.key; });
  }
  std::stable_sort(points->begin(), points->end(), [](const StoredPoint& a, const StoredPoint& b) {
    return std::tie(a.measurement, a.tags, a.time_ns) < std::tie(b.measurement, b.tags, b.time_ns);
  });
}

Status ReadStoredPoints(InfluxDbServer* server, std::string_view db, bool with_time,
                        std::vector<StoredPoint>* points) {
  FieldTypes types;
  if (Status status = ReadFieldTypes(server, db, &types); !status.ok()) return status;
  // GROUP BY * puts the tags in "tags" and leaves only fields in the columns.
  std::string json;
  if (Status status = server->Query("SELECT * FROM /.*/ GROUP BY *", db, &json); !status.ok()) {
    return status;
  }
  simdjson::dom::parser parser;
  std::vector<simdjson::dom::element> series;
  if (Status status = SeriesOf(json, &parser, &series); !status.ok()) return status;
  const Status unexpected = Status::Error("unexpected SELECT answer: " + json);

  points->clear();
  for (simdjson::dom::element one : series) {
    std::string_view name;
    simdjson::dom::array columns;
    simdjson::dom::array rows;
    if (one["name"].get(name) != simdjson::SUCCESS ||
        one["columns"].get(columns) != simdjson::SUCCESS ||
        one["values"].get(rows) != simdjson::SUCCESS) {
      return unexpected;
    }
    StoredPoint series_point;
    series_point.measurement = std::string(name);
    simdjson::dom::object tags;
    if (one["tags"].get(tags) == simdjson::SUCCESS) {
      for (auto [key, value] : tags) {
        std::string_view text;
        if (value.get(text) != simdjson::SUCCESS) return unexpected;
        series_point.tags.emplace_back(std::string(key), std::string(text));
      }
    }
    for (simdjson::dom::element row : rows) {
      StoredPoint point = series_point;
      size_t column = 0;
      for (simdjson::dom::element cell : row) {
        std::string_view column_name;
        if (columns.at(column).get(column_name) != simdjson::SUCCESS) return unexpected;
        if (column++ == 0) {  // "time", an integer with epoch=ns
          int64_t time = 0;
          if (cell.get(time) != simdjson::SUCCESS) return unexpected;
          if (with_time) point.time_ns = time;
          continue;
        }
        if (cell.is_null()) continue;  // a field of other points of the series
        std::optional<FieldType> type = TypeOf(types, name, column_name);
        StoredField field{std::string(column_name), type.value_or(FieldType::kFloat), {}};
        if (!type || !ReadValue(cell, *type, &field.value)) {
          return Status::Error("cannot tell the type of field " + std::string(column_name) +
                               " in " + json);
        }
        point.fields.push_back(std::move(field));
      }
      points->push_back(std::move(point));
    }
  }
  SortStoredPoints(points);
  return Status::Ok();
}

std::string DescribeStoredPoints(const std::vector<StoredPoint>& points) {
  if (points.empty()) return "  (no point)\n";
  std::string out;
  for (const StoredPoint& point : points) {
    out += "  measurement " + Printable(point.measurement) + "\n";
    for (const auto& [key, value] : point.tags) {
      out += "  tag " + Printable(key) + " = " + Printable(value) + "\n";
    }
    for (const StoredField& field : point.fields) {
      out += "  field " + Printable(field.key) + " " + std::string(FieldTypeName(field.type)) +
             " = " + Describe(field.value) + "\n";
    }
    out += "  time " + (point.time_ns ? std::to_string(*point.time_ns) : "(not compared)") + "\n";
  }
  return out;
}

void PrintTo(const StoredPoint& point, std::ostream* out) {
  *out << "\n" << DescribeStoredPoints({point});
}


}  // namespace inflow::test
