// SegmentLog on a temporary folder: appends and reads across segments,
// reopening after clean shutdowns, torn tails and flipped bytes,
// acknowledgements, drops, and faults injected (a full disk, a failed fsync).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "spool/record_format.h"
#include "spool/segment_log.h"
#include "unit/spool_test_util.h"

namespace inflow::daemon {
namespace {

using test::FaultyFileSystem;
using test::FileExists;
using test::ReadWholeFile;
using test::SpoolTempDir;
using test::WriteWholeFile;
using Position = SegmentLog::Position;

std::string Payload(int i, size_t extra = 0) {
  return "mem,host=h" + std::to_string(i) + " used=" + std::to_string(i * 31) + "i " +
         std::to_string(1700000000000000000LL + i) + "\n" + std::string(extra, 'p');
}

class SpoolSegmentLogTest : public ::testing::Test {
 protected:
  std::string Dir() const { return tmp_.File("spool/autogen"); }

  std::unique_ptr<SegmentLog> Open(uint64_t segment_bytes, FileSystem* fs = nullptr) {
    std::unique_ptr<SegmentLog> log;
    const Status s =
        SegmentLog::Open(Dir(), segment_bytes, fs != nullptr ? fs : &posix_, &log, &report_);
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(report_.errors.empty()) << report_.errors.front();
    return log;
  }

  // Appends `payloads` and returns the position after each.
  static std::vector<Position> AppendAll(SegmentLog* log,
                                         const std::vector<std::string>& payloads) {
    std::vector<Position> ends;
    for (const std::string& payload : payloads) {
      Position end;
      const Status s = log->Append(payload, &end);
      EXPECT_TRUE(s.ok()) << s.message();
      ends.push_back(end);
    }
    return ends;
  }

  // Reads from `cursor` to the end.
  static std::vector<std::string> ReadToEnd(SegmentLog* log, SegmentLog::Cursor* cursor,
                                            std::vector<Position>* positions = nullptr) {
    std::vector<std::string> payloads;
    for (;;) {
      std::string payload;
      bool end = false;
      const Status s = log->ReadNext(cursor, &payload, &end);
      EXPECT_TRUE(s.ok()) << s.message();
      if (!s.ok() || end) break;
      payloads.push_back(payload);
      if (positions != nullptr) positions->push_back(cursor->position());
    }
    return payloads;
  }

  static std::vector<std::string> ReadAll(SegmentLog* log) {
    SegmentLog::Cursor cursor;
    return ReadToEnd(log, &cursor);
  }

  // The segment files in the directory, in order.
  std::vector<std::string> SegmentFiles() {
    std::vector<std::string> names;
    EXPECT_TRUE(posix_.ListDir(Dir(), &names).ok());
    std::erase_if(names, [](const std::string& name) {
      uint64_t sequence = 0;
      return !ParseSegmentFileName(name, &sequence);
    });
    std::sort(names.begin(), names.end());
    return names;
  }

  uint64_t BytesOnDisk() {
    uint64_t total = 0;
    for (const std::string& name : SegmentFiles()) {
      uint64_t size = 0;
      EXPECT_TRUE(posix_.FileSize(Dir() + "/" + name, &size).ok());
      total += size;
    }
    return total;
  }

  static std::vector<std::string> Payloads(int n, size_t extra = 0) {
    std::vector<std::string> payloads;
    for (int i = 0; i < n; ++i) payloads.push_back(Payload(i, extra));
    return payloads;
  }

