#include "inflow/rejection.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>

#include "inflow/line_parser.h"
#include "inflow/point.h"

namespace inflow {

namespace {

constexpr std::string_view kPartialWrite = "partial write: ";
constexpr std::string_view kDropped = " dropped=";
constexpr std::string_view kUnableToParse = "unable to parse '";
constexpr std::string_view kQuoteEnd = "': ";
constexpr std::string_view kTypeConflict = "field type conflict: input field \"";
constexpr std::string_view kOnMeasurement = "\" on measurement \"";
constexpr std::string_view kIsType = "\" is type ";
constexpr std::string_view kAlreadyExists = ", already exists as type ";
constexpr std::string_view kTimeTag = "invalid tag key: input tag \"time\" on measurement \"";
constexpr std::string_view kTimeField =
    "invalid field name: input field \"time\" on measurement \"";
constexpr std::string_view kIsInvalid = "\" is invalid";
constexpr std::string_view kBeyondRetention = "points beyond retention policy";

struct Field {
  std::string_view key;  // escaped, as written
  FieldType type;
};

// What InfluxDB parses but drops for a `time` key, which inflow's parser
// rejects outright (README, "deliberate differences").
enum class TimeKey : uint8_t { kNone, kTag, kOnlyFields };

// One line of the batch. The parser's tag and field arrays last only until
// its next line, so the keys are copied (as views) into Batch's flat arrays.
struct BatchLine {
  std::string_view quote;  // as InfluxDB quotes it: without '\n' and leading blanks
  std::string_view line;   // as reported: the point's line, or the quote if unparsable
  bool parsed = false;
  TimeKey time_key = TimeKey::kNone;  // why inflow's parser rejected it, if for `time`
  std::string_view measurement;       // escaped; of unparsed lines too
  uint32_t tags_begin = 0, tags_end = 0;
  uint32_t fields_begin = 0, fields_end = 0;
};

struct Batch {
  std::vector<BatchLine> lines;
  std::vector<std::string_view> tag_keys;  // escaped
  std::vector<Field> fields;

  std::span<const std::string_view> TagKeys(const BatchLine& l) const {
    return std::span(tag_keys).subspan(l.tags_begin, l.tags_end - l.tags_begin);
  }
  std::span<const Field> Fields(const BatchLine& l) const {
    return std::span(fields).subspan(l.fields_begin, l.fields_end - l.fields_begin);
  }
};

// InfluxDB's skipWhitespace, before it quotes a line.
std::string_view SkipLeadingBlanks(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\0')) ++i;
  return s.substr(i);
}

// The measurement at the start of `line`, up to its first `,` or space that
// is not escaped, as InfluxDB's scanMeasurement finds it.
std::string_view ScanMeasurement(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] != ',' && line[i] != ' ') i += line[i] == '\\' ? 2 : 1;
  return line.substr(0, std::min(i, line.size()));
}

// inflow's parser rejects the points InfluxDB drops for a `time` key, so
// that they are never sent; its error says which. (These texts are the
// parser's, in core/line/line_parser.cc; RejectionTest pins both.)
TimeKey TimeKeyError(std::string_view reason) {
  if (reason.starts_with("tag key 'time'")) return TimeKey::kTag;
  if (reason.starts_with("no field other than 'time'")) return TimeKey::kOnlyFields;
  return TimeKey::kNone;
}

