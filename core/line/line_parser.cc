// The line protocol parser. Its rules follow InfluxDB 1.x's models package
// (points.go) closely enough that the two accept the same lines; the
// comments name the reference function where a rule is surprising.

#include "inflow/line_parser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "line/influx_compat.h"
#include "line/number.h"

namespace inflow {

namespace {

// Bytes that end or escape a name (measurement, tag key or value, field
// key). Everything else is copied through by the scanning loops' fast path.
constexpr std::array<bool, 256> MakeNameStops() {
  std::array<bool, 256> t{};
  for (unsigned char c : {',', ' ', '=', '\\', '\n', '\r'}) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kNameStop = MakeNameStops();

constexpr std::array<bool, 256> MakeStringStops() {
  std::array<bool, 256> t{};
  for (unsigned char c : {'"', '\\', '\n'}) t[c] = true;
  return t;
}
constexpr std::array<bool, 256> kStringStop = MakeStringStops();

// Returns the offset of the first byte at or after i that ends or escapes a
// name, or size. Names are short, but this is the parser's innermost loop:
// SSE2 (part of every x86-64) looks at 16 bytes at a time.
inline size_t FindNameStop(const char* in, size_t i, size_t size) {
#if defined(__SSE2__)
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i space = _mm_set1_epi8(' ');
  const __m128i equals = _mm_set1_epi8('=');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i cr = _mm_set1_epi8('\r');
  while (i + 16 <= size) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, comma), _mm_cmpeq_epi8(v, space)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, equals), _mm_cmpeq_epi8(v, backslash))),
        _mm_or_si128(_mm_cmpeq_epi8(v, newline), _mm_cmpeq_epi8(v, cr)));
    int mask = _mm_movemask_epi8(hit);
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    i += 16;
  }
#endif
  while (i < size && !kNameStop[static_cast<unsigned char>(in[i])]) ++i;
  return i;
}

// InfluxDB skips these between the parts of a line (skipWhitespace).
inline bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\0'; }

inline bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// InfluxDB reserves the name for the timestamp column.
constexpr std::string_view kTimeKey = "time";

constexpr std::string_view kBackslashNewline = "backslash before the end of the line";

// Length of the series key InfluxDB derives for a field: key, a four-byte
// separator, field key (seriesKeySize).
constexpr size_t kFieldKeySeparatorBytes = 4;

// Up to this many fields, repeated keys are looked for pair by pair.
constexpr size_t kPairwiseFieldCheckMax = 16;

}  // namespace

// The scanning state of one line. Offsets are from the start of the line,
// which is the start of the input given to Parse.
struct LineParser::Cursor {
  const char* in;
  size_t size;  // bytes available
  bool final;
  size_t newlines = 0;      // newlines inside string fields
  bool need_more = false;   // a string field runs past the end of the input

  // A line ends at a newline, at a CR LF pair, or at the end of the input.
  bool AtLineEnd(size_t i) const {
    return i >= size || in[i] == '\n' || (in[i] == '\r' && i + 1 < size && in[i + 1] == '\n');
  }

  size_t SkipBlanks(size_t i) const {
    while (i < size && IsBlank(in[i])) ++i;
    return i;
  }
};

LineParser::LineParser(const ParserOptions& options) : options_(options) {
  tags_.reserve(16);
  fields_.reserve(16);
}

bool LineParser::Fail(size_t offset, std::string_view reason) {
  error_.offset = offset;
  error_.reason.assign(reason);
  return false;
}

