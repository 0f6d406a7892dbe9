// RecordScanner over bytes in memory: clean data, torn tails, flipped bytes,
// garbage, bogus lengths, read errors, and chunk sizes down to a header's.

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "spool/file_system.h"
#include "spool/record_format.h"
#include "spool/record_scanner.h"

namespace inflow::daemon {
namespace {

struct Scanned {
  std::vector<uint64_t> offsets;
  std::vector<std::string> payloads;
  ScanCounts counts;
  uint64_t position = 0;
};

Scanned ScanAll(std::string_view bytes, size_t chunk_bytes = RecordScanner::kDefaultChunkBytes) {
  StringByteSource source(bytes);
  RecordScanner scanner(&source, 0, bytes.size(), chunk_bytes);
  Scanned scanned;
  for (;;) {
    uint64_t offset = 0;
    std::string_view payload;
    bool end = false;
    const Status s = scanner.Next(&offset, &payload, &end);
    EXPECT_TRUE(s.ok()) << s.message();
    if (!s.ok() || end) break;
    scanned.offsets.push_back(offset);
    scanned.payloads.emplace_back(payload);
  }
  scanned.counts = scanner.counts();
  scanned.position = scanner.position();
  return scanned;
}

// Payloads of one to four lines of line protocol.
std::vector<std::string> SomePayloads(size_t n) {
  std::vector<std::string> payloads;
  for (size_t i = 0; i < n; ++i) {
    std::string payload;
    for (size_t line = 0; line <= i % 4; ++line) {
      payload += "cpu,host=h" + std::to_string(i) + " usage=" + std::to_string(line * 7 + i) +
                 " 17000000000000000" + std::to_string(line) + "\n";
    }
    payloads.push_back(payload);
  }
  return payloads;
}

// The records of `payloads`; where each starts in *starts, with the end of
// the data last.
std::string Encode(const std::vector<std::string>& payloads, std::vector<uint64_t>* starts) {
  std::string bytes;
  for (const std::string& payload : payloads) {
    if (starts != nullptr) starts->push_back(bytes.size());
    AppendRecord(payload, &bytes);
  }
  if (starts != nullptr) starts->push_back(bytes.size());
  return bytes;
}

std::vector<std::string> Without(std::vector<std::string> payloads, size_t index) {
  payloads.erase(payloads.begin() + static_cast<std::ptrdiff_t>(index));
  return payloads;
}

const size_t kChunkSizes[] = {kRecordHeaderBytes, 13, 64, 1000, RecordScanner::kDefaultChunkBytes};

TEST(SpoolRecordScannerTest, EmptyInputEndsAtOnce) {
  const Scanned scanned = ScanAll("");
  EXPECT_TRUE(scanned.payloads.empty());
  EXPECT_EQ(scanned.position, 0u);
  EXPECT_EQ(scanned.counts.torn_bytes, 0u);
  EXPECT_EQ(scanned.counts.corrupt_records, 0u);
}

TEST(SpoolRecordScannerTest, ReadsBackEveryRecordWithItsOffsetWhateverTheChunkSize) {
  std::vector<std::string> payloads = SomePayloads(20);
  payloads.push_back("");                      // empty payloads are records too
  payloads.push_back(std::string(5000, 'z'));  // larger than most chunks
  std::vector<uint64_t> starts;
  const std::string bytes = Encode(payloads, &starts);
  for (const size_t chunk : kChunkSizes) {
    const Scanned scanned = ScanAll(bytes, chunk);
    EXPECT_EQ(scanned.payloads, payloads) << "chunk " << chunk;
    EXPECT_EQ(scanned.offsets, std::vector<uint64_t>(starts.begin(), starts.end() - 1));
    EXPECT_EQ(scanned.counts.records, payloads.size());
    EXPECT_EQ(scanned.counts.corrupt_records, 0u);
    EXPECT_EQ(scanned.counts.torn_bytes, 0u);
    EXPECT_EQ(scanned.position, bytes.size());
  }
}

TEST(SpoolRecordScannerTest, ARecordCutAtAnyByteIsATornTailAtItsStart) {
  const std::vector<std::string> payloads = SomePayloads(4);
  std::vector<uint64_t> starts;
  const std::string bytes = Encode(payloads, &starts);
  for (const size_t chunk : {size_t{13}, RecordScanner::kDefaultChunkBytes}) {
    for (size_t cut = 0; cut <= bytes.size(); ++cut) {
      size_t whole = 0;  // records wholly before the cut
      while (whole < payloads.size() && starts[whole + 1] <= cut) ++whole;
      const Scanned scanned = ScanAll(std::string_view(bytes).substr(0, cut), chunk);
      EXPECT_EQ(scanned.payloads,
                std::vector<std::string>(payloads.begin(),
                                         payloads.begin() + static_cast<std::ptrdiff_t>(whole)))
          << "cut at " << cut;
      EXPECT_EQ(scanned.position, starts[whole]) << "cut at " << cut;
      EXPECT_EQ(scanned.counts.torn_bytes, cut - starts[whole]) << "cut at " << cut;
      EXPECT_EQ(scanned.counts.corrupt_records, 0u) << "cut at " << cut;
    }
  }
}

TEST(SpoolRecordScannerTest, AFlippedByteInAMiddleRecordLosesThatRecordOnly) {
  const std::vector<std::string> payloads = SomePayloads(5);
  std::vector<uint64_t> starts;
  const std::string bytes = Encode(payloads, &starts);
  const size_t damaged = 2;
  for (const int mask : {0xFF, 0x01, 0x80}) {
    for (uint64_t at = starts[damaged]; at < starts[damaged + 1]; ++at) {
      std::string flipped = bytes;
      flipped[at] = static_cast<char>(flipped[at] ^ mask);
      for (const size_t chunk : {size_t{16}, RecordScanner::kDefaultChunkBytes}) {
        const Scanned scanned = ScanAll(flipped, chunk);
        EXPECT_EQ(scanned.payloads, Without(payloads, damaged)) << "byte " << at;
        EXPECT_EQ(scanned.counts.corrupt_records, 1u) << "byte " << at;
        EXPECT_EQ(scanned.counts.corrupt_bytes, starts[damaged + 1] - starts[damaged]);
        EXPECT_EQ(scanned.counts.torn_bytes, 0u);
        EXPECT_EQ(scanned.position, bytes.size());
      }
    }
  }
}

// A last record that fails its check cannot be told from one a crash cut
// short: it is the torn tail, for the caller to truncate.
TEST(SpoolRecordScannerTest, ADamagedLastRecordIsATornTail) {
  const std::vector<std::string> payloads = SomePayloads(3);
  std::vector<uint64_t> starts;
  std::string bytes = Encode(payloads, &starts);
  bytes[starts[2] + kRecordHeaderBytes + 3] ^= 0x20;
  const Scanned scanned = ScanAll(bytes);
  EXPECT_EQ(scanned.payloads, Without(payloads, 2));
  EXPECT_EQ(scanned.position, starts[2]);
  EXPECT_EQ(scanned.counts.torn_bytes, bytes.size() - starts[2]);
  EXPECT_EQ(scanned.counts.corrupt_records, 0u);
}

TEST(SpoolRecordScannerTest, GarbageBeforeTheRecordsIsSkippedAndCounted) {
  const std::vector<std::string> payloads = SomePayloads(3);
  // Text, zeros, and a false header: the magic with a length that fits but a
  // crc that does not.
  std::string garbage = "not a record at all\n" + std::string(40, '\0');
  garbage += std::string("\xFE\xF5\xC1\xF7\x05\0\0\0\0\0\0\0", 12);
  garbage += "hello";
  const std::string bytes = garbage + Encode(payloads, nullptr);
  for (const size_t chunk : kChunkSizes) {
    const Scanned scanned = ScanAll(bytes, chunk);
    EXPECT_EQ(scanned.payloads, payloads) << "chunk " << chunk;
    EXPECT_EQ(scanned.offsets.front(), garbage.size());
    EXPECT_EQ(scanned.counts.corrupt_records, 1u);
    EXPECT_EQ(scanned.counts.corrupt_bytes, garbage.size());
    EXPECT_EQ(scanned.counts.torn_bytes, 0u);
  }
}

TEST(SpoolRecordScannerTest, GarbageAfterTheRecordsIsATornTail) {
  const std::vector<std::string> payloads = SomePayloads(3);
  const std::string records = Encode(payloads, nullptr);
  for (const std::string& garbage :
       {std::string(4096, '\0'), std::string("half a line\n"), std::string("\xFE\xF5\xC1")}) {
    const Scanned scanned = ScanAll(records + garbage, 64);
    EXPECT_EQ(scanned.payloads, payloads);
    EXPECT_EQ(scanned.position, records.size());
    EXPECT_EQ(scanned.counts.torn_bytes, garbage.size());
    EXPECT_EQ(scanned.counts.corrupt_records, 0u);
  }
}

TEST(SpoolRecordScannerTest, DamageBetweenGoodRecordsIsSkippedPerStretch) {
  const std::vector<std::string> payloads = SomePayloads(6);
  std::vector<uint64_t> starts;
  std::string bytes = Encode(payloads, &starts);
  bytes[starts[1] + 1] ^= 0x01;                   // record 1's magic
  bytes[starts[2] + kRecordHeaderBytes] ^= 0x01;  // record 2's payload: same stretch
  bytes[starts[4] + 9] ^= 0x01;                   // record 4's crc
  const Scanned scanned = ScanAll(bytes, 32);
  EXPECT_EQ(scanned.payloads, (std::vector<std::string>{payloads[0], payloads[3], payloads[5]}));
  EXPECT_EQ(scanned.counts.corrupt_records, 2u);
  EXPECT_EQ(scanned.counts.corrupt_bytes, (starts[3] - starts[1]) + (starts[5] - starts[4]));
}

// A ByteSource that records how much it was asked for.
class CountingSource : public ByteSource {
 public:
  explicit CountingSource(std::string_view bytes) : inner_(bytes) {}
  Status Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) override {
    largest_read_ = std::max(largest_read_, n);
    if (fail_at_ == offset) {
      fail_at_ = UINT64_MAX;
      return IoError("memory", "read", EIO);
    }
    return inner_.Read(offset, n, dst, bytes_read);
  }
  size_t largest_read_ = 0;
  uint64_t fail_at_ = UINT64_MAX;

