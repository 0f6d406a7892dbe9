// LineParser against the real InfluxDB: for each edge case of line protocol,
// InfluxDB's verdict on a write of that line alone must be LineParser's,
// and for a line both accept, what InfluxDB stored must be what LineParser
// decoded (names unescaped, field types and values, timestamp).
//
// The only differences allowed are the deliberate ones documented in
// README.md ("Deliberate differences from InfluxDB's parser"), each pinned
// here in both directions: LineParser rejects, InfluxDB accepts (and stores
// something other than what was sent). A line with a CR LF ending, which
// LineParser accepts and InfluxDB does not take as sent, is compared with
// the line without the CR.
//
// The facts about this InfluxDB that the daemon must match (its answers to
// rejected lines and partial writes) are pinned by LineProtocolFactsTest.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/line_parser.h"
#include "inflow/point.h"
#include "support/http_client.h"
#include "support/influxdb_server.h"
#include "support/shared_influxdb.h"
#include "support/stored_point.h"

namespace inflow {
namespace {

using namespace std::string_literals;
using test::DescribeStoredPoints;
using test::HttpResponse;
using test::InfluxDbServer;
using test::Printable;
using test::ReadStoredPoints;
using test::SortStoredPoints;
using test::StoredPoint;
using test::ToStoredPoint;

// ---------------------------------------------------------------------------
// LineParser's verdict on a request body.

struct InflowVerdict {
  bool accepted = true;  // no line was rejected
  std::string description;
  std::vector<StoredPoint> points;  // of the lines it accepted
};

// What InfluxDB keeps of a point's fields: it drops a field named `time`,
// and of a key repeated with one type it keeps the last value (see
// LineProtocolFactsTest). The parser keeps every field as written.
void KeepFieldsAsInfluxDbDoes(StoredPoint* point) {
  std::vector<test::StoredField> kept;
  for (test::StoredField& field : point->fields) {
    if (field.key == "time") continue;
    auto same = std::find_if(kept.begin(), kept.end(),
                             [&](const test::StoredField& f) { return f.key == field.key; });
    if (same != kept.end()) {
      *same = std::move(field);
    } else {
      kept.push_back(std::move(field));
    }
  }
  point->fields = std::move(kept);
}

InflowVerdict ParseWithInflow(std::string_view body, const ParserOptions& options) {
  InflowVerdict verdict;
  LineParser parser(options);
  size_t line_number = 1;
  while (!body.empty()) {
    size_t consumed = 0;
    size_t newlines = 0;
    ParseStatus status = parser.Parse(body, /*final=*/true, &consumed, &newlines);
    if (status == ParseStatus::kPoint) {
      verdict.points.push_back(ToStoredPoint(parser.point()));
      KeepFieldsAsInfluxDbDoes(&verdict.points.back());
    } else if (status == ParseStatus::kError) {
      if (verdict.accepted) {
        verdict.accepted = false;
        verdict.description = "rejected line " + std::to_string(line_number) + " at offset " +
                              std::to_string(parser.error().offset) + ": " + parser.error().reason;
      }
    }
    if (status == ParseStatus::kNeedMore || consumed == 0) {
      // Impossible with final=true; reported rather than looped on.
      verdict.accepted = false;
      verdict.description = "BUG: Parse returned status " +
                            std::to_string(static_cast<int>(status)) + " and consumed " +
                            std::to_string(consumed) + " bytes with final=true";
      return verdict;
    }
    body.remove_prefix(std::min(consumed, body.size()));
    line_number += newlines;
  }
  if (verdict.accepted) {
    verdict.description = "accepted " + std::to_string(verdict.points.size()) + " point(s)";
  }
  SortStoredPoints(&verdict.points);
  return verdict;
}

// ---------------------------------------------------------------------------
// The cases.

enum class Expect : uint8_t {
  // InfluxDB and LineParser agree.
  kSame,
  // A documented deliberate difference: LineParser rejects a line that
  // InfluxDB accepts but stores as something other than what was sent.
  kInflowRejectsInfluxDbAccepts,
  // LineParser accepts CR LF line endings; InfluxDB keeps the CR in the
  // line. InfluxDB must not store the line as given the way LineParser
  // decodes it, and its verdict on the line without the CR must be
  // LineParser's.
  kCrLf,
};

struct Case {
  std::string name;  // letters, digits and underscores
  std::string line;
  Expect expect = Expect::kSame;
};

// For GoogleTest's messages, which otherwise show the bytes of the struct.
void PrintTo(const Case& c, std::ostream* out) { *out << Printable(c.line); }

std::string Repeat(char c, size_t n) { return std::string(n, c); }

std::vector<Case> Cases() {
  constexpr Expect kDiff = Expect::kInflowRejectsInfluxDbAccepts;
  return {
      // Measurements and their escapes.
      {"Minimal", "m f=1"},
      {"MeasurementEscapedComma", R"(m\,x f=1)"},
      {"MeasurementEscapedSpace", R"(m\ x f=1)"},
      {"MeasurementBackslashEquals", R"(m\=x f=1)"},
      {"MeasurementUnescapedEquals", "m=x f=1"},
      {"MeasurementBackslashLiteral", R"(m\x f=1)"},
      // InfluxDB answers 204 but stores these where no query finds them.
      {"MeasurementDoubleBackslashComma", R"(m\\,t=1 f=1)", kDiff},
      {"MeasurementDoubleBackslashSpace", R"(m\\ x f=1)", kDiff},
      {"MeasurementDoubleBackslashEquals", R"(m\\=x f=1)", kDiff},
      {"MeasurementDoubleBackslashQuote", R"(m\\"x f=1)", kDiff},
      {"MeasurementDoubleBackslashLetter", R"(m\\x f=1)"},
      {"MeasurementEscapedQuote", R"(m\"x f=1)"},
      {"MeasurementEscapesTheSpaceBeforeFields", R"(m\ f=1)"},
      {"MeasurementWithQuote", R"(m"x f=1)"},
      {"MeasurementUtf8", "温度 f=1"},
      {"MeasurementWithNul", "m\0x f=1"s},
      {"MeasurementMissing", ",t=1 f=1"},
      {"TabIsNotASeparator", "m\tf=1"},
      {"LeadingSpace", " m f=1"},
      {"LeadingTab", "\tm f=1"},
      {"Comment", "# m f=1"},
      {"IndentedComment", "  # m f=1"},
      {"BlankLine", " "},
      {"EmptyBody", ""},

      // Tags.
      {"TagKeyEscapedComma", R"(m,t\,k=v f=1)"},
      {"TagKeyEscapedSpace", R"(m,t\ k=v f=1)"},
      {"TagKeyEscapedEquals", R"(m,t\=k=v f=1)"},
      {"TagKeyEscapedQuote", R"(m,t\"k=v f=1)"},
      {"TagKeyDoubleBackslash", R"(m,t\\k=v f=1)"},
      {"TagValueEscapedComma", R"(m,t=v\,w f=1)"},
      {"TagValueEscapedSpace", R"(m,t=v\ w f=1)"},
      {"TagValueEscapedEquals", R"(m,t=v\=w f=1)"},
      {"TagValueUnescapedEquals", "m,t=v=w f=1"},
      {"TagValueStartsWithEquals", "m,t==v f=1"},
      {"TagValueBackslashLiteral", R"(m,t=a\b f=1)"},
      {"TagValueDoubleBackslash", R"(m,t=a\\ f=1)"},
      {"TagValueWithQuote", R"(m,t="v" f=1)"},
      {"TagValueEscapedQuote", R"(m,t=v\"w f=1)"},
      {"TagValueDoubleBackslashComma", R"(m,t=a\\,u=b f=1)"},
      {"TagValueCarriageReturn", "m,t=a\rb f=1"},
      {"TagValueMissing", "m,t= f=1"},
      {"TagValueMissingAtEnd", "m,t="},
      {"TagKeyMissing", "m,=v f=1"},
      {"TagWithoutEquals", "m,t f=1"},
      {"TagTrailingComma", "m,t=1, f=1"},
      {"TagsUnsorted", "m,b=2,a=1 f=1"},
      {"TagsDuplicate", "m,a=1,a=2 f=1"},
      {"TagsDuplicateUnsorted", "m,b=1,a=2,b=3 f=1"},
      {"TagsDuplicateSameValue", "m,a=1,a=1 f=1"},
      {"TagKeyTime", "m,time=1 f=1"},
      {"TagKeyAndFieldKeyEqual", "m,a=x a=1"},

      // Field keys.
      {"FieldKeyEscapedComma", R"(m f\,k=1)"},
      {"FieldKeyEscapedSpace", R"(m f\ k=1)"},
      {"FieldKeyEscapedEquals", R"(m f\=k=1)"},
      {"FieldKeyEscapedQuote", R"(m f\"k=1)"},
      {"FieldKeyUnescapedQuote", R"(m f"k=1)"},
      {"FieldKeyBackslashLiteral", R"(m f\k=1)"},
      {"FieldKeyDoubleBackslash", R"(m f\\k=1)"},
      {"FieldKeyEndsWithBackslash", R"(m a\\=1)"},
      {"FieldKeyEndsWithBackslashBeforeAnotherField", R"(m a\\=1,b=2)", kDiff},
      {"FieldKeyEmpty", "m =1"},
      {"FieldKeyEmptyAfterTab", "m \t=1", kDiff},
      {"FieldKeyEmptyAfterNul", "m \0=1"s, kDiff},
      {"FieldKeyTab", "m f=1,\t=2"},
      {"FieldKeyTime", "m time=1"},
      {"FieldKeyTimeWithAnotherField", "m time=1,f=2"},
      {"FieldKeyTimeAfterAnotherField", "m f=2,time=1"},
      {"FieldKeysDuplicate", "m a=1,a=2"},
      {"FieldKeysDuplicateWithTypes", "m a=1i,a=2"},
      {"FieldKeysDuplicateWithStringAndFloat", R"(m a="x",a=2)"},

      // Integers.
      {"IntegerZero", "m f=0i"},
      {"IntegerNegativeZero", "m f=-0i"},
      {"IntegerMax", "m f=9223372036854775807i"},
      {"IntegerMaxPlusOne", "m f=9223372036854775808i"},
      {"IntegerMin", "m f=-9223372036854775808i"},
      {"IntegerMinMinusOne", "m f=-9223372036854775809i"},
      {"IntegerManyDigits", "m f=100000000000000000000000i"},
      {"IntegerLeadingZeros", "m f=007i"},
      {"IntegerPlusSign", "m f=+1i"},
      {"IntegerWithoutDigits", "m f=i"},
      {"IntegerMinusWithoutDigits", "m f=-i"},
      {"IntegerWithFraction", "m f=1.0i"},
      {"IntegerWithExponent", "m f=1e3i"},
      {"IntegerUppercaseI", "m f=1I"},

      // Unsigned integers (this server has none: see LineProtocolFactsTest).
      {"UnsignedOne", "m f=1u"},
      {"UnsignedZero", "m f=0u"},
      {"UnsignedMax", "m f=18446744073709551615u"},
      {"UnsignedMaxPlusOne", "m f=18446744073709551616u"},
      {"UnsignedNegative", "m f=-1u"},
      {"UnsignedNegativeZero", "m f=-0u"},

      // Booleans: every spelling InfluxDB knows, and near misses.
      {"BooleanT", "m f=t"},
      {"BooleanUpperT", "m f=T"},
      {"BooleanTrue", "m f=true"},
      {"BooleanTitleTrue", "m f=True"},
      {"BooleanUpperTrue", "m f=TRUE"},
      {"BooleanF", "m f=f"},
      {"BooleanUpperF", "m f=F"},
      {"BooleanFalse", "m f=false"},
      {"BooleanTitleFalse", "m f=False"},
      {"BooleanUpperFalse", "m f=FALSE"},
      {"BooleanMixedCaseTrue", "m f=tRUE"},
      {"BooleanMixedCaseTrue2", "m f=TRue"},
      {"BooleanMixedCaseFalse", "m f=FaLse"},
      {"BooleanTru", "m f=tru"},
      {"BooleanTruee", "m f=truee"},
      {"BooleanFals", "m f=fals"},
      {"BooleanYes", "m f=yes"},
      {"BooleanOne", "m f=t1"},

      // Floats.
      {"FloatInteger", "m f=1"},
      {"FloatNegative", "m f=-1.5"},
      {"FloatTrailingDot", "m f=1."},
      {"FloatLeadingDot", "m f=.5"},
      {"FloatNegativeLeadingDot", "m f=-.5"},
      {"FloatDotOnly", "m f=."},
      {"FloatMinusOnly", "m f=-"},
      {"FloatMinusDot", "m f=-."},
      {"FloatExponent", "m f=1.5e3"},
      {"FloatUpperExponent", "m f=1E3"},
      {"FloatExponentPlus", "m f=1e+3"},
      {"FloatExponentMinus", "m f=1e-3"},
      {"FloatExponentWithoutDigits", "m f=1e"},
      {"FloatExponentSignWithoutDigits", "m f=1e+"},
      {"FloatTwoDots", "m f=1.2.3"},
      {"FloatDoubleMinus", "m f=--1"},
      {"FloatPlusSign", "m f=+1"},
      {"FloatHex", "m f=0x10"},
      {"FloatUnderscore", "m f=1_000"},
      {"FloatLeadingZeros", "m f=007"},
      {"Float20Digits", "m f=20000000000000000000"},
      {"Float21Digits", "m f=100000000000000000000"},
      {"Float1e21", "m f=1e21"},
      {"FloatMax", "m f=1.7976931348623157e308"},
      {"FloatMaxRoundsDown", "m f=1.7976931348623158e308"},
      {"FloatOverMax", "m f=1.7976931348623159e308"},
      {"Float1e400", "m f=1e400"},
      {"FloatMinus1e400", "m f=-1e400"},
      {"Float1eMinus400", "m f=1e-400"},
      {"FloatMinus1eMinus400", "m f=-1e-400"},
      {"FloatSmallestDenormal", "m f=4.9406564584124654e-324"},
      {"FloatBelowSmallestDenormal", "m f=2e-324"},
      {"FloatNaN", "m f=NaN"},
      {"FloatLowerNan", "m f=nan"},
      {"FloatInf", "m f=Inf"},
      {"FloatPlusInf", "m f=+Inf"},
      {"FloatMinusInf", "m f=-Inf"},
      {"FloatLowerInfinity", "m f=infinity"},
      {"FloatManyDigits", "m f=0.1000000000000000055511151231257827021181583404541015625"},

      // Strings.
      {"String", R"(m f="abc")"},
      {"StringEmpty", R"(m f="")"},
      {"StringEscapedQuote", R"(m f="a\"b")"},
      {"StringEscapedBackslash", R"(m f="a\\b")"},
      {"StringEscapedQuoteAndBackslash", R"(m s="say \"hi\" \\ bye")"},
      {"StringEndsWithEscapedBackslash", R"(m f="a\\")"},
      {"StringBackslashN", R"(m f="a\nb")"},
      {"StringLoneBackslash", R"(m f="a\b")"},
      {"StringWithSeparators", R"(m f="a, b=c d")"},
      {"StringWithNewline", "m f=\"a\nb\""},
      {"StringWithCrLf", "m f=\"a\r\nb\""},
      {"StringUtf8", R"(m f="température 🌡")"},
      {"StringUnterminated", R"(m f="abc)"},
      {"StringUnterminatedByEscape", R"(m f="abc\")"},
      {"StringSingleQuotes", "m f='abc'"},
      {"StringTextAfterClosingQuote", R"(m f="a"b)", kDiff},
      {"StringThenTimestamp", R"(m f="a" 1)"},
      {"StringThenField", R"(m f="a",g=1)"},
      {"String65535Bytes", "m f=\"" + Repeat('x', 65535) + "\""},
      {"String65536Bytes", "m f=\"" + Repeat('x', 65536) + "\""},
      {"String65537Bytes", "m f=\"" + Repeat('x', 65537) + "\"", kDiff},
      {"String70000Bytes", "m f=\"" + Repeat('x', 70000) + "\"", kDiff},
      // The limit is on the string stored, not on the line's escaped form.
      {"String65536BytesEscaped", "m f=\"" + Repeat('x', 65535) + R"(\\")"},
      {"String65537BytesEscaped", "m f=\"" + Repeat('x', 65536) + R"(\")" + "\"", kDiff},

      // Missing parts and separators.
      {"MeasurementOnly", "m"},
      {"MeasurementAndSpace", "m "},
      {"TagsOnly", "m,t=1"},
      {"TagsAndSpace", "m,t=1 "},
      {"FieldWithoutEquals", "m f"},
      {"FieldWithoutValue", "m f="},
      {"FieldsTrailingComma", "m f=1,"},
      {"FieldsDoubleComma", "m f=1,,g=2"},
      {"FieldsLeadingComma", "m ,f=1"},
      {"SpaceAfterFieldComma", "m f=1, g=2"},
      {"TwoSpacesBeforeFields", "m  f=1"},
      {"TwoSpacesBeforeTimestamp", "m f=1  1"},
      {"TabBeforeTimestamp", "m f=1\t1"},
      {"TrailingSpace", "m f=1 "},
      {"TrailingSpaceAfterTimestamp", "m f=1 1 "},
      {"TrailingTab", "m f=1\t"},
      {"TimestampThenText", "m f=1 1 x"},

      // Timestamps (precision ns).
      {"TimestampZero", "m f=1 0"},
      {"TimestampNegative", "m f=1 -1"},
      {"TimestampMax", "m f=1 9223372036854775806"},
      {"TimestampMaxPlusOne", "m f=1 9223372036854775807"},
      {"TimestampInt64Overflow", "m f=1 9223372036854775808"},
      {"TimestampMin", "m f=1 -9223372036854775806"},
      {"TimestampMinMinusOne", "m f=1 -9223372036854775807"},
      {"TimestampInt64Min", "m f=1 -9223372036854775808"},
      {"TimestampNegativeZero", "m f=1 -0"},
      {"TimestampPlusSign", "m f=1 +1"},
      {"TimestampFraction", "m f=1 1.5"},
      {"TimestampExponent", "m f=1 1e9"},
      {"TimestampMinusOnly", "m f=1 -"},
      {"TimestampLeadingZeros", "m f=1 0001"},

      // Line endings.
      {"Newline", "m f=1\n"},
      {"CrLf", "m f=1\r\n", Expect::kCrLf},
      {"CrLfAfterTimestamp", "m f=1 1\r\n", Expect::kCrLf},
      {"CrLfAfterString", "m f=\"a\"\r\n", Expect::kCrLf},
      {"CrAtEnd", "m f=1\r"},
      {"CrAfterTimestampAtEnd", "m f=1 1\r"},

      // Series key length: InfluxDB's limit is 65535 bytes for the key plus
      // four bytes plus the field key.
      {"SeriesKeyAtLimit", Repeat('m', 65530) + " f=1"},
      {"SeriesKeyOverLimit", Repeat('m', 65531) + " f=1"},
      {"MeasurementOverLimit", Repeat('m', 65536) + " f=1"},

      // Several lines in one request.
      {"TwoLines", "m f=1 1\nm f=2 2\n"},
      {"TwoLinesOneBad", "m f=1 1\nm f=x 2\nm f=3 3"},
      {"UnterminatedStringBeforeNextLine", "m f=\"abc\nm g=2 2"},
      {"BackslashNewlineInMeasurement", "m\\\nx f=1 1", kDiff},
      {"BackslashNewlineInTagValue", "m,t=a\\\nb f=1 1", kDiff},
      {"BackslashNewlineAfterValue", "m f=1\\\nm f=2 2"},
      {"CommentWithQuoteFirst", "# a \"quote\nm f=1 1\n# \"\nm f=2 2"},
      {"CommentWithQuoteBetweenPoints", "m f=1 1\n# a \"quote\nm f=2 2\n# \"\nm f=3 3"},
  };
}

// ---------------------------------------------------------------------------
// The server, one per test suite.

class InfluxDbSuite : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { influxdb_.Start(); }
  static void TearDownTestSuite() { influxdb_.Stop(); }
  void SetUp() override {
    ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
  }