ParseStatus LineParser::Parse(std::string_view input, bool final, size_t* consumed,
                              size_t* newlines) {
  *consumed = 0;
  *newlines = 0;
  if (input.empty()) return final ? ParseStatus::kSkip : ParseStatus::kNeedMore;

  if (discarding_) {
    // The rest of a line already reported as too long.
    const void* nl = std::memchr(input.data(), '\n', input.size());
    if (nl == nullptr) {
      *consumed = input.size();
      discarding_ = !final;
      return ParseStatus::kSkip;
    }
    discarding_ = false;
    *consumed = static_cast<size_t>(static_cast<const char*>(nl) - input.data()) + 1;
    *newlines = 1;
    return ParseStatus::kSkip;
  }

  // A stream's partial line waits for more input; most of the time no
  // newline means exactly that, without a parse.
  if (!final && std::memchr(input.data(), '\n', input.size()) == nullptr) {
    return NeedMoreOrTooLong(input, consumed);
  }

  size_t line_end = 0;  // offset just past the line ending
  ParseStatus status = ParseLine(input, final, &line_end, newlines);
  if (status == ParseStatus::kNeedMore) return NeedMoreOrTooLong(input, consumed);
  *consumed = line_end;
  return status;
}

ParseStatus LineParser::NeedMoreOrTooLong(std::string_view input, size_t* consumed) {
  if (input.size() <= options_.max_line_bytes) return ParseStatus::kNeedMore;
  Fail(options_.max_line_bytes, "line too long");
  *consumed = input.size();
  discarding_ = true;
  return ParseStatus::kError;
}

// Whether InfluxDB's line splitter might read a valid line otherwise than
// the parser. Its reading of the field set (pairs, `=` and `,` counts, the
// quotes of strings) is the parser's as long as it starts counting at the
// same space; it can start elsewhere only when a backslash in the key makes
// it take an escaped space for the first space (it pairs backslashes where
// the key's rules escape each byte after one). And a line without a quote
// is never read otherwise. So the full check runs only on the few lines with
// both.
static bool MaySplitElsewhere(std::string_view key, std::string_view line) {
  return std::memchr(key.data(), '\\', key.size()) != nullptr &&
         std::memchr(line.data(), '"', line.size()) != nullptr;
}

ParseStatus LineParser::ParseLine(std::string_view input, bool final, size_t* line_end,
                                  size_t* newlines) {
  Cursor c{input.data(), input.size(), final};
  line_start_ = c.in;
  size_t start = c.SkipBlanks(0);

  if (c.AtLineEnd(start) || c.in[start] == '#') {
    // A blank line or a comment. A comment ends at its first newline, even
    // where InfluxDB's line splitter would let a quote in it run on.
    const void* nl = std::memchr(c.in + start, '\n', c.size - start);
    size_t content_end = c.size;
    if (nl == nullptr) {
      if (!final) return ParseStatus::kNeedMore;
      *line_end = c.size;
    } else {
      content_end = static_cast<size_t>(static_cast<const char*>(nl) - c.in);
      *line_end = content_end + 1;
      *newlines = 1;
    }
    if (content_end > options_.max_line_bytes) {
      Fail(options_.max_line_bytes, "line too long");
      return ParseStatus::kError;
    }
    return ParseStatus::kSkip;
  }

  tags_.clear();
  fields_.clear();
  point_ = PointView{};

  size_t content_end = 0;
  bool ok = ParseKey(&c, start, &content_end) && ParseFields(&c, &content_end) &&
            ParseTimestamp(&c, &content_end);
  if (c.need_more) return ParseStatus::kNeedMore;

  if (ok) {
    // content_end is where the line's last token ends; the line ending
    // follows after any trailing blanks.
    size_t i = c.SkipBlanks(content_end);
    if (i >= c.size) {
      if (!final) return ParseStatus::kNeedMore;
      *line_end = c.size;
    } else {
      *line_end = i + (c.in[i] == '\r' ? 2 : 1);
      ++c.newlines;
    }
    std::string_view line(c.in + start, content_end - start);
    size_t split = kNotFound;
    if (content_end - start > options_.max_line_bytes) {
      ok = Fail(start + options_.max_line_bytes, "line too long");
    } else if (MaySplitElsewhere(point_.key, line) &&
               (split = FindSplitDisagreement(line)) != kNotFound) {
      ok = Fail(start + split, "InfluxDB would split this line elsewhere (check its quotes)");
    } else {
      point_.line = line;
      point_.tags = tags_;
      point_.fields = fields_;
      *newlines = c.newlines;
      return ParseStatus::kPoint;
    }
  }

  // A bad line ends where InfluxDB's line splitter ends it (reading the line
  // without its leading blanks, as everything else here does), so that what
  // follows is the line InfluxDB would see next, never a piece of a string
  // the bad line held; and not before its error, where the parser read a
  // string further than the splitter does. Only a string left open at the
  // end of the input ends sooner, at the first newline after its quote, so
  // that one stray quote cannot swallow every line after it.
  size_t from = start;
  for (;;) {
    size_t open_quote = kNotFound;
    size_t newline = ScanLine(input.substr(from), &open_quote);
    if (newline == kNotFound) {
      if (!final) return ParseStatus::kNeedMore;
      size_t search = open_quote == kNotFound ? c.size : std::max(from + open_quote, error_.offset);
      const void* nl = search < c.size ? std::memchr(c.in + search, '\n', c.size - search) : nullptr;
      *line_end = nl == nullptr ? c.size : static_cast<size_t>(static_cast<const char*>(nl) - c.in) + 1;
      break;
    }
    newline += from;
    if (newline >= error_.offset) {
      *line_end = newline + 1;
      break;
    }
    from = newline + 1;
  }
  *newlines = static_cast<size_t>(std::count(c.in, c.in + *line_end, '\n'));
  return ParseStatus::kError;
}