  SpoolTempDir tmp_;
  PosixFileSystem posix_;
  SpoolRecoveryReport report_;
};

TEST(SpoolSegmentFileNameTest, SixteenHexDigitsAndSeg) {
  EXPECT_EQ(SegmentFileName(7), "0000000000000007.seg");
  EXPECT_EQ(SegmentFileName(0xABCDEF0123456789), "abcdef0123456789.seg");
  uint64_t sequence = 0;
  ASSERT_TRUE(ParseSegmentFileName("abcdef0123456789.seg", &sequence));
  EXPECT_EQ(sequence, 0xABCDEF0123456789u);
  for (const char* other : {"ABCDEF0123456789.seg", "000000000000007.seg", "0000000000000007.seg~",
                            "0000000000000007.tmp", "000000000000000g.seg", ".seg", ""}) {
    EXPECT_FALSE(ParseSegmentFileName(other, &sequence)) << other;
  }
}

TEST_F(SpoolSegmentLogTest, OpensAMissingDirectoryByCreatingIt) {
  auto log = Open(1024);
  ASSERT_NE(log, nullptr);
  EXPECT_TRUE(FileExists(Dir()));
  EXPECT_EQ(report_.segments, 0u);
  EXPECT_EQ(log->bytes(), 0u);
  EXPECT_EQ(log->segment_count(), 0u);
  EXPECT_TRUE(ReadAll(log.get()).empty());
}

TEST_F(SpoolSegmentLogTest, OpenFailsOnlyWhenTheDirectoryCannotBeMade) {
  WriteWholeFile(tmp_.File("spool"), "a file where the folder should be");
  std::unique_ptr<SegmentLog> log;
  const Status s = SegmentLog::Open(Dir(), 1024, &posix_, &log, &report_);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(log, nullptr);
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0], s.message());
  EXPECT_NE(s.message().find(Dir()), std::string::npos) << s.message();
}

TEST_F(SpoolSegmentLogTest, AppendsAndReadsBackInOrderAcrossSegments) {
  auto log = Open(300);
  const std::vector<std::string> payloads = Payloads(50);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  EXPECT_TRUE(std::is_sorted(ends.begin(), ends.end()));
  EXPECT_GT(log->segment_count(), 5u);
  EXPECT_EQ(SegmentFiles().size(), log->segment_count());
  for (const std::string& name : SegmentFiles()) {
    EXPECT_LE(ReadWholeFile(Dir() + "/" + name).size(), 300u) << name;
  }
  EXPECT_EQ(log->records(), 50u);
  EXPECT_EQ(log->end(), ends.back());

  SegmentLog::Cursor cursor;
  std::vector<Position> positions;
  EXPECT_EQ(ReadToEnd(log.get(), &cursor, &positions), payloads);
  EXPECT_EQ(positions, ends);  // a cursor is where Append said the record ends
  EXPECT_EQ(cursor.corrupt_records(), 0u);
}

TEST_F(SpoolSegmentLogTest, ARecordLargerThanASegmentGetsOneToItself) {
  auto log = Open(100);
  const std::vector<std::string> payloads = {Payload(1), Payload(2, 500), Payload(3)};
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  EXPECT_EQ(ends[1].segment, ends[0].segment + 1);
  EXPECT_EQ(ends[2].segment, ends[1].segment + 1);
  EXPECT_EQ(ReadAll(log.get()), payloads);
}

TEST_F(SpoolSegmentLogTest, ACursorReadsWhatIsAppendedAfterItReachedTheEnd) {
  auto log = Open(200);
  SegmentLog::Cursor cursor;
  std::vector<std::string> read;
  const std::vector<std::string> payloads = Payloads(40);
  for (size_t i = 0; i < payloads.size(); i += 3) {
    const size_t upto = std::min(payloads.size(), i + 3);
    AppendAll(log.get(), std::vector<std::string>(payloads.begin() + static_cast<long>(i),
                                                  payloads.begin() + static_cast<long>(upto)));
    for (const std::string& payload : ReadToEnd(log.get(), &cursor)) read.push_back(payload);
    EXPECT_EQ(read.size(), upto);
  }
  EXPECT_EQ(read, payloads);
}

TEST_F(SpoolSegmentLogTest, ACursorStartsAtAPositionAppendReturned) {
  auto log = Open(250);
  const std::vector<std::string> payloads = Payloads(20);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  SegmentLog::Cursor cursor(ends[11]);
  EXPECT_EQ(ReadToEnd(log.get(), &cursor),
            std::vector<std::string>(payloads.begin() + 12, payloads.end()));
}

