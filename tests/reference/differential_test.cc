// Differential test: LineParser against InfluxDB 1.x's own line protocol
// parser (package models, run by the Go tool lpref/main.go).
//
// A seeded generator writes lines that hit the edges of the grammar: escapes
// in every position, numbers at and past their limits, every boolean
// spelling, strings with escapes and newlines, timestamps at the range limits
// of each precision, missing and extra parts, and random byte mutations of
// valid lines. Each case goes through both parsers, and the test compares
//   (a) the verdict: accepted as exactly one point, or not;
//   (b) for a case both accept, the decoded point: measurement, tags sorted
//       by key, fields in order with type and value (floats bit for bit),
//       and the timestamp.
// LineParser departs from the reference on purpose in a few documented ways
// (README.md, "Deliberate differences from InfluxDB's parser"). Three of them
// (CR LF, comments, leading blanks) change what the reference is asked, and
// the rest may differ in one direction only, we reject and the reference
// accepts, as Classify() decides. Any other difference is a bug in one of the parsers:
// the test fails and shows the cases.
// Besides, since InfluxDB splits a request into lines by rules of its own
// (scanLine), which the test emulates: every line we accept must be one line
// to that splitter, and every line we reject as one it would split
// elsewhere is given to the reference again, followed by another line, to
// see the loss or the split that the rejection spares (CheckBatches).
//
// Environment:
//   INFLOW_LPREF       the lpref binary (set by CMake; required)
//   INFLOW_DIFF_SEED   base seed (decimal or 0x hex); default kDefaultSeed
//   INFLOW_DIFF_CASES  total number of generated cases over all precisions
//   INFLOW_DIFF_SHOW   failures shown per precision; by default 20, at most
//                      5 of a kind

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inflow/line_parser.h"
#include "inflow/point.h"

extern char** environ;

namespace inflow {
namespace {

// A fixed default seed, so that CI runs are reproducible; INFLOW_DIFF_SEED
// explores others.
constexpr uint64_t kDefaultSeed = 0x1f10'0d1f'f5ee'd001;
constexpr size_t kDefaultCases = 200'000;
constexpr size_t kMaxShownFailures = 20;
// No single kind of failure may crowd the others out of the report.
constexpr size_t kMaxShownPerKind = 5;
constexpr size_t kMaxShownSplits = 5;

// ---------------------------------------------------------------------------
// Configuration from the environment.

std::optional<uint64_t> EnvNumber(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::nullopt;
  std::string_view s(text);
  int base = 10;
  if (s.starts_with("0x") || s.starts_with("0X")) {
    s.remove_prefix(2);
    base = 16;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value, base);
  if (ec != std::errc() || end != s.data() + s.size()) {
    ADD_FAILURE() << name << "=" << text << " is not a number";
    return std::nullopt;
  }
  return value;
}

// ---------------------------------------------------------------------------
// Printing.

// `bytes` as a C++ string literal. Octal escapes, unlike \x, stop after three
// digits, so the literal reads back exactly whatever follows.
std::string CppLiteral(std::string_view bytes, size_t max_bytes = 400) {
  std::string out = "\"";
  size_t n = std::min(bytes.size(), max_bytes);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    switch (c) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      default:
        if (c >= 0x20 && c < 0x7f) {
          out += static_cast<char>(c);
        } else {
          char octal[8];
          std::snprintf(octal, sizeof octal, "\\%03o", c);
          out += octal;
        }
    }
  }
  out += "\"";
  if (n < bytes.size()) out += " ... (" + std::to_string(bytes.size()) + " bytes)";
  return out;
}

// A float's canonical text for comparison: %a is exact, so two texts are
// equal exactly when the bits are (NaNs aside, which neither side may
// produce); %.17g is for the reader.
std::string FloatText(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%a (%.17g)", value, value);
  return text;
}

// ---------------------------------------------------------------------------
// A decoded point, the common ground of the two parsers.

struct DecodedField {
  std::string key;    // unescaped
  std::string type;   // FieldTypeName(), or the reference's "empty" / "bad"
  std::string value;  // canonical text; strings as their raw bytes

  bool operator==(const DecodedField&) const = default;
};

struct DecodedPoint {
  std::string measurement;                                // unescaped
  std::vector<std::pair<std::string, std::string>> tags;  // unescaped, sorted by key
  std::vector<DecodedField> fields;                       // in the order written
  std::optional<int64_t> timestamp_ns;

  bool operator==(const DecodedPoint&) const = default;
};

std::string Describe(const DecodedPoint& p) {
  std::string out = "measurement " + CppLiteral(p.measurement) + "\n";
  for (const auto& [key, value] : p.tags) {
    out += "    tag " + CppLiteral(key) + " = " + CppLiteral(value) + "\n";
  }
  for (const DecodedField& f : p.fields) {
    std::string value = f.type == "string" ? CppLiteral(f.value) : f.value;
    out += "    field " + CppLiteral(f.key) + " " + f.type + " " + value + "\n";
  }
  out += "    timestamp " + (p.timestamp_ns ? std::to_string(*p.timestamp_ns) : "none");
  return out;
}

// Names the first part in which two points differ.
std::string FirstDifference(const DecodedPoint& a, const DecodedPoint& b) {
  if (a.measurement != b.measurement) return "measurement";
  if (a.tags != b.tags) return "tags";
  if (a.fields.size() != b.fields.size()) return "field count";
  for (size_t i = 0; i < a.fields.size(); ++i) {
    if (a.fields[i].key != b.fields[i].key) return "field key";
    if (a.fields[i].type != b.fields[i].type) return "field type";
    if (a.fields[i].value != b.fields[i].value) return "field value (" + a.fields[i].type + ")";
  }
  return "timestamp";
}