// Scans a measurement, tag key or tag value from i to the first byte that
// ends it: `,`, ` `, a line end, and `=` if equals_stops. In these parts a
// byte directly after a backslash is escaped, so in `a\\,b` the comma is
// part of the name, as in InfluxDB (scanMeasurement, scanTagsKey,
// scanTagsValue). Returns the offset of the ending byte. A backslash before a
// newline, which inflow never takes as an escape, sets *escaped_newline and
// returns the backslash's offset.
static size_t ScanName(const char* in, size_t size, size_t i, bool equals_stops,
                       bool* escaped_newline) {
  for (;;) {
    i = FindNameStop(in, i, size);
    if (i >= size) return size;
    switch (in[i]) {
      case '\\':
        // Every byte of a run of backslashes, and the byte after it, is escaped.
        while (i < size && in[i] == '\\') ++i;
        if (i >= size) return size;
        if (in[i] == '\n') {
          *escaped_newline = true;
          return i - 1;
        }
        ++i;
        continue;
      case '=':
        if (!equals_stops) {
          ++i;
          continue;
        }
        return i;
      case '\r':
        if (i + 1 < size && in[i + 1] == '\n') return i;
        ++i;
        continue;
      default:  // ',', ' ', '\n'
        return i;
    }
  }
}

bool LineParser::ParseKey(Cursor* c, size_t start, size_t* content_end) {
  const char* in = c->in;
  if (in[start] == ',') return Fail(start, "missing measurement");

  bool escaped_newline = false;
  size_t i = ScanName(in, c->size, start, /*equals_stops=*/false, &escaped_newline);
  if (escaped_newline) return Fail(i, kBackslashNewline);
  point_.measurement = std::string_view(in + start, i - start);
  if (size_t bad = point_.measurement.find('\\') == std::string_view::npos
                       ? kNotFound
                       : FindUnreadableMeasurementEscape(point_.measurement);
      bad != kNotFound) {
    return Fail(start + bad, "measurement with a backslash before an escaped character");
  }

  // The checks below look at the byte that ends a part first: a line end
  // is neither `,` nor `=`, so most need no AtLineEnd.
  while (i < c->size && in[i] == ',') {
    size_t key = i + 1;
    if (key >= c->size || in[key] == ' ' || in[key] == ',' || in[key] == '=' ||
        c->AtLineEnd(key)) {
      return Fail(key, "missing tag key");
    }
    size_t eq = ScanName(in, c->size, key, /*equals_stops=*/true, &escaped_newline);
    if (escaped_newline) return Fail(eq, kBackslashNewline);
    if (eq >= c->size || in[eq] != '=') return Fail(eq, "missing tag value");

    size_t value = eq + 1;
    if (value >= c->size || in[value] == ',' || in[value] == ' ' || c->AtLineEnd(value)) {
      return Fail(value, "missing tag value");
    }
    // A tag value may start with `=` (scanTagsValue checks only from its
    // second byte on); after that an unescaped `=` is an error.
    size_t end = ScanName(in, c->size, in[value] == '\\' ? value : value + 1,
                          /*equals_stops=*/true, &escaped_newline);
    if (escaped_newline) return Fail(end, kBackslashNewline);
    if (end < c->size && in[end] == '=') return Fail(end, "unescaped '=' in tag value");
    std::string_view tag_key(in + key, eq - key);
    if (tag_key == kTimeKey) {
      // InfluxDB drops such a point ("invalid tag key").
      return Fail(key, "tag key 'time' is not allowed");
    }
    tags_.push_back(TagView{tag_key, std::string_view(in + value, end - value)});
    i = end;
  }

  // The key ends at a space, or else at the line's end.
  if (i >= c->size || in[i] != ' ') return Fail(i, "missing fields");
  point_.key = std::string_view(in + start, i - start);
  if (point_.key.size() > kMaxKeyBytes) return Fail(start, "series key longer than 65535 bytes");
  if (tags_.size() > 1 && !CheckTags()) return false;
  *content_end = i;
  return true;
}

