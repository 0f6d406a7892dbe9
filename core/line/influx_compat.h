// Where InfluxDB 1.x reads a line otherwise than its own parser does. The
// parser rejects such lines, because once forwarded in a batch they would
// be lost or would take other lines with them. Internal to core.

#ifndef INFLOW_CORE_INFLUX_COMPAT_H_
#define INFLOW_CORE_INFLUX_COMPAT_H_

#include <cstddef>
#include <string_view>

namespace inflow {

inline constexpr size_t kNotFound = std::string_view::npos;

// InfluxDB 1.x answers 204 to a measurement that, once read, holds a
// backslash before `,`, ` `, `=` or `"` (written `m\\\\,x`), but stores it
// where no query finds it again: the point is lost. Returns the offset of
// the first backslash of such a run in the measurement as written, or
// kNotFound.
size_t FindUnreadableMeasurementEscape(std::string_view measurement);

// InfluxDB splits a request into lines before it parses them (scanLine), by
// rules of its own: it counts `=` and `,` from the first space on, treats a
// backslash and the next byte as a pair (a newline too), and takes a quote
// as a string's start or end whenever more `=` than `,` came before it; a
// newline outside such a string ends the line.
//
// Returns the offset of the newline that ends the first line of `text` so
// read, or kNotFound if the line runs to the end of `text`; *open_quote is
// then the offset of the quote of a string left open, or kNotFound.
size_t ScanLine(std::string_view text, size_t* open_quote);

// A line that InfluxDB's splitter reads otherwise than the parser, with a
// string closing early, late or not at all, would be split, or run into the
// next line, when sent in a batch. It can happen only on a line holding a
// quote. Returns the offset where the two readings part (a newline the
// splitter would end the line at, or the quote of a string it would leave
// open), or kNotFound when they agree. `line` is a parsed line without its
// line ending.
size_t FindSplitDisagreement(std::string_view line);

}  // namespace inflow

#endif  // INFLOW_CORE_INFLUX_COMPAT_H_
