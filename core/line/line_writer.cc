#include "inflow/line_writer.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "line/influx_compat.h"
#include "inflow/line_parser.h"

namespace inflow {

namespace {

template <size_t N>
void AppendEscaped(std::string_view raw, const char (&specials)[N], std::string* out) {
  size_t run = 0;  // bytes since the last special that need no escape
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    bool special = false;
    for (size_t k = 0; k + 1 < N; ++k) special |= c == specials[k];
    if (special) {
      out->append(raw.data() + i - run, run);
      out->push_back('\\');
      out->push_back(c);
      run = 0;
    } else {
      ++run;
    }
  }
  out->append(raw.data() + raw.size() - run, run);
}

// The checks every name shares; `what` names the part in the error.
Status CheckName(std::string_view name, std::string_view what) {
  if (name.empty()) return Status::Error(std::string(what) + " is empty");
  if (name.find('\n') != std::string_view::npos) {
    return Status::Error(std::string(what) + " contains a newline");
  }
  if (name.back() == '\\') {
    // The backslash would escape the separator after it.
    return Status::Error(std::string(what) + " ends with a backslash");
  }
  return Status::Ok();
}

Status CheckMeasurement(std::string_view name) {
  Status s = CheckName(name, "measurement");
  if (!s.ok()) return s;
  if (name[0] == '#') return Status::Error("measurement starts with '#' (a comment)");
  if (name[0] == '\t' || name[0] == '\0') {
    return Status::Error("measurement starts with a tab or NUL, which parsers skip");
  }
  for (size_t i = 0; i + 1 < name.size(); ++i) {
    char next = name[i + 1];
    if (name[i] == '\\' && (next == ',' || next == ' ' || next == '=' || next == '"')) {
      // See FindUnreadableMeasurementEscape.
      return Status::Error("measurement has a backslash before '" + std::string(1, next) +
                           "', which InfluxDB stores where no query finds it");
    }
  }
  return Status::Ok();
}

// In the field set a backslash escapes the byte after it as a pair, and
// reading a key drops one backslash before `,`, ` `, `=` and `"`. A key with
// an odd run of backslashes before `,`, ` ` or `=` has no spelling that reads
// back as itself.
Status CheckFieldKey(std::string_view key) {
  Status s = CheckName(key, "field key");
  if (!s.ok()) return s;
  if (key[0] == '\t' || key[0] == '\0') {
    // Parsers skip blanks before the first field, and no escape keeps them.
    return Status::Error("field key starts with a tab or NUL, which parsers skip");
  }
  size_t run = 0;
  for (char c : key) {
    if (c == '\\') {
      ++run;
      continue;
    }
    if ((c == ',' || c == ' ' || c == '=') && run % 2 == 1) {
      return Status::Error("field key '" + std::string(key) +
                           "' has an odd run of backslashes before '" + std::string(1, c) +
                           "', which line protocol cannot carry");
    }
    run = 0;
  }
  return Status::Ok();
}

void AppendValue(const FieldValue& value, std::string* out) {
  char buf[24];
  switch (value.index()) {
    case 0:
      AppendFloat(std::get<double>(value), out);
      return;
    case 1: {
      auto r = std::to_chars(buf, buf + sizeof(buf), std::get<int64_t>(value));
      out->append(buf, r.ptr);
      out->push_back('i');
      return;
    }
    case 2: {
      auto r = std::to_chars(buf, buf + sizeof(buf), std::get<uint64_t>(value));
      out->append(buf, r.ptr);
      out->push_back('u');
      return;
    }
    case 3:
      out->push_back('"');
      AppendEscapedStringValue(std::get<std::string>(value), out);
      out->push_back('"');
      return;
    case 4:
      out->append(std::get<bool>(value) ? "true" : "false");
      return;
  }
}

Status CheckValue(const Field& field) {
  if (const double* d = std::get_if<double>(&field.value); d && !std::isfinite(*d)) {
    return Status::Error("field '" + field.key + "' is NaN or infinite");
  }
  if (const std::string* s = std::get_if<std::string>(&field.value);
      s && s->size() > kMaxStringBytes) {
    return Status::Error("field '" + field.key + "' is a string longer than 65536 bytes");
  }
  return Status::Ok();
}

void AppendInteger(int64_t value, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, r.ptr);
}