// Orders keys as string_view::compare does (bytes unsigned), looking at the
// first byte before calling memcmp: tag keys mostly differ there.
static int CompareKeys(std::string_view a, std::string_view b) {
  // Keys are never empty.
  auto x = static_cast<unsigned char>(a[0]), y = static_cast<unsigned char>(b[0]);
  if (x != y) return x < y ? -1 : 1;
  return a.compare(b);
}

// Duplicate tag keys are an error. Keys are compared as written: InfluxDB's
// escaping of keys is one-to-one, so equal keys are equal as written.
bool LineParser::CheckTags() {
  bool sorted = true;
  for (size_t j = 1; j < tags_.size(); ++j) {
    int cmp = CompareKeys(tags_[j - 1].key, tags_[j].key);
    if (cmp == 0) return Fail(Offset(tags_[j].key), "duplicate tag key");
    if (cmp > 0) sorted = false;
  }
  if (sorted) return true;

  sorted_tags_.assign(tags_.begin(), tags_.end());
  std::sort(sorted_tags_.begin(), sorted_tags_.end(),
            [](const TagView& a, const TagView& b) { return a.key < b.key; });
  for (size_t j = 1; j < sorted_tags_.size(); ++j) {
    if (sorted_tags_[j - 1].key == sorted_tags_[j].key) {
      // Point at the later of the two in the line.
      const char* later = std::max(sorted_tags_[j - 1].key.data(), sorted_tags_[j].key.data());
      return Fail(static_cast<size_t>(later - line_start_), "duplicate tag key");
    }
  }
  return true;
}

size_t LineParser::Offset(std::string_view part) const {
  return static_cast<size_t>(part.data() - line_start_);
}