TEST_F(SpoolSegmentLogTest, ReopeningReplaysEverythingInOrderAndAppendsAfterIt) {
  const std::vector<std::string> payloads = Payloads(30);
  uint64_t bytes = 0;
  {
    auto log = Open(400);
    AppendAll(log.get(), payloads);
    ASSERT_TRUE(log->Sync().ok());
    bytes = log->bytes();
  }
  auto log = Open(400);
  EXPECT_EQ(report_.records, 30u);
  EXPECT_EQ(report_.segments, log->segment_count());
  EXPECT_EQ(report_.bytes, bytes);
  EXPECT_EQ(report_.corrupt_records, 0u);
  EXPECT_EQ(report_.torn_bytes, 0u);
  EXPECT_EQ(log->bytes(), bytes);
  EXPECT_EQ(log->records(), 30u);
  EXPECT_EQ(ReadAll(log.get()), payloads);

  Position end;
  ASSERT_TRUE(log->Append("after\n", &end).ok());
  std::vector<std::string> expected = payloads;
  expected.push_back("after\n");
  EXPECT_EQ(ReadAll(log.get()), expected);
}

TEST_F(SpoolSegmentLogTest, ReopeningTruncatesATornTailAndAppendsAfterIt) {
  const std::vector<std::string> payloads = Payloads(6);
  std::string last_segment;
  {
    auto log = Open(1 << 20);
    AppendAll(log.get(), payloads);
    last_segment = log->SegmentPath(log->end().segment);
  }
  const std::string whole = ReadWholeFile(last_segment);
  const uint64_t last_start = whole.size() - RecordBytes(payloads.back().size());
  for (uint64_t cut = last_start + 1; cut < whole.size(); cut += 7) {
    WriteWholeFile(last_segment, std::string_view(whole).substr(0, cut));
    {
      auto log = Open(1 << 20);
      EXPECT_EQ(report_.torn_bytes, cut - last_start) << "cut at " << cut;
      EXPECT_EQ(report_.records, payloads.size() - 1);
      EXPECT_EQ(report_.corrupt_records, 0u);
      EXPECT_EQ(ReadWholeFile(last_segment).size(), last_start);
      EXPECT_EQ(log->bytes(), last_start);

      Position end;
      ASSERT_TRUE(log->Append("after the tear\n", &end).ok());
      EXPECT_EQ(log->SegmentPath(end.segment), last_segment);  // goes on in the same segment
      std::vector<std::string> expected(payloads.begin(), payloads.end() - 1);
      expected.push_back("after the tear\n");
      EXPECT_EQ(ReadAll(log.get()), expected);
    }
    auto log = Open(1 << 20);
    EXPECT_EQ(report_.torn_bytes, 0u);
    EXPECT_EQ(report_.records, payloads.size());
  }
}

TEST_F(SpoolSegmentLogTest, AFlippedCrcByteCostsOneRecordAndIsCounted) {
  const std::vector<std::string> payloads = Payloads(20);
  std::string first_segment;
  uint64_t damaged_start = 0;
  {
    auto log = Open(1 << 20);
    const std::vector<Position> ends = AppendAll(log.get(), payloads);
    first_segment = log->SegmentPath(ends[0].segment);
    damaged_start = ends[8].offset;  // record 9 starts where record 8 ends
  }
  std::string bytes = ReadWholeFile(first_segment);
  bytes[damaged_start + 9] ^= 0x04;  // a byte of record 9's crc
  WriteWholeFile(first_segment, bytes);

  auto log = Open(1 << 20);
  EXPECT_EQ(report_.records, 19u);
  EXPECT_EQ(report_.corrupt_records, 1u);
  EXPECT_EQ(report_.corrupt_bytes, RecordBytes(payloads[9].size()));
  EXPECT_EQ(report_.torn_bytes, 0u);
  EXPECT_EQ(log->records(), 19u);
  std::vector<std::string> expected = payloads;
  expected.erase(expected.begin() + 9);
  SegmentLog::Cursor cursor;
  EXPECT_EQ(ReadToEnd(log.get(), &cursor), expected);
  EXPECT_EQ(cursor.corrupt_records(), 1u);
  EXPECT_EQ(ReadWholeFile(first_segment), bytes);  // damage in the middle is not truncated
}

