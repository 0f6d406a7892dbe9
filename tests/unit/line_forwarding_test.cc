// AppendForwardLine: what a parsed line looks like on its way to InfluxDB.

#include <gtest/gtest.h>

#include <string>

#include "inflow/line_parser.h"
#include "inflow/line_writer.h"
#include "test_values.h"  // PrintTo(ParseStatus)

namespace inflow {
namespace {

std::string Forward(std::string_view input, Precision precision, int64_t received_ns) {
  ParserOptions options;
  options.precision = precision;
  LineParser parser(options);
  size_t consumed, newlines;
  EXPECT_EQ(parser.Parse(input, true, &consumed, &newlines), ParseStatus::kPoint)
      << parser.error().reason;
  std::string out;
  AppendForwardLine(parser.point(), received_ns, &out);
  return out;
}

TEST(LineForwardingTest, KeepsNanosecondLinesByteForByte) {
  // Unsorted tags, escapes and leading zeros stay as the sender wrote them.
  EXPECT_EQ(Forward("cpu,b=2,a=1 x=1.50,s=\"q\\\"\" 007\n", Precision::kNanoseconds, 99),
            "cpu,b=2,a=1 x=1.50,s=\"q\\\"\" 007\n");
}

TEST(LineForwardingTest, DropsLineEndingAndTrailingBlanks) {
  EXPECT_EQ(Forward("cpu v=1 5  \r\n", Precision::kNanoseconds, 99), "cpu v=1 5\n");
  EXPECT_EQ(Forward(" \tcpu v=1  \n", Precision::kNanoseconds, 99), "cpu v=1 99\n");
}

TEST(LineForwardingTest, StampsLinesWithoutTimestampWithReceiveTime) {
  EXPECT_EQ(Forward("cpu v=1", Precision::kSeconds, 1700000000123456789),
            "cpu v=1 1700000000123456789\n");
}

TEST(LineForwardingTest, ConvertsOtherPrecisionsToNanoseconds) {
  EXPECT_EQ(Forward("cpu v=1 1700000000", Precision::kSeconds, 0), "cpu v=1 1700000000000000000\n");
  EXPECT_EQ(Forward("cpu v=1 -5", Precision::kMilliseconds, 0), "cpu v=1 -5000000\n");
  EXPECT_EQ(Forward("cpu v=1 17", Precision::kMicroseconds, 0), "cpu v=1 17000\n");
}

}  // namespace
}  // namespace inflow