Batch ReadBatch(std::string_view body) {
  Batch batch;
  LineParser parser;
  std::string_view rest = body;
  while (!rest.empty()) {
    size_t consumed = 0, newlines = 0;
    const ParseStatus status = parser.Parse(rest, /*final=*/true, &consumed, &newlines);
    if (consumed == 0) break;  // cannot happen with final input; never loop forever
    std::string_view raw = rest.substr(0, consumed);
    rest.remove_prefix(consumed);
    if (status == ParseStatus::kSkip || status == ParseStatus::kNeedMore) continue;

    if (!raw.empty() && raw.back() == '\n') raw.remove_suffix(1);
    BatchLine line;
    line.quote = SkipLeadingBlanks(raw);
    line.line = line.quote;
    if (status == ParseStatus::kPoint) {
      const PointView& point = parser.point();
      line.parsed = true;
      line.line = point.line;
      line.measurement = point.measurement;
      line.tags_begin = static_cast<uint32_t>(batch.tag_keys.size());
      for (const TagView& tag : point.tags) batch.tag_keys.push_back(tag.key);
      line.tags_end = static_cast<uint32_t>(batch.tag_keys.size());
      line.fields_begin = static_cast<uint32_t>(batch.fields.size());
      for (const FieldView& field : point.fields) batch.fields.push_back({field.key, field.type});
      line.fields_end = static_cast<uint32_t>(batch.fields.size());
    } else {
      line.time_key = TimeKeyError(parser.error().reason);
      line.measurement = ScanMeasurement(line.quote);
    }
    batch.lines.push_back(line);
  }
  return batch;
}

bool HasBackslash(std::string_view s) { return std::memchr(s.data(), '\\', s.size()) != nullptr; }

// Whether the escaped name reads as `plain` once unescaped. Most names have
// no escapes, and then no string is made.
bool MeasurementIs(std::string_view escaped, std::string_view plain) {
  return HasBackslash(escaped) ? UnescapeMeasurement(escaped) == plain : escaped == plain;
}
bool TagKeyIs(std::string_view escaped, std::string_view plain) {
  return HasBackslash(escaped) ? UnescapeTag(escaped) == plain : escaped == plain;
}
bool FieldKeyIs(std::string_view escaped, std::string_view plain) {
  return HasBackslash(escaped) ? UnescapeFieldKey(escaped) == plain : escaped == plain;
}

std::optional<FieldType> FieldTypeFromName(std::string_view name) {
  for (FieldType type : {FieldType::kFloat, FieldType::kInteger, FieldType::kUnsigned,
                         FieldType::kString, FieldType::kBoolean}) {
    if (FieldTypeName(type) == name) return type;
  }
  return std::nullopt;
}

// Removes a trailing " dropped=N" from *text and returns N.
std::optional<uint64_t> TakeDropped(std::string_view* text) {
  const size_t at = text->rfind(kDropped);
  if (at == std::string_view::npos) return std::nullopt;
  const std::string_view digits = text->substr(at + kDropped.size());
  uint64_t n = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    return std::nullopt;
  }
  text->remove_suffix(text->size() - at);
  return n;
}

// Reads the clauses of an error text and marks the batch lines they name.
class ClauseReader {
 public:
  explicit ClauseReader(const Batch& batch)
      : batch_(batch), reason_of_(batch.lines.size(), kNoReason) {}

  // Reads every clause of `text`. False if one is not understood.
  bool ReadAll(std::string_view text, bool partial) {
    while (!text.empty()) {
      if (text.starts_with(kUnableToParse)) {
        if (!ReadUnparsable(&text)) return false;
      } else {
        // Every other clause ends at a newline: names cannot hold one, since
        // a raw newline outside a string field ends a line.
        const size_t newline = text.find('\n');
        const std::string_view clause = text.substr(0, newline);
        text = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
        // Only a partial write reports points its storage dropped.
        if (!partial || !ReadDropClause(clause)) return false;
      }
    }
    return true;
  }

  // The lines found, in batch order.
  std::vector<RejectedLine> TakeLines() {
    std::vector<RejectedLine> lines;
    for (size_t i = 0; i < reason_of_.size(); ++i) {
      if (reason_of_[i] == kNoReason) continue;
      lines.push_back({batch_.lines[i].line, reasons_[reason_of_[i]]});
    }
    return lines;
  }

  // The lines no clause named, in batch order.
  std::vector<std::string_view> UnnamedLines() const {
    std::vector<std::string_view> lines;
    for (size_t i = 0; i < reason_of_.size(); ++i) {
      if (reason_of_[i] == kNoReason) lines.push_back(batch_.lines[i].line);
    }
    return lines;
  }

  uint64_t unparsable_found() const { return unparsable_found_; }
  uint64_t dropped_found() const { return dropped_found_; }
  const std::vector<std::string_view>& drop_clauses() const { return drop_clauses_; }

