// Numbers in line protocol: validation as InfluxDB's scanner does it, and
// exact conversion. Internal to core.

#ifndef INFLOW_CORE_NUMBER_H_
#define INFLOW_CORE_NUMBER_H_

#include <cstdint>
#include <string_view>

#include "inflow/point.h"

namespace inflow {

enum class NumberCheck : uint8_t {
  kOk,
  kInvalid,
  kIntegerOutOfRange,
  kUnsignedOutOfRange,
  kFloatOutOfRange,
};

// Checks a field value that starts with a digit, `-` or `.`, as InfluxDB's
// scanNumber does, and sets *type on success: `-?[0-9]+i` is an integer in
// int64 range, `[0-9]+u` an unsigned in uint64 range, and anything else must
// be a finite float (`1.`, `.5`, `-2.5e-3`; an underflow reads as zero).
// REQUIRES: !token.empty().
NumberCheck CheckNumber(std::string_view token, FieldType* type);

// Parses a float as written in a valid line. A value too small for a double
// reads as zero or a denormal, as in InfluxDB. Returns false if `text` is not
// a complete finite float.
bool ParseFloat(std::string_view text, double* value);

// Parses an optional `-` and decimal digits, in range. Returns false if
// `text` is not one complete number in range.
bool ParseInt64(std::string_view text, int64_t* value);
bool ParseUint64(std::string_view text, uint64_t* value);

// Parses a timestamp in units of `precision` and converts it to nanoseconds
// since the epoch. Returns false if it is not a number or lies outside
// [kMinTimestampNs, kMaxTimestampNs] once converted.
bool ParseTimestampValue(std::string_view text, Precision precision, int64_t* ns);

}  // namespace inflow

#endif  // INFLOW_CORE_NUMBER_H_