  // A fresh database for one test, so that its reads see only its writes.
  static void CreateDatabase(const std::string& db) {
    std::string json;
    Status status = server()->Query("CREATE DATABASE \"" + db + "\"", "", &json);
    ASSERT_TRUE(status.ok()) << status.message();
  }

  static HttpResponse Write(const std::string& db, std::string_view body) {
    HttpResponse response;
    Status status = server()->Write(db, body, "ns", "", &response);
    EXPECT_TRUE(status.ok()) << status.message();
    return response;
  }

  static std::vector<StoredPoint> StoredIn(const std::string& db, bool with_time) {
    std::vector<StoredPoint> points;
    Status status = ReadStoredPoints(server(), db, with_time, &points);
    EXPECT_TRUE(status.ok()) << status.message();
    return points;
  }

  static std::string Describe(const HttpResponse& response) {
    return "HTTP " + std::to_string(response.status) +
           (response.body.empty() ? "" : " " + Printable(response.body));
  }

  static InfluxDbServer* server() { return influxdb_.server(); }

  static test::SharedInfluxDb influxdb_;
};

test::SharedInfluxDb InfluxDbSuite::influxdb_;

// The server's verdict: 2xx accepts, 400 rejects (all or part); anything
// else is not a verdict on the line.
std::optional<bool> Accepted(const HttpResponse& response) {
  if (response.status >= 200 && response.status < 300) return true;
  if (response.status == 400) return false;
  return std::nullopt;
}

std::string WithoutCarriageReturns(std::string_view line) {
  std::string out;
  for (size_t i = 0; i < line.size(); ++i) {
    if (!(line[i] == '\r' && i + 1 < line.size() && line[i + 1] == '\n')) out += line[i];
  }
  return out;
}

// The options that match this server: Debian's InfluxDB 1.6 is built without
// unsigned integers (LineProtocolFactsTest.UnsignedIntegersAreRejected).
ParserOptions ServerOptions() {
  ParserOptions options;
  options.precision = Precision::kNanoseconds;
  options.allow_unsigned = false;
  return options;
}

class LineProtocolServerTest : public InfluxDbSuite, public ::testing::WithParamInterface<Case> {};

TEST_P(LineProtocolServerTest, InfluxDbStoresWhatInflowDecodes) {
  const Case& c = GetParam();
  const std::string db = "lp_" + c.name;
  CreateDatabase(db);

  InflowVerdict ours = ParseWithInflow(c.line, ServerOptions());
  // Lines without a timestamp get the server's time, which is not compared.
  const bool compare_time = std::all_of(ours.points.begin(), ours.points.end(),
                                        [](const StoredPoint& p) { return p.time_ns.has_value(); });
  if (!compare_time) {
    for (StoredPoint& point : ours.points) point.time_ns.reset();
  }
  std::string report = "line:     " + Printable(c.line) + "\n";

  std::string influx_body = c.line;
  if (c.expect == Expect::kCrLf) {
    // InfluxDB keeps the CR in the line: it rejects the line or, after a
    // string field, stores a different string. Either way it must not store
    // what inflow decodes, or the difference is gone.
    const std::string as_given_db = db + "_as_given";
    CreateDatabase(as_given_db);
    HttpResponse as_given = Write(as_given_db, c.line);
    EXPECT_FALSE(StoredIn(as_given_db, compare_time) == ours.points)
        << report << "InfluxDB: " << Describe(as_given) << "\ninflow decoded:\n"
        << DescribeStoredPoints(ours.points) << "InfluxDB stored the same";
    influx_body = WithoutCarriageReturns(c.line);
    report += "InfluxDB was sent it without CR: " + Printable(influx_body) + "\n";
  }
  HttpResponse response = Write(db, influx_body);
  std::optional<bool> accepted = Accepted(response);
  report += "InfluxDB: " + Describe(response) + "\ninflow:   " + ours.description + "\n";
  // Both verdicts, for the table that --gtest_output=xml writes.
  RecordProperty("influxdb", Describe(response));
  RecordProperty("inflow", ours.description);
  ASSERT_TRUE(accepted.has_value()) << report << "InfluxDB gave no verdict";

  if (c.expect == Expect::kInflowRejectsInfluxDbAccepts) {
    EXPECT_FALSE(ours.accepted) << report << "a documented difference: inflow must reject";
    EXPECT_TRUE(*accepted) << report << "documented as accepted by InfluxDB, which rejects it";
    return;
  }
  ASSERT_EQ(ours.accepted, *accepted) << report << "InfluxDB and inflow disagree";

  // What was stored must be what inflow decoded. A rejected request stores
  // nothing unless InfluxDB reports a partial write.
  if (!*accepted && response.body.find("partial write") == std::string::npos) return;
  std::vector<StoredPoint> stored = StoredIn(db, compare_time);
  EXPECT_TRUE(stored == ours.points) << report << "inflow decoded:\n"
                                     << DescribeStoredPoints(ours.points) << "InfluxDB stored:\n"
                                     << DescribeStoredPoints(stored);
}

INSTANTIATE_TEST_SUITE_P(Cases, LineProtocolServerTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<Case>& case_info) {
                           return case_info.param.name;
                         });