void SortTags(DecodedPoint* p) {
  // stable_sort: a duplicate key (which no side should accept) keeps its
  // order, so that the comparison still sees it.
  std::stable_sort(p->tags.begin(), p->tags.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
}

// ---------------------------------------------------------------------------
// Our side: LineParser, called until the case is consumed.

struct OurResult {
  int points = 0;
  int errors = 0;
  int skips = 0;
  std::optional<DecodedPoint> point;  // the first point
  ParseError first_error;
  std::string first_error_line;     // its line, without the line ending
  size_t first_error_line_at = 0;   // where that line starts in reference_input
  size_t first_error_input_at = 0;  // ... and in the case
  size_t first_error_at = 0;        // the error's offset in reference_input
  // Where each line we accepted starts and ends (without its line ending)
  // in reference_input.
  std::vector<std::pair<size_t, size_t>> point_lines;

  // The case as the reference must see it to mean what it means to us (see
  // RunOurs): differs from the case for kCrLf, kCommentNewline and
  // kLeadingBlankSplit.
  std::string reference_input;
  bool crlf = false;
  bool comment_cut = false;
  bool leading_blanks_cut = false;

  // A broken promise of line_parser.h; empty when none.
  std::string contract_violation;

  bool accepted() const { return points == 1 && errors == 0; }
};

DecodedPoint DecodeOurs(const PointView& view) {
  DecodedPoint p;
  p.measurement = UnescapeMeasurement(view.measurement);
  for (const TagView& tag : view.tags) p.tags.emplace_back(UnescapeTag(tag.key), UnescapeTag(tag.value));
  SortTags(&p);
  for (const FieldView& field : view.fields) {
    DecodedField f{UnescapeFieldKey(field.key), std::string(FieldTypeName(field.type)), {}};
    switch (field.type) {
      case FieldType::kFloat: f.value = FloatText(field.AsFloat()); break;
      case FieldType::kInteger: f.value = std::to_string(field.AsInteger()); break;
      case FieldType::kUnsigned: f.value = std::to_string(field.AsUnsigned()); break;
      case FieldType::kString: f.value = field.AsString(); break;
      case FieldType::kBoolean: f.value = field.AsBoolean() ? "true" : "false"; break;
    }
    p.fields.push_back(std::move(f));
  }
  p.timestamp_ns = view.timestamp_ns;
  return p;
}

// The bytes both parsers skip before a line and between its parts.
bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\0'; }

// Whether InfluxDB's line splitter (scanLine) may run a comment line on past
// its newline: a quote in it may open a "string", a backslash escape the
// newline.
bool CommentMayContinue(std::string_view line) {
  size_t start = 0;
  while (start < line.size() && IsBlank(line[start])) ++start;
  if (start == line.size() || line[start] != '#') return false;
  return line.find('"') != std::string_view::npos || line.ends_with('\\');
}

// Runs LineParser over the whole case, as a server does over a request body
// (final=true), and builds the reference's input on the way: our lines with
// three of the deliberate differences taken out, so that the reference is
// asked what it makes of the same lines, and the comparison stays strict.
//   kCrLf: a CR before the LF that ends a line of ours is dropped; not the
//     CR of a bad line that an odd run of backslashes escapes, which
//     InfluxDB's splitter pairs with the last of them, as our parser does:
//     it is part of the line, not of its ending.
//   kCommentNewline: a comment line of ours that InfluxDB's splitter might
//     continue is left out (its newline stays), since it would skip the
//     lines it swallowed.
//   kLeadingBlankSplit: the blanks before a line of ours that holds a quote
//     are dropped. The reference skips them too (skipWhitespace), but only
//     after its line splitter (scanLine) has let a leading space start its
//     count of `=` and `,`, which then may miss a string's opening quote and
//     split the string at its newline. Without a quote the count decides
//     nothing, and the line is left as it is. A bad line loses its blanks
//     too: it ends where InfluxDB's splitter ends it read without them (and
//     never before its error), so the reference must see the same bytes to
//     find the same end.
OurResult RunOurs(LineParser& parser, std::string_view input) {
  OurResult r;
  size_t pos = 0;
  while (pos < input.size()) {
    std::string_view rest = input.substr(pos);
    size_t consumed = 0;
    size_t newlines = 0;
    ParseStatus status = parser.Parse(rest, /*final=*/true, &consumed, &newlines);
    if (status == ParseStatus::kNeedMore || consumed == 0 || consumed > rest.size()) {
      r.contract_violation = "with final=true, Parse returned status " +
                             std::to_string(static_cast<int>(status)) + " and consumed " +
                             std::to_string(consumed) + " of " + std::to_string(rest.size()) +
                             " bytes";
      return r;
    }
    std::string_view chunk = rest.substr(0, consumed);
    pos += consumed;
    if (newlines != static_cast<size_t>(std::count(chunk.begin(), chunk.end(), '\n'))) {
      r.contract_violation = "*newlines is " + std::to_string(newlines) + " for the chunk " +
                             CppLiteral(chunk);
    }

    // An error points into the bad line that Parse consumed (line_parser.h):
    // at one of its bytes, or, for a line that the end of the input ends,
    // just past its last byte, where a missing part would be.
    if (status == ParseStatus::kError) {
      const size_t offset = parser.error().offset;
      const bool at_end_of_input = pos == input.size() && !chunk.ends_with('\n');
      if (offset > consumed || (offset == consumed && !at_end_of_input)) {
        r.contract_violation = "error offset " + std::to_string(offset) + " (" +
                               parser.error().reason + ") outside the bad line Parse consumed, " +
                               CppLiteral(chunk) + " (" + std::to_string(consumed) + " bytes)";
      }
    }

    // The line and its ending: "\n", "\r\n", or nothing at the end of input.
    std::string_view line = chunk;
    bool newline = line.ends_with('\n');
    bool crlf = chunk.ends_with("\r\n");
    if (crlf && status == ParseStatus::kError) {
      size_t run = 0;
      while (run + 3 <= chunk.size() && chunk[chunk.size() - 3 - run] == '\\') ++run;
      if (run % 2 == 1) crlf = false;
    }
    if (newline) line.remove_suffix(crlf ? 2 : 1);
    if (crlf) r.crlf = true;

    size_t lead = 0;
    if (line.find('"') != std::string_view::npos) {
      while (lead < line.size() && IsBlank(line[lead])) ++lead;
    }
    size_t line_begin = r.reference_input.size();
    bool cut = status == ParseStatus::kSkip && pos < input.size() && CommentMayContinue(line);
    if (cut) {
      r.comment_cut = true;
    } else {
      if (lead > 0) r.leading_blanks_cut = true;
      r.reference_input += line.substr(lead);
    }
    if (newline) r.reference_input += '\n';

    switch (status) {
      case ParseStatus::kPoint:
        if (r.points++ == 0) r.point = DecodeOurs(parser.point());
        r.point_lines.emplace_back(line_begin, r.reference_input.size() - (newline ? 1 : 0));
        break;
      case ParseStatus::kError:
        if (r.errors++ == 0) {
          r.first_error = parser.error();
          r.first_error_line = line;
          r.first_error_line_at = line_begin;
          r.first_error_input_at = pos - consumed;
          // Errors point at or past the first byte after the blanks (an
          // error in the blanks maps to the first byte after them), and may
          // point at the newline that ends the line, or past it: a CR
          // dropped before that newline moves them.
          const size_t offset = r.first_error.offset;
          r.first_error_at = line_begin + offset - std::min(lead, offset) -
                             (crlf && offset > line.size() ? 1 : 0);
        }
        break;
      case ParseStatus::kSkip:
        ++r.skips;
        break;
      case ParseStatus::kNeedMore:
        break;  // handled above
    }
  }
  return r;
}

std::string Describe(const OurResult& r) {
  std::string counts = "(points " + std::to_string(r.points) + ", errors " +
                       std::to_string(r.errors) + ", skips " + std::to_string(r.skips) + ")";
  if (r.accepted()) return "accepted " + counts + ": " + Describe(*r.point);
  std::string out = "rejected " + counts;
  if (r.errors > 0) {
    out += ": at offset " + std::to_string(r.first_error.offset) + ": " + r.first_error.reason;
  }
  return out;
}

// ---------------------------------------------------------------------------
// The reference side: lpref, run once over all cases of a batch.

struct ReferenceResult {
  int points = 0;
  int errors = 0;
  std::string error;                  // when rejected
  std::optional<DecodedPoint> point;  // when accepted
  std::string parse_name;             // models.ParseName(p.Key()), when accepted
  std::string raw_fields;             // the field section as written, when accepted

  bool accepted() const { return point.has_value(); }
};

std::string Describe(const ReferenceResult& r) {
  std::string counts =
      "(points " + std::to_string(r.points) + ", errors " + std::to_string(r.errors) + ")";
  if (!r.accepted()) return "rejected " + counts + ": " + CppLiteral(r.error);
  std::string out = "accepted " + counts + ": " + Describe(*r.point);
  if (r.parse_name != r.point->measurement) {
    out += "\n    (models.ParseName of the key: " + CppLiteral(r.parse_name) + ")";
  }
  return out;
}

std::string Unhex(std::string_view token) {
  // "x" followed by hex digits; see lpref/main.go.
  std::string out;
  if (token.empty() || token[0] != 'x' || token.size() % 2 != 1) return "<bad token>";
  for (size_t i = 1; i + 1 < token.size(); i += 2) {
    unsigned value = 0;
    std::from_chars(token.data() + i, token.data() + i + 2, value, 16);
    out += static_cast<char>(value);
  }
  return out;
}

// Parses one record of lpref's output; nullopt when it is malformed.
std::optional<ReferenceResult> ParseRecord(const std::string& record) {
  std::istringstream in(record);
  ReferenceResult r;
  std::string verdict, token;
  if (!(in >> r.points >> r.errors >> verdict)) return std::nullopt;
  if (verdict == "R") {
    if (!(in >> token)) return std::nullopt;
    r.error = Unhex(token);
    return r;
  }
  if (verdict != "A") return std::nullopt;

  DecodedPoint p;
  std::string name, parse_name;
  size_t tag_count = 0, field_count = 0;
  if (!(in >> name >> parse_name >> tag_count)) return std::nullopt;
  p.measurement = Unhex(name);
  r.parse_name = Unhex(parse_name);
  for (size_t i = 0; i < tag_count; ++i) {
    std::string key, value;
    if (!(in >> key >> value)) return std::nullopt;
    p.tags.emplace_back(Unhex(key), Unhex(value));
  }
  SortTags(&p);
  if (!(in >> field_count)) return std::nullopt;
  for (size_t i = 0; i < field_count; ++i) {
    std::string key, type, value;
    if (!(in >> key >> type >> value)) return std::nullopt;
    DecodedField f{Unhex(key), type, value};
    if (type == "float") {
      f.value = FloatText(std::bit_cast<double>(std::stoull(value, nullptr, 16)));
    } else if (type == "boolean") {
      f.value = value == "1" ? "true" : "false";
    } else if (type == "string" || type == "bad") {
      f.value = Unhex(value);
    }
    p.fields.push_back(std::move(f));
  }
  std::string timestamp, raw_fields;
  if (!(in >> timestamp >> raw_fields)) return std::nullopt;
  if (timestamp != "-") p.timestamp_ns = std::stoll(timestamp);
  r.raw_fields = Unhex(raw_fields);
  r.point = std::move(p);
  return r;
}

// The unit lpref's -precision flag takes: InfluxDB 1.x's spelling.
const char* ReferencePrecision(Precision precision) {
  switch (precision) {
    case Precision::kNanoseconds: return "n";
    case Precision::kMicroseconds: return "u";
    case Precision::kMilliseconds: return "ms";
    case Precision::kSeconds: return "s";
  }
  return "n";
}

// Runs lpref (with -list if `list`) over `inputs` and returns its output,
// one record per input; on failure, adds a test failure and returns nullopt.
std::optional<std::vector<std::string>> RunLpref(const std::string& lpref, Precision precision,
                                                 const std::vector<std::string>& inputs,
                                                 bool list) {
  std::string base = testing::TempDir() + "inflow_diff_" + std::to_string(getpid()) + "_" +
                     std::string(PrecisionName(precision)) + (list ? "_list" : "");
  std::string in_path = base + ".in", out_path = base + ".out";
  {
    std::ofstream in(in_path, std::ios::binary);
    for (const std::string& input : inputs) in << input.size() << '\n' << input;
    if (!in.flush()) {
      ADD_FAILURE() << "cannot write " << in_path;
      return {};
    }
  }

  // posix_spawn rather than system(): no shell, so no quoting of paths.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, in_path.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::string flag = std::string("-precision=") + ReferencePrecision(precision);
  std::string list_flag = "-list";
  std::array<char*, 4> argv = {const_cast<char*>(lpref.c_str()), flag.data(),
                               list ? list_flag.data() : nullptr, nullptr};
  pid_t pid = 0;
  int spawn_error = posix_spawn(&pid, lpref.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    ADD_FAILURE() << "cannot run " << lpref << ": " << std::strerror(spawn_error);
    return std::nullopt;
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::remove(in_path.c_str());
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    ADD_FAILURE() << lpref << " failed (wait status " << status << ")";
    std::remove(out_path.c_str());
    return std::nullopt;
  }

  std::vector<std::string> records;
  std::ifstream out(out_path, std::ios::binary);
  std::string record;
  while (std::getline(out, record)) records.push_back(std::move(record));
  out.close();
  std::remove(out_path.c_str());
  if (records.size() != inputs.size()) {
    ADD_FAILURE() << "lpref answered " << records.size() << " of " << inputs.size() << " cases";
    return std::nullopt;
  }
  return records;
}

// Runs lpref over `inputs`; on failure, adds a test failure and returns an
// empty vector.
std::vector<ReferenceResult> RunReference(const std::string& lpref, Precision precision,
                                          const std::vector<std::string>& inputs) {
  std::optional<std::vector<std::string>> records = RunLpref(lpref, precision, inputs, false);
  if (!records) return {};
  std::vector<ReferenceResult> results;
  for (const std::string& record : *records) {
    std::optional<ReferenceResult> r = ParseRecord(record);
    if (!r) {
      ADD_FAILURE() << "malformed lpref record " << results.size() << ": " << record;
      return {};
    }
    results.push_back(std::move(*r));
  }
  return results;
}

// What the reference makes of a batch: every point, as models.Point.String
// prints it, and the error text (lpref -list).
struct ReferenceList {
  int points = 0;
  int errors = 0;
  std::string error;
  std::vector<std::string> point_texts;
};

std::vector<ReferenceList> RunReferenceList(const std::string& lpref, Precision precision,
                                            const std::vector<std::string>& inputs) {
  std::optional<std::vector<std::string>> records = RunLpref(lpref, precision, inputs, true);
  if (!records) return {};
  std::vector<ReferenceList> results;
  for (const std::string& record : *records) {
    std::istringstream in(record);
    ReferenceList r;
    std::string token;
    if (!(in >> r.points >> r.errors >> token)) {
      ADD_FAILURE() << "malformed lpref -list record " << results.size() << ": " << record;
      return {};
    }
    r.error = Unhex(token);
    while (in >> token) r.point_texts.push_back(Unhex(token));
    if (r.point_texts.size() != static_cast<size_t>(r.points)) {
      ADD_FAILURE() << "malformed lpref -list record " << results.size() << ": " << record;
      return {};
    }
    results.push_back(std::move(r));
  }
  return results;
}

// ---------------------------------------------------------------------------
// The deliberate differences (README.md, "Deliberate differences from
// InfluxDB's parser").
//
// Three of them change what the reference is asked (RunOurs): kCrLf,
// kCommentNewline and kLeadingBlankSplit; those cases are then compared as
// strictly as any other. The others let a case differ in one direction only,
// we reject and the reference accepts, and only where our first error names
// and points at the part of the line the difference is about, so that a
// class cannot hide an unrelated bug in the same line.

enum class Deliberate : uint8_t {
  kCrLf,                       // a CR before the LF ends the line with it
  kCommentNewline,             // a comment ends at its first newline
  kLeadingBlankSplit,          // blanks before a line do not change its end
  kNameNewline,                // a name never holds a newline (`m\\<LF>x a=1`)
  kTextAfterString,            // `a="x"y`
  kFieldKeyTrailingBackslash,  // `a\\=1`
  kEmptyFieldKey,              // `cpu \t=1`
  kLongString,                 // a string field over kMaxStringBytes, unescaped
  kLongLine,                   // a line over ParserOptions::max_line_bytes
  kTimeKey,                    // a tag key `time`, or only fields `time`
  kUnbalancedFieldSet,         // `cpu a,b="x=1`: a stray `=` balances a field without one
  kFieldTypeConflict,          // `a=1,a="x"`: a field repeated with another type
  kUnreadableMeasurement,      // `m\\,x`: stored where no query finds it
  kSplitterReadsOtherwise,     // InfluxDB's line splitter ends the line elsewhere
};
constexpr size_t kDeliberateCount = 14;

// The classes that rewrite the reference's input rather than excuse a
// difference.
bool Rewrites(Deliberate d) {
  return d == Deliberate::kCrLf || d == Deliberate::kCommentNewline ||
         d == Deliberate::kLeadingBlankSplit;
}

// Whether we reject a tag key `time`, and a line whose every field key is
// `time`, as InfluxDB's server (not its parser) does: it drops such a point
// (README.md). A `time` field beside others is accepted by both: the server
// drops just that field, and our point keeps it as written. With the class
// off, such keys must be accepted as the reference accepts them.
constexpr bool kTimeKeysRejected = true;

std::string_view DeliberateName(Deliberate d) {
  switch (d) {
    case Deliberate::kCrLf: return "CR LF line ending";
    case Deliberate::kCommentNewline: return "comment ends at its newline";
    case Deliberate::kLeadingBlankSplit: return "leading blank line split";
    case Deliberate::kNameNewline: return "a name holding a newline";
    case Deliberate::kTextAfterString: return "text after a string's closing quote";
    case Deliberate::kFieldKeyTrailingBackslash: return "field key ending in a backslash";
    case Deliberate::kEmptyFieldKey: return "empty field key after a tab or NUL";
    case Deliberate::kLongString: return "string field over 65536 bytes";
    case Deliberate::kLongLine: return "line over max_line_bytes";
    case Deliberate::kTimeKey: return "tag key `time`, or only fields `time`";
    case Deliberate::kUnbalancedFieldSet: return "unbalanced field set";
    case Deliberate::kFieldTypeConflict: return "field type conflict in a line";
    case Deliberate::kUnreadableMeasurement: return "measurement InfluxDB cannot read back";
    case Deliberate::kSplitterReadsOtherwise: return "line InfluxDB's splitter reads otherwise";
  }
  return "?";
}

// A field as written, by offsets into the field section.
struct RawField {
  size_t key_begin = 0;
  size_t key_end = 0;  // the `=`
  size_t value_end = 0;
  std::string_view key;
  std::string_view value;
};

// The field section split the way models.scanFields reads it (points.go): a
// backslash escapes the byte after it wherever it is, a quote opens or closes
// a string only in a value, and an unquoted comma ends a value. The
// reference's field iterator splits differently (scanTo, scanFieldValue),
// which is how it comes to store something else for the cases below.
std::vector<RawField> SplitLikeScanFields(std::string_view fields) {
  std::vector<RawField> out;
  const size_t n = fields.size();
  size_t i = 0;
  while (i < n) {
    RawField f;
    f.key_begin = i;
    while (i < n && fields[i] != '=') i += fields[i] == '\\' && i + 1 < n ? 2 : 1;
    f.key_end = i;
    f.key = fields.substr(f.key_begin, i - f.key_begin);
    bool quoted = false;
    if (i < n) ++i;  // past the `=`
    while (i < n) {
      if (fields[i] == '\\' && i + 1 < n) {
        i += 2;
        continue;
      }
      if (fields[i] == '"') {
        quoted = !quoted;
      } else if (fields[i] == ',' && !quoted) {
        break;
      }
      ++i;
    }
    f.value_end = i;
    f.value = fields.substr(std::min(f.key_end + 1, n), i - std::min(f.key_end + 1, n));
    out.push_back(f);
    ++i;  // past the comma
  }
  return out;
}

// The offset in a string value as written of its closing quote, when text
// follows it; npos otherwise.
size_t QuoteBeforeTrailingText(std::string_view value) {
  if (!value.starts_with('"')) return std::string_view::npos;
  size_t i = 1;
  while (i < value.size() && value[i] != '"') i += value[i] == '\\' ? 2 : 1;
  return i + 1 < value.size() ? i : std::string_view::npos;
}

// The size of a string value as written (with its quotes) once unescaped,
// as models.unescapeStringField unescapes it.
size_t UnescapedStringSize(std::string_view value) {
  size_t size = 0;
  for (size_t i = 1; i + 1 < value.size(); ++i, ++size) {
    if (value[i] == '\\' && i + 2 < value.size() && (value[i + 1] == '\\' || value[i + 1] == '"')) ++i;
  }
  return size;
}

// A field key as the reference's field iterator hands it out:
// escape.Unescape drops a backslash before `,`, `"`, ` ` and `=`.
std::string UnescapeLikeReference(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    if (key[i] == '\\' && i + 1 < key.size() &&
        (key[i + 1] == ',' || key[i + 1] == '"' || key[i + 1] == ' ' || key[i + 1] == '=')) {
      ++i;
    }
    out += key[i];
  }
  return out;
}

