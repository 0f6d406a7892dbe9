// The spool's record framing: the bytes AppendRecord writes and the checks
// a reader makes of them.

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "spool/crc32c.h"
#include "spool/record_format.h"

namespace inflow::daemon {
namespace {

uint32_t Fixed32At(const std::string& bytes, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) {
    value |= uint32_t{static_cast<unsigned char>(bytes[at + i])} << (8 * i);
  }
  return value;
}

TEST(SpoolRecordFormatTest, FramesThePayloadWithMagicLengthAndCrcLittleEndian) {
  const std::string payload = "cpu,host=a value=1 1700000000000000000\n";
  std::string record = "prefix";
  AppendRecord(payload, &record);
  ASSERT_EQ(record.size(), 6 + RecordBytes(payload.size()));
  EXPECT_EQ(record.substr(0, 6), "prefix");  // appends, keeps what was there
  EXPECT_EQ(static_cast<unsigned char>(record[6]), 0xFE);
  EXPECT_EQ(static_cast<unsigned char>(record[7]), 0xF5);
  EXPECT_EQ(static_cast<unsigned char>(record[8]), 0xC1);
  EXPECT_EQ(static_cast<unsigned char>(record[9]), 0xF7);
  EXPECT_EQ(Fixed32At(record, 6), kRecordMagic);
  EXPECT_EQ(Fixed32At(record, 10), payload.size());
  // The crc covers the length field, then the payload.
  const std::string covered = record.substr(10, 4) + payload;
  EXPECT_EQ(Fixed32At(record, 14), Crc32c(0, covered));
  EXPECT_EQ(record.substr(18), payload);
}

TEST(SpoolRecordFormatTest, DecodesWhatItEncodes) {
  for (const std::string& payload : {std::string(), std::string("x"), std::string(70000, 'y')}) {
    std::string record;
    AppendRecord(payload, &record);
    const RecordHeader header = DecodeRecordHeader(record);
    EXPECT_EQ(header.magic, kRecordMagic);
    EXPECT_EQ(header.length, payload.size());
    EXPECT_TRUE(PlausibleRecordHeader(header));
    EXPECT_TRUE(RecordChecksumMatches(header, std::string_view(record).substr(kRecordHeaderBytes)));
  }
}

TEST(SpoolRecordFormatTest, TheCrcCatchesADamagedLengthOrPayload) {
  std::string record;
  AppendRecord("abc\n", &record);
  RecordHeader header = DecodeRecordHeader(record);
  EXPECT_FALSE(RecordChecksumMatches(header, "abd\n"));
  header.length = 3;  // the length is part of what the crc covers
  EXPECT_FALSE(RecordChecksumMatches(header, "abc"));
}

TEST(SpoolRecordFormatTest, RefusesAWrongMagicOrALengthAboveTheMaximum) {
  RecordHeader header{kRecordMagic, static_cast<uint32_t>(kMaxRecordPayloadBytes), 0};
  EXPECT_TRUE(PlausibleRecordHeader(header));
  header.length += 1;
  EXPECT_FALSE(PlausibleRecordHeader(header));
  header.length = 0xFFFFFFFF;
  EXPECT_FALSE(PlausibleRecordHeader(header));
  EXPECT_FALSE(PlausibleRecordHeader(RecordHeader{kRecordMagic ^ 1, 10, 0}));
}

// The resynchronization relies on this: no byte of the magic appears in
// UTF-8 text, so a scan for it does not stop inside a payload.
TEST(SpoolRecordFormatTest, NoByteOfTheMagicOccursInUtf8) {
  for (int i = 0; i < 4; ++i) {
    const unsigned byte = (kRecordMagic >> (8 * i)) & 0xFF;
    EXPECT_TRUE(byte == 0xC0 || byte == 0xC1 || byte >= 0xF5) << std::hex << byte;
  }
}

}  // namespace
}  // namespace inflow::daemon
