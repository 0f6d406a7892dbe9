// LineParser: InfluxDB line protocol, one line at a time, without copying.
//
// What it accepts is what InfluxDB 1.x's own parser (package models) accepts,
// and a point means what InfluxDB would store. Where InfluxDB accepts a line
// but stores something other than what was sent, the parser rejects it; every
// such difference is listed in README.md ("Line protocol: deliberate
// differences") and pinned by a test.
//
// Thread: a LineParser is used by one thread at a time. It is cheap to keep
// one per listener and reuse it for every line.

#ifndef INFLOW_LINE_PARSER_H_
#define INFLOW_LINE_PARSER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/point.h"

namespace inflow {

struct ParserOptions {
  // The unit of timestamps in the input.
  Precision precision = Precision::kNanoseconds;

  // A line longer than this (bytes, without its line ending) is rejected.
  // InfluxDB has no limit of its own beyond its request body size.
  size_t max_line_bytes = 1 << 20;

  // Unsigned fields (`7u`) are accepted. InfluxDB 1.x servers built without
  // unsigned support reject them.
  bool allow_unsigned = true;
};

// InfluxDB's limits, which the parser enforces.
inline constexpr size_t kMaxKeyBytes = 65535;     // measurement and tags, as written
inline constexpr size_t kMaxStringBytes = 65536;  // a string field, unescaped

enum class ParseStatus : uint8_t {
  kPoint,     // point() describes a valid line
  kSkip,      // a blank line or a comment
  kError,     // error() says why; the bad line was consumed
  kNeedMore,  // the input ends inside a line; call again with more input
};

struct ParseError {
  size_t offset = 0;   // of the offending byte, from the start of the line
  std::string reason;  // e.g. "invalid boolean", "integer out of range"
};

class LineParser {
 public:
  explicit LineParser(const ParserOptions& options = {});

  LineParser(const LineParser&) = delete;
  LineParser& operator=(const LineParser&) = delete;

  // Parses the line at the start of `input`.
  //
  // A line ends at a newline that is not inside a quoted string field (so a
  // string may span lines); a carriage return before that newline is part
  // of the line ending. When `input` ends without such a newline, the end of
  // input ends the line if `final` is true; otherwise the result is kNeedMore
  // and nothing is consumed, unless the partial line already exceeds
  // max_line_bytes: that is an error which consumes the input, and the
  // calls that follow skip (kSkip) the rest of the line up to its next
  // newline.
  //
  // Sets *consumed to the bytes of the line including its line ending (zero
  // for kNeedMore), and *newlines to the number of newline bytes among them,
  // so that callers can count physical lines.
  //
  // On kPoint, point() is valid until the next call. On kError, error()
  // describes the first problem, and the whole bad line was consumed: as
  // InfluxDB's line splitter delimits it (so no piece of it is read as a
  // line of its own), except that a string left open at the end of the
  // input ends at the first newline after its quote, so that one stray
  // quote cannot swallow the lines after it.
  ParseStatus Parse(std::string_view input, bool final, size_t* consumed, size_t* newlines);

  const PointView& point() const { return point_; }
  const ParseError& error() const { return error_; }
  const ParserOptions& options() const { return options_; }

 private:
  struct Cursor;

  ParseStatus ParseLine(std::string_view input, bool final, size_t* line_end, size_t* newlines);
  ParseStatus NeedMoreOrTooLong(std::string_view input, size_t* consumed);
  bool ParseKey(Cursor* c, size_t start, size_t* content_end);
  bool CheckTags();
  bool ParseFields(Cursor* c, size_t* content_end);
  bool ParseFieldValue(Cursor* c, size_t* pos, FieldView* field);
  bool CheckFields(size_t fields_start, bool escaped);
  bool ParseTimestamp(Cursor* c, size_t* content_end);
  bool Fail(size_t offset, std::string_view reason);  // always returns false
  size_t Offset(std::string_view part) const;          // from the start of the line

  ParserOptions options_;
  PointView point_;
  std::vector<TagView> tags_;
  std::vector<FieldView> fields_;
  std::vector<TagView> sorted_tags_;
  ParseError error_;
  const char* line_start_ = nullptr;
  bool discarding_ = false;  // inside a line already rejected as too long
};

}  // namespace inflow

#endif  // INFLOW_LINE_PARSER_H_