// A field key as written, by its offset into the field section.
struct IteratorKey {
  size_t begin = 0;
  std::string_view key;
};

// The field keys of a field section as the reference's field iterator
// splits it (point.Next, points.go): the key runs to the first `=` without a
// backslash before it (scanTo), the value to the first comma outside quotes,
// where a quote toggles wherever it is and only `\"` and `\\` are escapes
// (scanFieldValue). scanFields checked the section by another reading: it
// only counts `=` against commas.
std::vector<IteratorKey> KeysLikeFieldIterator(std::string_view fields) {
  std::vector<IteratorKey> keys;
  const size_t n = fields.size();
  size_t i = 0;
  while (i < n) {
    size_t begin = i;
    while (i < n && !(fields[i] == '=' && (i == 0 || fields[i - 1] != '\\'))) ++i;
    keys.push_back({begin, fields.substr(begin, i - begin)});
    ++i;  // past the `=`
    bool quoted = false;
    while (i < n) {
      if (fields[i] == '\\' && i + 1 < n && (fields[i + 1] == '"' || fields[i + 1] == '\\')) {
        i += 2;
        continue;
      }
      if (fields[i] == '"') {
        quoted = !quoted;
      } else if (fields[i] == ',' && !quoted) {
        break;
      }
      ++i;
    }
    ++i;  // past the comma
  }
  return keys;
}

// Which bytes of a field section are the commas that scanFields (points.go)
// counts against the `=`: not after a backslash (it takes every backslash
// and the byte after it as a pair), and outside the quotes it tracks, which
// open or close only where more `=` than commas came before. A number or a
// boolean after an `=` is skipped to its end, as scanNumber and scanBoolean
// do for a section that the reference accepted.
std::vector<bool> CommasLikeScanFields(std::string_view fields) {
  std::vector<bool> counted(fields.size());
  const size_t n = fields.size();
  bool quoted = false;
  size_t equals = 0, commas = 0;
  size_t i = 0;
  while (i < n) {
    const char c = fields[i];
    if (c == '\\' && i + 1 < n) {
      i += 2;
      continue;
    }
    if (c == '"' && equals > commas) {
      quoted = !quoted;
      ++i;
      continue;
    }
    if (c == '=' && !quoted) {
      ++equals;
      if (i + 1 < n && fields[i + 1] != '"') {
        ++i;
        while (i < n && fields[i] != ',' && fields[i] != ' ') ++i;
        continue;
      }
    }
    if (c == ',' && !quoted) {
      ++commas;
      counted[i] = true;
    }
    if (c == ' ' && !quoted) break;
    ++i;
  }
  return counted;
}

// The unescaped keys the reference's point holds more than once with
// different types (of the five; "empty" and "bad" hide the type).
std::vector<std::string> ConflictingKeys(const DecodedPoint& p) {
  auto typed = [](const DecodedField& f) { return f.type != "empty" && f.type != "bad"; };
  std::vector<std::string> keys;
  for (size_t j = 1; j < p.fields.size(); ++j) {
    for (size_t k = 0; k < j; ++k) {
      const DecodedField& a = p.fields[k];
      const DecodedField& b = p.fields[j];
      if (a.key == b.key && a.type != b.type && typed(a) && typed(b)) keys.push_back(a.key);
    }
  }
  return keys;
}

// The line that the test appends to a case to see whether a line of the
// case runs on into the next line of a batch (kSplitterReadsOtherwise).
constexpr std::string_view kNextLine = "x a=1";
// The point the reference makes of it, as models.Point.String prints it.
constexpr std::string_view kNextLinePoint = "x a=1";

// The first byte at or after `i` that is not a blank.
size_t SkipBlanks(std::string_view text, size_t i) {
  while (i < text.size() && IsBlank(text[i])) ++i;
  return i;
}

// How InfluxDB's line splitter (scanLine, points.go) reads the line that
// starts at `start` in `buf`, which is the whole request body: a backslash
// and the byte after it are a pair, but only while two more bytes follow
// the backslash (`i+2 < len(buf)`); from the first space on, `=` and `,`
// outside a string are counted, and a quote opens or closes a string
// whenever more `=` than `,` came before it; a newline outside a string
// ends the line. Written from points.go, apart from the parser's own copy of
// these rules (influx_compat.cc).
struct SplitterLine {
  size_t end = 0;  // the newline that ends the line, or buf.size()
  // The quote of the string the splitter was in when it first got to
  // `mark` or past it; npos when it was in none, or ended before `mark`.
  size_t open_quote_at_mark = std::string_view::npos;
};

SplitterLine ScanLineLikeInfluxDB(std::string_view buf, size_t start, size_t mark) {
  SplitterLine out;
  bool quoted = false;
  bool fields = false;
  bool marked = false;
  size_t equals = 0, commas = 0;
  size_t opened = std::string_view::npos;
  size_t i = start;
  auto note_mark = [&] {
    if (!marked && i >= mark) {
      marked = true;
      if (quoted) out.open_quote_at_mark = opened;
    }
  };
  while (i < buf.size()) {
    note_mark();
    const char c = buf[i];
    if (c == '\\' && i + 2 < buf.size()) {
      i += 2;
      continue;
    }
    if (c == ' ') fields = true;
    if (fields) {
      if (!quoted && c == '=') {
        ++equals;
        ++i;
        continue;
      }
      if (!quoted && c == ',') {
        ++commas;
        ++i;
        continue;
      }
      if (c == '"' && equals > commas) {
        quoted = !quoted;
        opened = i;
        ++i;
        continue;
      }
    }
    if (c == '\n' && !quoted) break;
    ++i;
  }
  note_mark();
  out.end = i;
  return out;
}