 private:
  StringByteSource inner_;
};

TEST(SpoolRecordScannerTest, AHugeBogusLengthCostsNoLargeReadAndOneRecord) {
  const std::vector<std::string> payloads = SomePayloads(3);
  for (const uint32_t length :
       {uint32_t{0xFFFFFFFF}, static_cast<uint32_t>(kMaxRecordPayloadBytes), uint32_t{1} << 30}) {
    std::vector<uint64_t> starts;
    std::string bytes = Encode(payloads, &starts);
    for (int i = 0; i < 4; ++i) {
      bytes[starts[1] + 4 + static_cast<size_t>(i)] = static_cast<char>((length >> (8 * i)) & 0xFF);
    }
    CountingSource source(bytes);
    RecordScanner scanner(&source, 0, bytes.size(), 64);
    std::vector<std::string> read;
    for (;;) {
      uint64_t offset = 0;
      std::string_view payload;
      bool end = false;
      ASSERT_TRUE(scanner.Next(&offset, &payload, &end).ok());
      if (end) break;
      read.emplace_back(payload);
    }
    EXPECT_EQ(read, Without(payloads, 1));
    EXPECT_EQ(scanner.counts().corrupt_records, 1u);
    // No read beyond a chunk or the largest real record.
    uint64_t largest_record = 64;
    for (const std::string& payload : payloads) {
      largest_record = std::max(largest_record, RecordBytes(payload.size()));
    }
    EXPECT_LE(source.largest_read_, largest_record);
    EXPECT_LT(largest_record, 200u);
  }
}

TEST(SpoolRecordScannerTest, AReadErrorIsReturnedAndTheCallCanBeRepeated) {
  const std::vector<std::string> payloads = SomePayloads(3);
  std::vector<uint64_t> starts;
  const std::string bytes = Encode(payloads, &starts);
  CountingSource source(bytes);
  RecordScanner scanner(&source, 0, bytes.size(), 16);
  uint64_t offset = 0;
  std::string_view payload;
  bool end = false;
  ASSERT_TRUE(scanner.Next(&offset, &payload, &end).ok());
  source.fail_at_ = starts[1];
  const Status s = scanner.Next(&offset, &payload, &end);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "memory: read: Input/output error");
  EXPECT_EQ(scanner.position(), starts[1]);
  ASSERT_TRUE(scanner.Next(&offset, &payload, &end).ok());
  ASSERT_FALSE(end);
  EXPECT_EQ(offset, starts[1]);
  EXPECT_EQ(payload, payloads[1]);
}