// ---------------------------------------------------------------------------
// Facts about InfluxDB 1.6's answers to writes, which inflowd will have to
// give in the same form. Each test writes to a database of its own.

class LineProtocolFactsTest : public InfluxDbSuite {
 protected:
  void SetUp() override {
    InfluxDbSuite::SetUp();
    db_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    CreateDatabase(db_);
  }

  std::vector<StoredPoint> Stored() { return StoredIn(db_, /*with_time=*/true); }

  // Expects a 400 whose JSON body has `error`, which is also the
  // X-Influxdb-Error header with CR and LF as spaces (Go's net/http).
  void ExpectRejected(const HttpResponse& response, const std::string& error) {
    EXPECT_EQ(response.status, 400);
    EXPECT_EQ(response.Header("Content-Type").value_or(""), "application/json");
    EXPECT_EQ(response.body, "{\"error\":" + JsonString(error) + "}\n");
    std::string header = error;
    std::replace_if(
        header.begin(), header.end(), [](char c) { return c == '\n' || c == '\r'; }, ' ');
    EXPECT_EQ(response.Header("X-Influxdb-Error").value_or(""), header);
  }

  // As Go's encoding/json writes it, for the texts of these tests.
  static std::string JsonString(std::string_view text) {
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else {
        out += c;
      }
    }
    return out + "\"";
  }

  static StoredPoint Point(std::string measurement, std::vector<test::StoredField> fields,
                           int64_t time_ns) {
    return StoredPoint{std::move(measurement), {}, std::move(fields), time_ns};
  }

  std::string db_;
};

