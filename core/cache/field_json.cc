#include "inflow/field_json.h"

#include <charconv>
#include <cmath>
#include <cstdint>

#include "inflow/line_writer.h"

namespace inflow {
namespace {

// The length of the valid UTF-8 sequence at s[i], or 0 if none starts there
// (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  auto cont = [&](size_t k) { return k < s.size() && (byte(k) & 0xC0) == 0x80; };
  uint8_t b = byte(i);
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) return cont(i + 1) ? 2 : 0;
  if (b >= 0xE0 && b <= 0xEF) {
    if (!cont(i + 1) || !cont(i + 2)) return 0;
    uint8_t b1 = byte(i + 1);
    if (b == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b == 0xED && b1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (b >= 0xF0 && b <= 0xF4) {
    if (!cont(i + 1) || !cont(i + 2) || !cont(i + 3)) return 0;
    uint8_t b1 = byte(i + 1);
    if (b == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b == 0xF4 && b1 > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

}  // namespace

void AppendJsonString(std::string_view raw, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  size_t i = 0;
  while (i < raw.size()) {
    auto b = static_cast<uint8_t>(raw[i]);
    if (b == '"' || b == '\\') {
      out->push_back('\\');
      out->push_back(raw[i]);
      ++i;
    } else if (b < 0x20) {
      out->append("\\u00");
      out->push_back(kHex[b >> 4]);
      out->push_back(kHex[b & 0xF]);
      ++i;
    } else if (size_t n = Utf8SequenceLength(raw, i); n > 0) {
      out->append(raw.substr(i, n));
      i += n;
    } else {
      out->append("\\ufffd");
      ++i;
    }
  }
  out->push_back('"');
}

// Go's encoding/json, which InfluxDB's answers are written with, switches
// to an exponent outside [1e-6, 1e21) and writes it without a leading zero.
void AppendJsonFloat(double value, std::string* out) {
  char buf[64];
  const double magnitude = std::fabs(value);
  const bool exponent = magnitude != 0 && (magnitude < 1e-6 || magnitude >= 1e21);
  auto r = std::to_chars(buf, buf + sizeof(buf), value,
                         exponent ? std::chars_format::scientific : std::chars_format::fixed);
  size_t n = static_cast<size_t>(r.ptr - buf);
  // to_chars writes two exponent digits at least, as C does; Go one after a '-'.
  if (exponent && n >= 4 && buf[n - 4] == 'e' && buf[n - 3] == '-' && buf[n - 2] == '0') {
    buf[n - 2] = buf[n - 1];
    --n;
  }
  out->append(buf, n);
}

void AppendFieldJson(const FieldView& field, std::string* out) {
  char buf[32];
  switch (field.type) {
    case FieldType::kFloat:
      AppendJsonFloat(field.AsFloat(), out);
      return;
    case FieldType::kInteger: {
      auto r = std::to_chars(buf, buf + sizeof(buf), field.AsInteger());
      out->append(buf, r.ptr);
      return;
    }
    case FieldType::kUnsigned: {
      auto r = std::to_chars(buf, buf + sizeof(buf), field.AsUnsigned());
      out->append(buf, r.ptr);
      return;
    }
    case FieldType::kString:
      AppendJsonString(field.AsString(), out);
      return;
    case FieldType::kBoolean:
      out->append(field.AsBoolean() ? "true" : "false");
      return;
  }
}

}  // namespace inflow