 private:
  static constexpr size_t kNoReason = static_cast<size_t>(-1);

  // `unable to parse '<line>': <why>`, up to the next '\n' or the end.
  // InfluxDB reports these in the order of the lines, so each is searched
  // from the line after the last one found: the search is linear over the
  // whole text. A line may hold `'` and even "': " inside a string field;
  // matching the batch's own lines at the quote's position settles where
  // the quote ends.
  bool ReadUnparsable(std::string_view* text) {
    const std::string_view quoted = text->substr(kUnableToParse.size());
    for (size_t i = next_unparsable_; i < batch_.lines.size(); ++i) {
      const std::string_view quote = batch_.lines[i].quote;
      if (!quoted.starts_with(quote) || !quoted.substr(quote.size()).starts_with(kQuoteEnd)) {
        continue;
      }
      std::string_view why = quoted.substr(quote.size() + kQuoteEnd.size());
      const size_t newline = why.find('\n');
      *text = newline == std::string_view::npos ? std::string_view() : why.substr(newline + 1);
      why = why.substr(0, newline);
      if (reason_of_[i] == kNoReason) {
        reason_of_[i] = AddReason("unable to parse: " + std::string(why));
        ++unparsable_found_;
      }
      next_unparsable_ = i + 1;
      return true;
    }
    return false;
  }

  // A clause about points InfluxDB's storage dropped. Each one understood
  // is recorded, whether it names lines of this batch or not.
  bool ReadDropClause(std::string_view clause) {
    if (!ReadDropClauseLines(clause)) return false;
    drop_clauses_.push_back(clause);
    return true;
  }

  bool ReadDropClauseLines(std::string_view clause) {
    if (clause.starts_with(kTypeConflict)) return ReadTypeConflict(clause);
    if (Encloses(clause, kTimeTag, kIsInvalid)) {
      const std::string_view m = Between(clause, kTimeTag, kIsInvalid);
      Mark(clause, [&](const BatchLine& line) {
        if (!MeasurementIs(line.measurement, m)) return false;
        if (!line.parsed) return line.time_key == TimeKey::kTag;
        const auto keys = batch_.TagKeys(line);
        return std::any_of(keys.begin(), keys.end(),
                           [](std::string_view key) { return TagKeyIs(key, "time"); });
      });
      return true;
    }
    if (Encloses(clause, kTimeField, kIsInvalid)) {
      const std::string_view m = Between(clause, kTimeField, kIsInvalid);
      // Only a point whose every field is `time` is dropped; beside other
      // fields the `time` field alone is (LineProtocolFactsTest).
      Mark(clause, [&](const BatchLine& line) {
        if (!MeasurementIs(line.measurement, m)) return false;
        if (!line.parsed) return line.time_key == TimeKey::kOnlyFields;
        const auto fields = batch_.Fields(line);
        return std::all_of(fields.begin(), fields.end(),
                           [](const Field& f) { return FieldKeyIs(f.key, "time"); });
      });
      return true;
    }
    return clause == kBeyondRetention;  // names no line
  }

  // `field type conflict: input field "<f>" on measurement "<m>" is type
  // <T>, already exists as type <E>`. The types are single words, so they
  // are read from the end; <f> and <m> may hold `"` and even the words
  // between them, so each place the text could split is tried against the
  // batch's names, and the first that names some line is taken.
  bool ReadTypeConflict(std::string_view clause) {
    std::string_view rest = clause.substr(kTypeConflict.size());
    const size_t exists = rest.rfind(kAlreadyExists);
    if (exists == std::string_view::npos) return false;
    if (!FieldTypeFromName(rest.substr(exists + kAlreadyExists.size()))) return false;
    rest = rest.substr(0, exists);
    const size_t is_type = rest.rfind(kIsType);
    if (is_type == std::string_view::npos) return false;
    const std::optional<FieldType> type = FieldTypeFromName(rest.substr(is_type + kIsType.size()));
    if (!type) return false;
    const std::string_view names = rest.substr(0, is_type);
    if (names.find(kOnMeasurement) == std::string_view::npos) return false;

    for (size_t at = names.find(kOnMeasurement); at != std::string_view::npos;
         at = names.find(kOnMeasurement, at + 1)) {
      const std::string_view f = names.substr(0, at);
      const std::string_view m = names.substr(at + kOnMeasurement.size());
      const bool found = Mark(clause, [&](const BatchLine& line) {
        if (!line.parsed || !MeasurementIs(line.measurement, m)) return false;
        const auto fields = batch_.Fields(line);
        return std::any_of(fields.begin(), fields.end(), [&](const Field& field) {
          return field.type == *type && FieldKeyIs(field.key, f);
        });
      });
      if (found) return true;
    }
    // Understood, though it names no line of this batch: its points count
    // as unidentified.
    return true;
  }