bool LineParser::ParseFields(Cursor* c, size_t* content_end) {
  const char* in = c->in;
  size_t i = c->SkipBlanks(*content_end + 1);
  size_t fields_start = i;
  if (c->AtLineEnd(i)) return Fail(i, "missing fields");
  bool keys_escaped = false;

  for (;;) {
    // The field key. Here a backslash escapes the byte after it as a pair
    // (scanFields), unlike in the names before.
    size_t key = i;
    for (;;) {
      i = FindNameStop(in, i, c->size);
      if (i < c->size && in[i] == '\\') {
        if (i + 1 < c->size && in[i + 1] == '\n') {
          return Fail(i, kBackslashNewline);
        }
        keys_escaped = true;
        i += 2;
        continue;
      }
      if (i < c->size && in[i] == '\r' && !c->AtLineEnd(i)) {
        ++i;
        continue;
      }
      break;
    }
    if (i > c->size) i = c->size;  // a backslash was the last byte
    if (i == key) return Fail(i, "missing field key");
    if (i >= c->size || in[i] != '=') return Fail(i, "missing field value");
    if (in[i - 1] == '\\') {
      // InfluxDB's field iterator would take this `=` as escaped and read a
      // different key than its parser checked (scanTo versus scanFields).
      return Fail(key, "field key ends with a backslash");
    }
    if (point_.key.size() + kFieldKeySeparatorBytes + (i - key) > kMaxKeyBytes) {
      return Fail(key, "series key and field key longer than 65535 bytes");
    }

    FieldView field;
    field.key = std::string_view(in + key, i - key);
    i += 1;
    if (i >= c->size || in[i] == ',' || in[i] == ' ' || c->AtLineEnd(i)) {
      return Fail(i, "missing field value");
    }
    if (!ParseFieldValue(c, &i, &field)) return false;
    fields_.push_back(field);

    // A value ends at `,` (another field follows), ` ` or the line's end.
    if (i >= c->size || in[i] != ',') break;
    ++i;
  }
  point_.field_set = std::string_view(in + fields_start, i - fields_start);
  *content_end = i;
  return CheckFields(fields_start, keys_escaped);
}

// InfluxDB stores a line whose field keys repeat with one type (the last
// value wins) but drops it when their types differ ("field type conflict"),
// and it drops a field named `time`, and the point if no other is left.
bool LineParser::CheckFields(size_t fields_start, bool escaped) {
  bool only_time = true;
  for (const FieldView& f : fields_) only_time &= f.key == kTimeKey;
  if (only_time) return Fail(fields_start, "no field other than 'time', which InfluxDB drops");

  if (fields_.size() < 2) return true;
  bool mixed = false;
  for (const FieldView& f : fields_) mixed |= f.type != fields_[0].type;
  if (!mixed) return true;

  // Keys are compared as InfluxDB reads them: `a"` and `a\"` are one key.
  auto same_key = [escaped](const FieldView& a, const FieldView& b) {
    if (!escaped) return a.key == b.key;
    return UnescapeFieldKey(a.key) == UnescapeFieldKey(b.key);
  };
  if (fields_.size() <= kPairwiseFieldCheckMax) {
    for (size_t j = 1; j < fields_.size(); ++j) {
      for (size_t k = 0; k < j; ++k) {
        if (fields_[k].type != fields_[j].type && same_key(fields_[k], fields_[j])) {
          return Fail(Offset(fields_[j].key), "field repeated with a different type");
        }
      }
    }
    return true;
  }
  // Many fields: sort (unescaped key, position) pairs instead.
  std::vector<std::pair<std::string, size_t>> keys;
  keys.reserve(fields_.size());
  for (size_t j = 0; j < fields_.size(); ++j) {
    keys.emplace_back(escaped ? UnescapeFieldKey(fields_[j].key) : std::string(fields_[j].key), j);
  }
  std::sort(keys.begin(), keys.end());
  // Within a run of equal keys, in line order, the first field whose type
  // differs from the run's first is the first conflict.
  size_t first_bad = fields_.size();
  size_t run = 0;
  for (size_t j = 1; j < keys.size(); ++j) {
    if (keys[j].first != keys[run].first) {
      run = j;
    } else if (fields_[keys[j].second].type != fields_[keys[run].second].type) {
      first_bad = std::min(first_bad, keys[j].second);
    }
  }
  if (first_bad == fields_.size()) return true;
  return Fail(Offset(fields_[first_bad].key), "field repeated with a different type");
}