TEST_F(SpoolSegmentLogTest, AcknowledgeDeletesWholeSegmentsOnlyAndNeverTheNewest) {
  auto log = Open(300);
  const std::vector<std::string> payloads = Payloads(40);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  const uint64_t first = ends.front().segment;
  // Find a record in the middle of the second segment.
  size_t mid = 0;
  while (ends[mid].segment == first) ++mid;
  ++mid;
  ASSERT_EQ(ends[mid].segment, first + 1);
  ASSERT_TRUE(log->Acknowledge(ends[mid]).ok());
  EXPECT_FALSE(FileExists(log->SegmentPath(first)));
  EXPECT_TRUE(FileExists(log->SegmentPath(first + 1)));
  EXPECT_EQ(log->bytes(), BytesOnDisk());

  // Up to the very end: every segment but the newest goes.
  ASSERT_TRUE(log->Acknowledge(log->end()).ok());
  EXPECT_EQ(log->segment_count(), 1u);
  EXPECT_EQ(SegmentFiles(), std::vector<std::string>{SegmentFileName(ends.back().segment)});
  EXPECT_EQ(log->bytes(), BytesOnDisk());

  // Appending goes on in the newest segment, and reads from there.
  Position end;
  ASSERT_TRUE(log->Append("more\n", &end).ok());
  SegmentLog::Cursor cursor(ends.back());
  EXPECT_EQ(ReadToEnd(log.get(), &cursor), std::vector<std::string>{"more\n"});
}

TEST_F(SpoolSegmentLogTest, ACursorWhoseSegmentWasDeletedGoesOnAtTheNextOne) {
  auto log = Open(300);
  const std::vector<std::string> payloads = Payloads(30);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  SegmentLog::Cursor cursor;
  std::string payload;
  bool end = false;
  ASSERT_TRUE(log->ReadNext(&cursor, &payload, &end).ok());
  const uint64_t second = ends.front().segment + 1;
  ASSERT_TRUE(log->Acknowledge(Position{second, 0}).ok());  // the cursor's segment goes
  const auto first_in_second =
      static_cast<size_t>(std::find_if(ends.begin(), ends.end(),
                                       [&](const Position& p) { return p.segment == second; }) -
                          ends.begin());
  EXPECT_EQ(ReadToEnd(log.get(), &cursor),
            std::vector<std::string>(payloads.begin() + static_cast<long>(first_in_second),
                                     payloads.end()));
}

TEST_F(SpoolSegmentLogTest, ASegmentOfGarbageCostsOnlyItself) {
  const std::vector<std::string> payloads = Payloads(30);
  std::vector<Position> ends;
  std::string second_path;
  {
    auto log = Open(300);
    ends = AppendAll(log.get(), payloads);
    second_path = log->SegmentPath(ends.front().segment + 1);
  }
  const size_t second_size = ReadWholeFile(second_path).size();
  WriteWholeFile(second_path, std::string(second_size, '\0'));
  auto log = Open(300);
  const auto in_second =
      static_cast<uint64_t>(std::count_if(ends.begin(), ends.end(), [&](const Position& p) {
        return p.segment == ends.front().segment + 1;
      }));
  EXPECT_EQ(report_.records, payloads.size() - in_second);
  EXPECT_EQ(report_.torn_bytes, second_size);  // no valid record in it: all tail
  std::vector<std::string> expected;
  for (size_t i = 0; i < payloads.size(); ++i) {
    if (ends[i].segment != ends.front().segment + 1) expected.push_back(payloads[i]);
  }
  EXPECT_EQ(ReadAll(log.get()), expected);
}

TEST_F(SpoolSegmentLogTest, BytesTracksAppendsAndDeletions) {
  auto log = Open(500);
  uint64_t expected = 0;
  for (int i = 0; i < 60; ++i) {
    Position end;
    const std::string payload = Payload(i, static_cast<size_t>(i % 7) * 10);
    ASSERT_TRUE(log->Append(payload, &end).ok());
    expected += RecordBytes(payload.size());
    EXPECT_EQ(log->bytes(), expected);
    if (i % 20 == 19) {
      ASSERT_TRUE(log->Acknowledge(end).ok());
      expected = BytesOnDisk();
      EXPECT_EQ(log->bytes(), expected);
    }
  }
  EXPECT_EQ(log->bytes(), BytesOnDisk());
}