// Sorts tag indices by escaped key, the order InfluxDB keeps them in.
template <typename KeyOf>
std::vector<size_t> SortedOrder(size_t count, KeyOf key_of) {
  std::vector<size_t> order(count);
  for (size_t i = 0; i < count; ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key_of(a) < key_of(b); });
  return order;
}

}  // namespace

void AppendEscapedMeasurement(std::string_view raw, std::string* out) {
  // `=` and `"` need no escape in a measurement, except after a backslash,
  // which reading would otherwise drop (see UnescapeMeasurement).
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == ',' || c == ' ' || ((c == '=' || c == '"') && i > 0 && raw[i - 1] == '\\')) {
      out->push_back('\\');
    }
    out->push_back(c);
  }
}
void AppendEscapedTag(std::string_view raw, std::string* out) { AppendEscaped(raw, ", =", out); }
void AppendEscapedFieldKey(std::string_view raw, std::string* out) {
  AppendEscaped(raw, ", =\"", out);
}
void AppendEscapedStringValue(std::string_view raw, std::string* out) {
  AppendEscaped(raw, "\\\"", out);
}

void AppendFloat(double value, std::string* out) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof(buf), value);
  out->append(buf, r.ptr);
}

Status AppendLine(std::string_view measurement, std::span<const Tag> tags,
                  std::span<const Field> fields, std::optional<int64_t> timestamp,
                  Precision precision, std::string* out) {
  Status s = CheckMeasurement(measurement);
  if (!s.ok()) return s;
  if (fields.empty()) return Status::Error("point has no fields");
  for (const Tag& tag : tags) {
    if (!(s = CheckName(tag.key, "tag key")).ok()) return s;
    if (!(s = CheckName(tag.value, "value of tag '" + tag.key + "'")).ok()) return s;
    if (tag.key == "time") return Status::Error("tag key 'time' is not allowed");
  }
  bool only_time = true;
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& field = fields[i];
    if (!(s = CheckFieldKey(field.key)).ok()) return s;
    if (!(s = CheckValue(field)).ok()) return s;
    only_time &= field.key == "time";
    for (size_t j = 0; j < i; ++j) {
      if (fields[j].key == field.key && fields[j].value.index() != field.value.index()) {
        return Status::Error("field '" + field.key + "' repeated with a different type");
      }
    }
  }
  if (only_time) return Status::Error("no field other than 'time', which InfluxDB drops");
  if (timestamp) {
    int64_t ns;
    if (__builtin_mul_overflow(*timestamp, PrecisionMultiplier(precision), &ns) ||
        ns < kMinTimestampNs || ns > kMaxTimestampNs) {
      return Status::Error("timestamp " + std::to_string(*timestamp) +
                           " is outside InfluxDB's range");
    }
  }

  std::vector<std::string> escaped_keys(tags.size());
  for (size_t i = 0; i < tags.size(); ++i) AppendEscapedTag(tags[i].key, &escaped_keys[i]);
  std::vector<size_t> order =
      SortedOrder(tags.size(), [&](size_t i) -> const std::string& { return escaped_keys[i]; });
  for (size_t j = 1; j < order.size(); ++j) {
    if (escaped_keys[order[j - 1]] == escaped_keys[order[j]]) {
      return Status::Error("duplicate tag key '" + tags[order[j]].key + "'");
    }
  }

  std::string line;
  AppendEscapedMeasurement(measurement, &line);
  for (size_t i : order) {
    line.push_back(',');
    line.append(escaped_keys[i]);
    line.push_back('=');
    AppendEscapedTag(tags[i].value, &line);
  }
  size_t key_bytes = line.size();
  if (key_bytes > kMaxKeyBytes) return Status::Error("series key longer than 65535 bytes");
  line.push_back(' ');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) line.push_back(',');
    size_t key_start = line.size();
    AppendEscapedFieldKey(fields[i].key, &line);
    if (key_bytes + 4 + (line.size() - key_start) > kMaxKeyBytes) {
      return Status::Error("series key and field key '" + fields[i].key +
                           "' longer than 65535 bytes");
    }
    line.push_back('=');
    AppendValue(fields[i].value, &line);
  }
  if (timestamp) {
    line.push_back(' ');
    AppendInteger(*timestamp, &line);
  }
  if (line.find('"') != std::string::npos) {
    if (size_t at = FindSplitDisagreement(line); at != kNotFound) {
      return Status::Error("InfluxDB would split this line elsewhere (its quote at byte " +
                           std::to_string(at) + ")");
    }
  }
  line.push_back('\n');
  out->append(line);
  return Status::Ok();
}