  static bool Encloses(std::string_view s, std::string_view prefix, std::string_view suffix) {
    return s.size() >= prefix.size() + suffix.size() && s.starts_with(prefix) &&
           s.ends_with(suffix);
  }

  static std::string_view Between(std::string_view s, std::string_view prefix,
                                  std::string_view suffix) {
    return s.substr(prefix.size(), s.size() - prefix.size() - suffix.size());
  }

  // Gives `clause` as the reason to every line `matches` accepts that has
  // no reason yet. Returns whether any line matched.
  template <typename Predicate>
  bool Mark(std::string_view clause, Predicate matches) {
    size_t reason = kNoReason;
    bool any = false;
    for (size_t i = 0; i < batch_.lines.size(); ++i) {
      const BatchLine& line = batch_.lines[i];
      if (!matches(line)) continue;
      any = true;
      if (reason_of_[i] != kNoReason) continue;  // named by an earlier clause
      if (reason == kNoReason) reason = AddReason(std::string(clause));
      reason_of_[i] = reason;
      ++dropped_found_;
    }
    return any;
  }

  size_t AddReason(std::string reason) {
    reasons_.push_back(std::move(reason));
    return reasons_.size() - 1;
  }

  const Batch& batch_;
  std::vector<size_t> reason_of_;  // per batch line: an index into reasons_
  std::vector<std::string> reasons_;
  std::vector<std::string_view> drop_clauses_;
  size_t next_unparsable_ = 0;
  uint64_t unparsable_found_ = 0;
  uint64_t dropped_found_ = 0;
};

std::string Join(const std::vector<std::string_view>& parts, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += separator;
    out += parts[i];
  }
  return out;
}

}  // namespace

RejectedLines FindRejectedLines(std::string_view batch_body, std::string_view influx_error) {
  const Batch batch = ReadBatch(batch_body);

  RejectedLines result;
  result.batch = batch_body;
  result.batch_lines = batch.lines.size();

  std::string_view text = influx_error;
  result.dropped = TakeDropped(&text);
  const bool partial = text.starts_with(kPartialWrite);
  if (partial) text.remove_prefix(kPartialWrite.size());

  ClauseReader reader(batch);
  bool understood = !text.empty() && reader.ReadAll(text, partial);
  // A partial write always says how many points its storage dropped.
  if (partial && !result.dropped) understood = false;
  // Without "partial write" nothing was stored: InfluxDB parsed no line at
  // all and quotes every one. If some line was not quoted, the text does
  // not say what it seems to.
  if (!partial && reader.unparsable_found() != batch.lines.size()) understood = false;

  if (!understood) {
    result.unidentified_dropped = result.dropped.value_or(result.batch_lines);
    result.unidentified_reason = std::string(influx_error);
    return result;
  }

  result.understood = true;
  result.lines = reader.TakeLines();
  const uint64_t dropped = result.dropped.value_or(0);
  const uint64_t found = reader.dropped_found();
  if (dropped > found) {
    result.unidentified_dropped = dropped - found;
    // With no clause to blame (a count beside parse errors only, which
    // InfluxDB 1.6 does not give), the whole text is the reason.
    result.unidentified_reason = reader.drop_clauses().empty() ? std::string(influx_error)
                                                               : Join(reader.drop_clauses(), "; ");
    result.unidentified_candidates = reader.UnnamedLines();
  } else {
    result.possibly_stored = found - dropped;
  }
  return result;
}

}  // namespace inflow
