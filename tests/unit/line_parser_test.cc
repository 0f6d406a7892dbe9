// Unit tests of LineParser and of the helpers declared in point.h.
//
// Every verdict and every decoded value in the tables below is what InfluxDB
// 1.x's own parser (influxdb1-client/models, ParsePointsWithPrecision, built
// with unsigned support; the measurement as Point.Name() unescapes it, tags as
// Point.Tags(), fields as its FieldIterator) does with the same input, except
// for the cases marked Differs(...): those pin a deliberate difference from
// InfluxDB (README.md, "Deliberate differences"), and the comment above each
// names it. The sequence tests below say the same of each line they parse.
//
// Error offsets are 0-based byte offsets in the line. In the inputs of Bad()
// cases, the marker "▸" stands just before the byte the error must point at
// (and is removed from the input): the first byte of the bad token or value,
// or the position of a missing part. Error reasons are checked loosely: the
// reason must contain one of the '|'-separated words, ignoring case.

#include "inflow/line_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "inflow/line_writer.h"  // FieldValue
#include "inflow/point.h"
#include "test_values.h"

namespace inflow {

// Readable values in gtest's failure messages (found by argument-dependent lookup).
static void PrintTo(FieldType type, std::ostream* os) { *os << "FieldType(" << static_cast<int>(type) << ")"; }

namespace {

using namespace std::string_literals;

using test::Bool;
using test::Decode;
using test::Decoded;
using test::Describe;
using test::FieldList;
using test::Float;
using test::Int;
using test::kInt64Max;
using test::kInt64Min;
using test::kUint64Max;
using test::Printable;
using test::Same;
using test::StatusName;
using test::Str;
using test::TagList;
using test::Uint;

FieldType TypeOf(const FieldValue& value) {
  switch (value.index()) {
    case 0: return FieldType::kFloat;
    case 1: return FieldType::kInteger;
    case 2: return FieldType::kUnsigned;
    case 3: return FieldType::kString;
    default: return FieldType::kBoolean;
  }
}

// ---------------------------------------------------------------------------
// Table-driven cases: one line, parsed with final = true.

struct ParseCase {
  std::string name;  // the test's name: what it shows
  std::string input;
  ParseStatus status = ParseStatus::kPoint;
  Decoded point;        // for kPoint
  size_t offset = 0;    // for kError
  std::string reason;   // for kError: alternatives separated by '|', case-insensitive
  Precision precision = Precision::kNanoseconds;
  std::optional<size_t> consumed;  // when the case is not the whole input
  std::string difference;          // non-empty: a deliberate difference from InfluxDB
};

void PrintTo(const ParseCase& c, std::ostream* os) { *os << c.name << ": " << Printable(c.input); }

const std::string_view kMarker = "▸";

ParseCase Ok(std::string name, std::string input, std::string measurement, TagList tags, FieldList fields,
             std::optional<int64_t> timestamp_ns = std::nullopt) {
  ParseCase c;
  c.name = std::move(name);
  c.input = std::move(input);
  c.status = ParseStatus::kPoint;
  c.point = Decoded{std::move(measurement), std::move(tags), std::move(fields), timestamp_ns};
  return c;
}

// A line of measurement `cpu`, no tags, and one field.
ParseCase OkField(std::string name, std::string input, std::string key, FieldValue value,
                  std::optional<int64_t> timestamp_ns = std::nullopt) {
  FieldList fields;
  fields.emplace_back(std::move(key), std::move(value));
  return Ok(std::move(name), std::move(input), "cpu", {}, std::move(fields), timestamp_ns);
}

// `cpu v=<text>` decodes to the one field v.
ParseCase OkValue(std::string name, const std::string& text, FieldValue value) {
  return OkField(std::move(name), "cpu v=" + text, "v", std::move(value));
}

// `cpu v=1 <text>` has the timestamp `ns`.
ParseCase OkTime(std::string name, const std::string& text, int64_t ns) {
  return OkField(std::move(name), "cpu v=1 " + text, "v", Float(1), ns);
}

ParseCase Bad(std::string name, std::string marked_input, std::string reason) {
  const size_t at = marked_input.find(kMarker);
  if (at == std::string::npos || marked_input.find(kMarker, at + 1) != std::string::npos) {
    std::fprintf(stderr, "test case %s: the input needs exactly one marker\n", name.c_str());
    std::abort();
  }
  ParseCase c;
  c.name = std::move(name);
  c.input = marked_input.erase(at, kMarker.size());
  c.status = ParseStatus::kError;
  c.offset = at;
  c.reason = std::move(reason);
  return c;
}

// `cpu v=<text>` is an error at the value (offset 6).
ParseCase BadValue(std::string name, const std::string& text, std::string reason) {
  return Bad(std::move(name), "cpu v=" + std::string(kMarker) + text, std::move(reason));
}

// `cpu v=1 <text>` is an error at the timestamp (offset 8).
ParseCase BadTime(std::string name, const std::string& text) {
  return Bad(std::move(name), "cpu v=1 " + std::string(kMarker) + text, "time");
}

ParseCase Skip(std::string name, std::string input) {
  ParseCase c;
  c.name = std::move(name);
  c.input = std::move(input);
  c.status = ParseStatus::kSkip;
  return c;
}

ParseCase At(Precision precision, ParseCase c) {
  c.precision = precision;
  return c;
}

// The case's line is the first `consumed` bytes of its input.
ParseCase FirstLine(size_t consumed, ParseCase c) {
  c.consumed = consumed;
  return c;
}

// A deliberate difference from InfluxDB: it accepts this line, or reads it
// differently; the comment above each use says how.
ParseCase Differs(std::string difference, ParseCase c) {
  c.difference = std::move(difference);
  return c;
}

bool ReasonMatches(std::string_view reason, std::string_view alternatives) {
  std::string lower(reason);
  for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  size_t start = 0;
  while (start <= alternatives.size()) {
    size_t end = alternatives.find('|', start);
    if (end == std::string_view::npos) end = alternatives.size();
    std::string word(alternatives.substr(start, end - start));
    for (char& ch : word) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (!word.empty() && lower.find(word) != std::string::npos) return true;
    start = end + 1;
  }
  return false;
}

class LineParserCaseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(LineParserCaseTest, Parses) {
  const ParseCase& c = GetParam();
  SCOPED_TRACE("input " + Printable(c.input) + (c.difference.empty() ? "" : ", deliberate difference: " + c.difference));
  ParserOptions options;
  options.precision = c.precision;
  LineParser parser(options);
  size_t consumed = 12345;
  size_t newlines = 12345;
  const ParseStatus status = parser.Parse(c.input, /*final=*/true, &consumed, &newlines);