// Where a line that LineParser read whole ends (the offset of its newline,
// or buf.size()), by the grammar of README.md rather than by LineParser:
// the measurement and tags run to the first unescaped space (in them every
// byte of a run of backslashes, and the byte after the run, is escaped);
// after blanks come the fields, each a key to its `=` (a backslash and the
// byte after it are a pair) and a value, which is a string from its quote
// to the next quote without a backslash pairing it, or else runs to `,`,
// ` ` or a newline; the timestamp and blanks after them hold no newline.
// Meant for lines that are valid but for a check made on the whole line.
size_t InflowLineEnd(std::string_view buf, size_t start) {
  const size_t n = buf.size();
  size_t i = SkipBlanks(buf, start);
  while (i < n && buf[i] != ' ') {
    if (buf[i] == '\n') return i;
    while (i < n && buf[i] == '\\') ++i;
    ++i;
  }
  i = SkipBlanks(buf, i);
  while (i < n) {
    while (i < n && buf[i] != '=') {
      if (buf[i] == '\n') return i;
      i += buf[i] == '\\' ? 2 : 1;
    }
    if (i >= n) return n;
    ++i;  // past the `=`
    if (i < n && buf[i] == '"') {
      ++i;
      while (i < n && buf[i] != '"') i += buf[i] == '\\' ? 2 : 1;
      ++i;  // past the closing quote
    } else {
      while (i < n && buf[i] != ',' && buf[i] != ' ' && buf[i] != '\n') ++i;
    }
    if (i >= n || buf[i] != ',') break;
    ++i;
  }
  if (i >= n) return n;
  size_t newline = buf.find('\n', i);
  return newline == std::string_view::npos ? n : newline;
}

// A line we rejected as one InfluxDB would split elsewhere, sent as we
// would send it (without leading blanks) in a batch, followed by a newline
// and kNextLine, and where InfluxDB's splitter ends it there.
struct SplitterCase {
  bool applies = false;
  bool inside_string = false;  // it ends the line at a newline in our string,
                               // rather than leaving a string open at its end
  std::string batch;           // our line, a newline, kNextLine, a newline
  size_t line_end = 0;         // of our line in `batch`
  size_t splitter_end = 0;     // of the splitter's first line in `batch`
};

// Whether a name of the reference's point (measurement, tag key or value,
// field key) holds a newline.
bool NameHoldsNewline(const ReferenceResult& ref) {
  const DecodedPoint& p = *ref.point;
  auto has = [](std::string_view s) { return s.find('\n') != std::string_view::npos; };
  if (has(p.measurement) || has(ref.parse_name)) return true;
  for (const auto& [key, value] : p.tags) {
    if (has(key) || has(value)) return true;
  }
  for (const DecodedField& f : p.fields) {
    if (has(f.key)) return true;
  }
  return false;
}

// The offset in `all` of the first backslash of the first run of two or
// more backslashes directly before `,`, ` `, `=` or `"` in the measurement
// that starts at `begin`, as the reference delimits it (scanMeasurement:
// up to a `,` or ` ` whose byte before is not a backslash); npos if none.
size_t UnreadableMeasurementEscape(std::string_view all, size_t begin) {
  size_t end = begin;
  for (;;) {
    ++end;
    if (end >= all.size()) break;
    if (all[end - 1] == '\\') continue;
    if (all[end] == ',' || all[end] == ' ') break;
  }
  end = std::min(end, all.size());
  size_t run = 0;
  for (size_t j = begin; j < end; ++j) {
    const char c = all[j];
    if (c == '\\') {
      ++run;
      continue;
    }
    if (run >= 2 && (c == ',' || c == ' ' || c == '=' || c == '"')) return j - run;
    run = 0;
  }
  return std::string_view::npos;
}

// Whether a name as the reference stores it holds a backslash directly
// before `,`, ` `, `=` or `"`.
bool HoldsBackslashBeforeEscapable(std::string_view name) {
  for (size_t j = 1; j < name.size(); ++j) {
    const char c = name[j];
    if (name[j - 1] == '\\' && (c == ',' || c == ' ' || c == '=' || c == '"')) return true;
  }
  return false;
}

// Where the line that gave the reference its one point starts and ends (at
// its newline, or at the end) in `all`, the input it was given: the one line
// of InfluxDB's splitter (ScanLineLikeInfluxDB) that is neither blank nor a
// comment, as ParsePointsWithPrecision (points.go) skips them. Meant for an
// input that the reference accepted as exactly one point without errors.
std::pair<size_t, size_t> ReferencePointLine(std::string_view all) {
  size_t pos = 0;
  while (pos < all.size()) {
    const size_t end = ScanLineLikeInfluxDB(all, pos, std::string_view::npos).end;
    const size_t start = SkipBlanks(all, pos);
    if (start < end && all[start] != '#' && all[start] != '\n') return {pos, end};
    pos = end + 1;
  }
  return {std::string_view::npos, std::string_view::npos};
}

// Our reasons for the classes that are recognised by them (line_parser.cc).
constexpr std::string_view kUnreadableName =
    "measurement with a backslash before an escaped character";
constexpr std::string_view kSplitElsewhere =
    "InfluxDB would split this line elsewhere (check its quotes)";

// Whether our first error is kSplitElsewhere where InfluxDB's splitter, in
// a batch, ends our line at a newline inside one of our strings (our error
// points at that newline), or runs on past its end inside a string it takes
// as open (our error points at that string's quote). `input` is the case:
// our line may span several of our (bad) lines, and reference_input may
// have lost a CR between them.
SplitterCase RecogniseSplitter(std::string_view input, const OurResult& ours) {
  SplitterCase out;
  if (ours.errors == 0 || ours.first_error.reason != kSplitElsewhere) return out;
  const size_t line_begin = SkipBlanks(input, ours.first_error_input_at);
  const size_t error_at = ours.first_error_input_at + ours.first_error.offset;
  if (error_at < line_begin) return out;
  const size_t offset = error_at - line_begin;
  size_t line_end = InflowLineEnd(input, line_begin);
  if (line_end < input.size() && line_end > line_begin && input[line_end - 1] == '\r') {
    --line_end;  // a CR LF line ending
  }
  line_end -= line_begin;
  std::string batch =
      std::string(input.substr(line_begin, line_end)) + "\n" + std::string(kNextLine) + "\n";
  const SplitterLine s = ScanLineLikeInfluxDB(batch, 0, line_end);
  const bool inside_string = s.end < line_end && batch[s.end] == '\n' && offset == s.end;
  const bool left_open = s.end > line_end && s.open_quote_at_mark != std::string_view::npos &&
                         offset == s.open_quote_at_mark;
  if (inside_string || left_open) out = {true, inside_string, std::move(batch), line_end, s.end};
  return out;
}

constexpr std::string_view kMissingFieldKey = "missing field key";
constexpr std::string_view kMissingFieldValue = "missing field value";
constexpr std::string_view kTimeTag = "tag key 'time' is not allowed";
constexpr std::string_view kOnlyTimeFields = "no field other than 'time', which InfluxDB drops";
constexpr std::string_view kTypeConflict = "field repeated with a different type";

// The deliberate differences that explain why we reject a case the
// reference accepts; empty when none does. `splitter` is
// RecogniseSplitter(case, ours).
std::vector<Deliberate> Classify(const OurResult& ours, const ReferenceResult& ref,
                                 const ParserOptions& options, const SplitterCase& splitter) {
  std::vector<Deliberate> classes;
  auto add = [&](Deliberate d) {
    if (std::find(classes.begin(), classes.end(), d) == classes.end()) classes.push_back(d);
  };
  if (ours.errors == 0) return classes;  // we rejected by splitting differently
  // A point of ours that the reference does not have (from a bad line's
  // leftover, say) is more than a rejection: no class explains it.
  if (ours.points > 0) return classes;
  const std::string& line = ours.first_error_line;
  if (line.size() > options.max_line_bytes) add(Deliberate::kLongLine);

  // Offsets are in reference_input, since the reference's point may run
  // over several of our lines (a string with a newline).
  const size_t offset = ours.first_error_at;
  const std::string& all = ours.reference_input;
  const std::string_view reason = ours.first_error.reason;
  const size_t line_begin = SkipBlanks(all, ours.first_error_line_at);

  // A name holding a newline: InfluxDB's splitter read a newline into the
  // line that gave the reference its point, and the reference stores it in
  // the measurement, a tag key or value, or a field key (a backslash before
  // the newline outside a string joins two lines, `m\\<LF>x a=1`; a quote
  // that the splitter takes for a string's, ` m="<LF>" a=1`). We never let
  // a name hold a newline; our first error lies within that line.
  if (NameHoldsNewline(ref)) {
    const auto [point_begin, point_end] = ReferencePointLine(all);
    if (point_begin != std::string_view::npos && offset >= point_begin && offset <= point_end) {
      add(Deliberate::kNameNewline);
    }
  }

  // A measurement that the reference stores with a backslash before `,`,
  // ` `, `=` or `"`, where no query finds it: our error points at the first
  // backslash of the first run of two or more before such a byte.
  if (reason == kUnreadableName && offset == UnreadableMeasurementEscape(all, line_begin) &&
      HoldsBackslashBeforeEscapable(ref.point->measurement)) {
    add(Deliberate::kUnreadableMeasurement);
  }

  // A line that InfluxDB's splitter reads otherwise (RecogniseSplitter);
  // CheckBatches then sees what the reference makes of it in a batch.
  if (splitter.applies) add(Deliberate::kSplitterReadsOtherwise);

  // The field-local classes: did our first error fall in the field at
  // issue? The raw field section is looked for wherever it occurs.
  const std::vector<IteratorKey> iterator_keys = KeysLikeFieldIterator(ref.raw_fields);
  const std::vector<bool> counted_commas = CommasLikeScanFields(ref.raw_fields);
  const std::vector<std::string> conflicting = ConflictingKeys(*ref.point);
  const bool only_time_fields =
      !ref.point->fields.empty() &&
      std::all_of(ref.point->fields.begin(), ref.point->fields.end(),
                  [](const DecodedField& f) { return f.key == "time"; });
  for (size_t base = all.find(ref.raw_fields); base != std::string::npos;
       base = all.find(ref.raw_fields, base + 1)) {
    const bool in_fields = offset >= base && offset <= base + ref.raw_fields.size();
    // A field without `=` (ours) that a stray `=` let the reference read as
    // part of a key holding a comma that scanFields counted (unescaped and
    // unquoted in its reading), or as an empty key. An empty first key is
    // not one: the reference reads it after a tab or NUL (kEmptyFieldKey),
    // where scanFields' check for a space before an `=` misses it.
    auto garbled = [&](const IteratorKey& k) {
      if (k.key.empty()) return k.begin > 0;
      for (size_t j = k.begin; j < k.begin + k.key.size(); ++j) {
        if (counted_commas[j]) return true;
      }
      return false;
    };
    if (in_fields && (reason == kMissingFieldKey || reason == kMissingFieldValue) &&
        std::any_of(iterator_keys.begin(), iterator_keys.end(), garbled)) {
      add(Deliberate::kUnbalancedFieldSet);
    }
    // Our error points at the key of the later field of a conflicting pair.
    if (reason == kTypeConflict) {
      for (const IteratorKey& k : iterator_keys) {
        if (base + k.begin == offset &&
            std::find(conflicting.begin(), conflicting.end(), UnescapeLikeReference(k.key)) !=
                conflicting.end()) {
          add(Deliberate::kFieldTypeConflict);
        }
      }
    }
    // Our error points at the start of the field section.
    if (kTimeKeysRejected && reason == kOnlyTimeFields && offset == base && only_time_fields) {
      add(Deliberate::kTimeKey);
    }
    for (const RawField& f : SplitLikeScanFields(ref.raw_fields)) {
      size_t key_begin = base + f.key_begin;
      size_t eq = base + f.key_end;
      size_t value_end = base + f.value_end;
      if (size_t quote = QuoteBeforeTrailingText(f.value); quote != std::string_view::npos) {
        if (offset >= eq + 1 + quote && offset <= value_end) add(Deliberate::kTextAfterString);
      }
      if (f.key.ends_with('\\') && offset >= key_begin && offset <= eq) {
        add(Deliberate::kFieldKeyTrailingBackslash);
      }
      if (f.key.empty()) {
        // Our error may point at the blanks the reference skipped, or at
        // the space before them.
        size_t blanks = key_begin;
        while (blanks > 0 && IsBlank(all[blanks - 1])) --blanks;
        if (offset + 1 >= blanks && offset <= eq) add(Deliberate::kEmptyFieldKey);
      }
      if (f.value.starts_with('"') && UnescapedStringSize(f.value) > kMaxStringBytes &&
          offset > eq && offset <= value_end) {
        add(Deliberate::kLongString);
      }
    }
  }

  // A tag key `time` as written: our error points at it, and the reference
  // has the tag.
  if (kTimeKeysRejected && reason == kTimeTag && offset > 0 && all[offset - 1] == ',' &&
      all.compare(offset, 5, "time=") == 0 &&
      std::any_of(ref.point->tags.begin(), ref.point->tags.end(),
                  [](const auto& tag) { return tag.first == "time"; })) {
    add(Deliberate::kTimeKey);
  }
  return classes;
}