TEST_F(SpoolSegmentLogTest, DropOldestSegmentSaysWhatItDropped) {
  auto log = Open(300);
  const std::vector<std::string> payloads = Payloads(25);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  const uint64_t first = ends.front().segment;
  const auto in_first = static_cast<uint64_t>(std::count_if(
      ends.begin(), ends.end(), [&](const Position& p) { return p.segment == first; }));
  const uint64_t first_bytes = ReadWholeFile(log->SegmentPath(first)).size();
  const uint64_t bytes_before = log->bytes();

  uint64_t bytes_dropped = 0;
  uint64_t records_dropped = 0;
  ASSERT_TRUE(log->DropOldestSegment(&bytes_dropped, &records_dropped).ok());
  EXPECT_EQ(bytes_dropped, first_bytes);
  EXPECT_EQ(records_dropped, in_first);
  EXPECT_EQ(log->bytes(), bytes_before - first_bytes);
  EXPECT_EQ(log->records(), payloads.size() - in_first);
  EXPECT_FALSE(FileExists(log->SegmentPath(first)));
  EXPECT_EQ(
      ReadAll(log.get()),
      std::vector<std::string>(payloads.begin() + static_cast<long>(in_first), payloads.end()));
}

TEST_F(SpoolSegmentLogTest, DroppingTheOnlySegmentStartsANewOneOnTheNextAppend) {
  auto log = Open(1 << 20);
  const std::vector<Position> ends = AppendAll(log.get(), Payloads(3));
  SegmentLog::Cursor cursor;
  ASSERT_EQ(ReadToEnd(log.get(), &cursor).size(), 3u);
  uint64_t bytes_dropped = 0;
  uint64_t records_dropped = 0;
  ASSERT_TRUE(log->DropOldestSegment(&bytes_dropped, &records_dropped).ok());
  EXPECT_EQ(records_dropped, 3u);
  EXPECT_EQ(log->bytes(), 0u);
  EXPECT_TRUE(SegmentFiles().empty());
  ASSERT_TRUE(log->DropOldestSegment(&bytes_dropped, &records_dropped).ok());
  EXPECT_EQ(records_dropped, 0u);
  EXPECT_EQ(bytes_dropped, 0u);

  Position end;
  ASSERT_TRUE(log->Append("new\n", &end).ok());
  EXPECT_EQ(end.segment, ends.back().segment + 1);
  EXPECT_EQ(ReadToEnd(log.get(), &cursor), std::vector<std::string>{"new\n"});
}

TEST_F(SpoolSegmentLogTest, FilesThatAreNotSegmentsAreLeftAloneAndReported) {
  ASSERT_TRUE(posix_.CreateDir(Dir()).ok());
  for (const char* name : {"notes.txt", "0000000000000001.seg.tmp", "00000000000000ZZ.seg"}) {
    WriteWholeFile(Dir() + "/" + name, "keep me");
  }
  {
    auto log = Open(1 << 20);
    EXPECT_EQ(report_.foreign_files,
              (std::vector<std::string>{"0000000000000001.seg.tmp", "00000000000000ZZ.seg",
                                        "notes.txt"}));
    const std::vector<Position> ends = AppendAll(log.get(), Payloads(3));
    ASSERT_TRUE(log->Acknowledge(log->end()).ok());
    uint64_t bytes = 0;
    uint64_t records = 0;
    ASSERT_TRUE(log->DropOldestSegment(&bytes, &records).ok());
  }
  EXPECT_EQ(ReadWholeFile(Dir() + "/notes.txt"), "keep me");
  EXPECT_EQ(ReadWholeFile(Dir() + "/0000000000000001.seg.tmp"), "keep me");
  EXPECT_EQ(ReadWholeFile(Dir() + "/00000000000000ZZ.seg"), "keep me");
}

TEST_F(SpoolSegmentLogTest, RefusesAPayloadAboveTheMaximum) {
  auto log = Open(1 << 20);
  Position end;
  const Status s = log->Append(std::string(kMaxRecordPayloadBytes + 1, 'x'), &end);
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(IsNoSpace(s));
  EXPECT_EQ(log->bytes(), 0u);
  EXPECT_EQ(log->records(), 0u);
}

