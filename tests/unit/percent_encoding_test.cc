// Percent-encoding: the one encoder and decoder behind InfluxDB's query
// strings, influxdb.url, the HTTP listener's query strings and the spool's
// folder names.

#include "inflow/percent_encoding.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inflow {
namespace {

TEST(PercentEncodingTest, LeavesLettersDigitsAndUnreservedPunctuationBare) {
  const std::string bare =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~";
  EXPECT_EQ(PercentEncoded(bare), bare);
}

TEST(PercentEncodingTest, EncodesEveryOtherByteInCapitalHex) {
  EXPECT_EQ(PercentEncoded("a b&c=d/e?f#g%h+i\"j"), "a%20b%26c%3Dd%2Fe%3Ff%23g%25h%2Bi%22j");
  EXPECT_EQ(PercentEncoded(std::string("\x00\x01\x7f\x80\xff", 5)), "%00%01%7F%80%FF");
  EXPECT_EQ(PercentEncoded("\xc3\xa9"), "%C3%A9");  // UTF-8, byte by byte
  EXPECT_EQ(PercentEncoded(""), "");
}

TEST(PercentEncodingTest, LeavesBareOnlyThePunctuationItIsGiven) {
  EXPECT_EQ(PercentEncoded("a~b_c-d.e", "_-."), "a%7Eb_c-d.e");
  EXPECT_EQ(PercentEncoded("a~b_c", ""), "a%7Eb%5Fc");
  // A NUL in the set does not make NUL bytes bare.
  EXPECT_EQ(PercentEncoded(std::string("\0", 1), std::string_view("\0", 1)), "%00");
}

TEST(PercentEncodingTest, AppendsToWhatIsThere) {
  std::string out = "db=";
  AppendPercentEncoded("my db", &out);
  EXPECT_EQ(out, "db=my%20db");
}

TEST(PercentEncodingTest, DecodesEscapesOfEitherCase) {
  std::string out;
  ASSERT_TRUE(PercentDecode("a%20b%2fc%2Fd%C3%a9", PlusSign::kPlus, &out));
  EXPECT_EQ(out, "a b/c/d\xc3\xa9");
  ASSERT_TRUE(PercentDecode("%00%ff", PlusSign::kPlus, &out));
  EXPECT_EQ(out, std::string("\x00\xff", 2));
}

TEST(PercentEncodingTest, DecodesPlusAsASpaceOnlyWhenTold) {
  std::string out;
  ASSERT_TRUE(PercentDecode("a+b%2B", PlusSign::kPlus, &out));
  EXPECT_EQ(out, "a+b+");
  ASSERT_TRUE(PercentDecode("a+b%2B", PlusSign::kSpace, &out));
  EXPECT_EQ(out, "a b+");
}

TEST(PercentEncodingTest, ReplacesWhatTheOutputHeld) {
  std::string out = "old";
  ASSERT_TRUE(PercentDecode("new", PlusSign::kPlus, &out));
  EXPECT_EQ(out, "new");
}

TEST(PercentEncodingTest, SaysWhereAMalformedEscapeIs) {
  std::string out;
  size_t at = 99;
  for (const auto& [text, offset] : std::vector<std::pair<std::string, size_t>>{
           {"%", 0}, {"ab%", 2}, {"ab%4", 2}, {"%4g", 0}, {"%g4", 0}, {"x%41%zz", 4},
           {"%%41", 0}}) {
    at = 99;
    EXPECT_FALSE(PercentDecode(text, PlusSign::kSpace, &out, &at)) << text;
    EXPECT_EQ(at, offset) << text;
  }
  EXPECT_FALSE(PercentDecode("%", PlusSign::kPlus, &out));  // no offset asked for
}

TEST(PercentEncodingTest, DecodesWhatItEncodes) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  for (std::string_view bare : {kUnreservedPunctuation, std::string_view("_-."),
                                std::string_view("")}) {
    std::string out;
    ASSERT_TRUE(PercentDecode(PercentEncoded(every_byte, bare), PlusSign::kSpace, &out));
    EXPECT_EQ(out, every_byte);
  }
}

}  // namespace
}  // namespace inflow