// ---------------------------------------------------------------------------
// The generator.

// splitmix64: tiny, and the same sequence everywhere (the standard library's
// distributions are not specified bit for bit).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  size_t Between(size_t lo, size_t hi) { return lo + Below(hi - lo + 1); }  // inclusive
  bool OneIn(size_t n) { return Below(n) == 0; }
  bool Percent(size_t p) { return Below(100) < p; }
  template <typename T, size_t N>
  const T& Pick(const std::array<T, N>& items) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

// A line in parts, so that structural damage can be done part by part.
struct LineParts {
  std::string lead;
  std::string measurement;
  std::vector<std::pair<std::string, std::string>> tags;
  std::string fields_separator = " ";
  std::vector<std::pair<std::string, std::string>> fields;
  std::string timestamp_separator;
  std::string timestamp;
  std::string trail;

  std::string Join() const {
    std::string line = lead + measurement;
    for (const auto& [key, value] : tags) line += "," + key + "=" + value;
    line += fields_separator;
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) line += ",";
      line += fields[i].first + "=" + fields[i].second;
    }
    if (!timestamp.empty()) line += timestamp_separator + timestamp;
    return line + trail;
  }
};

class CaseGenerator {
 public:
  CaseGenerator(uint64_t seed, Precision precision) : random_(seed), precision_(precision) {}

  std::string Next() {
    size_t roll = random_.Below(1000);
    if (roll < 520) return Line();
    if (roll < 560) return KeyShapes();
    if (roll < 800) return Mutate(Line());
    if (roll < 900) return Damaged();
    if (roll < 960) return MultiLine();
    if (roll < 999) return Unusual();
    return Huge();
  }

 private:
  // A line of random parts, most of them valid, many at their edges.
  std::string Line() { return Parts().Join(); }

  LineParts Parts() {
    LineParts p;
    if (random_.OneIn(8)) p.lead = Whitespace();
    p.measurement = Name();
    static constexpr std::array<size_t, 8> kTagCounts = {0, 0, 1, 1, 2, 3, 4, 8};
    static constexpr std::array<size_t, 6> kFieldCounts = {1, 1, 1, 2, 3, 6};
    size_t tag_count = random_.Pick(kTagCounts);
    for (size_t i = 0; i < tag_count; ++i) {
      std::string key = Name();  // one statement each: argument order is unspecified
      p.tags.emplace_back(std::move(key), Name());
    }
    // Sorted tags take the reference's fast path, unsorted ones its sort.
    if (random_.Percent(50)) std::sort(p.tags.begin(), p.tags.end());
    if (random_.OneIn(8)) p.fields_separator = Whitespace();
    size_t field_count = random_.Pick(kFieldCounts);
    for (size_t i = 0; i < field_count; ++i) {
      std::string key = Name();
      p.fields.emplace_back(std::move(key), FieldValue());
    }
    if (random_.Percent(60)) {
      p.timestamp_separator = random_.OneIn(8) ? Whitespace() : " ";
      p.timestamp = Timestamp();
    }
    if (random_.OneIn(10)) p.trail = Trail();
    return p;
  }

  // Whitespace as it may stand between sections: spaces, tabs and NULs,
  // which the reference skips in some places and not in others.
  std::string Whitespace() {
    static constexpr std::array<std::string_view, 10> kSpaces = {
        " ", "  ", "\t", " \t", "\t ", std::string_view("\0", 1), std::string_view(" \0", 2),
        std::string_view("\0 ", 2), "   ", std::string_view("\t\0 ", 3)};
    return std::string(random_.Pick(kSpaces));
  }

  std::string Trail() {
    static constexpr std::array<std::string_view, 12> kTrails = {
        " ", "  ", "\t", " \t", std::string_view("\0", 1), std::string_view(" \0", 2),
        " x", "x", " 1", " #", "\r", " \r"};
    return std::string(random_.Pick(kTrails));
  }

  // A measurement, tag key, tag value or field key. Every position gets the
  // same mix: each one escapes a different set of bytes, and the point is to
  // hit every escape where it is defined and where it is not.
  std::string Name() {
    static constexpr std::array<std::string_view, 16> kWords = {
        "cpu", "mem", "host", "region", "value", "a", "b", "z", "usage_idle", "x1",
        "A", "_m", "us-west", "server01", "é", "日本"};
    std::string name;
    static constexpr std::array<size_t, 6> kPieceCounts = {1, 1, 1, 2, 2, 3};
    size_t pieces = random_.Pick(kPieceCounts);
    for (size_t i = 0; i < pieces; ++i) {
      name += random_.Percent(78) ? std::string(random_.Pick(kWords)) : Special();
    }
    if (random_.OneIn(60)) name = "time";
    return name;
  }

  // A piece of a name with something special in it.
  std::string Special() {
    // Escapes every position accepts.
    static constexpr std::array<std::string_view, 2> kCommon = {"\\,", "\\ "};
    // Escapes that only some positions define; elsewhere the backslash is
    // literal, or (in the reference) sometimes not.
    static constexpr std::array<std::string_view, 2> kPartial = {"\\=", "\\\""};
    // Backslashes in runs, and before ordinary bytes.
    static constexpr std::array<std::string_view, 6> kBackslashes = {
        "\\", "\\\\", "\\\\\\", "\\\\\\\\", "\\a", "\\\\,"};
    // Bytes a name may hold unescaped in some positions and not in others.
    static constexpr std::array<std::string_view, 11> kBare = {
        "=", "\"", ",", " ", "\t", std::string_view("\0", 1), "#", "\r", "\xff", "\xc3",
        "'"};
    switch (random_.Below(5)) {
      case 0: return std::string(random_.Pick(kCommon));
      case 1: return std::string(random_.Pick(kPartial));
      case 2: return std::string(random_.Pick(kBackslashes));
      default: return std::string(random_.Pick(kBare));
    }
  }

  std::string FieldValue() {
    switch (random_.Below(10)) {
      case 0:
      case 1:
        return Integer();
      case 2:
        return Unsigned();
      case 3:
      case 4:
      case 5:
        return Float();
      case 6:
        return Boolean();
      case 7:
      case 8:
        return String();
      default:
        return Oddity();
    }
  }

  std::string Integer() {
    static constexpr std::array<std::string_view, 22> kIntegers = {
        "0i", "-0i", "1i", "-1i", "007i", "-007i",
        "9223372036854775807i", "9223372036854775808i", "-9223372036854775808i",
        "-9223372036854775809i", "09223372036854775807i", "00000000000000000001i",
        "99999999999999999999i", "18446744073709551616i", "i", "-i", "1.5i", "1e3i", "1ii",
        "1iu", "+1i", "1i0"};
    if (random_.Percent(50)) return std::string(random_.Pick(kIntegers));
    auto value = static_cast<int64_t>(random_.Next() >> random_.Below(64));
    if (random_.OneIn(2)) value = -value;
    return std::to_string(value) + "i";
  }

  std::string Unsigned() {
    static constexpr std::array<std::string_view, 14> kUnsigned = {
        "0u", "-0u", "1u", "007u", "18446744073709551615u", "18446744073709551616u",
        "018446744073709551615u", "99999999999999999999u", "00000000000000000000001u",
        "-1u", "u", "1.0u", "1e3u", "1uu"};
    if (random_.Percent(50)) return std::string(random_.Pick(kUnsigned));
    return std::to_string(random_.Next() >> random_.Below(64)) + "u";
  }

  std::string Float() {
    static constexpr std::array<std::string_view, 52> kFloats = {
        "1", "-1", "0", "-0", "1.", "-1.", ".5", "-.5", "-.5e3", "1.5e+3", "1E5", "1e-5",
        "1e400", "-1e400", "1e-400", "1e308", "1.7976931348623157e308",
        "1.7976931348623159e308", "4.9e-324", "2e-324", "2.2250738585072014e-308",
        "1234567890123456789012345", "12345678901234567890123456",
        "123456789012345678901234", "0.0000000000000000000000001",
        "1.00000000000000000000000000001", "9007199254740993", "1e", "1e+", "1e-", "e5",
        ".e5", ".", "-", "-.", "+1", "1..5", "1.5.5", "1e5.5", "1e+-5", "0x10", "1_000",
        "NaN", "nan", "-NaN", "Inf", "+Inf", "-Inf", "inf", "Infinity", "N", "n"};
    switch (random_.Below(5)) {
      case 0:
      case 1:
        return std::string(random_.Pick(kFloats));
      case 2: {
        // A random double in its shortest and in its longest exact form.
        double value = std::bit_cast<double>(random_.Next());
        if (value != value) value = 0.5;
        char text[64];
        if (random_.OneIn(2)) {
          auto [end, ec] = std::to_chars(text, text + sizeof text, value);
          return std::string(text, end);
        }
        std::snprintf(text, sizeof text, "%.17g", value);
        return text;
      }
      case 3: {
        // Digits, a point somewhere, perhaps an exponent: long forms cross
        // the reference's 25-character threshold for range checks.
        std::string text = random_.OneIn(4) ? "-" : "";
        size_t digits = random_.Between(1, random_.OneIn(10) ? 400 : 30);
        size_t point = random_.Below(digits + 2);
        for (size_t i = 0; i < digits; ++i) {
          if (i == point) text += '.';
          text += static_cast<char>('0' + random_.Below(10));
        }
        if (random_.OneIn(3)) {
          text += random_.OneIn(2) ? "e" : "E";
          static constexpr std::array<std::string_view, 3> kSigns = {"", "+", "-"};
          text += random_.Pick(kSigns);
          text += std::to_string(random_.Below(400));
        }
        return text;
      }
      default:
        return std::to_string(static_cast<int64_t>(random_.Next() >> random_.Below(64)));
    }
  }