TEST_F(LineProtocolFactsTest, TheServerIsTheVersionTheseFactsWereFoundWith) {
  HttpResponse response;
  Status status =
      test::SendHttpRequest("GET", "127.0.0.1", server()->port(), "/ping", "", {}, &response);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(response.Header("X-Influxdb-Version").value_or("(none)"), "1.6.7~rc0")
      << "the facts below were found with Debian 12's influxdb 1.6.7~rc0";
}

TEST_F(LineProtocolFactsTest, UnsignedIntegersAreRejected) {
  ExpectRejected(Write(db_, "m f=1u"), "unable to parse 'm f=1u': invalid number");
}

TEST_F(LineProtocolFactsTest, EachUnparsableLineIsReportedOnALineOfItsOwn) {
  ExpectRejected(Write(db_, "m f=1u\nm f=1e400"),
                 "unable to parse 'm f=1u': invalid number\n"
                 "unable to parse 'm f=1e400': invalid float");
}

TEST_F(LineProtocolFactsTest, TheErrorQuotesTheLineWithItsCarriageReturn) {
  ExpectRejected(Write(db_, "m f=1\r\n"), "unable to parse 'm f=1\r': invalid number");
}

TEST_F(LineProtocolFactsTest, UnparsableLinesBesideGoodOnesArePartialWritesDroppingZero) {
  ExpectRejected(Write(db_, "bad1\nm f=1 1\nbad2\nm f=2 2"),
                 "partial write: unable to parse 'bad1': missing fields\n"
                 "unable to parse 'bad2': missing fields dropped=0");
  EXPECT_EQ(Stored(), (std::vector<StoredPoint>{Point("m", {{"f", FieldType::kFloat, 1.0}}, 1),
                                                Point("m", {{"f", FieldType::kFloat, 2.0}}, 2)}));
}