// --- Faults ---

TEST_F(SpoolSegmentLogTest, AFullDiskOnAppendIsAnErrorAndLeavesTheFileWhole) {
  FaultyFileSystem fs(&posix_);
  auto log = Open(1 << 20, &fs);
  const std::vector<std::string> payloads = Payloads(5);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  const std::string segment = log->SegmentPath(ends.back().segment);
  const std::string before = ReadWholeFile(segment);

  fs.FailNextWrite(ENOSPC, 10);  // ten bytes reach the file, then the disk is full
  Position end;
  const Status s = log->Append(Payload(99), &end);
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(IsNoSpace(s));
  EXPECT_EQ(s.message(), segment + ": write: No space left on device");
  EXPECT_EQ(ReadWholeFile(segment), before);
  EXPECT_EQ(log->bytes(), before.size());
  EXPECT_EQ(log->records(), 5u);

  // Space freed: appends work again, and everything reads back.
  ASSERT_TRUE(log->Append("after\n", &end).ok());
  EXPECT_EQ(end.segment, ends.back().segment);
  std::vector<std::string> expected = payloads;
  expected.push_back("after\n");
  EXPECT_EQ(ReadAll(log.get()), expected);
  ASSERT_TRUE(log->Sync().ok());
  log.reset();
  log = Open(1 << 20, &fs);
  EXPECT_EQ(report_.records, 6u);
  EXPECT_EQ(report_.torn_bytes + report_.corrupt_bytes, 0u);
  EXPECT_EQ(ReadAll(log.get()), expected);
}

TEST_F(SpoolSegmentLogTest, AFullDiskWhoseRollbackFailsGoesOnInANewSegment) {
  FaultyFileSystem fs(&posix_);
  auto log = Open(1 << 20, &fs);
  const std::vector<std::string> payloads = Payloads(4);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  fs.FailNextWrite(ENOSPC, 20);
  fs.FailNextFileTruncate(EIO);
  Position end;
  EXPECT_TRUE(IsNoSpace(log->Append(Payload(99), &end)));
  EXPECT_EQ(log->bytes(), ends.back().offset);

  ASSERT_TRUE(log->Append("after\n", &end).ok());
  EXPECT_EQ(end.segment, ends.back().segment + 1);
  std::vector<std::string> expected = payloads;
  expected.push_back("after\n");
  SegmentLog::Cursor cursor;
  EXPECT_EQ(ReadToEnd(log.get(), &cursor), expected);
  EXPECT_EQ(cursor.corrupt_records(), 0u);  // the half record is never looked at
  ASSERT_TRUE(log->Sync().ok());

  // Reopened, the half record is the older segment's torn tail.
  log.reset();
  log = Open(1 << 20, &fs);
  EXPECT_EQ(report_.torn_bytes, 20u);
  EXPECT_EQ(report_.records, 5u);
  EXPECT_EQ(ReadAll(log.get()), expected);
}

TEST_F(SpoolSegmentLogTest, AFullDiskWhenStartingASegmentIsAnError) {
  FaultyFileSystem fs(&posix_);
  auto log = Open(1 << 20, &fs);
  fs.FailNextOpenWritable(ENOSPC);
  Position end;
  const Status s = log->Append("x\n", &end);
  EXPECT_TRUE(IsNoSpace(s)) << s.message();
  EXPECT_EQ(log->segment_count(), 0u);
  ASSERT_TRUE(log->Append("y\n", &end).ok());
  EXPECT_EQ(ReadAll(log.get()), std::vector<std::string>{"y\n"});
}