  std::string Boolean() {
    static constexpr std::array<std::string_view, 26> kBooleans = {
        "t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE",
        "tRUE", "TRue", "Tru", "truee", "fals", "FALSe", "fAlse", "falsee", "tr", "yes",
        "no", "on", "1b", "y", "TRUE\"", "t\"x\""};
    return std::string(random_.Pick(kBooleans));
  }

  std::string String() {
    std::string body;
    size_t pieces = random_.Below(5);
    for (size_t i = 0; i < pieces; ++i) body += StringPiece();
    switch (random_.Below(14)) {
      case 0: return "\"" + body;               // unterminated
      case 1: return "\"" + body + "\"x";       // text after the closing quote
      case 2: return "\"" + body + "\\\"";      // an escaped quote where the end should be
      case 3: return "\"" + body + "\"\"";      // a second, empty string
      default: return "\"" + body + "\"";
    }
  }

  std::string StringPiece() {
    static constexpr std::array<std::string_view, 27> kPieces = {
        "hello", "x", " ", ",", "=", "a b,c=d", "\\\"", "\\\\", "\\", "\\\\\\", "\\n", "\\t",
        "\\,", "\\ ", "\\=", "\t", std::string_view("\0", 1), "\r", "é", "\xff", "'",
        "#", "\\\\\\\"", "\\\\\"", "{\\\"k\\\": 1}", "\n", "\r\n"};
    return std::string(random_.Pick(kPieces));
  }

  // Values of no type, or of a type gone wrong.
  std::string Oddity() {
    static constexpr std::array<std::string_view, 16> kOdd = {
        "", "\"", "'x'", "x", "-x", "1x", "1 2", "1,", "\\1", "1\\", "t f", "=1", "==",
        "1=", "1\"", "@"};
    return std::string(random_.Pick(kOdd));
  }

  std::string Timestamp() {
    int64_t multiplier = PrecisionMultiplier(precision_);
    int64_t max_units = kMaxTimestampNs / multiplier;
    int64_t min_units = kMinTimestampNs / multiplier;  // rounds toward zero: in range
    switch (random_.Below(4)) {
      case 0: {
        std::array<int64_t, 12> edges = {max_units,
                                         max_units + 1,
                                         min_units,
                                         min_units - 1,
                                         0,
                                         -1,
                                         1,
                                         std::numeric_limits<int64_t>::max(),
                                         std::numeric_limits<int64_t>::min(),
                                         std::numeric_limits<int64_t>::min() + 1,
                                         max_units - 1,
                                         min_units + 1};
        return std::to_string(random_.Pick(edges));
      }
      case 1: {
        static constexpr std::array<std::string_view, 18> kText = {
            "9223372036854775808", "-9223372036854775809", "99999999999999999999", "-0",
            "0001", "-0001", "-", "+1", "1.5", "1e9", "12a", "0x10", "1 2", "1\t", "1 x",
            "1\\", "1,", "--1"};
        return std::string(random_.Pick(kText));
      }
      default: {
        auto value = static_cast<int64_t>(random_.Next() % static_cast<uint64_t>(max_units));
        return std::to_string(random_.OneIn(4) ? -value : value);
      }
    }
  }

  // A line with a part missing, doubled or out of place.
  std::string Damaged() {
    LineParts p = Parts();
    switch (random_.Below(17)) {
      case 0: p.fields.clear(); p.fields_separator = random_.OneIn(2) ? " " : ""; break;
      case 1: p.tags.emplace_back("", ""); break;  // trailing comma: `cpu,t=v, a=1`
      case 2: p.fields.back().second.clear(); break;  // `a=`
      case 3: p.fields.back().first.clear(); break;   // `=1`
      case 4: p.fields.emplace_back("", ""); break;   // `a=1,=`
      case 5: if (!p.tags.empty()) p.tags.back().second.clear(); break;
      case 6: if (!p.tags.empty()) p.tags.back().first.clear(); break;
      case 7:
        // Duplicate tag keys, next to each other or not.
        p.tags.emplace_back("k", "1");
        p.tags.emplace_back(random_.OneIn(2) ? "a" : "z", "2");
        p.tags.emplace_back("k", random_.OneIn(2) ? "1" : "3");
        break;
      case 8: p.measurement.clear(); break;
      case 9: return p.Join() + ",";
      case 10: return p.Join() + " " + p.fields.front().first + "=1";
      case 11: {
        std::string line = p.Join();
        return line.substr(0, random_.Below(line.size() + 1));  // truncated
      }
      case 12: {
        static constexpr std::array<std::string_view, 3> kSeparators = {"", ",", "  "};
        p.fields_separator = random_.Pick(kSeparators);
        break;
      }
      case 13: p.timestamp = "1" + p.timestamp; p.timestamp_separator = "\t"; break;
      case 14: p.fields.emplace_back(p.fields.front()); break;  // duplicate field key
      case 15: {
        // A field without `=` that a stray `=` balances in scanFields' count
        // of `=` against commas: `a,b="x=1`, or `a=1,,b="=""`.
        auto at = static_cast<std::ptrdiff_t>(random_.Below(p.fields.size() + 1));
        if (random_.OneIn(2)) {
          static constexpr std::array<std::string_view, 4> kStray = {"\"x=1", "\"x=t", "\"a b=2i",
                                                                     "\"=1"};
          std::string key = Name();
          key += "," + Name();
          std::string value(random_.Pick(kStray));
          p.fields.insert(p.fields.begin() + at, {std::move(key), std::move(value)});
        } else {
          std::string key = Name();
          p.fields.insert(p.fields.begin() + at, {std::move(key), "1,"});
          std::string next = Name();
          p.fields.insert(p.fields.begin() + at + 1, {std::move(next), "\"=\"\""});
        }
        break;
      }
      default: {
        // A field without a value or without `=`: `a=1,b`.
        p.fields.emplace_back(Name(), "");
        std::string line = p.Join();
        size_t eq = line.rfind('=');
        if (eq != std::string::npos) line.erase(eq, 1);
        return line;
      }
    }
    return p.Join();
  }

  // Random byte edits of a line; never a newline, so the case stays one line
  // unless a string already spans two.
  std::string Mutate(std::string line) {
    static constexpr std::array<char, 30> kBytes = {
        ',', ' ', '=', '"', '\\', '\t', '\0', '\r', '#', '-', '+', '.', 'e', 'E', 'i', 'u',
        '0', '1', '9', 'a', 't', 'f', 'N', 'x', '\'', '\x7f', '\x80', '\xff', '\xc3', '}'};
    size_t edits = random_.Between(1, 3);
    for (size_t i = 0; i < edits; ++i) {
      size_t at = random_.Below(line.size() + 1);
      switch (random_.Below(3)) {
        case 0: line.insert(line.begin() + static_cast<std::ptrdiff_t>(at), random_.Pick(kBytes)); break;
        case 1: if (at < line.size()) line.erase(at, 1); break;
        default: if (at < line.size()) line[at] = random_.Pick(kBytes); break;
      }
    }
    return line;
  }

  // Keys the server (not the parser) treats apart: a tag key `time`, field
  // keys `time` alone or beside others, and a field key repeated with the
  // same type or another, written the same or escaped differently; with
  // near misses of each.
  // (Each draw from random_ is a statement of its own: the order in which
  // function arguments and operands are evaluated is unspecified.)
  std::string KeyShapes() {
    LineParts p = Parts();
    auto at = [&](size_t size) { return static_cast<std::ptrdiff_t>(random_.Below(size + 1)); };
    static constexpr std::array<std::string_view, 6> kTimeLike = {
        "time", "time", "time", "Time", "times", "ti\\me"};
    switch (random_.Below(6)) {
      case 0: {
        std::string key(random_.Pick(kTimeLike));
        std::string value = Name();
        auto where = p.tags.begin() + at(p.tags.size());
        p.tags.insert(where, {std::move(key), std::move(value)});
        if (random_.Percent(50)) std::sort(p.tags.begin(), p.tags.end());
        break;
      }
      case 1:
        // Only fields `time`, of one type or several.
        for (auto& field : p.fields) {
          field.first = random_.OneIn(8) ? random_.Pick(kTimeLike) : "time";
        }
        break;
      case 2: {
        std::string key(random_.Pick(kTimeLike));
        std::string value = FieldValue();
        auto where = p.fields.begin() + at(p.fields.size());
        p.fields.insert(where, {std::move(key), std::move(value)});
        break;
      }
      default: {
        // A key repeated: with the same type, or another one.
        size_t type = random_.Below(5);
        size_t other = random_.OneIn(2) ? type : (type + random_.Between(1, 4)) % 5;
        std::string key = random_.OneIn(3) ? "time" : Name();
        std::string spelling = key;
        if (random_.OneIn(3)) {
          // A quote in a field key may be escaped or not: one key either way.
          std::string word = Name();
          key = word + "\"" + key;
          spelling = word + (random_.OneIn(2) ? "\\\"" : "\"") + spelling;
          if (random_.OneIn(2)) std::swap(key, spelling);
        }
        size_t first = random_.Below(p.fields.size());
        p.fields[first] = {key, TypedValue(type)};
        std::string value = TypedValue(other);
        p.fields.insert(p.fields.begin() + at(p.fields.size()), {spelling, std::move(value)});
        if (random_.OneIn(4)) {
          std::string third = TypedValue(random_.OneIn(2) ? type : random_.Below(5));
          p.fields.insert(p.fields.begin() + at(p.fields.size()), {key, std::move(third)});
        }
        break;
      }
    }
    return p.Join();
  }

  // A value of one of the five types (float, integer, unsigned, boolean,
  // string), valid most of the time.
  std::string TypedValue(size_t type) {
    bool edgy = random_.OneIn(4);
    switch (type) {
      case 0: return edgy ? Float() : std::to_string(random_.Below(2000)) + ".5";
      case 1: return edgy ? Integer() : std::to_string(random_.Below(2000)) + "i";
      case 2: return edgy ? Unsigned() : std::to_string(random_.Below(2000)) + "u";
      case 3: {
        static constexpr std::array<std::string_view, 6> kValid = {"t", "F", "true", "False",
                                                                   "TRUE", "false"};
        return std::string(edgy ? Boolean() : random_.Pick(kValid));
      }
      default: return edgy ? String() : "\"" + StringPiece() + "\"";
    }
  }

  // Cases where a newline sits inside a string on purpose, or inside a
  // comment's quotes, or after a backslash, and what follows may or may not
  // be a line of its own; lines that InfluxDB's line splitter reads
  // otherwise; a third of them after leading blanks, which the splitter
  // counts from (kLeadingBlankSplit).
  std::string MultiLine() {
    std::string lead = random_.OneIn(3) ? Whitespace() : "";
    return lead + MultiLineBody();
  }