TEST_F(LineProtocolFactsTest, TagKeyTimeDropsThePoint) {
  ExpectRejected(Write(db_, "m,time=1 f=1 1"),
                 "partial write: invalid tag key: input tag \"time\" on measurement \"m\" is "
                 "invalid dropped=1");
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{});
}

TEST_F(LineProtocolFactsTest, FieldKeyTimeAloneDropsThePoint) {
  ExpectRejected(Write(db_, "m time=1 1"),
                 "partial write: invalid field name: input field \"time\" on measurement \"m\" "
                 "is invalid dropped=1");
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{});
}

TEST_F(LineProtocolFactsTest, FieldKeyTimeBesideAnotherFieldIsDroppedSilently) {
  HttpResponse response = Write(db_, "m time=1,f=2 1");
  EXPECT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{Point("m", {{"f", FieldType::kFloat, 2.0}}, 1)});
}

TEST_F(LineProtocolFactsTest, DroppedPointsHideTheParseErrorsOfTheSameRequest) {
  ExpectRejected(Write(db_, "m f=1 1\nbad\nm,time=1 f=1 3"),
                 "partial write: invalid tag key: input tag \"time\" on measurement \"m\" is "
                 "invalid dropped=1");
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{Point("m", {{"f", FieldType::kFloat, 1.0}}, 1)});
}

