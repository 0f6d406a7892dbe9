#include "line/number.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

namespace inflow {

namespace {

// InfluxDB checks the range of a number only when it is long enough to leave
// it (maxInt64Digits, maxUint64Digits, maxFloat64Digits in points.go); a
// shorter one cannot, so the checks below are skipped the same way.
constexpr size_t kIntegerDigitsToCheck = 19;
constexpr size_t kUnsignedDigitsToCheck = 20;
constexpr size_t kFloatBytesToCheck = 25;

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

NumberCheck CheckNumber(std::string_view token, FieldType* type) {
  const size_t n = token.size();
  const bool negative = token[0] == '-';
  bool is_int = false, is_unsigned = false, decimal = false, scientific = false;

  // The same byte rules as scanNumber, in its order.
  for (size_t j = negative ? 1 : 0; j < n; ++j) {
    char ch = token[j];
    if (ch == 'i' && j > 0 && !(is_int || is_unsigned)) {
      is_int = true;
    } else if (ch == 'u' && j > 0 && !(is_int || is_unsigned)) {
      is_unsigned = true;
    } else if (ch == '.') {
      if (decimal) return NumberCheck::kInvalid;
      decimal = true;
    } else if ((ch == 'e' || ch == 'E') && j > 0) {
      scientific = true;
    } else if ((ch == '+' || ch == '-') && (token[j - 1] == 'e' || token[j - 1] == 'E')) {
      // the sign of an exponent
    } else if (!IsDigit(ch)) {
      return NumberCheck::kInvalid;
    }
  }
  if ((is_int || is_unsigned) && (decimal || scientific)) return NumberCheck::kInvalid;

  // scanNumber's digit count leaves out `i`, the point and the sign, but
  // counts `u`: `-u` passes here and fails on the sign below.
  size_t digits = n - (is_int ? 1 : 0) - (decimal ? 1 : 0) - (negative ? 1 : 0);
  if (digits == 0) return NumberCheck::kInvalid;

  if (is_int) {
    if (token[n - 1] != 'i') return NumberCheck::kInvalid;
    int64_t v;
    if (n - 1 >= kIntegerDigitsToCheck && !ParseInt64(token.substr(0, n - 1), &v)) {
      return NumberCheck::kIntegerOutOfRange;
    }
    *type = FieldType::kInteger;
    return NumberCheck::kOk;
  }
  if (is_unsigned) {
    if (token[n - 1] != 'u' || negative) return NumberCheck::kInvalid;
    uint64_t v;
    if (n - 1 >= kUnsignedDigitsToCheck && !ParseUint64(token.substr(0, n - 1), &v)) {
      return NumberCheck::kUnsignedOutOfRange;
    }
    *type = FieldType::kUnsigned;
    return NumberCheck::kOk;
  }
  if (scientific || n >= kFloatBytesToCheck) {
    double v;
    if (!ParseFloat(token, &v)) {
      // Tell an overflow from a malformed exponent (`1e`, `1e+`).
      auto [ptr, ec] = std::from_chars(token.data(), token.data() + n, v);
      bool complete = ptr == token.data() + n;
      return complete && ec == std::errc::result_out_of_range ? NumberCheck::kFloatOutOfRange
                                                                : NumberCheck::kInvalid;
    }
  }
  *type = FieldType::kFloat;
  return NumberCheck::kOk;
}

bool ParseFloat(std::string_view text, double* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  if (ptr != end) return false;
  if (ec == std::errc()) return std::isfinite(*value);
  if (ec != std::errc::result_out_of_range) return false;

  // from_chars reports both overflow and underflow as out of range, and
  // leaves *value unset. InfluxDB (Go's ParseFloat) rejects the first and
  // reads the second as zero or a denormal: strtod tells them apart. This is
  // the rare path; a copy makes the text NUL-terminated.
  std::string copy(text);
  errno = 0;
  double v = std::strtod(copy.c_str(), nullptr);
  if (std::isinf(v)) return false;
  *value = v;
  return true;
}

bool ParseInt64(std::string_view text, int64_t* value) {
  // Timestamps take this path for every point; from_chars is kept for the
  // rare long forms (leading zeros).
  bool negative = !text.empty() && text[0] == '-';
  std::string_view digits = negative ? text.substr(1) : text;
  if (digits.empty() || digits.size() > 19) {
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, *value);
    return ec == std::errc() && ptr == end;
  }
  uint64_t v = 0;  // 19 digits cannot overflow 64 bits unsigned
  for (char c : digits) {
    if (!IsDigit(c)) return false;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
  if (negative) {
    if (v > kMax + 1) return false;
    *value = static_cast<int64_t>(0 - v);
  } else {
    if (v > kMax) return false;
    *value = static_cast<int64_t>(v);
  }
  return true;
}

bool ParseUint64(std::string_view text, uint64_t* value) {
  // from_chars accepts no sign for unsigned types, as wanted.
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end;
}

bool ParseTimestampValue(std::string_view text, Precision precision, int64_t* ns) {
  int64_t v;
  if (!ParseInt64(text, &v)) return false;
  int64_t scaled;
  if (__builtin_mul_overflow(v, PrecisionMultiplier(precision), &scaled)) return false;
  if (scaled < kMinTimestampNs || scaled > kMaxTimestampNs) return false;
  *ns = scaled;
  return true;
}

}  // namespace inflow