  std::string MultiLineBody() {
    std::string line = Line();
    switch (random_.Below(10)) {
      case 0: return "cpu s=\"a\nb\"" + std::string(random_.OneIn(2) ? " 1" : "");
      case 1: return "cpu s=\"a\r\nb\",v=1";
      case 2: return "cpu s=\"open\n" + line;  // unterminated, then a line
      case 3: return "# c=\"x\n" + line + (random_.OneIn(2) ? "\n\"" : "");
      case 4: return "# comment\\\n" + line;  // a comment ending in a backslash
      case 5: return "cpu s=\"x\\\n" + line + "\"";  // a backslash before the newline
      case 6: return BackslashNewline();
      case 7: return SplitterBait() + (random_.OneIn(2) ? "\n" + line : "");
      default: {
        // A string with a newline in a line whose key holds more commas
        // than `=` as scanLine counts them: `\\,` is an escaped backslash
        // and a comma.
        LineParts p = Parts();
        static constexpr std::array<std::string_view, 4> kCommas = {"\\\\,", "\\\\,\\\\,",
                                                                    "x\\\\,", "\\\\,y"};
        std::string value(random_.Pick(kCommas));
        if (random_.OneIn(3)) {
          p.measurement += value;
        } else {
          p.tags.emplace_back(Name(), std::move(value));
        }
        std::string before = StringPiece();
        std::string after = StringPiece();
        p.fields[random_.Below(p.fields.size())].second = "\"" + before + "\n" + after + "\"";
        return p.Join();
      }
    }
  }

  // A backslash before a newline outside a string: in a name (which
  // InfluxDB's splitter then joins with the next line), at the end of one,
  // or between the parts of a line.
  std::string BackslashNewline() {
    LineParts p = Parts();
    std::string* name = &p.measurement;
    switch (random_.Below(4)) {
      case 0: break;
      case 1:
        if (!p.tags.empty()) name = &p.tags[random_.Below(p.tags.size())].first;
        break;
      case 2:
        if (!p.tags.empty()) name = &p.tags[random_.Below(p.tags.size())].second;
        break;
      default: name = &p.fields[random_.Below(p.fields.size())].first; break;
    }
    static constexpr std::array<std::string_view, 4> kRuns = {"\\", "\\", "\\\\", "\\\\\\"};
    std::string run(random_.Pick(kRuns));
    std::string ending = random_.OneIn(4) ? "\r\n" : "\n";
    name->insert(random_.Below(name->size() + 1), run + ending);
    return p.Join();
  }

  // A line whose key holds a backslash pair before a space (`a\\ `), which
  // InfluxDB's splitter takes for the space that ends the key, so that it
  // counts the key's `=` and `,` with the fields' and may read the quotes
  // of a string otherwise (README.md); with a string field, often over two
  // lines.
  std::string SplitterBait() {
    LineParts p = Parts();
    static constexpr std::array<std::string_view, 6> kAfter = {
        "", "", "x", "\\\\,", "\\\\,\\\\,", "\\\\,y\\\\,"};
    std::string bait = "\\\\ ";
    bait += random_.Pick(kAfter);
    switch (random_.Below(3)) {
      case 0: p.measurement += bait; break;
      case 1: {
        std::string key = Name();
        p.tags.emplace_back(key + bait, Name());
        break;
      }
      default: {
        std::string key = Name();
        p.tags.emplace_back(std::move(key), Name() + bait);
        break;
      }
    }
    if (random_.OneIn(2)) std::sort(p.tags.begin(), p.tags.end());
    std::string before = StringPiece();
    std::string middle = random_.OneIn(3) ? "" : "\n";
    std::string after = StringPiece();
    p.fields[random_.Below(p.fields.size())] = {Name(), "\"" + before + middle + after + "\""};
    if (random_.OneIn(3)) p.fields.emplace_back(Name() + "\"", "1");  // a quote in a key
    return p.Join();
  }

  // Hand-written shapes the random parts reach too rarely.
  std::string Unusual() {
    static constexpr std::array<std::string_view, 34> kLines = {
        "", " ", "\t", "#", "# comment", " # indented comment", "\t#x a=1", "cpu",
        "cpu ", "cpu,", "cpu,t=v", "cpu,t=v ", " a=1", ",t=v a=1", "cpu, a=1", "cpu,t a=1",
        "cpu,=v a=1", "cpu,t= a=1", "cpu a", "cpu =1", "cpu a=1,", "cpu a=1,,b=2",
        "cpu ,a=1", "cpu a=1 1 ", "cpu a=1  1", "cpu a=1 1  2", "cpu \t=1",
        "cpu a\\\\=1,b=2", "cpu a=\"x\"y", "cpu,time=x a=1", "cpu time=1", "cpu a=1\r",
        "\\ cpu a=1", "c\\,pu\\ x,t\\ =v\\,w\\= a\\ \\,\\=\\\"=1"};
    return std::string(random_.Pick(kLines));
  }

  // Lines at the length limits: a string around 65536 bytes, a key around
  // 65535 bytes (the reference counts the field key too), a line over
  // max_line_bytes.
  std::string Huge() {
    switch (random_.Below(3)) {
      case 0: {
        size_t length = kMaxStringBytes - 2 + random_.Below(5);
        std::string body(length, 's');
        // An escape counts as one byte unescaped.
        if (random_.OneIn(2)) body.replace(0, 1, "\\\\");
        return "cpu s=\"" + body + "\"";
      }
      case 1: {
        size_t length = kMaxKeyBytes - 6 + random_.Below(8);
        std::string key = "cpu,t=" + std::string(length - 6, 'k');
        return key + " " + std::string(random_.Between(1, 3), 'f') + "=1";
      }
      default: {
        std::string line = "cpu s=\"" + std::string((1u << 20) - 8 + random_.Below(3), 'x') + "\"";
        return line;
      }
    }
  }

  Random random_;
  Precision precision_;
};

// The cases every run starts with: shapes asked for by name, and the
// smallest known input of each difference found so far, so that every seed
// meets them.
std::vector<std::string> FixedCases() {
  return {
      "cpu a=1.",
      "cpu a=.5",
      "cpu a=-.5e3",
      "cpu a=1e400",
      "cpu a=1e-400",
      "cpu a=1234567890123456789012345",
      "cpu a=1e",
      "cpu a=1e+",
      "cpu a=tRUE",
      "cpu a=Tru",
      "cpu a=truee",
      "cpu a=NaN",
      "cpu a=\"x\"y",
      "cpu a\\\\=1",
      "cpu a\\\\=1,b=2",
      "cpu \t=1",
      std::string("cpu \0=1", 7),
      "cpu a=1\r",
      "cpu a=1\r\n",
      "cpu,time=x a=1",
      "cpu time=1",
      "m\\=x a=1",
      "m\\\"x a=1",
      "cpu a=-0",
      "cpu a=-0i",
      "cpu a=9223372036854775807i",
      "cpu a=9223372036854775808i",
      "cpu a=-9223372036854775808i",
      "cpu a=-9223372036854775809i",
      "cpu a=18446744073709551615u",
      "cpu a=18446744073709551616u",
      "cpu,b=1,a=2 v=1",
      "cpu,a=1,a=2 v=1",
      "cpu,b=1,a=2,b=3 v=1",
      "m \\\\=\"=\"",         // the reference's StringValue panics on its field
      "cpu s=\"open\nx",         // *newlines of the bad first line
      "cpu a,b=\"x=1",            // scanFields counts `=` and `,` only
      "cpu a=1,,b=\"=\"\"",
      " m,t=\\\\, f=\"a\nb\"",  // scanLine counts `\\,` after a leading blank
      " \tm,k\\\\,=v s=\"a\nb\"",
      "cpu,Time=x a=1",         // the server's rules for `time`: only as written
      "cpu,a=1,time=x,z=2 v=1",
      "cpu time=1,a=2",         // stored without the `time` field
      "cpu a=1,time=\"x\"",
      "cpu time=1,time=2i",
      "cpu a=1,a=2",            // repeated with one type: the last value wins
      "cpu a=1,a=2i",           // repeated with another: a field type conflict
      "cpu a=1i,b=t,a=2u",
      "cpu x\"y=1,x\\\"y=\"s\"",  // one key, escaped one way and the other
      "cpu x\"y=1,x\\\"y=2",
      // A measurement InfluxDB stores where no query finds it.
      "m\\\\,x a=1",
      "m\\\\ x a=1",
      "m\\\\=x a=1",
      "m\\\\\"x a=1",
      "m\\\\\\,x a=1",
      "m\\\\x\\\\\\ y a=1",  // the first run is harmless, the second not
      // Lines InfluxDB's splitter reads otherwise: it runs on past the end
      // (into the next line of a batch), or splits a string at its newline.
      "m,a\\\\ =b c\"=1",
      "m,a\\\\ =b c=\"x\",d\"=1",
      "m,a\\\\ =b\\\\,c\\\\,d e=\"x\ny\"",
      "m,a\\\\ =b c\"=1\nm2 v=\"x\"",
      // A name holding a newline, to the reference: a backslash before a
      // newline outside a string makes InfluxDB's splitter join the lines.
      "m\\\nx a=1",
      "m,t=a\\\nb v=1",
      "m,t\\\nu=a v=1",
      "m a\\\nb=1",
      "m,t=a\\\\\nb v=1",  // a pair of backslashes: the newline ends the line
      "m,t=a\\\r\nb v=1",   // the backslash escapes the CR: the newline ends the line
      // A bad line ends where InfluxDB's splitter ends it, so no piece of a
      // string it holds is read as a line of its own.
      "m time=\"a\nm2 v=1i\n\"",
      "m time=\"\n#\"\n\",x=1",
      "m a=1,a=\"x\nm2 v=1i\"",
      "m,t=a,t=b s=\"x\nm2 v=1i\"",
      // A leading blank would let scanLine take the measurement's quote for
      // a string's, so that the name holds a newline; read without it, as
      // we read it, the line ends at that newline.
      " m=\"\n\" a=1",
  };
}

// ---------------------------------------------------------------------------
// The comparison.

struct Failure {
  std::string kind;
  std::string report;
};

struct Tally {
  size_t cases = 0;
  size_t ours_accepted = 0;
  size_t reference_accepted = 0;
  // Per class: the cases it changed the reference's input for (kCrLf,
  // kCommentNewline, kLeadingBlankSplit), or the differences it explained
  // (the others).
  std::array<size_t, kDeliberateCount> per_class{};
  size_t split_differences = 0;  // both reject, but count different points
  size_t line_count_differences = 0;  // ... and different lines (points and errors)
  std::vector<Failure> failures;
  std::vector<std::string> splits;
  // The cases we reject as lines InfluxDB's splitter reads otherwise
  // (RecogniseSplitter), whatever the reference makes of them alone, for
  // CheckBatches; and what the reference made of each in a batch: the next
  // line lost, or our line split.
  std::vector<std::pair<size_t, SplitterCase>> splitter_cases;
  size_t splitter_next_line_lost = 0;
  size_t splitter_line_split = 0;
};

std::string CaseReport(size_t index, std::string_view input, const OurResult& ours,
                       const ReferenceResult& ref) {
  std::string out = "  case #" + std::to_string(index) + ": " + CppLiteral(input) + "\n";
  if (ours.reference_input != input) {
    out += "  reference was given: " + CppLiteral(ours.reference_input) + "\n";
  }
  out += "  ours:      " + Describe(ours) + "\n";
  out += "  reference: " + Describe(ref) + "\n";
  return out;
}