TEST_F(LineProtocolFactsTest, FieldTypeConflictWithAStoredFieldDropsThePoint) {
  HttpResponse response = Write(db_, "m f=1 1");
  EXPECT_EQ(response.status, 204) << response.body;
  ExpectRejected(Write(db_, "m f=\"x\" 2\nm f=3 3"),
                 "partial write: field type conflict: input field \"f\" on measurement \"m\" is "
                 "type string, already exists as type float dropped=1");
  EXPECT_EQ(Stored(), (std::vector<StoredPoint>{Point("m", {{"f", FieldType::kFloat, 1.0}}, 1),
                                                Point("m", {{"f", FieldType::kFloat, 3.0}}, 3)}));
}

TEST_F(LineProtocolFactsTest, FieldTypeConflictWithinOneRequestForANewFieldRejectsItWhole) {
  // Not a partial write: nothing is stored, not even the first point.
  ExpectRejected(Write(db_, "m f=1 1\nm f=\"x\" 2"), "field type conflict");
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{});
}

TEST_F(LineProtocolFactsTest, DuplicateFieldKeysStoreTheLastValue) {
  HttpResponse response = Write(db_, "m a=1,a=2 1");
  EXPECT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{Point("m", {{"a", FieldType::kFloat, 2.0}}, 1)});
}

TEST_F(LineProtocolFactsTest, StringsAreStoredWholeBeyond64KiB) {
  std::string value(70000, 'x');
  HttpResponse response = Write(db_, "m s=\"" + value + "\" 1");
  EXPECT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{Point("m", {{"s", FieldType::kString, value}}, 1)});
}

TEST_F(LineProtocolFactsTest, FloatUnderflowIsStoredAsZero) {
  HttpResponse response = Write(db_, "m f=1e-400 1");
  EXPECT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(Stored(), std::vector<StoredPoint>{Point("m", {{"f", FieldType::kFloat, 0.0}}, 1)});
}

TEST_F(LineProtocolFactsTest, AnEmptyBodyIsAccepted) {
  HttpResponse response = Write(db_, "");
  EXPECT_EQ(response.status, 204) << response.body;
}

TEST_F(LineProtocolFactsTest, AMissingDatabaseIsNotFound) {
  HttpResponse response = Write("no_such_db", "m f=1");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.body, "{\"error\":\"database not found: \\\"no_such_db\\\"\"}\n");
}

}  // namespace
}  // namespace inflow