TEST_F(SpoolSegmentLogTest, SyncSyncsWhatWasWrittenAndTheDirectoryAfterANewSegment) {
  FaultyFileSystem fs(&posix_);
  auto log = Open(300, &fs);
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), 0);  // nothing written
  EXPECT_EQ(fs.dir_syncs(), 0);

  Position end;
  ASSERT_TRUE(log->Append(Payload(0), &end).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), 1);
  EXPECT_EQ(fs.dir_syncs(), 1);  // the segment was new
  ASSERT_TRUE(log->Append(Payload(1), &end).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), 2);
  EXPECT_EQ(fs.dir_syncs(), 1);

  // A roll: the segment left and the new one are both synced.
  const uint64_t first = end.segment;
  while (end.segment == first) ASSERT_TRUE(log->Append(Payload(2), &end).ok());
  ASSERT_TRUE(log->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), 4);
  EXPECT_EQ(fs.dir_syncs(), 2);
}

TEST_F(SpoolSegmentLogTest, AFailedSyncIsReportedAndTheNextAppendStartsANewSegment) {
  FaultyFileSystem fs(&posix_);
  auto log = Open(1 << 20, &fs);
  const std::vector<Position> ends = AppendAll(log.get(), Payloads(3));
  fs.FailNextFileSync(EIO);
  const Status s = log->Sync();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), log->SegmentPath(ends.back().segment) + ": fdatasync: Input/output error");
  EXPECT_FALSE(IsNoSpace(s));

  Position end;
  ASSERT_TRUE(log->Append("after\n", &end).ok());
  EXPECT_EQ(end.segment, ends.back().segment + 1);
  ASSERT_TRUE(log->Sync().ok());
  std::vector<std::string> expected = Payloads(3);
  expected.push_back("after\n");
  EXPECT_EQ(ReadAll(log.get()), expected);
}

TEST_F(SpoolSegmentLogTest, AnUnreadableSegmentIsLeftOutReportedAndNotAppendedBefore) {
  std::vector<Position> ends;
  std::string second_path;
  {
    auto log = Open(300);
    ends = AppendAll(log.get(), Payloads(20));
    second_path = log->SegmentPath(ends.back().segment);
  }
  FaultyFileSystem fs(&posix_);
  fs.FailOpenReadable(second_path, EACCES);
  std::unique_ptr<SegmentLog> log;
  ASSERT_TRUE(SegmentLog::Open(Dir(), 300, &fs, &log, &report_).ok());
  EXPECT_EQ(report_.unreadable_segments, 1u);
  ASSERT_EQ(report_.errors.size(), 1u);
  EXPECT_EQ(report_.errors[0], second_path + ": open: Permission denied");
  EXPECT_EQ(log->segment_count(), SegmentFiles().size() - 1);

  Position end;
  ASSERT_TRUE(log->Append("after\n", &end).ok());
  EXPECT_EQ(end.segment, ends.back().segment + 1);  // after the one left out
  EXPECT_TRUE(FileExists(second_path));
}

TEST_F(SpoolSegmentLogTest, AFailedDeletionKeepsTheSegmentForTheNextTry) {
  FaultyFileSystem fs(&posix_);
  auto log = Open(300, &fs);
  AppendAll(log.get(), Payloads(20));
  const size_t segments = log->segment_count();
  const uint64_t bytes = log->bytes();
  fs.FailNextRemove(EACCES);
  EXPECT_FALSE(log->Acknowledge(log->end()).ok());
  EXPECT_EQ(log->segment_count(), segments);
  EXPECT_EQ(log->bytes(), bytes);
  ASSERT_TRUE(log->Acknowledge(log->end()).ok());
  EXPECT_EQ(log->segment_count(), 1u);
}

TEST_F(SpoolSegmentLogTest, ASegmentRemovedBehindTheLogsBackIsSkipped) {
  auto log = Open(300);
  const std::vector<std::string> payloads = Payloads(20);
  const std::vector<Position> ends = AppendAll(log.get(), payloads);
  const uint64_t first = ends.front().segment;
  ASSERT_EQ(::unlink(log->SegmentPath(first).c_str()), 0);
  const auto in_first = std::count_if(ends.begin(), ends.end(),
                                      [&](const Position& p) { return p.segment == first; });
  EXPECT_EQ(ReadAll(log.get()),
            std::vector<std::string>(payloads.begin() + in_first, payloads.end()));
  EXPECT_EQ(log->bytes(), BytesOnDisk());
}

}  // namespace
}  // namespace inflow::daemon