// Reads the most common numbers: `-?[0-9]+(\.[0-9]*)?` as a float, and
// `-?[0-9]+i` and `[0-9]+u` as integers, each ending at `,`, ` ` or a
// newline, and short enough that their range needs no check. Returns false,
// deciding nothing, for anything else, which CheckNumber then judges.
static bool FastNumber(const char* in, size_t size, size_t start, size_t* end, FieldType* type) {
  size_t i = start;
  bool negative = i < size && in[i] == '-';
  if (negative) ++i;
  size_t digits_start = i;
  while (i < size && IsDigit(in[i])) ++i;
  size_t int_digits = i - digits_start;
  if (int_digits == 0) return false;

  auto ends_here = [&](size_t j) {
    return j >= size || in[j] == ',' || in[j] == ' ' || in[j] == '\n';
  };
  if (i < size && (in[i] == 'i' || in[i] == 'u')) {
    if (!ends_here(i + 1)) return false;
    // 18 digits never leave int64 or uint64.
    if (int_digits > 18) return false;
    if (in[i] == 'u') {
      if (negative) return false;
      *type = FieldType::kUnsigned;
    } else {
      *type = FieldType::kInteger;
    }
    *end = i + 1;
    return true;
  }
  if (i < size && in[i] == '.') {
    ++i;
    while (i < size && IsDigit(in[i])) ++i;
  }
  // Floats this short are never out of range (see CheckNumber).
  if (!ends_here(i) || i - start >= 25) return false;
  *type = FieldType::kFloat;
  *end = i;
  return true;
}

bool LineParser::ParseFieldValue(Cursor* c, size_t* pos, FieldView* field) {
  const char* in = c->in;
  size_t start = *pos;
  size_t i = start;

  if (in[i] == '"') {
    ++i;
    size_t escapes = 0;  // `\\` and `\"` pairs, for the unescaped length
    for (;;) {
      while (i < c->size && !kStringStop[static_cast<unsigned char>(in[i])]) ++i;
      if (i >= c->size) {
        if (!c->final) {
          c->need_more = true;
          return false;
        }
        return Fail(start, "unterminated string");
      }
      if (in[i] == '"') break;
      if (in[i] == '\n') {
        ++c->newlines;
        ++i;
        continue;
      }
      // A backslash: it and the next byte are a pair.
      if (i + 1 < c->size && (in[i + 1] == '"' || in[i + 1] == '\\')) ++escapes;
      if (i + 1 < c->size && in[i + 1] == '\n') ++c->newlines;
      i += 2;
    }
    size_t raw = i - start - 1;
    ++i;  // past the closing quote
    if (raw - escapes > kMaxStringBytes) {
      return Fail(start, "string longer than 65536 bytes");
    }
    if (!c->AtLineEnd(i) && in[i] != ',' && in[i] != ' ') {
      // InfluxDB accepts this and stores a different string.
      return Fail(i, "unexpected text after string");
    }
    field->type = FieldType::kString;
    field->value = std::string_view(in + start, i - start);
    *pos = i;
    return true;
  }

  // The common numbers, `-?[0-9]+` with `.digits`, `i` or `u` after it,
  // are read in one pass; anything else takes the general path below.
  if (size_t end; FastNumber(in, c->size, start, &end, &field->type)) {
    if (field->type == FieldType::kUnsigned && !options_.allow_unsigned) {
      return Fail(start, "invalid number");  // InfluxDB's words, built without unsigned support
    }
    field->value = std::string_view(in + start, end - start);
    *pos = end;
    return true;
  }

  // A number or a boolean runs to the next `,`, ` ` or line end.
  while (!c->AtLineEnd(i) && in[i] != ',' && in[i] != ' ') ++i;
  std::string_view token(in + start, i - start);
  field->value = token;
  *pos = i;

  char first = token[0];
  if (IsDigit(first) || first == '-' || first == '.') {
    switch (CheckNumber(token, &field->type)) {
      case NumberCheck::kOk:
        if (field->type == FieldType::kUnsigned && !options_.allow_unsigned) {
          return Fail(start, "invalid number");  // InfluxDB's words, built without unsigned support
        }
        return true;
      case NumberCheck::kInvalid:
        return Fail(start, "invalid number");
      case NumberCheck::kIntegerOutOfRange:
        return Fail(start, "integer out of range");
      case NumberCheck::kUnsignedOutOfRange:
        return Fail(start, "unsigned integer out of range");
      case NumberCheck::kFloatOutOfRange:
        return Fail(start, "float out of range");
    }
  }
  if (first == 'N' || first == 'n') return Fail(start, "invalid number (NaN is not supported)");

  // Exactly the spellings of scanBoolean.
  bool valid = false;
  switch (token.size()) {
    case 1:
      valid = first == 't' || first == 'T' || first == 'f' || first == 'F';
      break;
    case 4:
      valid = token == "true" || token == "True" || token == "TRUE";
      break;
    case 5:
      valid = token == "false" || token == "False" || token == "FALSE";
      break;
    default:
      break;
  }
  if (!valid) return Fail(start, "invalid boolean");
  field->type = FieldType::kBoolean;
  return true;
}