TEST(SpoolRecordScannerTest, DataShorterThanTheLimitEndsWhereTheDataEnds) {
  const std::vector<std::string> payloads = SomePayloads(2);
  const std::string bytes = Encode(payloads, nullptr) + "torn";
  StringByteSource source(bytes);
  RecordScanner scanner(&source, 0, bytes.size() + 1000);
  std::vector<std::string> read;
  for (;;) {
    uint64_t offset = 0;
    std::string_view payload;
    bool end = false;
    ASSERT_TRUE(scanner.Next(&offset, &payload, &end).ok());
    if (end) break;
    read.emplace_back(payload);
  }
  EXPECT_EQ(read, payloads);
  EXPECT_EQ(scanner.counts().torn_bytes, 4u);
  EXPECT_EQ(scanner.limit(), bytes.size());
}

TEST(SpoolRecordScannerTest, ReadsRecordsAddedAfterTheEndOnceTheLimitIsRaised) {
  const std::vector<std::string> payloads = SomePayloads(6);
  std::vector<uint64_t> starts;
  const std::string bytes = Encode(payloads, &starts);
  StringByteSource source(bytes);
  RecordScanner scanner(&source, starts[1], starts[3], 16);
  std::vector<std::string> read;
  uint64_t offset = 0;
  std::string_view payload;
  bool end = false;
  for (int round = 0; round < 2; ++round) {
    for (;;) {
      ASSERT_TRUE(scanner.Next(&offset, &payload, &end).ok());
      if (end) break;
      read.emplace_back(payload);
    }
    EXPECT_EQ(scanner.counts().torn_bytes, 0u);
    scanner.ExtendLimit(bytes.size());
  }
  EXPECT_EQ(read, std::vector<std::string>(payloads.begin() + 1, payloads.end()));
}

}  // namespace
}  // namespace inflow::daemon
