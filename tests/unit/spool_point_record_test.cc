// The payload of a spool record: lines written with PointRecordWriter read
// back whole by PointRecordReader, across the length varint's boundaries,
// and damaged payloads stopping the reader after the lines before the damage.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "spool/point_record.h"

namespace inflow::daemon {
namespace {

// Every line a reader yields, and whether it reported damage.
struct ReadBack {
  std::vector<std::string> lines;
  bool damaged = false;
};

ReadBack ReadAll(std::string_view payload) {
  ReadBack result;
  PointRecordReader reader(payload);
  std::string_view line;
  while (reader.Next(&line)) result.lines.emplace_back(line);
  result.damaged = reader.damaged();
  // The end is sticky: asking again yields nothing more.
  EXPECT_FALSE(reader.Next(&line));
  EXPECT_EQ(reader.damaged(), result.damaged);
  return result;
}

std::string Payload(const std::vector<std::string>& lines) {
  PointRecordWriter writer;
  for (const std::string& line : lines) writer.Add(line);
  return std::string(writer.payload());
}

std::string Version() { return std::string(1, static_cast<char>(kPointRecordVersion)); }

// A line of exactly `size` bytes ending in '\n'.
std::string LineOfSize(size_t size) {
  std::string line = "m f=\"";
  line.resize(size - 1, 'x');
  line.push_back('\n');
  return line;
}

TEST(SpoolPointRecordTest, ReadsBackManyLinesInOrder) {
  std::vector<std::string> lines;
  for (int i = 0; i < 1000; ++i) {
    lines.push_back("cpu,host=h" + std::to_string(i) + " usage=" + std::to_string(i) + "i " +
                    std::to_string(1700000000000000000LL + i) + "\n");
  }
  PointRecordWriter writer;
  for (const std::string& line : lines) writer.Add(line);
  EXPECT_FALSE(writer.empty());
  EXPECT_EQ(writer.lines(), lines.size());

  const ReadBack read = ReadAll(writer.payload());
  EXPECT_FALSE(read.damaged);
  EXPECT_EQ(read.lines, lines);
}

TEST(SpoolPointRecordTest, ALineHoldingRawNewlinesComesBackWhole) {
  const std::vector<std::string> lines = {
      "log,host=a msg=\"first\nsecond\nthird\" 1700000000000000000\n",
      "log,host=a msg=\"\n\" 1700000000000000001\n",
      "\n",
      "log,host=b msg=\"ends in a newline\n\" 1700000000000000002\n",
  };
  const ReadBack read = ReadAll(Payload(lines));
  EXPECT_FALSE(read.damaged);
  EXPECT_EQ(read.lines, lines);
}

TEST(SpoolPointRecordTest, LinesAtTheLengthVarintsBoundariesRoundTrip) {
  // 127 and 16383 are the longest lengths of one and two varint bytes.
  for (const size_t size : {size_t{1}, size_t{127}, size_t{128}, size_t{16383}, size_t{16384},
                            size_t{1} << 20}) {
    SCOPED_TRACE(size);
    const std::string line = size == 1 ? std::string("\n") : LineOfSize(size);
    ASSERT_EQ(line.size(), size);
    const std::vector<std::string> lines = {"a\n", line, "b\n"};
    const std::string payload = Payload(lines);
    const size_t varint_bytes = size < 128 ? 1 : size < 16384 ? 2 : 3;
    // The version byte, then each line after its length.
    EXPECT_EQ(payload.size(), 1 + (1 + 2) + (varint_bytes + size) + (1 + 2));
    const ReadBack read = ReadAll(payload);
    EXPECT_FALSE(read.damaged);
    EXPECT_EQ(read.lines, lines);
  }
}

TEST(SpoolPointRecordTest, EncodesTheLengthAsLittleEndianBase128) {
  const std::string payload = Payload({LineOfSize(300)});
  ASSERT_GE(payload.size(), 3u);
  EXPECT_EQ(static_cast<uint8_t>(payload[0]), kPointRecordVersion);
  EXPECT_EQ(static_cast<uint8_t>(payload[1]), (300 & 0x7f) | 0x80);
  EXPECT_EQ(static_cast<uint8_t>(payload[2]), 300 >> 7);
}

TEST(SpoolPointRecordTest, AnEmptyWriterHoldsOnlyTheVersionAndReadsBackNothing) {
  PointRecordWriter writer;
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(writer.lines(), 0u);
  EXPECT_EQ(writer.payload(), Version());
  const ReadBack read = ReadAll(writer.payload());
  EXPECT_TRUE(read.lines.empty());
  EXPECT_FALSE(read.damaged);
}

TEST(SpoolPointRecordTest, ClearForgetsTheLinesAndTheWriterIsReusable) {
  PointRecordWriter writer;
  writer.Add("old,a=1 v=1 1\n");
  writer.Add("old,a=2 v=2 2\n");
  writer.Clear();
  EXPECT_TRUE(writer.empty());
  EXPECT_EQ(writer.lines(), 0u);
  EXPECT_EQ(writer.payload(), Version());

  writer.Add("new v=3 3\n");
  EXPECT_EQ(writer.lines(), 1u);
  const ReadBack read = ReadAll(writer.payload());
  EXPECT_FALSE(read.damaged);
  EXPECT_EQ(read.lines, std::vector<std::string>{"new v=3 3\n"});
}

// --- Damage ---

TEST(SpoolPointRecordTest, AnEmptyPayloadIsDamaged) {
  const ReadBack read = ReadAll("");
  EXPECT_TRUE(read.lines.empty());
  EXPECT_TRUE(read.damaged);
}

TEST(SpoolPointRecordTest, AnotherVersionByteIsDamageBeforeAnyLine) {
  std::string payload = Payload({"a v=1 1\n", "b v=2 2\n"});
  payload[0] = static_cast<char>(kPointRecordVersion + 1);
  const ReadBack read = ReadAll(payload);
  EXPECT_TRUE(read.lines.empty());
  EXPECT_TRUE(read.damaged);

  payload[0] = '\0';
  EXPECT_TRUE(ReadAll(payload).damaged);
}

TEST(SpoolPointRecordTest, ATruncatedLengthVarintIsDamageAfterTheLinesBeforeIt) {
  // 200 needs two varint bytes; the payload ends after the first.
  const std::string payload = Payload({"a v=1 1\n"}) + static_cast<char>(0xC8);
  const ReadBack read = ReadAll(payload);
  EXPECT_EQ(read.lines, std::vector<std::string>{"a v=1 1\n"});
  EXPECT_TRUE(read.damaged);
}

TEST(SpoolPointRecordTest, ALengthBeyondThePayloadsEndIsDamage) {
  std::string payload = Payload({"a v=1 1\n", "b v=2 2\n", "c v=3 3\n"});
  payload.pop_back();  // the last line is one byte short of its length
  const ReadBack read = ReadAll(payload);
  EXPECT_EQ(read.lines, (std::vector<std::string>{"a v=1 1\n", "b v=2 2\n"}));
  EXPECT_TRUE(read.damaged);

  // A length of the largest 64-bit value, far beyond any payload.
  std::string huge = Payload({"a v=1 1\n"});
  for (int i = 0; i < 9; ++i) huge.push_back(static_cast<char>(0xFF));
  huge.push_back(static_cast<char>(0x01));
  huge += "xxxxxxxx";
  const ReadBack read_huge = ReadAll(huge);
  EXPECT_EQ(read_huge.lines, std::vector<std::string>{"a v=1 1\n"});
  EXPECT_TRUE(read_huge.damaged);
}

TEST(SpoolPointRecordTest, AZeroLengthIsDamage) {
  const std::string payload = Payload({"a v=1 1\n"}) + '\0' + Payload({"b v=2 2\n"}).substr(1);
  const ReadBack read = ReadAll(payload);
  EXPECT_EQ(read.lines, std::vector<std::string>{"a v=1 1\n"});
  EXPECT_TRUE(read.damaged);
}

TEST(SpoolPointRecordTest, AnOverlongVarintIsDamageAndReadsNoFurther) {
  // Eleven continuation bytes: more than the ten that carry 64 bits, then
  // enough bytes after them that a reader ignoring the limit would find a
  // "line".
  std::string payload = Payload({"a v=1 1\n"});
  for (int i = 0; i < 11; ++i) payload.push_back(static_cast<char>(0x80));
  payload.push_back(static_cast<char>(0x01));
  payload += "x";
  payload += Payload({"b v=2 2\n"}).substr(1);
  const ReadBack read = ReadAll(payload);
  EXPECT_EQ(read.lines, std::vector<std::string>{"a v=1 1\n"});
  EXPECT_TRUE(read.damaged);
}

TEST(SpoolPointRecordTest, AVersionByteAloneIsAnEmptyUndamagedRecord) {
  const ReadBack read = ReadAll(Version());
  EXPECT_TRUE(read.lines.empty());
  EXPECT_FALSE(read.damaged);
}

}  // namespace
}  // namespace inflow::daemon