namespace {

// A name as written is already canonical when it holds no backslash: then
// it holds no byte that needs one either.
void AppendCanonicalMeasurement(std::string_view raw, std::string* out) {
  if (raw.find('\\') == std::string_view::npos) {
    out->append(raw);
  } else {
    AppendEscapedMeasurement(UnescapeMeasurement(raw), out);
  }
}

void AppendCanonicalTag(std::string_view raw, std::string* out) {
  // A tag value may begin with an unescaped `=`.
  if (raw.find('\\') == std::string_view::npos && raw[0] != '=') {
    out->append(raw);
  } else {
    AppendEscapedTag(UnescapeTag(raw), out);
  }
}

// `without`, if not null, is one of point.tags, left out.
void AppendCanonicalTags(const PointView& point, std::string* out,
                         const TagView* without = nullptr) {
  // Tag keys as written are canonical (InfluxDB's escaping of keys is
  // one-to-one), so they sort as written.
  bool sorted = true;
  for (size_t j = 1; j < point.tags.size() && sorted; ++j) {
    sorted = point.tags[j - 1].key < point.tags[j].key;
  }
  auto append = [&](const TagView& tag) {
    if (&tag == without) return;
    out->push_back(',');
    AppendCanonicalTag(tag.key, out);
    out->push_back('=');
    AppendCanonicalTag(tag.value, out);
  };
  if (sorted) {
    for (const TagView& tag : point.tags) append(tag);
    return;
  }
  for (size_t i : SortedOrder(point.tags.size(), [&](size_t i) { return point.tags[i].key; })) {
    append(point.tags[i]);
  }
}

}  // namespace

void AppendForwardLine(const PointView& point, int64_t received_ns, std::string* out,
                       const TagView* without) {
  // The line, up to its timestamp if that is to be rewritten.
  std::string_view body = point.line;
  if (point.timestamp_ns && point.precision != Precision::kNanoseconds) {
    // The timestamp is the last part of the line.
    body = body.substr(0, static_cast<size_t>(point.timestamp_text.data() - body.data()));
  }
  if (without == nullptr) {
    out->append(body);
  } else {
    // From the comma before the tag's key to the end of its value.
    size_t from = static_cast<size_t>(without->key.data() - body.data()) - 1;
    size_t to = static_cast<size_t>(without->value.data() + without->value.size() - body.data());
    out->append(body.substr(0, from));
    out->append(body.substr(to));
  }
  if (!point.timestamp_ns) {
    out->push_back(' ');
    AppendInteger(received_ns, out);
  } else if (point.precision != Precision::kNanoseconds) {
    AppendInteger(*point.timestamp_ns, out);
  }
  out->push_back('\n');
}

void AppendSeriesKey(const PointView& point, std::string* out, const TagView* without) {
  AppendCanonicalMeasurement(point.measurement, out);
  AppendCanonicalTags(point, out, without);
}

void AppendCanonical(const PointView& point, std::string* out) {
  AppendSeriesKey(point, out);
  out->push_back(' ');
  for (size_t i = 0; i < point.fields.size(); ++i) {
    const FieldView& field = point.fields[i];
    if (i > 0) out->push_back(',');
    AppendEscapedFieldKey(UnescapeFieldKey(field.key), out);
    out->push_back('=');
    switch (field.type) {
      case FieldType::kFloat:
        AppendValue(field.AsFloat(), out);
        break;
      case FieldType::kInteger:
        AppendValue(field.AsInteger(), out);
        break;
      case FieldType::kUnsigned:
        AppendValue(field.AsUnsigned(), out);
        break;
      case FieldType::kString:
        AppendValue(field.AsString(), out);
        break;
      case FieldType::kBoolean:
        AppendValue(field.AsBoolean(), out);
        break;
    }
  }
  if (point.timestamp_ns) {
    out->push_back(' ');
    // In the unit it was written in, without leading zeros.
    AppendInteger(*point.timestamp_ns / PrecisionMultiplier(point.precision), out);
  }
}

}  // namespace inflow