  const size_t line_bytes = c.consumed.value_or(c.input.size());
  EXPECT_EQ(consumed, line_bytes);
  EXPECT_EQ(newlines, static_cast<size_t>(std::count(c.input.begin(),
                                                     c.input.begin() + static_cast<std::ptrdiff_t>(line_bytes), '\n')));
  switch (c.status) {
    case ParseStatus::kPoint: {
      ASSERT_EQ(status, ParseStatus::kPoint)
          << "error at " << parser.error().offset << ": " << parser.error().reason;
      const Decoded got = Decode(parser.point());
      EXPECT_TRUE(Same(got, c.point)) << "got:  " << Describe(got) << "\nwant: " << Describe(c.point);
      for (size_t i = 0; i < parser.point().fields.size() && i < c.point.fields.size(); ++i) {
        EXPECT_EQ(parser.point().fields[i].type, TypeOf(c.point.fields[i].second)) << "field " << i;
      }
      EXPECT_EQ(parser.point().timestamp_text.empty(), !c.point.timestamp_ns.has_value());
      break;
    }
    case ParseStatus::kError:
      ASSERT_EQ(status, ParseStatus::kError) << (status == ParseStatus::kPoint ? Describe(Decode(parser.point())) : "");
      EXPECT_EQ(parser.error().offset, c.offset) << "reason: " << parser.error().reason;
      EXPECT_TRUE(ReasonMatches(parser.error().reason, c.reason))
          << "reason " << Printable(parser.error().reason) << " mentions none of " << Printable(c.reason);
      break;
    default:
      ASSERT_EQ(status, c.status) << (status == ParseStatus::kError ? parser.error().reason : "");
      break;
  }
}

std::string CaseName(const testing::TestParamInfo<ParseCase>& info) { return info.param.name; }

// ---------------------------------------------------------------------------
// The measurement.

std::vector<ParseCase> MeasurementCases() {
  return {
      OkField("AcceptsPlainMeasurement", "cpu v=1", "v", Float(1)),
      Ok("UnescapesCommaInMeasurement", R"(c\,pu v=1)", "c,pu", {}, {{"v", Float(1)}}),
      Ok("UnescapesSpaceInMeasurement", R"(c\ pu v=1)", "c pu", {}, {{"v", Float(1)}}),
      Ok("KeepsBackslashBeforeOtherByteInMeasurement", R"(c\pu v=1)", R"(c\pu)", {}, {{"v", Float(1)}}),
      // As InfluxDB names the measurement (Point.Name): `\=` and `\"` are
      // escapes too, though the scanner needs neither.
      Ok("UnescapesEqualsInMeasurement", R"(c\=pu v=1)", "c=pu", {}, {{"v", Float(1)}}),
      Ok("UnescapesQuoteInMeasurement", R"(c\"pu v=1)", R"(c"pu)", {}, {{"v", Float(1)}}),
      Ok("UnescapesLeadingEscapedEquals", R"(\=cpu v=1)", "=cpu", {}, {{"v", Float(1)}}),
      Ok("KeepsBackslashPairBeforeOtherByteInMeasurement", R"(c\\pu v=1)", R"(c\\pu)", {}, {{"v", Float(1)}}),
      // Deliberate difference: a measurement with a backslash before an
      // escaped character is an error. The comma here follows a backslash
      // byte, so InfluxDB takes it as escaped (no tags), names the
      // measurement `cpu\,a=1` and stores the point where no query finds it.
      Differs("measurement with a backslash before an escaped character",
              Bad("RejectsBackslashBeforeEscapedCommaInMeasurement", R"(cpu▸\\,a=1 v=1)", "backslash")),
      Differs("measurement with a backslash before an escaped character",
              Bad("RejectsBackslashBeforeEscapedEqualsInMeasurement", R"(c▸\\=pu v=1)", "backslash")),
      Differs("measurement with a backslash before an escaped character",
              Bad("RejectsBackslashBeforeEscapedQuoteInMeasurement", R"(c▸\\"pu v=1)", "backslash")),
      // InfluxDB rejects this one too (the space is escaped, so there are no
      // fields); the backslash is the first problem.
      Bad("RejectsBackslashBeforeEscapedSpaceInMeasurement", R"(cpu▸\\ v=1)", "backslash"),
      Ok("AcceptsMeasurementStartingWithEquals", "=cpu v=1", "=cpu", {}, {{"v", Float(1)}}),
      Ok("AcceptsEqualsInMeasurement", "cpu=1 v=1", "cpu=1", {}, {{"v", Float(1)}}),
      Ok("AcceptsQuoteAndHashInMeasurement", R"(c"p#u v=1)", R"(c"p#u)", {}, {{"v", Float(1)}}),
      Ok("UnescapesLeadingEscapedSpace", R"(\ cpu v=1)", " cpu", {}, {{"v", Float(1)}}),
      Ok("UnescapesLeadingEscapedComma", R"(\,cpu v=1)", ",cpu", {}, {{"v", Float(1)}}),
      Ok("KeepsTabInsideMeasurement", "c\tpu v=1", "c\tpu", {}, {{"v", Float(1)}}),
      Ok("KeepsNulInsideMeasurement", "c\0pu v=1"s, "c\0pu"s, {}, {{"v", Float(1)}}),
      Ok("KeepsNulAtEndOfMeasurement", "cpu\0 v=1"s, "cpu\0"s, {}, {{"v", Float(1)}}),
      Ok("AcceptsUtf8Measurement", "çpü v=1", "çpü", {}, {{"v", Float(1)}}),
      Bad("RejectsMeasurementOnly", "cpu▸", "field"),
      Bad("RejectsMeasurementAndSpace", "cpu ▸", "field"),
      Bad("RejectsMeasurementAndSpaces", "cpu   ▸", "field"),
      Bad("RejectsMeasurementEndingInEscapedSpace", R"(cpu\ ▸)", "field"),
      Bad("RejectsMeasurementEndingInBackslash", R"(cpu\▸)", "field"),
      Bad("RejectsMissingMeasurementBeforeTags", "▸,a=1 v=1", "measurement"),
      Bad("RejectsMissingMeasurementAfterLeadingSpace", " ▸,a=1 b=1", "measurement"),
      // A tab does not separate the measurement from the fields.
      Bad("RejectsTabBetweenMeasurementAndFields", "cpu\tv=1▸", "field"),
  };
}
INSTANTIATE_TEST_SUITE_P(Measurement, LineParserCaseTest, testing::ValuesIn(MeasurementCases()), CaseName);

// ---------------------------------------------------------------------------
// The tag set.

std::vector<ParseCase> ManyTagsCase() {
  std::string input = "cpu";
  TagList tags;
  for (int i = 149; i >= 0; --i) {  // 150 tags, in reverse order
    char key[16];
    std::snprintf(key, sizeof(key), "t%03d", i);
    input += ",";
    input += key;
    input += "=v";
    tags.emplace_back(key, "v");
  }
  input += " v=1";
  return {Ok("AcceptsManyUnsortedTags", input, "cpu", tags, {{"v", Float(1)}})};
}

std::vector<ParseCase> TagCases() {
  std::vector<ParseCase> cases = {
      Ok("AcceptsOneTag", "cpu,host=a v=1", "cpu", {{"host", "a"}}, {{"v", Float(1)}}),
      Ok("AcceptsTwoTags", "cpu,host=a,region=b v=1", "cpu", {{"host", "a"}, {"region", "b"}}, {{"v", Float(1)}}),
      Ok("KeepsUnsortedTagsInWrittenOrder", "cpu,b=2,a=1 v=1", "cpu", {{"b", "2"}, {"a", "1"}}, {{"v", Float(1)}}),
      Ok("UnescapesCommaInTag", R"(cpu,a\,b=c\,d v=1)", "cpu", {{"a,b", "c,d"}}, {{"v", Float(1)}}),
      Ok("UnescapesSpaceInTag", R"(cpu,a\ b=c\ d v=1)", "cpu", {{"a b", "c d"}}, {{"v", Float(1)}}),
      Ok("UnescapesEqualsInTag", R"(cpu,a\=b=c\=d v=1)", "cpu", {{"a=b", "c=d"}}, {{"v", Float(1)}}),
      Ok("KeepsBackslashBeforeOtherByteInTag", R"(cpu,a\b=c\d v=1)", "cpu", {{R"(a\b)", R"(c\d)"}},
         {{"v", Float(1)}}),
      Ok("KeepsBackslashBeforeQuoteInTag", R"(cpu,a\"b=c\"d v=1)", "cpu", {{R"(a\"b)", R"(c\"d)"}},
         {{"v", Float(1)}}),
      // A byte after a backslash byte is escaped, even after `\\`.
      Ok("DoubleBackslashEscapesEqualsInTagKey", R"(cpu,a\\=b=c v=1)", "cpu", {{R"(a\=b)", "c"}}, {{"v", Float(1)}}),
      Ok("DoubleBackslashEscapesCommaInTagValue", R"(cpu,a=b\\,c v=1)", "cpu", {{"a", R"(b\,c)"}}, {{"v", Float(1)}}),
      Bad("DoubleBackslashEscapedCommaLeavesEqualsInTagValue", R"(cpu,a=b\\,c▸=d v=1)", "tag"),
      Bad("RejectsTagValueRunningIntoFieldsAfterEscapedSpace", R"(cpu,a=b\ v▸=1)", "tag"),
      Ok("AcceptsTagValueStartingWithEquals", "cpu,a==1 v=1", "cpu", {{"a", "=1"}}, {{"v", Float(1)}}),
      Ok("AcceptsQuotesInTagValue", R"(cpu,a="b" v=1)", "cpu", {{"a", R"("b")"}}, {{"v", Float(1)}}),
      Ok("AcceptsHashInTags", "cpu,#a=#b v=1", "cpu", {{"#a", "#b"}}, {{"v", Float(1)}}),
      Ok("KeepsTabAndNulInTags", "cpu,a\tb=c\0d v=1"s, "cpu", {{"a\tb", "c\0d"s}}, {{"v", Float(1)}}),
      Ok("AcceptsTagKeysDifferingOnlyInBackslashes", R"(cpu,a\b=1,a\\b=2 v=1)", "cpu",
         {{R"(a\b)", "1"}, {R"(a\\b)", "2"}}, {{"v", Float(1)}}),
      Bad("RejectsUnescapedEqualsInTagValue", "cpu,a=b▸=c v=1", "tag"),
      Bad("RejectsSpaceAfterTagComma", "cpu,▸ v=1", "tag key"),
      Bad("RejectsTrailingCommaAfterMeasurement", "cpu,▸", "tag key"),
      Bad("RejectsTagKeyWithoutValueAtEnd", "cpu,a▸", "tag value"),
      Bad("RejectsTagKeyWithoutValueBeforeSpace", "cpu,a▸ v=1", "tag value"),
      Bad("RejectsTagKeyWithoutValueBeforeComma", "cpu,a▸,b=1 v=1", "tag value"),
      Bad("RejectsTagKeyWhoseEqualsIsEscaped", R"(cpu,a\=1▸ v=1)", "tag value"),
      Bad("RejectsEmptyTagValueAtEnd", "cpu,a=▸", "tag value"),
      Bad("RejectsEmptyTagValueBeforeSpace", "cpu,a=▸ v=1", "tag value"),
      Bad("RejectsEmptyTagValueBeforeComma", "cpu,a=▸,b=1 v=1", "tag value"),
      Bad("RejectsEmptyTagKey", "cpu,▸=1 v=1", "tag key"),
      Bad("RejectsEmptyTagKeyAfterTag", "cpu,a=1,▸=2 v=1", "tag key"),
      Bad("RejectsTagsWithoutFields", "cpu,a=1▸", "field"),
      Bad("RejectsTagsAndSpaceWithoutFields", "cpu,a=1 ▸", "field"),
      Bad("RejectsTrailingCommaAfterTag", "cpu,a=1,▸ v=1", "tag key"),
      Bad("RejectsTrailingCommaAfterTagAtEnd", "cpu,a=1,▸", "tag key"),
      Bad("RejectsDuplicateTagKeys", "cpu,a=1,▸a=2 v=1", "duplicate"),
      Bad("RejectsDuplicateTagKeysWithSameValue", "cpu,a=1,▸a=1 v=1", "duplicate"),
      Bad("RejectsDuplicateUnsortedTagKeys", "cpu,b=1,a=1,▸b=2 v=1", "duplicate"),
      Bad("RejectsDuplicateEscapedTagKeys", R"(cpu,a\ b=1,▸a\ b=2 v=1)", "duplicate"),
      // Deliberate difference: a tag key `time` is an error; InfluxDB's
      // parser accepts it and its server drops the point.
      Differs("tag key time", Bad("RejectsTagKeyTime", "cpu,▸time=1 v=1", "time")),
      Differs("tag key time", Bad("RejectsTagKeyTimeAfterOtherTag", "cpu,a=1,▸time=1 v=1", "time")),
      Ok("AcceptsTagKeyOtherThanTime", "cpu,Time=1,times=2,tim=3 v=1", "cpu",
         {{"Time", "1"}, {"times", "2"}, {"tim", "3"}}, {{"v", Float(1)}}),
      Ok("AcceptsTagValueTime", "cpu,a=time v=1", "cpu", {{"a", "time"}}, {{"v", Float(1)}}),
  };
  for (ParseCase& c : ManyTagsCase()) cases.push_back(std::move(c));
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Tags, LineParserCaseTest, testing::ValuesIn(TagCases()), CaseName);

// ---------------------------------------------------------------------------
// Field keys and the shape of the field set.

std::vector<ParseCase> FieldSetCases() {
  return {
      Ok("AcceptsFieldsOfEachType", R"(cpu a=1,b=2i,c=3u,d="x",e=true)", "cpu", {},
         {{"a", Float(1)}, {"b", Int(2)}, {"c", Uint(3)}, {"d", Str("x")}, {"e", Bool(true)}}),
      OkField("UnescapesSpaceInFieldKey", R"(cpu a\ b=1)", "a b", Float(1)),
      OkField("UnescapesCommaInFieldKey", R"(cpu a\,b=1)", "a,b", Float(1)),
      OkField("UnescapesEqualsInFieldKey", R"(cpu a\=b=1)", "a=b", Float(1)),
      OkField("UnescapesQuoteInFieldKey", R"(cpu a\"b=1)", R"(a"b)", Float(1)),
      OkField("AcceptsUnescapedQuoteInFieldKey", R"(cpu a"b=1)", R"(a"b)", Float(1)),
      OkField("AcceptsFieldKeyThatIsAQuote", R"(cpu "=1)", R"(")", Float(1)),
      OkField("KeepsBackslashBeforeOtherByteInFieldKey", R"(cpu a\b=1)", R"(a\b)", Float(1)),
      OkField("KeepsDoubleBackslashInFieldKey", R"(cpu a\\b=1)", R"(a\\b)", Float(1)),
      OkField("UnescapesCommaAfterEscapedBackslashInFieldKey", R"(cpu a\\\,b=1)", R"(a\\,b)", Float(1)),
      // Unescaping drops the backslash directly before the quote, even when
      // the scanner paired it with the backslash before it.
      OkField("DropsBackslashBeforeQuoteAfterEscapedBackslashInFieldKey", R"(cpu a\\"b=1)", R"(a\"b)", Float(1)),
      OkField("DropsOneBackslashBeforeQuoteAfterFourInFieldKey", R"(cpu a\\\\"b=1)", R"(a\\\"b)", Float(1)),
      OkField("AcceptsFieldKeyEndingInEscapedSpace", R"(cpu a\ =1)", "a ", Float(1)),
      OkField("AcceptsFieldKeyThatIsAnEscapedSpace", R"(cpu \ =1)", " ", Float(1)),
      Ok("AcceptsEscapedCommaAsSecondFieldKey", R"(cpu a=1,\,=2)", "cpu", {}, {{"a", Float(1)}, {",", Float(2)}}),
      OkField("AcceptsHashInFieldKey", "cpu #a=1", "#a", Float(1)),
      Ok("KeepsNulAtStartOfLaterFieldKey", "cpu a=1,\0b=2"s, "cpu", {}, {{"a", Float(1)}, {"\0b"s, Float(2)}}),
      Ok("KeepsTabAsLaterFieldKey", "cpu a=1,\t=2", "cpu", {}, {{"a", Float(1)}, {"\t", Float(2)}}),
      OkField("SkipsTabBeforeFirstFieldKey", "cpu \ta=1", "a", Float(1)),
      OkField("SkipsNulBeforeFirstFieldKey", "cpu \0a=1"s, "a", Float(1)),
      OkField("SkipsSpacesBeforeFields", "cpu   a=1", "a", Float(1)),
      // Deliberate difference: a field key ending in a backslash is an error.
      // InfluxDB's scanner takes `\\` as a pair, but its field iterator then
      // takes the `=` as escaped and reads the key `a\=1,b` with value 2.
      Differs("field key ending in a backslash",
              Bad("RejectsFieldKeyEndingInBackslash", R"(cpu ▸a\\=1,b=2)", "field key|backslash")),
      Bad("RejectsOnlyFieldKeyEndingInBackslash", R"(cpu ▸a\\=1)", "field key|backslash"),
      Bad("RejectsEmptyFieldKey", "cpu ▸=1", "field key"),
      Bad("RejectsEmptyFieldKeyAndValue", "cpu ▸=", "field key"),
      Bad("RejectsEmptyFieldKeyAfterComma", "cpu a=1,▸=2", "field key"),
      // Deliberate difference: an empty field key after a tab or NUL is an
      // error; InfluxDB skips the tab or NUL and stores a field named "".
      Differs("empty field key after a tab", Bad("RejectsEmptyFieldKeyAfterTab", "cpu \t▸=1", "field key")),
      Differs("empty field key after a NUL", Bad("RejectsEmptyFieldKeyAfterNul", "cpu \0▸=1"s, "field key")),
      Bad("RejectsFieldWithoutEquals", "cpu a▸", "field"),
      Bad("RejectsFieldWithoutValueAtEnd", "cpu a=▸", "value"),
      Bad("RejectsFieldWithoutValueBeforeComma", "cpu a=▸,b=1", "value"),
      Bad("RejectsFieldWithoutValueBeforeSpace", "cpu a=▸ 1", "value"),
      Bad("RejectsTrailingCommaAfterField", "cpu a=1,▸", "field"),
      Bad("RejectsSecondFieldWithoutEquals", "cpu a=1,b▸", "field"),
      Bad("RejectsSpaceAfterFieldComma", "cpu a=1,▸ b=2", "field"),
      Bad("RejectsDoubleCommaBetweenFields", "cpu a=1,▸,b=2", "field key"),
      Bad("RejectsFieldKeyWithOnlyEscapedEquals", R"(cpu a\=1▸)", "field"),
      Bad("RejectsFieldKeyEndingInEscapedBackslashBeforeComma", R"(cpu a\\▸,b=1)", "field"),
      Bad("RejectsUnescapedCommaInFieldKey", "cpu a▸,b=1", "field"),
      Bad("RejectsUnescapedSpaceInFieldKey", "cpu a▸ b=1", "field"),
      Bad("RejectsSecondFieldAfterSpace", "cpu a=1 ▸b=2", "time"),
      // Deliberate difference: a field without `=` balanced by a stray `=`
      // later is an error. InfluxDB counts one `=` per comma and accepts
      // this line, with a field `a,b` holding the string `x=`.
      Differs("field without = balanced by a stray =",
              Bad("RejectsFieldWithoutEqualsBalancedByStrayEquals", "cpu a▸,b=\"x=1", "field")),
      // Deliberate difference: a field repeated with another type is an error;
      // InfluxDB's parser accepts it and its server drops the point.
      Differs("field repeated with another type",
              Bad("RejectsFieldRepeatedWithAnotherType", "cpu a=1,▸a=\"x\"", "type|repeat|duplicate|conflict")),
      Differs("field repeated with another type",
              Bad("RejectsFieldRepeatedAsIntegerAndFloat", "cpu a=1i,b=1,▸a=1", "type|repeat|duplicate|conflict")),
      // Deliberate difference: a line whose only fields are named `time` is
      // an error; InfluxDB's parser accepts it and its server drops the point.
      Differs("only fields named time", Bad("RejectsOnlyFieldNamedTime", "cpu ▸time=1", "time")),
      Differs("only fields named time", Bad("RejectsOnlyFieldNamedTimeAfterTags", "cpu,a=1 ▸time=1i", "time")),
      Ok("AcceptsFieldNamedTimeBesideOthers", "cpu time=1,v=2", "cpu", {}, {{"time", Float(1)}, {"v", Float(2)}}),
  };
}
INSTANTIATE_TEST_SUITE_P(FieldSet, LineParserCaseTest, testing::ValuesIn(FieldSetCases()), CaseName);

// ---------------------------------------------------------------------------
// Integers: -?[0-9]+i in int64 range.

std::vector<ParseCase> IntegerCases() {
  return {
      OkValue("AcceptsInteger", "42i", Int(42)),
      OkValue("AcceptsNegativeInteger", "-42i", Int(-42)),
      OkValue("AcceptsZeroInteger", "0i", Int(0)),
      OkValue("AcceptsNegativeZeroInteger", "-0i", Int(0)),
      OkValue("AcceptsIntegerWithLeadingZeros", "007i", Int(7)),
      OkValue("AcceptsNegativeIntegerWithLeadingZeros", "-007i", Int(-7)),
      OkValue("AcceptsInt64Max", "9223372036854775807i", Int(kInt64Max)),
      OkValue("AcceptsInt64Min", "-9223372036854775808i", Int(kInt64Min)),
      OkValue("AcceptsInt64MaxWithLeadingZeros", "0009223372036854775807i", Int(kInt64Max)),
      OkValue("AcceptsInt64MinWithLeadingZeros", "-0009223372036854775808i", Int(kInt64Min)),
      BadValue("RejectsIntegerOnePastInt64Max", "9223372036854775808i", "integer|range"),
      BadValue("RejectsIntegerOnePastInt64Min", "-9223372036854775809i", "integer|range"),
      BadValue("RejectsIntegerOfTwentyDigits", "99999999999999999999i", "integer|range"),
      BadValue("RejectsIntegerAtUint64MaxPlusOne", "18446744073709551616i", "integer|range"),
      BadValue("RejectsIntegerWithDecimalPoint", "1.0i", "integer|number"),
      BadValue("RejectsIntegerWithTrailingDecimalPoint", "1.i", "integer|number"),
      BadValue("RejectsIntegerWithExponent", "1e3i", "integer|number"),
      BadValue("RejectsIntegerWithSuffixTwice", "1ii", "integer|number"),
      BadValue("RejectsIntegerWithDigitsAfterSuffix", "1i0", "integer|number"),
      BadValue("RejectsIntegerWithoutDigits", "-i", "integer|number"),
      BadValue("RejectsIntegerWithTwoMinusSigns", "--1i", "integer|number"),
      BadValue("RejectsIntegerWithInnerMinus", "1-1i", "integer|number"),
      BadValue("RejectsHexInteger", "0x10i", "integer|number"),
      BadValue("RejectsIntegerWithUnderscore", "1_000i", "integer|number"),
      BadValue("RejectsIntegerWithPlusSign", "+1i", "integer|number|boolean|value"),
      BadValue("RejectsIntegerSuffixAlone", "i", "integer|number|boolean|value"),
      BadValue("RejectsIntegerThenUnsignedSuffix", "1iu", "integer|unsigned|number"),
  };
}
INSTANTIATE_TEST_SUITE_P(Integer, LineParserCaseTest, testing::ValuesIn(IntegerCases()), CaseName);

// ---------------------------------------------------------------------------
// Unsigned integers: [0-9]+u in uint64 range.

std::vector<ParseCase> UnsignedCases() {
  return {
      OkValue("AcceptsUnsigned", "7u", Uint(7)),
      OkValue("AcceptsZeroUnsigned", "0u", Uint(0)),
      OkValue("AcceptsUnsignedWithLeadingZeros", "007u", Uint(7)),
      OkValue("AcceptsUnsignedAboveInt64Max", "9223372036854775808u", Uint(9223372036854775808u)),
      OkValue("AcceptsUint64Max", "18446744073709551615u", Uint(kUint64Max)),
      OkValue("AcceptsUint64MaxWithLeadingZeros", "00018446744073709551615u", Uint(kUint64Max)),
      BadValue("RejectsUnsignedOnePastUint64Max", "18446744073709551616u", "unsigned|range"),
      BadValue("RejectsUnsignedOfTwentyOneDigits", "999999999999999999999u", "unsigned|range"),
      BadValue("RejectsNegativeUnsigned", "-1u", "unsigned|number"),
      BadValue("RejectsNegativeZeroUnsigned", "-0u", "unsigned|number"),
      BadValue("RejectsUnsignedWithDecimalPoint", "1.5u", "unsigned|number"),
      BadValue("RejectsUnsignedWithExponent", "1e3u", "unsigned|number"),
      BadValue("RejectsUnsignedWithSuffixTwice", "1uu", "unsigned|number"),
      BadValue("RejectsUnsignedWithDigitsAfterSuffix", "1u0", "unsigned|number"),
      BadValue("RejectsUnsignedThenIntegerSuffix", "1ui", "integer|unsigned|number"),
  };
}
INSTANTIATE_TEST_SUITE_P(Unsigned, LineParserCaseTest, testing::ValuesIn(UnsignedCases()), CaseName);

// ---------------------------------------------------------------------------
// Floats, as InfluxDB scans them.

std::vector<ParseCase> FloatCases() {
  return {
      OkValue("AcceptsFloatWithoutPoint", "1", Float(1)),
      OkValue("AcceptsFloat", "1.5", Float(1.5)),
      OkValue("AcceptsNegativeFloat", "-1.5", Float(-1.5)),
      OkValue("AcceptsFloatEndingInPoint", "1.", Float(1)),
      OkValue("AcceptsNegativeFloatEndingInPoint", "-1.", Float(-1)),
      OkValue("AcceptsFloatStartingWithPoint", ".5", Float(0.5)),
      OkValue("AcceptsNegativeFloatStartingWithPoint", "-.5", Float(-0.5)),
      OkValue("AcceptsFloatWithLeadingZeros", "00.5", Float(0.5)),
      OkValue("AcceptsExponent", "1e3", Float(1000)),
      OkValue("AcceptsUpperCaseExponent", "1E3", Float(1000)),
      OkValue("AcceptsExponentWithPlus", "1e+3", Float(1000)),
      OkValue("AcceptsNegativeExponent", "1e-3", Float(0.001)),
      OkValue("AcceptsNegativeFloatWithNegativeExponent", "-1.5e-3", Float(-0.0015)),
      OkValue("AcceptsFloatWithUpperCaseExponentAndPlus", "1.5E+3", Float(1500)),
      OkValue("AcceptsExponentWithLeadingZeros", "1e007", Float(1e7)),
      OkValue("AcceptsZeroFloat", "0", Float(0.0)),
      OkValue("AcceptsNegativeZeroFloat", "-0", Float(-0.0)),
      OkValue("AcceptsNegativeZeroFloatWithPoint", "-0.0", Float(-0.0)),
      OkValue("AcceptsOneTenth", "0.1", Float(0.1)),
      OkValue("AcceptsLargestDouble", "1.7976931348623157e308", Float(std::numeric_limits<double>::max())),
      OkValue("AcceptsMostNegativeDouble", "-1.7976931348623157e308", Float(-std::numeric_limits<double>::max())),
      OkValue("AcceptsSmallestNormalDouble", "2.2250738585072014e-308", Float(std::numeric_limits<double>::min())),
      OkValue("AcceptsSmallestDenormal", "4.9406564584124654e-324", Float(std::numeric_limits<double>::denorm_min())),
      OkValue("AcceptsShortSmallestDenormal", "5e-324", Float(std::numeric_limits<double>::denorm_min())),
      OkValue("AcceptsUnderflowAsZero", "1e-400", Float(0.0)),
      OkValue("AcceptsNegativeUnderflowAsNegativeZero", "-1e-400", Float(-0.0)),
      OkValue("AcceptsThirtyDigitFloat", "123456789012345678901234567890", Float(123456789012345678901234567890.0)),
      OkValue("AcceptsLongFloatWithoutExponent", "1" + std::string(308, '0'), Float(1e308)),
      OkValue("AcceptsLongFractionWithoutExponent", "0." + std::string(30, '0') + "1", Float(1e-31)),
      BadValue("RejectsLongFloatPastDoubleMax", "1" + std::string(309, '0'), "float|number|range"),
      BadValue("RejectsExponentPastDoubleMax", "1e309", "float|number|range"),
      BadValue("RejectsHugeExponent", "1e400", "float|number|range"),
      BadValue("RejectsNegativeHugeExponent", "-1e400", "float|number|range"),
      BadValue("RejectsSlightlyTooLargeFloat", "1.8e308", "float|number|range"),
      BadValue("RejectsNaN", "NaN", "nan|float|number"),
      BadValue("RejectsLowerCaseNaN", "nan", "nan|float|number"),
      BadValue("RejectsNegativeNaN", "-NaN", "nan|float|number"),
      BadValue("RejectsInf", "Inf", "inf|float|number|boolean|value"),
      BadValue("RejectsLowerCaseInf", "inf", "inf|float|number|boolean|value"),
      BadValue("RejectsNegativeInf", "-Inf", "inf|float|number|boolean|value"),
      BadValue("RejectsPlusInf", "+Inf", "inf|float|number|boolean|value"),
      BadValue("RejectsInfinity", "Infinity", "inf|float|number|boolean|value"),
      BadValue("RejectsTwoDecimalPoints", "1.5.5", "float|number"),
      BadValue("RejectsAdjacentDecimalPoints", "1..5", "float|number"),
      BadValue("RejectsExponentWithoutDigits", "1e", "float|number"),
      BadValue("RejectsExponentSignWithoutDigits", "1e+", "float|number"),
      BadValue("RejectsNegativeExponentSignWithoutDigits", "1e-", "float|number"),
      BadValue("RejectsFractionalExponent", "1e3.5", "float|number"),
      BadValue("RejectsTwoExponents", "1e5e5", "float|number"),
      BadValue("RejectsLonePoint", ".", "float|number"),
      BadValue("RejectsLoneMinus", "-", "float|number"),
      BadValue("RejectsMinusPoint", "-.", "float|number"),
      BadValue("RejectsInnerMinus", "1-5", "float|number"),
      BadValue("RejectsInnerPlus", "1+5", "float|number"),
      BadValue("RejectsHexFloat", "0x1p3", "float|number"),
      BadValue("RejectsFloatWithUnderscore", "1_000", "float|number"),
      BadValue("RejectsFloatWithSuffix", "1.5f", "float|number"),
      BadValue("RejectsFloatFollowedByTab", "1\t", "float|number"),
      BadValue("RejectsFloatWithTabBeforeTimestamp", "1\t10", "float|number"),
      BadValue("RejectsLoneCarriageReturnAfterFloat", "1\r", "float|number"),
  };
}
INSTANTIATE_TEST_SUITE_P(Float, LineParserCaseTest, testing::ValuesIn(FloatCases()), CaseName);

// ---------------------------------------------------------------------------
// Booleans: exactly t T true True TRUE f F false False FALSE.

std::vector<ParseCase> BooleanCases() {
  std::vector<ParseCase> cases = {
      OkValue("AcceptsBooleanT", "t", Bool(true)),
      OkValue("AcceptsBooleanUpperT", "T", Bool(true)),
      OkValue("AcceptsBooleanTrue", "true", Bool(true)),
      OkValue("AcceptsBooleanCapitalizedTrue", "True", Bool(true)),
      OkValue("AcceptsBooleanUpperTrue", "TRUE", Bool(true)),
      OkValue("AcceptsBooleanF", "f", Bool(false)),
      OkValue("AcceptsBooleanUpperF", "F", Bool(false)),
      OkValue("AcceptsBooleanFalse", "false", Bool(false)),
      OkValue("AcceptsBooleanCapitalizedFalse", "False", Bool(false)),
      OkValue("AcceptsBooleanUpperFalse", "FALSE", Bool(false)),
      Ok("AcceptsBooleansBeforeCommaAndSpace", "cpu a=t,b=F 10", "cpu", {}, {{"a", Bool(true)}, {"b", Bool(false)}}, 10),
  };
  const char* near_misses[][2] = {
      {"tRUE", "LowerTUpperRue"}, {"TRue", "MixedTRue"},   {"tRue", "MixedtRue"},     {"truE", "TruUpperE"},
      {"TrUe", "MixedTrUe"},      {"tru", "Tru"},          {"truee", "Truee"},        {"tr", "Tr"},
      {"t1", "TOne"},             {"fALSE", "LowerFAlse"}, {"FAlse", "MixedFAlse"},   {"fAlSe", "MixedfAlSe"},
      {"falsE", "FalsUpperE"},    {"fals", "Fals"},        {"falsee", "Falsee"},      {"fa", "Fa"},
      {"yes", "Yes"},             {"y", "Y"},              {"on", "On"},              {"off", "Off"},
      {"truth", "Truth"},         {"tRuE", "AlternatingTrue"},
  };
  for (const auto& [text, name] : near_misses) {
    cases.push_back(BadValue(std::string("RejectsBoolean") + name, text, "boolean"));
  }
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Boolean, LineParserCaseTest, testing::ValuesIn(BooleanCases()), CaseName);

// ---------------------------------------------------------------------------
// String fields.

std::vector<ParseCase> StringCases() {
  return {
      OkValue("AcceptsString", R"("hello")", Str("hello")),
      OkValue("AcceptsEmptyString", R"("")", Str("")),
      OkValue("AcceptsSeparatorsInString", R"("a,b c=d")", Str("a,b c=d")),
      OkValue("UnescapesQuoteInString", R"("a\"b")", Str(R"(a"b)")),
      OkValue("UnescapesBackslashInString", R"("a\\b")", Str(R"(a\b)")),
      OkValue("KeepsBackslashBeforeOtherByteInString", R"("a\b")", Str(R"(a\b)")),
      OkValue("KeepsBackslashNInString", R"("a\nb")", Str(R"(a\nb)")),
      OkValue("KeepsKeyEscapesInString", R"("\,\ \=")", Str(R"(\,\ \=)")),
      OkValue("UnescapesBackslashThenQuote", R"("\\\"")", Str(R"(\")")),
      OkValue("UnescapesTwoBackslashes", R"("\\\\")", Str(R"(\\)")),
      OkValue("AcceptsStringOfOneEscapedBackslash", R"("\\")", Str(R"(\)")),
      OkValue("AcceptsNewlineInString", "\"a\nb\"", Str("a\nb")),
      OkValue("AcceptsCrLfInString", "\"a\r\nb\"", Str("a\r\nb")),
      OkValue("AcceptsBackslashNewlineInString", "\"a\\\nb\"", Str("a\\\nb")),
      OkValue("AcceptsTabInString", "\"tab\there\"", Str("tab\there")),
      OkValue("AcceptsNulInString", "\"nul\0\""s, Str("nul\0"s)),
      OkValue("AcceptsUtf8InString", R"("héllo")", Str("héllo")),
      OkValue("AcceptsHashInString", R"("#")", Str("#")),
      Ok("AcceptsStringThenField", R"(cpu s="x",v=1)", "cpu", {}, {{"s", Str("x")}, {"v", Float(1)}}),
      OkField("AcceptsStringThenTimestamp", R"(cpu s="a=1,b=2" 10)", "s", Str("a=1,b=2"), 10),
      OkField("AcceptsStringThenSpace", R"(cpu s="x" )", "s", Str("x")),
      Bad("RejectsUnterminatedString", R"(cpu s=▸"x)", "quote|string|unterminated"),
      Bad("RejectsStringEndingInEscapedQuote", R"(cpu s=▸"x\")", "quote|string|unterminated"),
      Bad("RejectsStringEndingInBackslash", R"(cpu s=▸"x\)", "quote|string|unterminated"),
      Bad("RejectsQuoteAfterUnquotedValue", R"(cpu s=▸x"y")", "boolean|value"),
      // Deliberate difference: text after a string's closing quote is an
      // error; InfluxDB keeps it and reads the value `x"` (the text between
      // the first and the last byte, minus the quotes).
      Differs("text after a string's closing quote",
              Bad("RejectsTextAfterString", R"(cpu s="x"▸y)", "string|quote|after|unexpected")),
      Differs("text after a string's closing quote",
              Bad("RejectsSecondStringAfterString", R"(cpu s="x"▸"y")", "string|quote|after|unexpected")),
      Differs("text after a string's closing quote",
              Bad("RejectsTabAfterString", "cpu s=\"x\"▸\t10", "string|quote|after|unexpected")),
  };
}
INSTANTIATE_TEST_SUITE_P(String, LineParserCaseTest, testing::ValuesIn(StringCases()), CaseName);

// ---------------------------------------------------------------------------
// Timestamps: -?[0-9]+ in units of the precision, in range after conversion.

std::vector<ParseCase> TimestampCases() {
  using P = Precision;
  return {
      OkTime("AcceptsZeroTimestamp", "0", 0),
      OkTime("AcceptsNegativeZeroTimestamp", "-0", 0),
      OkTime("AcceptsTimestamp", "1700000000000000000", 1700000000000000000),
      OkTime("AcceptsNegativeTimestamp", "-1", -1),
      OkTime("AcceptsTimestampWithLeadingZeros", "0010", 10),
      OkTime("AcceptsMaxTimestampNs", "9223372036854775806", kMaxTimestampNs),
      OkTime("AcceptsMinTimestampNs", "-9223372036854775806", kMinTimestampNs),
      OkTime("AcceptsMaxTimestampNsWithLeadingZeros", "0009223372036854775806", kMaxTimestampNs),
      BadTime("RejectsTimestampOnePastMaxNs", "9223372036854775807"),
      BadTime("RejectsTimestampOnePastMinNs", "-9223372036854775807"),
      BadTime("RejectsTimestampAtInt64MinNs", "-9223372036854775808"),
      BadTime("RejectsTimestampPastInt64MaxNs", "9223372036854775808"),
      BadTime("RejectsTimestampPastInt64MinNs", "-9223372036854775809"),
      BadTime("RejectsTimestampOfTwentyDigits", "99999999999999999999"),
      At(P::kMicroseconds, OkTime("AcceptsTimestampInMicroseconds", "1", 1000)),
      At(P::kMicroseconds, OkTime("AcceptsNegativeTimestampInMicroseconds", "-1", -1000)),
      At(P::kMicroseconds, OkTime("AcceptsMaxTimestampUs", "9223372036854775", 9223372036854775000)),
      At(P::kMicroseconds, OkTime("AcceptsMinTimestampUs", "-9223372036854775", -9223372036854775000)),
      At(P::kMicroseconds, BadTime("RejectsTimestampOnePastMaxUs", "9223372036854776")),
      At(P::kMicroseconds, BadTime("RejectsTimestampOnePastMinUs", "-9223372036854776")),
      At(P::kMilliseconds, OkTime("AcceptsTimestampInMilliseconds", "1", 1000000)),
      At(P::kMilliseconds, OkTime("AcceptsMaxTimestampMs", "9223372036854", 9223372036854000000)),
      At(P::kMilliseconds, OkTime("AcceptsMinTimestampMs", "-9223372036854", -9223372036854000000)),
      At(P::kMilliseconds, BadTime("RejectsTimestampOnePastMaxMs", "9223372036855")),
      At(P::kMilliseconds, BadTime("RejectsTimestampOnePastMinMs", "-9223372036855")),
      At(P::kSeconds, OkTime("AcceptsTimestampInSeconds", "1", 1000000000)),
      At(P::kSeconds, OkTime("AcceptsNegativeTimestampInSeconds", "-1", -1000000000)),
      At(P::kSeconds, OkTime("AcceptsMaxTimestampS", "9223372036", 9223372036000000000)),
      At(P::kSeconds, OkTime("AcceptsMinTimestampS", "-9223372036", -9223372036000000000)),
      At(P::kSeconds, BadTime("RejectsTimestampOnePastMaxS", "9223372037")),
      At(P::kSeconds, BadTime("RejectsTimestampOnePastMinS", "-9223372037")),
      At(P::kSeconds, BadTime("RejectsNanosecondSizedTimestampInSeconds", "9223372036854775806")),
      BadTime("RejectsLoneMinusTimestamp", "-"),
      BadTime("RejectsTimestampWithTwoMinusSigns", "--1"),
      BadTime("RejectsTimestampWithTrailingMinus", "1-"),
      BadTime("RejectsTimestampWithPlusSign", "+1"),
      BadTime("RejectsFractionalTimestamp", "1.5"),
      BadTime("RejectsTimestampWithExponent", "1e9"),
      BadTime("RejectsTimestampOfLetters", "abc"),
      BadTime("RejectsHexTimestamp", "0x10"),
      BadTime("RejectsTimestampWithIntegerSuffix", "1i"),
      BadTime("RejectsTimestampWithUnderscore", "1_0"),
      BadTime("RejectsTabAfterTimestamp", "10\t"),
      BadTime("RejectsNulAfterTimestamp", "10\0"s),
      OkField("AcceptsTwoSpacesBeforeTimestamp", "cpu v=1  10", "v", Float(1), 10),
      OkField("AcceptsSpaceAfterTimestamp", "cpu v=1 10 ", "v", Float(1), 10),
      OkField("AcceptsSpacesAfterTimestamp", "cpu v=1 10   ", "v", Float(1), 10),
      OkField("AcceptsTabBeforeTimestampAfterSpace", "cpu v=1 \t10", "v", Float(1), 10),
      OkField("AcceptsNulBeforeTimestampAfterSpace", "cpu v=1 \0" "10"s, "v", Float(1), 10),
      OkField("AcceptsSpaceAfterFieldsWithoutTimestamp", "cpu v=1 ", "v", Float(1)),
      OkField("AcceptsTabAfterFieldsWithoutTimestamp", "cpu v=1 \t", "v", Float(1)),
      OkField("AcceptsNulAfterFieldsWithoutTimestamp", "cpu v=1 \0"s, "v", Float(1)),
      Bad("RejectsTextAfterTimestamp", "cpu v=1 10 ▸x", "trailing|after|unexpected|extra|invalid"),
      Bad("RejectsSecondTimestamp", "cpu v=1 10 ▸20", "trailing|after|unexpected|extra|invalid"),
      Bad("RejectsTextAfterSpacesAfterTimestamp", "cpu v=1 10   ▸x", "trailing|after|unexpected|extra|invalid"),
      Bad("RejectsTabAfterSpaceAfterTimestamp", "cpu v=1 10 ▸\t", "trailing|after|unexpected|extra|invalid"),
  };
}
INSTANTIATE_TEST_SUITE_P(Timestamp, LineParserCaseTest, testing::ValuesIn(TimestampCases()), CaseName);

// ---------------------------------------------------------------------------
// Whitespace, line endings, comments and blank lines.

std::vector<ParseCase> LineCases() {
  return {
      OkField("SkipsLeadingSpaces", "  cpu v=1", "v", Float(1)),
      OkField("SkipsLeadingTab", "\tcpu v=1", "v", Float(1)),
      OkField("SkipsLeadingNul", "\0cpu v=1"s, "v", Float(1)),
      OkField("SkipsLeadingMixedWhitespace", " \t\0 cpu v=1"s, "v", Float(1)),
      OkField("AcceptsNewlineTerminatedLine", "cpu v=1\n", "v", Float(1)),
      OkField("AcceptsNewlineTerminatedLineWithTimestamp", "cpu v=1 10\n", "v", Float(1), 10),
      Skip("SkipsNewlineOnly", "\n"),
      Skip("SkipsSpaces", "   "),
      Skip("SkipsSpacesAndNewline", "   \n"),
      Skip("SkipsTab", "\t"),
      Skip("SkipsNul", "\0"s),
      Skip("SkipsMixedWhitespace", " \t\0 "s),
      Skip("SkipsHashOnly", "#"),
      Skip("SkipsComment", "# comment"),
      Skip("SkipsCommentThatLooksLikeAPoint", "#cpu v=1"),
      Skip("SkipsIndentedComment", "  # indented"),
      Skip("SkipsCommentAfterTab", "\t# after a tab"),
      Skip("SkipsCommentAfterNul", "\0#x"s),
      Skip("SkipsNewlineTerminatedComment", "# comment\n"),
      Skip("SkipsCrLfTerminatedComment", "#\r\n"),
      Bad("RejectsLoneCarriageReturn", "\r▸", "field"),
      BadValue("RejectsCarriageReturnNotBeforeNewline", "1\r", "float|number"),
      // Deliberate difference (CRLF line endings): a CR directly before the
      // LF is part of the line ending. InfluxDB keeps it in the line, so it
      // rejects every one of these lines (or reads a blank one as a point
      // without fields).
      Differs("CRLF line ending", Skip("SkipsCrLfOnly", "\r\n")),
      Differs("CRLF line ending", Skip("SkipsSpacesThenCrLf", "  \r\n")),
      Differs("CRLF line ending", OkField("AcceptsCrLfAfterFloat", "cpu v=1\r\n", "v", Float(1))),
      Differs("CRLF line ending", OkField("AcceptsCrLfAfterInteger", "cpu v=1i\r\n", "v", Int(1))),
      Differs("CRLF line ending", OkField("AcceptsCrLfAfterBoolean", "cpu v=true\r\n", "v", Bool(true))),
      Differs("CRLF line ending", OkField("AcceptsCrLfAfterString", "cpu v=\"x\"\r\n", "v", Str("x"))),
      Differs("CRLF line ending", OkField("AcceptsCrLfAfterTimestamp", "cpu v=1 10\r\n", "v", Float(1), 10)),
      Differs("CRLF line ending", OkField("AcceptsCrLfAfterTrailingSpace", "cpu v=1 10 \r\n", "v", Float(1), 10)),
      // Deliberate difference: a backslash directly before a newline outside
      // a string does not escape the newline; the line is an error and ends
      // there. InfluxDB joins the two lines (measurement "cpu\\\ncpu" here).
      Differs("backslash before a newline",
              FirstLine(13, Bad("RejectsBackslashBeforeNewlineInMeasurement", "cpu▸\\\ncpu v=1\n",
                               "backslash|escape|newline"))),
      Differs("backslash before a newline",
              FirstLine(15, Bad("RejectsBackslashBeforeNewlineInTagValue", "cpu,a=b▸\\\nc v=1\n",
                               "backslash|escape|newline"))),
      Differs("backslash before a newline",
              FirstLine(14, Bad("RejectsBackslashBeforeNewlineInFieldKey", "cpu v=1,a▸\\\n=2\n",
                                "backslash|escape|newline"))),
      // Deliberate difference: a comment ends at its first newline. InfluxDB
      // splits lines before it sees the comment, so the quote here opens a
      // "string" that swallows the next line into the comment.
      Differs("comment ends at its first newline", FirstLine(6, Skip("CommentEndsAtFirstNewline", "# s=\"\ncpu v=1\n"))),
      // Deliberate difference: an unterminated string ends its line at the
      // first newline after the opening quote, so the next line still parses.
      // InfluxDB rejects both lines as one.
      Differs("unterminated string ends at the first newline",
              FirstLine(9, Bad("UnterminatedStringEndsAtFirstNewline", "cpu s=▸\"x\ncpu v=1\n",
                               "quote|string|unterminated"))),
  };
}
INSTANTIATE_TEST_SUITE_P(Lines, LineParserCaseTest, testing::ValuesIn(LineCases()), CaseName);

// ---------------------------------------------------------------------------
// Size limits: the key (65535 bytes, and 65535 with the separator and a field
// key) and string fields (65536 bytes, unescaped).

std::vector<ParseCase> LimitCases() {
  const std::string m65530(65530, 'm');
  std::vector<ParseCase> cases;
  // The key as written plus 4 plus the field key as written, at most 65535.
  cases.push_back(OkField("AcceptsKeyPlusFieldKeyOf65535Bytes", m65530 + " v=1", "v", Float(1)));
  cases.back().point.measurement = m65530;
  cases.push_back(Bad("RejectsKeyPlusFieldKeyOf65536Bytes", std::string(65531, 'm') + " ▸v=1", "key"));
  cases.push_back(Bad("RejectsKeyPlusLongerFieldKey", m65530 + " ▸vv=1", "key"));
  cases.push_back(Bad("RejectsKeyPlusSecondFieldKeyOf65536Bytes", m65530 + " v=1,▸vv=2", "key"));
  cases.push_back(Bad("RejectsKeyOf65535Bytes", std::string(65535, 'm') + " ▸v=1", "key"));
  cases.push_back(Bad("RejectsKeyOf65536Bytes", "▸" + std::string(65536, 'm') + " v=1", "key"));
  {
    ParseCase c = Ok("AcceptsKeyWithTagsAtLimit", "m,t=" + std::string(65526, 'x') + " v=1", "m",
                     {{"t", std::string(65526, 'x')}}, {{"v", Float(1)}});
    cases.push_back(std::move(c));
  }
  cases.push_back(Bad("RejectsKeyWithTagsPastLimit", "m,t=" + std::string(65527, 'x') + " ▸v=1", "key"));
  {
    ParseCase c = OkField("LeadingWhitespaceIsNotPartOfTheKey", "  " + m65530 + " v=1", "v", Float(1));
    c.point.measurement = m65530;
    cases.push_back(std::move(c));
  }
  {
    // The measurement counts as written: 65530 bytes with the backslash.
    ParseCase c = OkField("CountsEscapedMeasurementAsWritten", std::string(65528, 'm') + R"(\, v=1)", "v", Float(1));
    c.point.measurement = std::string(65528, 'm') + ",";
    cases.push_back(std::move(c));
  }
  cases.push_back(Bad("RejectsEscapedMeasurementPastLimitAsWritten", std::string(65529, 'm') + R"(\, ▸v=1)", "key"));
  {
    // The field key counts as written too: `\ ` is two bytes.
    ParseCase c = OkField("CountsEscapedFieldKeyAsWritten", std::string(65529, 'm') + R"( \ =1)", " ", Float(1));
    c.point.measurement = std::string(65529, 'm');
    cases.push_back(std::move(c));
  }
  cases.push_back(Bad("RejectsEscapedFieldKeyPastLimitAsWritten", m65530 + R"( ▸\ =1)", "key"));

  // Strings: at most 65536 bytes once unescaped.
  const std::string x65536(65536, 'x');
  cases.push_back(OkValue("AcceptsStringOf65536Bytes", "\"" + x65536 + "\"", Str(x65536)));
  cases.push_back(OkValue("AcceptsEscapedStringOf65536BytesUnescaped", "\"" + std::string(65535, 'x') + R"(\\")",
                          Str(std::string(65535, 'x') + "\\")));
  {
    std::string escaped_quotes;
    for (int i = 0; i < 65536; ++i) escaped_quotes += "\\\"";
    cases.push_back(OkValue("AcceptsStringOf65536EscapedQuotes", "\"" + escaped_quotes + "\"",
                            Str(std::string(65536, '"'))));
    // Deliberate difference: strings over 65536 bytes are an error;
    // InfluxDB's parser accepts them (its storage engine then refuses them).
    cases.push_back(Differs("string over 65536 bytes",
                            BadValue("RejectsStringOf65537EscapedQuotes", "\"" + escaped_quotes + "x\"",
                                     "string|long|large|limit|65536")));
  }
  cases.push_back(Differs("string over 65536 bytes", BadValue("RejectsStringOf65537Bytes", "\"" + x65536 + "x\"",
                                                              "string|long|large|limit|65536")));
  cases.push_back(Differs("string over 65536 bytes",
                          BadValue("RejectsEscapedStringOf65537BytesUnescaped", "\"" + x65536 + R"(\"")",
                                   "string|long|large|limit|65536")));
  return cases;
}
INSTANTIATE_TEST_SUITE_P(Limits, LineParserCaseTest, testing::ValuesIn(LimitCases()), CaseName);

// ---------------------------------------------------------------------------
// Sequences of lines, kNeedMore, options.

struct Step {
  ParseStatus status;
  size_t consumed;
  size_t newlines;
};

void PrintTo(const Step& step, std::ostream* os) {
  *os << "{" << StatusName(step.status) << ", consumed " << step.consumed << ", newlines "
      << step.newlines << "}";
}

// Parses `input` line by line (final = true) and returns each result.
std::vector<Step> ParseAll(LineParser* parser, std::string_view input) {
  std::vector<Step> steps;
  while (!input.empty() && steps.size() < 100) {
    size_t consumed = 0;
    size_t newlines = 0;
    const ParseStatus status = parser->Parse(input, /*final=*/true, &consumed, &newlines);
    steps.push_back({status, consumed, newlines});
    if (consumed == 0 || consumed > input.size()) break;
    input.remove_prefix(consumed);
  }
  return steps;
}

MATCHER_P3(IsStep, status, consumed, newlines, "") {
  *result_listener << "status " << StatusName(arg.status) << ", consumed " << arg.consumed
                   << ", newlines " << arg.newlines;
  return arg.status == status && arg.consumed == static_cast<size_t>(consumed) &&
         arg.newlines == static_cast<size_t>(newlines);
}

TEST(LineParserTest, ParsesAStreamOfLines) {
  LineParser parser;
  const std::string input = "cpu v=1\n\n# comment\r\ncpu v=2 5\r\nbad\n  \ncpu v=3";
  EXPECT_THAT(ParseAll(&parser, input),
              testing::ElementsAre(IsStep(ParseStatus::kPoint, 8, 1), IsStep(ParseStatus::kSkip, 1, 1),
                                   IsStep(ParseStatus::kSkip, 11, 1), IsStep(ParseStatus::kPoint, 11, 1),
                                   IsStep(ParseStatus::kError, 4, 1), IsStep(ParseStatus::kSkip, 3, 1),
                                   IsStep(ParseStatus::kPoint, 7, 0)));
}

TEST(LineParserTest, StringSpansLinesAndCountsItsNewlines) {
  LineParser parser;
  const std::string input = "cpu s=\"a\nb\nc\" 1\ncpu v=2\n";
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse(input, true, &consumed, &newlines), ParseStatus::kPoint) << parser.error().reason;
  EXPECT_EQ(consumed, 16u);
  EXPECT_EQ(newlines, 3u);
  ASSERT_EQ(parser.point().fields.size(), 1u);
  EXPECT_EQ(parser.point().fields[0].AsString(), "a\nb\nc");
  EXPECT_EQ(parser.point().timestamp_ns, 1);
  EXPECT_EQ(parser.point().line, "cpu s=\"a\nb\nc\" 1");
  ASSERT_EQ(parser.Parse(std::string_view(input).substr(16), true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(consumed, 8u);
  EXPECT_EQ(newlines, 1u);
}

// Deliberate difference: an unterminated string ends its line at the first
// newline after the opening quote; InfluxDB would read to the end of the
// input as one line and reject it all.
TEST(LineParserTest, UnterminatedStringOverSeveralLinesRecoversAtFirstNewline) {
  LineParser parser;
  const std::string input = "cpu s=\"a\ncpu v=1\ncpu v=2 3\n";
  const std::vector<Step> steps = ParseAll(&parser, input);
  EXPECT_THAT(steps, testing::ElementsAre(IsStep(ParseStatus::kError, 9, 1), IsStep(ParseStatus::kPoint, 8, 1),
                                          IsStep(ParseStatus::kPoint, 10, 1)));
  EXPECT_EQ(parser.point().timestamp_ns, 3);
}

TEST(LineParserTest, UnterminatedStringReportsTheOpeningQuote) {
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse("cpu a=1,s=\"x\ny=2\n", true, &consumed, &newlines), ParseStatus::kError);
  EXPECT_EQ(parser.error().offset, 10u);
  EXPECT_EQ(consumed, 13u);
  EXPECT_EQ(newlines, 1u);
}

// Deliberate difference: a comment ends at its first newline, whatever it
// contains; InfluxDB splits lines first and lets a quote in a comment swallow
// the lines after it.
TEST(LineParserTest, CommentWithQuoteEndsAtFirstNewline) {
  LineParser parser;
  EXPECT_THAT(ParseAll(&parser, "# a=\"b\ncpu v=1\n# x=\"\ncpu v=2"),
              testing::ElementsAre(IsStep(ParseStatus::kSkip, 7, 1), IsStep(ParseStatus::kPoint, 8, 1),
                                   IsStep(ParseStatus::kSkip, 6, 1), IsStep(ParseStatus::kPoint, 7, 0)));
}

// Deliberate difference: a backslash before a newline never escapes it.
// InfluxDB's line splitter takes a backslash and a newline as a pair and
// joins the lines; the joined line, a name with a newline in it, is an error
// as a whole, so no piece of it is read as a line of its own.
TEST(LineParserTest, BackslashBeforeNewlineJoinsTheBadLineAsInInfluxDb) {
  LineParser parser;
  EXPECT_THAT(ParseAll(&parser, "cpu\\\ncpu v=1\ncpu,a=b\\\ncpu v=2\nok v=3\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 13, 2), IsStep(ParseStatus::kError, 17, 2),
                                   IsStep(ParseStatus::kPoint, 7, 1)));
}

// InfluxDB splits its input into lines before parsing them (scanLine): from
// the first space it sees, it counts unescaped `=` and `,` and takes a quote
// as opening a string when it has seen more `=` than `,`. It pairs
// backslashes with the next byte, where the key scanners only look at the
// byte before. So a stray quote outside a string field joins the next line
// into a bad one, and with a leading space (or `\\ ` in the key) the counts
// start inside the key.

// Deliberate difference (a bad line ends at the first newline after its
// error): a quote that opens no string field does not join lines. InfluxDB
// reads each pair of lines here as one bad line.
TEST(LineParserTest, StrayQuoteInBadValueDoesNotJoinTheNextLine) {
  LineParser parser;
  EXPECT_THAT(ParseAll(&parser, "cpu a=1,b=x\"y\ncpu c=2\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 14, 1), IsStep(ParseStatus::kPoint, 8, 1)));
  EXPECT_THAT(ParseAll(&parser, "cpu a=1\"\ncpu c=2\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 9, 1), IsStep(ParseStatus::kPoint, 8, 1)));
}

// Deliberate difference (leading blanks): a line is read as without its
// leading blanks. After a leading space InfluxDB's splitter counts the `=` in
// the key and takes the quote after it for an opening one, so it reads each
// pair of lines here as one bad line, and splits the string of the last
// input at its newline.
TEST(LineParserTest, LeadingBlanksDoNotChangeWhereALineEnds) {
  LineParser parser;
  EXPECT_THAT(ParseAll(&parser, " m=x\"y f=1\nm g=2\n"),
              testing::ElementsAre(IsStep(ParseStatus::kPoint, 11, 1), IsStep(ParseStatus::kPoint, 6, 1)));
  EXPECT_THAT(ParseAll(&parser, "m=x\"y f=1\nm g=2\n"),
              testing::ElementsAre(IsStep(ParseStatus::kPoint, 10, 1), IsStep(ParseStatus::kPoint, 6, 1)));
  EXPECT_THAT(ParseAll(&parser, " m,a=b\\\\,c s=\"x\ny\"\n"),
              testing::ElementsAre(IsStep(ParseStatus::kPoint, 19, 2)));
  ASSERT_EQ(parser.point().tags.size(), 1u);
  EXPECT_EQ(UnescapeTag(parser.point().tags[0].value), "b\\,c");
  EXPECT_EQ(parser.point().fields[0].AsString(), "x\ny");
}

// Deliberate difference: a line whose quote InfluxDB's splitter reads
// otherwise than its parser is an error, and ends at its first newline. The
// `\\ ` here starts the splitter's counting inside the tags, so it takes the
// quote in the last tag value for an opening one and joins the next line.
TEST(LineParserTest, QuoteThatInfluxDbSplitterReadsOtherwiseIsAnError) {
  LineParser parser;
  EXPECT_THAT(ParseAll(&parser, "m,a=b\\\\ c,d==\" f=1\nm g=2\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 19, 1), IsStep(ParseStatus::kPoint, 6, 1)));
}

// Deliberate difference (a measurement with a backslash before an escaped
// character). A bad line ends where InfluxDB's line splitter ends it, read
// without its leading blanks: in the first case the splitter keeps the
// string whole; in the others it ends the line inside the string (or at the
// quote's line), and what follows is a line of its own, as for InfluxDB.
TEST(LineParserTest, BadLineEndsWhereTheSplitterEndsIt) {
  LineParser parser;
  EXPECT_THAT(ParseAll(&parser, " C\\\\,,t=1 s=\"a\nb\"\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 18, 2)));
  EXPECT_THAT(ParseAll(&parser, "m\\\\ x,a=b\\\\,c s=\"1\n2\"\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 19, 1), IsStep(ParseStatus::kError, 3, 1)));
  EXPECT_THAT(ParseAll(&parser, "m\\\\ x=\"y f=1\nm g=2\n"),
              testing::ElementsAre(IsStep(ParseStatus::kError, 13, 1), IsStep(ParseStatus::kPoint, 6, 1)));
}

TEST(LineParserTest, FieldRepeatedWithTheSameTypeIsAccepted) {
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  // As in InfluxDB, the last value wins.
  ASSERT_EQ(parser.Parse("cpu a=1,b=2,a=3", true, &consumed, &newlines), ParseStatus::kPoint)
      << parser.error().reason;
  const auto& fields = parser.point().fields;
  const auto last_a = std::find_if(fields.rbegin(), fields.rend(), [](const FieldView& f) { return f.key == "a"; });
  ASSERT_NE(last_a, fields.rend());
  EXPECT_EQ(last_a->AsFloat(), 3.0);
}

TEST(LineParserTest, NeedsMoreForIncompleteLineWhenNotFinal) {
  LineParser parser;
  size_t consumed = 99;
  size_t newlines = 99;
  EXPECT_EQ(parser.Parse("cpu v=1", false, &consumed, &newlines), ParseStatus::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(newlines, 0u);
  EXPECT_EQ(parser.Parse("cpu v=1", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(consumed, 7u);
  EXPECT_EQ(newlines, 0u);
}

TEST(LineParserTest, NeedsMoreForEachIncompleteKindOfLine) {
  const std::string inputs[] = {
      "cpu",              // measurement only
      "cpu,a=1 v=1 10",   // complete but for its line ending
      "cpu v=1\r",        // the CR may be the start of a CRLF
      "cpu s=\"a\nb",     // a string left open across a newline
      "cpu s=\"a\\\"\n",  // the quote is escaped, so the string is still open
      "# comment",        // a comment without its newline
      "   ",              // whitespace without its newline
  };
  for (const std::string& input : inputs) {
    LineParser parser;
    size_t consumed = 99;
    size_t newlines = 99;
    EXPECT_EQ(parser.Parse(input, false, &consumed, &newlines), ParseStatus::kNeedMore) << Printable(input);
    EXPECT_EQ(consumed, 0u) << Printable(input);
    EXPECT_EQ(newlines, 0u) << Printable(input);
  }
}

TEST(LineParserTest, CompleteLinesParseWhenNotFinal) {
  LineParser parser;
  const std::string input = "cpu v=1\ncpu s=\"a\nb\"\r\n# c\ncpu";
  std::string_view rest = input;
  std::vector<Step> steps;
  for (;;) {
    size_t consumed = 0;
    size_t newlines = 0;
    const ParseStatus status = parser.Parse(rest, false, &consumed, &newlines);
    steps.push_back({status, consumed, newlines});
    if (status == ParseStatus::kNeedMore || consumed == 0 || steps.size() > 10) break;
    rest.remove_prefix(consumed);
  }
  EXPECT_THAT(steps, testing::ElementsAre(IsStep(ParseStatus::kPoint, 8, 1), IsStep(ParseStatus::kPoint, 13, 2),
                                          IsStep(ParseStatus::kSkip, 4, 1), IsStep(ParseStatus::kNeedMore, 0, 0)));
  EXPECT_EQ(rest, "cpu");
}

TEST(LineParserTest, CrLfSplitAcrossCallsIsOneLineEnding) {
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse("cpu v=1\r", false, &consumed, &newlines), ParseStatus::kNeedMore);
  ASSERT_EQ(parser.Parse("cpu v=1\r\n", false, &consumed, &newlines), ParseStatus::kPoint) << parser.error().reason;
  EXPECT_EQ(consumed, 9u);
  EXPECT_EQ(newlines, 1u);
  EXPECT_EQ(parser.point().line, "cpu v=1");
}

// Deliberate difference: a line over max_line_bytes is an error (InfluxDB has
// no limit but the request size).
TEST(LineParserTest, EnforcesMaxLineBytes) {
  ParserOptions options;
  options.max_line_bytes = 16;
  LineParser parser(options);
  size_t consumed = 0;
  size_t newlines = 0;
  const std::string at_limit = "cpu v=1234567890";  // 16 bytes
  ASSERT_EQ(at_limit.size(), 16u);
  EXPECT_EQ(parser.Parse(at_limit + "\n", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(parser.Parse(at_limit, true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(parser.Parse(at_limit, false, &consumed, &newlines), ParseStatus::kNeedMore);
  // The line ending does not count, CR included.
  EXPECT_EQ(parser.Parse(at_limit + "\r\n", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(consumed, 18u);

  const std::string too_long = "cpu v=12345678901";  // 17 bytes
  ASSERT_EQ(parser.Parse(too_long + "\ncpu v=2\n", true, &consumed, &newlines), ParseStatus::kError);
  EXPECT_EQ(parser.error().offset, 16u);
  EXPECT_TRUE(ReasonMatches(parser.error().reason, "line|long")) << parser.error().reason;
  EXPECT_EQ(consumed, 18u);
  EXPECT_EQ(newlines, 1u);
  ASSERT_EQ(parser.Parse(too_long, true, &consumed, &newlines), ParseStatus::kError);
  EXPECT_EQ(consumed, 17u);
  // A string spanning lines counts with its newlines.
  ASSERT_EQ(parser.Parse("cpu s=\"aa\nbbbbbb\"\n", true, &consumed, &newlines), ParseStatus::kError);
  EXPECT_EQ(consumed, 18u);
  EXPECT_EQ(newlines, 2u);
  // A comment is a line too.
  ASSERT_EQ(parser.Parse("# " + std::string(15, 'c') + "\n", true, &consumed, &newlines), ParseStatus::kError);
}

TEST(LineParserTest, PartialLineOverMaxLineBytesIsAnErrorEvenWhenNotFinal) {
  ParserOptions options;
  options.max_line_bytes = 16;
  LineParser parser(options);
  size_t consumed = 0;
  size_t newlines = 0;
  const std::string partial = "cpu v=12345678901";  // 17 bytes, no line ending yet
  EXPECT_EQ(parser.Parse(partial, false, &consumed, &newlines), ParseStatus::kError);
  EXPECT_GT(consumed, 0u);
  EXPECT_LE(consumed, partial.size());
  EXPECT_EQ(parser.error().offset, 16u);
}

TEST(LineParserTest, RejectsUnsignedWhenNotAllowed) {
  ParserOptions options;
  options.allow_unsigned = false;
  LineParser parser(options);
  size_t consumed = 0;
  size_t newlines = 0;
  // As InfluxDB built without unsigned support.
  ASSERT_EQ(parser.Parse("cpu v=7u", true, &consumed, &newlines), ParseStatus::kError);
  EXPECT_EQ(parser.error().offset, 6u);
  EXPECT_EQ(parser.Parse("cpu v=7i", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(parser.options().allow_unsigned, false);
}

TEST(LineParserTest, ReusedParserForgetsThePreviousLine) {
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse("cpu,a=1,b=2 x=1,y=2,z=3 10", true, &consumed, &newlines), ParseStatus::kPoint);
  ASSERT_EQ(parser.Parse("cpu,a=1 bad", true, &consumed, &newlines), ParseStatus::kError);
  ASSERT_EQ(parser.Parse("mem v=1", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(parser.point().measurement, "mem");
  EXPECT_TRUE(parser.point().tags.empty());
  EXPECT_EQ(parser.point().fields.size(), 1u);
  EXPECT_FALSE(parser.point().timestamp_ns.has_value());
  EXPECT_TRUE(parser.point().timestamp_text.empty());
}

TEST(LineParserTest, KeepsOptions) {
  ParserOptions options;
  options.precision = Precision::kSeconds;
  options.max_line_bytes = 77;
  LineParser parser(options);
  EXPECT_EQ(parser.options().precision, Precision::kSeconds);
  EXPECT_EQ(parser.options().max_line_bytes, 77u);
}

// ---------------------------------------------------------------------------
// PointView: views into the input buffer, as written.

bool PointsInto(std::string_view view, std::string_view buffer, size_t offset) {
  return view.data() == buffer.data() + offset;
}

TEST(PointViewTest, ViewsPointIntoTheInputBuffer) {
  const std::string input = "c\\ pu,host=a\\ b,dc=x v=1.5,s=\"x y\",n=-3i 123  \r\nnext";
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse(input, true, &consumed, &newlines), ParseStatus::kPoint) << parser.error().reason;
  const PointView& p = parser.point();
  EXPECT_EQ(consumed, input.size() - 4);

  EXPECT_EQ(p.line, "c\\ pu,host=a\\ b,dc=x v=1.5,s=\"x y\",n=-3i 123");
  EXPECT_TRUE(PointsInto(p.line, input, 0));
  EXPECT_EQ(p.measurement, "c\\ pu");
  EXPECT_TRUE(PointsInto(p.measurement, input, 0));
  EXPECT_EQ(p.key, "c\\ pu,host=a\\ b,dc=x");
  EXPECT_TRUE(PointsInto(p.key, input, 0));

  ASSERT_EQ(p.tags.size(), 2u);
  EXPECT_EQ(p.tags[0].key, "host");
  EXPECT_TRUE(PointsInto(p.tags[0].key, input, 6));
  EXPECT_EQ(p.tags[0].value, "a\\ b");
  EXPECT_TRUE(PointsInto(p.tags[0].value, input, 11));
  EXPECT_EQ(p.tags[1].key, "dc");
  EXPECT_EQ(p.tags[1].value, "x");
  EXPECT_TRUE(PointsInto(p.tags[1].value, input, 19));

  EXPECT_EQ(p.field_set, "v=1.5,s=\"x y\",n=-3i");
  EXPECT_TRUE(PointsInto(p.field_set, input, 21));
  ASSERT_EQ(p.fields.size(), 3u);
  EXPECT_EQ(p.fields[0].key, "v");
  EXPECT_TRUE(PointsInto(p.fields[0].key, input, 21));
  EXPECT_EQ(p.fields[0].value, "1.5");
  EXPECT_TRUE(PointsInto(p.fields[0].value, input, 23));
  EXPECT_EQ(p.fields[0].type, FieldType::kFloat);
  EXPECT_EQ(p.fields[1].key, "s");
  EXPECT_EQ(p.fields[1].value, "\"x y\"");
  EXPECT_TRUE(PointsInto(p.fields[1].value, input, 29));
  EXPECT_EQ(p.fields[1].type, FieldType::kString);
  EXPECT_EQ(p.fields[2].value, "-3i");
  EXPECT_EQ(p.fields[2].type, FieldType::kInteger);

  EXPECT_EQ(p.timestamp_text, "123");
  EXPECT_TRUE(PointsInto(p.timestamp_text, input, 41));
  EXPECT_EQ(p.timestamp_ns, 123);
}

TEST(PointViewTest, LineLeavesOutLeadingAndTrailingBlanks) {
  const std::string input = " \t cpu v=1  10  \n";
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse(input, true, &consumed, &newlines), ParseStatus::kPoint) << parser.error().reason;
  EXPECT_EQ(consumed, input.size());
  EXPECT_EQ(parser.point().line, "cpu v=1  10");
  EXPECT_TRUE(PointsInto(parser.point().line, input, 3));
  EXPECT_TRUE(PointsInto(parser.point().measurement, input, 3));
  EXPECT_TRUE(PointsInto(parser.point().timestamp_text, input, 12));

  const std::string no_timestamp = "  cpu,a=b s=\"x\ny\"  ";
  ASSERT_EQ(parser.Parse(no_timestamp, true, &consumed, &newlines), ParseStatus::kPoint) << parser.error().reason;
  EXPECT_EQ(parser.point().line, "cpu,a=b s=\"x\ny\"");
  EXPECT_TRUE(PointsInto(parser.point().line, no_timestamp, 2));
}

TEST(PointViewTest, KeepsNamesAndValuesAsWritten) {
  const std::string input = R"(c\,pu,a\=b=c\,d f\ x=1,s="q\"\\",b=T,u=007u 010)";
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse(input, true, &consumed, &newlines), ParseStatus::kPoint) << parser.error().reason;
  const PointView& p = parser.point();
  EXPECT_EQ(p.measurement, R"(c\,pu)");
  ASSERT_EQ(p.tags.size(), 1u);
  EXPECT_EQ(p.tags[0].key, R"(a\=b)");
  EXPECT_EQ(p.tags[0].value, R"(c\,d)");
  ASSERT_EQ(p.fields.size(), 4u);
  EXPECT_EQ(p.fields[0].key, R"(f\ x)");
  EXPECT_EQ(p.fields[1].value, R"("q\"\\")");
  EXPECT_EQ(p.fields[1].AsString(), R"(q"\)");
  EXPECT_EQ(p.fields[2].value, "T");
  EXPECT_EQ(p.fields[2].type, FieldType::kBoolean);
  EXPECT_EQ(p.fields[3].value, "007u");
  EXPECT_EQ(p.fields[3].type, FieldType::kUnsigned);
  EXPECT_EQ(p.timestamp_text, "010");
  EXPECT_EQ(p.timestamp_ns, 10);
}

TEST(PointViewTest, LineWithoutTimestampHasNone) {
  LineParser parser;
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse("cpu v=1 \n", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_FALSE(parser.point().timestamp_ns.has_value());
  EXPECT_TRUE(parser.point().timestamp_text.empty());
  EXPECT_EQ(parser.point().key, "cpu");
  EXPECT_EQ(parser.point().field_set, "v=1");
  EXPECT_TRUE(parser.point().tags.empty());
}

TEST(PointViewTest, TimestampIsConvertedFromThePrecision) {
  ParserOptions options;
  options.precision = Precision::kMilliseconds;
  LineParser parser(options);
  size_t consumed = 0;
  size_t newlines = 0;
  ASSERT_EQ(parser.Parse("cpu v=1 -1700000000000", true, &consumed, &newlines), ParseStatus::kPoint);
  EXPECT_EQ(parser.point().timestamp_text, "-1700000000000");
  EXPECT_EQ(parser.point().timestamp_ns, -1700000000000000000);
  EXPECT_EQ(parser.point().precision, Precision::kMilliseconds);
}

// ---------------------------------------------------------------------------
// FieldView decoders, on values as the parser keeps them.

FieldView MakeField(std::string_view value, FieldType type) { return FieldView{"k", value, type}; }

TEST(FieldViewTest, DecodesFloats) {
  EXPECT_EQ(MakeField("-1.5e3", FieldType::kFloat).AsFloat(), -1500.0);
  EXPECT_EQ(MakeField("1", FieldType::kFloat).AsFloat(), 1.0);
  EXPECT_EQ(MakeField(".5", FieldType::kFloat).AsFloat(), 0.5);
  EXPECT_EQ(MakeField("1.", FieldType::kFloat).AsFloat(), 1.0);
  EXPECT_EQ(MakeField("0.1", FieldType::kFloat).AsFloat(), 0.1);
  EXPECT_TRUE(std::signbit(MakeField("-0", FieldType::kFloat).AsFloat()));
  EXPECT_EQ(MakeField("1e-400", FieldType::kFloat).AsFloat(), 0.0);
  EXPECT_EQ(MakeField("1.7976931348623157e308", FieldType::kFloat).AsFloat(), std::numeric_limits<double>::max());
  EXPECT_EQ(MakeField("5e-324", FieldType::kFloat).AsFloat(), std::numeric_limits<double>::denorm_min());
}

TEST(FieldViewTest, DecodesIntegers) {
  EXPECT_EQ(MakeField("42i", FieldType::kInteger).AsInteger(), 42);
  EXPECT_EQ(MakeField("-007i", FieldType::kInteger).AsInteger(), -7);
  EXPECT_EQ(MakeField("9223372036854775807i", FieldType::kInteger).AsInteger(), kInt64Max);
  EXPECT_EQ(MakeField("-9223372036854775808i", FieldType::kInteger).AsInteger(), kInt64Min);
}

TEST(FieldViewTest, DecodesUnsigned) {
  EXPECT_EQ(MakeField("7u", FieldType::kUnsigned).AsUnsigned(), 7u);
  EXPECT_EQ(MakeField("0u", FieldType::kUnsigned).AsUnsigned(), 0u);
  EXPECT_EQ(MakeField("18446744073709551615u", FieldType::kUnsigned).AsUnsigned(), kUint64Max);
}

TEST(FieldViewTest, DecodesBooleans) {
  for (const char* text : {"t", "T", "true", "True", "TRUE"}) {
    EXPECT_TRUE(MakeField(text, FieldType::kBoolean).AsBoolean()) << text;
  }
  for (const char* text : {"f", "F", "false", "False", "FALSE"}) {
    EXPECT_FALSE(MakeField(text, FieldType::kBoolean).AsBoolean()) << text;
  }
}

TEST(FieldViewTest, DecodesStrings) {
  EXPECT_EQ(MakeField(R"("quoted \"text\"")", FieldType::kString).AsString(), R"(quoted "text")");
  EXPECT_EQ(MakeField(R"("")", FieldType::kString).AsString(), "");
  EXPECT_EQ(MakeField(R"("a\\b\c\n")", FieldType::kString).AsString(), R"(a\b\c\n)");
  EXPECT_EQ(MakeField("\"line\nbreak\"", FieldType::kString).AsString(), "line\nbreak");
}

// ---------------------------------------------------------------------------
// Unescape* helpers.

TEST(UnescapeTest, MeasurementDropsBackslashBeforeCommaSpaceEqualsAndQuote) {
  EXPECT_EQ(UnescapeMeasurement(R"(a\,b\ c)"), "a,b c");
  EXPECT_EQ(UnescapeMeasurement(R"(a\=b)"), "a=b");
  EXPECT_EQ(UnescapeMeasurement(R"(a\"b)"), R"(a"b)");
  EXPECT_EQ(UnescapeMeasurement(R"(a\\=b)"), R"(a\=b)");
  EXPECT_EQ(UnescapeMeasurement(R"(a\\"b)"), R"(a\"b)");
  EXPECT_EQ(UnescapeMeasurement(R"(a\\,b)"), R"(a\,b)");
  EXPECT_EQ(UnescapeMeasurement(R"(a\\b)"), R"(a\\b)");
  EXPECT_EQ(UnescapeMeasurement(R"(a\\\ b)"), R"(a\\ b)");
  EXPECT_EQ(UnescapeMeasurement(R"(\t)"), R"(\t)");
  EXPECT_EQ(UnescapeMeasurement(R"(a\)"), R"(a\)");
  EXPECT_EQ(UnescapeMeasurement("plain"), "plain");
  EXPECT_EQ(UnescapeMeasurement(""), "");
}

TEST(UnescapeTest, TagDropsBackslashBeforeCommaSpaceAndEqualsOnly) {
  EXPECT_EQ(UnescapeTag(R"(a\,b\ c\=d)"), "a,b c=d");
  EXPECT_EQ(UnescapeTag(R"(a\"b)"), R"(a\"b)");
  EXPECT_EQ(UnescapeTag(R"(a\\=b)"), R"(a\=b)");
  EXPECT_EQ(UnescapeTag(R"(a\\b)"), R"(a\\b)");
  EXPECT_EQ(UnescapeTag(R"(\x)"), R"(\x)");
  EXPECT_EQ(UnescapeTag(R"(a\)"), R"(a\)");
  EXPECT_EQ(UnescapeTag("=1"), "=1");
  EXPECT_EQ(UnescapeTag(""), "");
}

TEST(UnescapeTest, FieldKeyDropsBackslashBeforeCommaSpaceEqualsAndQuote) {
  EXPECT_EQ(UnescapeFieldKey(R"(a\,b\ c\=d\"e)"), R"(a,b c=d"e)");
  EXPECT_EQ(UnescapeFieldKey(R"(a"b)"), R"(a"b)");
  EXPECT_EQ(UnescapeFieldKey(R"(a\\b)"), R"(a\\b)");
  EXPECT_EQ(UnescapeFieldKey(R"(a\\\,b)"), R"(a\\,b)");
  EXPECT_EQ(UnescapeFieldKey(R"(a\\"b)"), R"(a\"b)");
  EXPECT_EQ(UnescapeFieldKey(R"(a\x)"), R"(a\x)");
  EXPECT_EQ(UnescapeFieldKey(R"(\ )"), " ");
  EXPECT_EQ(UnescapeFieldKey(""), "");
}

TEST(UnescapeTest, StringValueResolvesBackslashAndQuoteOnly) {
  EXPECT_EQ(UnescapeStringValue(R"(a\"b)"), R"(a"b)");
  EXPECT_EQ(UnescapeStringValue(R"(a\\b)"), R"(a\b)");
  EXPECT_EQ(UnescapeStringValue(R"(a\b)"), R"(a\b)");
  EXPECT_EQ(UnescapeStringValue(R"(\\\")"), R"(\")");
  EXPECT_EQ(UnescapeStringValue(R"(\\\\)"), R"(\\)");
  EXPECT_EQ(UnescapeStringValue(R"(\\\\\")"), R"(\\")");
  EXPECT_EQ(UnescapeStringValue(R"(\n\t)"), R"(\n\t)");
  EXPECT_EQ(UnescapeStringValue(R"(\,\ \=)"), R"(\,\ \=)");
  EXPECT_EQ(UnescapeStringValue("line\nbreak"), "line\nbreak");
  EXPECT_EQ(UnescapeStringValue(""), "");
}

// ---------------------------------------------------------------------------
// Precision and field type helpers.

TEST(PrecisionTest, ParsesInfluxDbSpellings) {
  EXPECT_EQ(ParsePrecision("ns"), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecision("n"), Precision::kNanoseconds);
  EXPECT_EQ(ParsePrecision("us"), Precision::kMicroseconds);
  EXPECT_EQ(ParsePrecision("u"), Precision::kMicroseconds);
  EXPECT_EQ(ParsePrecision("ms"), Precision::kMilliseconds);
  EXPECT_EQ(ParsePrecision("s"), Precision::kSeconds);
  for (const char* bad : {"", "m", "h", "NS", "S", "sec", "nanoseconds", "µs", " s", "s "}) {
    EXPECT_EQ(ParsePrecision(bad), std::nullopt) << bad;
  }
}

TEST(PrecisionTest, NamesAndMultipliers) {
  EXPECT_EQ(PrecisionName(Precision::kNanoseconds), "ns");
  EXPECT_EQ(PrecisionName(Precision::kMicroseconds), "us");
  EXPECT_EQ(PrecisionName(Precision::kMilliseconds), "ms");
  EXPECT_EQ(PrecisionName(Precision::kSeconds), "s");
  EXPECT_EQ(PrecisionMultiplier(Precision::kNanoseconds), 1);
  EXPECT_EQ(PrecisionMultiplier(Precision::kMicroseconds), 1000);
  EXPECT_EQ(PrecisionMultiplier(Precision::kMilliseconds), 1000000);
  EXPECT_EQ(PrecisionMultiplier(Precision::kSeconds), 1000000000);
  for (Precision p : {Precision::kNanoseconds, Precision::kMicroseconds, Precision::kMilliseconds,
                      Precision::kSeconds}) {
    EXPECT_EQ(ParsePrecision(PrecisionName(p)), p);
  }
}

TEST(FieldTypeTest, NamesAreDistinctAndNonEmpty) {
  const FieldType types[] = {FieldType::kFloat, FieldType::kInteger, FieldType::kUnsigned, FieldType::kString,
                             FieldType::kBoolean};
  std::vector<std::string> names;
  for (FieldType type : types) {
    names.emplace_back(FieldTypeName(type));
    EXPECT_FALSE(names.back().empty());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

TEST(LimitsTest, AreInfluxDbs) {
  EXPECT_EQ(kMinTimestampNs, std::numeric_limits<int64_t>::min() + 2);
  EXPECT_EQ(kMaxTimestampNs, std::numeric_limits<int64_t>::max() - 1);
  EXPECT_EQ(kMaxKeyBytes, 65535u);
  EXPECT_EQ(kMaxStringBytes, 65536u);
}

}  // namespace
}  // namespace inflow