// Reads eight decimal digits at once (SWAR: pairs, then quads, then the
// whole). Returns false, reading nothing, unless all eight are digits.
static bool ReadEightDigits(const char* p, uint64_t* value) {
  uint64_t chunk;
  std::memcpy(&chunk, p, sizeof(chunk));
  // Each byte in '0'..'9': its high nibble is 3, and adding 6 keeps it 3.
  if ((chunk & 0xF0F0F0F0F0F0F0F0) != 0x3030303030303030 ||
      ((chunk + 0x0606060606060606) & 0xF0F0F0F0F0F0F0F0) != 0x3030303030303030) {
    return false;
  }
  chunk -= 0x3030303030303030;
  if constexpr (std::endian::native == std::endian::big) chunk = __builtin_bswap64(chunk);
  chunk = (chunk * 10 + (chunk >> 8)) & 0x00FF00FF00FF00FF;
  chunk = (chunk * 100 + (chunk >> 16)) & 0x0000FFFF0000FFFF;
  chunk = (chunk * 10000 + (chunk >> 32)) & 0x00000000FFFFFFFF;
  *value = chunk;
  return true;
}

bool LineParser::ParseTimestamp(Cursor* c, size_t* content_end) {
  const char* in = c->in;
  size_t i = c->SkipBlanks(*content_end);
  if (c->AtLineEnd(i)) return true;  // no timestamp; trailing blanks are fine

  size_t start = i;
  bool negative = in[i] == '-';
  if (negative) ++i;
  // The digits are read as they are scanned; up to 19 fit in 64 bits.
  size_t digits_start = i;
  uint64_t magnitude = 0;
  // Timestamps are 19 digits in nanoseconds: eight at a time, then one by one.
  uint64_t eight;
  while (i + 8 <= c->size && ReadEightDigits(in + i, &eight)) {
    magnitude = magnitude * 100'000'000 + eight;
    i += 8;
  }
  while (i < c->size && IsDigit(in[i])) {
    magnitude = magnitude * 10 + static_cast<uint64_t>(in[i] - '0');
    ++i;
  }
  size_t digits = i - digits_start;
  if (digits == 0 || (!c->AtLineEnd(i) && in[i] != ' ')) return Fail(start, "invalid timestamp");
  std::string_view text(in + start, i - start);

  int64_t value = 0;
  bool in_range;
  if (digits <= 19) {
    // As in ParseTimestampValue, without reading the digits again.
    constexpr uint64_t kMax = static_cast<uint64_t>(INT64_MAX);
    in_range = magnitude <= (negative ? kMax + 1 : kMax);
    int64_t v = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
    in_range = in_range &&
               !__builtin_mul_overflow(v, PrecisionMultiplier(options_.precision), &value) &&
               value >= kMinTimestampNs && value <= kMaxTimestampNs;
  } else {
    in_range = ParseTimestampValue(text, options_.precision, &value);  // leading zeros
  }
  if (!in_range) return Fail(start, "timestamp out of range");
  // Only spaces may follow a timestamp.
  size_t end = i;
  while (i < c->size && in[i] == ' ') ++i;
  if (!c->AtLineEnd(i)) return Fail(i, "unexpected text after timestamp");

  point_.timestamp_ns = value;
  point_.timestamp_text = text;
  point_.precision = options_.precision;
  *content_end = end;
  return true;
}

}  // namespace inflow
