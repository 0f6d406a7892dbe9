// Field values as the last-value cache stores them: JSON text.

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>

#include "inflow/field_json.h"
#include "inflow/line_parser.h"

namespace inflow {
namespace {

// The JSON of the first field of `line`, as parsed.
std::string FieldJson(std::string_view line) {
  LineParser parser;
  size_t consumed = 0, newlines = 0;
  ParseStatus status = parser.Parse(line, true, &consumed, &newlines);
  EXPECT_EQ(status, ParseStatus::kPoint) << line;
  if (status != ParseStatus::kPoint) return "<not a point>";
  std::string out;
  AppendFieldJson(parser.point().fields[0], &out);
  return out;
}

std::string JsonString(std::string_view raw) {
  std::string out;
  AppendJsonString(raw, &out);
  return out;
}

TEST(CacheFieldJsonTest, FloatsInTheirShortestExactForm) {
  EXPECT_EQ(FieldJson("m v=23.1"), "23.1");
  EXPECT_EQ(FieldJson("m v=0.1"), "0.1");
  EXPECT_EQ(FieldJson("m v=-0.0"), "-0");
  EXPECT_EQ(FieldJson("m v=1e300"), "1e+300");
  EXPECT_EQ(FieldJson("m v=-1.5e-300"), "-1.5e-300");
  EXPECT_EQ(FieldJson("m v=23"), "23");
  EXPECT_EQ(FieldJson("m v=0.30000000000000004"), "0.30000000000000004");
  EXPECT_EQ(FieldJson("m v=1.7976931348623157e308"), "1.7976931348623157e+308");
}

TEST(CacheFieldJsonTest, IntegersAndUnsignedInDecimal) {
  EXPECT_EQ(FieldJson("m v=42i"), "42");
  EXPECT_EQ(FieldJson("m v=-9223372036854775808i"), "-9223372036854775808");
  EXPECT_EQ(FieldJson("m v=9223372036854775807i"), "9223372036854775807");
  EXPECT_EQ(FieldJson("m v=18446744073709551615u"), "18446744073709551615");
  EXPECT_EQ(FieldJson("m v=0u"), "0");
}

TEST(CacheFieldJsonTest, BooleansInEverySpelling) {
  EXPECT_EQ(FieldJson("m v=t"), "true");
  EXPECT_EQ(FieldJson("m v=TRUE"), "true");
  EXPECT_EQ(FieldJson("m v=f"), "false");
  EXPECT_EQ(FieldJson("m v=False"), "false");
}

TEST(CacheFieldJsonTest, StringsLoseLineProtocolEscapesAndGainJsonOnes) {
  EXPECT_EQ(FieldJson(R"(m v="text")"), R"("text")");
  EXPECT_EQ(FieldJson(R"(m v="say \"hi\"")"), R"("say \"hi\"")");
  EXPECT_EQ(FieldJson(R"(m v="back\\slash")"), R"("back\\slash")");
  EXPECT_EQ(FieldJson(R"(m v="")"), R"("")");
}

TEST(CacheFieldJsonTest, EveryControlByteAsUnicodeEscape) {
  for (int b = 0; b < 0x20; ++b) {
    std::string raw = "a";
    raw.push_back(static_cast<char>(b));
    char expected[16];
    std::snprintf(expected, sizeof(expected), "\"a\\u%04x\"", b);
    EXPECT_EQ(JsonString(raw), expected) << "byte " << b;
  }
  EXPECT_EQ(JsonString("\x7f"), "\"\x7f\"");  // DEL needs no escape in JSON
}

TEST(CacheFieldJsonTest, ValidUtf8PassesThrough) {
  EXPECT_EQ(JsonString("h\xc3\xa9"), "\"h\xc3\xa9\"");              // é
  EXPECT_EQ(JsonString("\xe2\x82\xac"), "\"\xe2\x82\xac\"");          // €
  EXPECT_EQ(JsonString("\xf0\x9f\x8c\xa1"), "\"\xf0\x9f\x8c\xa1\"");  // U+1F321
  EXPECT_EQ(JsonString("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");  // U+10FFFF
}

TEST(CacheFieldJsonTest, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(JsonString("a\xff" "b"), R"("a\ufffdb")");
  EXPECT_EQ(JsonString("\xc3"), R"("\ufffd")");                   // cut short
  EXPECT_EQ(JsonString("\xc0\xaf"), R"("\ufffd\ufffd")");         // overlong '/'
  EXPECT_EQ(JsonString("\xed\xa0\x80"), R"("\ufffd\ufffd\ufffd")");  // surrogate
  EXPECT_EQ(JsonString("\xf4\x90\x80\x80"), R"("\ufffd\ufffd\ufffd\ufffd")");  // > U+10FFFF
  EXPECT_EQ(JsonString("\xe0\x80\xaf"), R"("\ufffd\ufffd\ufffd")");  // overlong, 3 bytes
}

}  // namespace
}  // namespace inflow
