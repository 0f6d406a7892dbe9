// JSON text of line protocol values, for the last-value cache in Redis
// (last_value_layout.h), where every field's value is stored as JSON so that
// a reader knows its type without guessing.
//
// Pure: no I/O. The output is always valid JSON in UTF-8.

#ifndef INFLOW_FIELD_JSON_H_
#define INFLOW_FIELD_JSON_H_

#include <string>
#include <string_view>

#include "inflow/point.h"

namespace inflow {

// Appends `raw` as a JSON string, with its quotes: `"` and `\` are escaped
// with a backslash, every byte below 0x20 as \u00XX, and valid UTF-8 is
// passed through as it is. A byte that does not begin a valid UTF-8
// sequence (overlong forms, surrogates and code points above U+10FFFF
// included) becomes \ufffd: line protocol does not require UTF-8, JSON does.
void AppendJsonString(std::string_view raw, std::string* out);

// Appends a finite double as InfluxDB's JSON answers write it (Go's
// encoding/json): the shortest digits that read back as the same double,
// in plain notation for 1e-6 <= |x| < 1e21 and 0 (`23.1`, `23`, `-0`,
// `0.000001`, `100000000000000000000`), else with an exponent (`1e-7`,
// `1e+21`, `1e+300`).
void AppendJsonFloat(double value, std::string* out);

// Appends the value of `field` as JSON: a float as AppendJsonFloat writes
// it (so a float with no fraction reads `23`), an integer or an
// unsigned in decimal (`42`, `18446744073709551615`), a string as
// AppendJsonString writes it (its line protocol escapes removed first),
// `true` or `false`. REQUIRES: `field` was parsed by LineParser (so a float
// is finite).
void AppendFieldJson(const FieldView& field, std::string* out);

}  // namespace inflow

#endif  // INFLOW_FIELD_JSON_H_