void Compare(size_t index, std::string_view input, const OurResult& ours,
             const ReferenceResult& ref, const ParserOptions& options, Tally* tally) {
  ++tally->cases;
  if (ours.accepted()) ++tally->ours_accepted;
  if (ref.accepted()) ++tally->reference_accepted;
  if (ours.crlf) ++tally->per_class[static_cast<size_t>(Deliberate::kCrLf)];
  if (ours.comment_cut) ++tally->per_class[static_cast<size_t>(Deliberate::kCommentNewline)];
  if (ours.leading_blanks_cut) {
    ++tally->per_class[static_cast<size_t>(Deliberate::kLeadingBlankSplit)];
  }

  auto fail = [&](std::string kind, std::string detail = {}) {
    tally->failures.push_back({std::move(kind), CaseReport(index, input, ours, ref) + detail});
  };

  if (!ours.contract_violation.empty()) {
    fail("broken contract of line_parser.h", "  contract: " + ours.contract_violation + "\n");
  }
  // Every rejection of ours as a line InfluxDB would split elsewhere,
  // whatever the reference makes of the case alone, must be what the
  // splitter does; CheckBatches then sees what the reference makes of it in
  // a batch.
  const SplitterCase splitter = RecogniseSplitter(input, ours);
  if (splitter.applies) {
    tally->splitter_cases.emplace_back(index, splitter);
  } else if (ours.errors > 0 && ours.first_error.reason == kSplitElsewhere) {
    fail("we say InfluxDB would split a line elsewhere, but its splitter does not");
  }
  // Every line we accept must be one line to InfluxDB's splitter too, sent
  // in a batch as we read it (without leading blanks); kSplitterReadsOtherwise
  // is only for lines we reject.
  if (!ours.point_lines.empty()) {
    const std::string batch = ours.reference_input + "\n" + std::string(kNextLine) + "\n";
    for (const auto& [begin, end] : ours.point_lines) {
      const SplitterLine s = ScanLineLikeInfluxDB(batch, SkipBlanks(batch, begin), end);
      if (s.end != end) {
        fail("we accept a line InfluxDB's splitter reads otherwise",
             "  our line, at " + std::to_string(begin) + " in what the reference was given, " +
                 "ends at " + std::to_string(end) + "; InfluxDB's splitter ends it at " +
                 std::to_string(s.end) + " in a batch\n");
        break;
      }
    }
  }
  if (ours.accepted() && ref.accepted()) {
    if (*ours.point != *ref.point) {
      fail("decoded points differ: " + FirstDifference(*ours.point, *ref.point));
    }
  } else if (ours.accepted()) {
    fail("we accept, the reference rejects");
  } else if (ref.accepted()) {
    std::vector<Deliberate> classes = Classify(ours, ref, options, splitter);
    if (classes.empty()) {
      fail(ours.points == 0 ? "we reject, the reference accepts"
                            : "we reject, the reference accepts, and we have a point it lacks");
    }
    for (Deliberate d : classes) ++tally->per_class[static_cast<size_t>(d)];
  } else if (ours.points != ref.points) {
    // Both reject, but count different points: the lines were split
    // differently, or a line that a class lets us reject was a point to the
    // reference. Not a verdict difference; counted because it is where
    // splitting bugs would surface, and the cases with different numbers of
    // lines (points and errors) are shown.
    ++tally->split_differences;
    if (ours.points + ours.errors != ref.points + ref.errors) {
      ++tally->line_count_differences;
      if (tally->splits.size() < kMaxShownSplits) {
        tally->splits.push_back(CaseReport(index, input, ours, ref));
      }
    }
  }
}

// Our error kSplitElsewhere says that the line we rejected would, in a
// batch, be split at a newline inside it, or run on into the next line.
// Each such line (RecogniseSplitter, whether the reference accepts its case
// alone, kSplitterReadsOtherwise, or rejects it) is given to the reference
// as we would send it, followed by a newline and kNextLine: either the
// reference does not return that line as a point of its own (our rejection
// spares the batch a real loss), or it splits our line where the splitter
// ends it (reporting that piece as a line, as a point or in its errors).
// Anything else is a failure: the rejection, and the class, would rest on a
// reading of the splitter that the reference does not bear out.
void CheckBatches(const std::string& lpref, Precision precision,
                  const std::vector<std::string>& cases, const std::vector<OurResult>& ours,
                  const std::vector<ReferenceResult>& refs, Tally* tally) {
  if (tally->splitter_cases.empty()) return;
  std::vector<std::string> batches;
  for (const auto& [index, splitter] : tally->splitter_cases) batches.push_back(splitter.batch);
  std::vector<ReferenceList> lists = RunReferenceList(lpref, precision, batches);
  if (lists.size() != batches.size()) return;  // a failure was added
  for (size_t k = 0; k < batches.size(); ++k) {
    const auto& [index, splitter] = tally->splitter_cases[k];
    const ReferenceList& list = lists[k];
    const bool lost = std::find(list.point_texts.begin(), list.point_texts.end(),
                                kNextLinePoint) == list.point_texts.end();
    // The reference prints a line without the newline at its end
    // (ParsePointsWithPrecision strips one, even one that a backslash
    // before it had joined to the line).
    std::string piece = splitter.batch.substr(0, splitter.splitter_end);
    if (piece.ends_with('\n')) piece.pop_back();
    const bool split =
        splitter.splitter_end < splitter.line_end &&
        (list.error.find("unable to parse '" + piece + "'") != std::string::npos ||
         std::find(list.point_texts.begin(), list.point_texts.end(), piece) !=
             list.point_texts.end());
    if (lost) {
      ++tally->splitter_next_line_lost;
    } else if (split) {
      ++tally->splitter_line_split;
    } else {
      std::string detail = "  in a batch, " + CppLiteral(splitter.batch) +
                           ", the reference gives " + std::to_string(list.points) + " points:";
      for (const std::string& text : list.point_texts) detail += " " + CppLiteral(text);
      detail += "; errors " + CppLiteral(list.error) + "\n";
      tally->failures.push_back(
          {"line InfluxDB's splitter reads otherwise, not borne out in a batch",
           CaseReport(index, cases[index], ours[index], refs[index]) + detail});
    }
  }
}

void PrintSummary(Precision precision, uint64_t seed, const Tally& tally) {
  std::cout << "differential [" << PrecisionName(precision) << "]: " << tally.cases
            << " cases, seed 0x" << std::hex << seed << std::dec << "\n  accepted by ours "
            << tally.ours_accepted << ", rejected " << tally.cases - tally.ours_accepted
            << "\n  accepted by the reference " << tally.reference_accepted << ", rejected "
            << tally.cases - tally.reference_accepted << "\n  deliberate differences:\n";
  for (size_t i = 0; i < kDeliberateCount; ++i) {
    auto d = static_cast<Deliberate>(i);
    std::cout << "    " << DeliberateName(d) << ": " << tally.per_class[i]
              << (Rewrites(d) ? " cases compared on the reference's reading of our lines"
                           : " cases we reject and the reference accepts")
              << "\n";
  }
  std::cout << "  rejected as a line InfluxDB would split elsewhere: "
            << tally.splitter_cases.size()
            << " cases; given to the reference again followed by a line, that line lost "
            << tally.splitter_next_line_lost << ", our line split " << tally.splitter_line_split
            << "\n";
  std::cout << "  both reject, but split into different numbers of points: "
            << tally.split_differences << ", into different numbers of lines "
            << tally.line_count_differences << "\n";
  for (const std::string& split : tally.splits) std::cout << split;

  std::map<std::string, size_t> per_kind;
  for (const Failure& f : tally.failures) ++per_kind[f.kind];
  std::cout << "  failures: " << tally.failures.size() << "\n";
  for (const auto& [kind, count] : per_kind) std::cout << "    " << kind << ": " << count << "\n";
  std::cout.flush();
}

// ---------------------------------------------------------------------------
// The tests: one per precision, so that timestamps meet each one's limits.

// The share of INFLOW_DIFF_CASES each precision gets; nanoseconds, the
// default on the wire, the most.
size_t CasesFor(Precision precision) {
  size_t total = EnvNumber("INFLOW_DIFF_CASES").value_or(kDefaultCases);
  return precision == Precision::kNanoseconds ? total * 2 / 5 : total / 5;
}

void RunDifferential(Precision precision) {
  const char* lpref = std::getenv("INFLOW_LPREF");
  ASSERT_TRUE(lpref != nullptr && *lpref != '\0')
      << "INFLOW_LPREF must name the lpref binary (ctest sets it; see "
         "tests/reference/CMakeLists.txt)";

  uint64_t base_seed = EnvNumber("INFLOW_DIFF_SEED").value_or(kDefaultSeed);
  uint64_t seed = base_seed + static_cast<uint64_t>(precision);
  size_t count = CasesFor(precision);
  std::cout << "differential [" << PrecisionName(precision) << "]: INFLOW_DIFF_SEED=0x" << std::hex
            << base_seed << std::dec << " INFLOW_DIFF_CASES="
            << EnvNumber("INFLOW_DIFF_CASES").value_or(kDefaultCases) << " reproduce this run"
            << std::endl;

  std::vector<std::string> cases = FixedCases();
  CaseGenerator generator(seed, precision);
  while (cases.size() < count) cases.push_back(generator.Next());

  ParserOptions options;
  options.precision = precision;
  LineParser parser(options);
  std::vector<OurResult> ours;
  std::vector<std::string> reference_inputs;
  ours.reserve(cases.size());
  reference_inputs.reserve(cases.size());
  for (const std::string& c : cases) {
    ours.push_back(RunOurs(parser, c));
    reference_inputs.push_back(ours.back().reference_input);
  }

  std::vector<ReferenceResult> refs = RunReference(lpref, precision, reference_inputs);
  ASSERT_EQ(refs.size(), cases.size());

  Tally tally;
  for (size_t i = 0; i < cases.size(); ++i) Compare(i, cases[i], ours[i], refs[i], options, &tally);
  CheckBatches(lpref, precision, cases, ours, refs, &tally);
  PrintSummary(precision, seed, tally);

  const std::optional<uint64_t> show = EnvNumber("INFLOW_DIFF_SHOW");
  const size_t max_shown = show.value_or(kMaxShownFailures);
  const size_t max_shown_per_kind = show.value_or(kMaxShownPerKind);
  std::map<std::string, size_t> shown_per_kind;
  size_t shown = 0;
  for (const Failure& f : tally.failures) {
    if (shown == max_shown) break;
    if (shown_per_kind[f.kind]++ >= max_shown_per_kind) continue;
    ++shown;
    ADD_FAILURE() << f.kind << "\n" << f.report;
  }
  EXPECT_EQ(tally.failures.size(), 0u) << "differences from the reference; the first "
                                       << shown << " are shown above";
}

TEST(DifferentialTest, Nanoseconds) { RunDifferential(Precision::kNanoseconds); }
TEST(DifferentialTest, Microseconds) { RunDifferential(Precision::kMicroseconds); }
TEST(DifferentialTest, Milliseconds) { RunDifferential(Precision::kMilliseconds); }
TEST(DifferentialTest, Seconds) { RunDifferential(Precision::kSeconds); }

}  // namespace
}  // namespace inflow
