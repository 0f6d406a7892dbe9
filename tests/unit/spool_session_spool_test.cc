// SessionSpool on a temporary folder: staging and appending, loading from
// memory and from disk in append order, replay after a restart,
// acknowledgement by points delivered and the segments it deletes,
// ReclaimDelivered, DropOldest, and faults (a full disk, damage on disk, a
// failed read or deletion).

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "spool/point_record.h"
#include "spool/record_format.h"
#include "spool/segment_log.h"
#include "spool/session_spool.h"
#include "unit/spool_test_util.h"

namespace inflow::daemon {
namespace {

using test::FaultyFileSystem;
using test::FileExists;
using test::ReadWholeFile;
using test::SpoolTempDir;
using test::WriteWholeFile;

// The folder names are on disk: a spool written by an earlier inflowd must
// be found again, so these bytes never change.
TEST(SessionSpoolDirNameTest, NamesTheFolderOfEachRetentionPolicyAsOnDisk) {
  EXPECT_EQ(SessionSpoolDirName(""), "default");
  EXPECT_EQ(SessionSpoolDirName("autogen"), "rp-autogen");
  EXPECT_EQ(SessionSpoolDirName("rp_four_weeks.v2-A9"), "rp-rp_four_weeks.v2-A9");
  // '~' is escaped, though RFC 3986 leaves it bare in URLs; hex in capitals.
  EXPECT_EQ(SessionSpoolDirName("a~b c/d%e"), "rp-a%7Eb%20c%2Fd%25e");
  EXPECT_EQ(SessionSpoolDirName(".."), "rp-..");
  EXPECT_EQ(SessionSpoolDirName(std::string("\x00\xff\xc3\xa9\n", 5)), "rp-%00%FF%C3%A9%0A");
}

// The lines of one record, one point each.
using Record = std::vector<std::string>;

// Record `i`: `lines` points, each with a string field holding a raw newline.
Record MakeRecord(int i, int lines = 3) {
  Record record;
  for (int j = 0; j < lines; ++j) {
    record.push_back("cpu,host=h" + std::to_string(i) + " n=" + std::to_string(j) + "i,msg=\"r" +
                     std::to_string(i) + "\nline " + std::to_string(j) + "\" " +
                     std::to_string(1700000000000000000LL + i * 10 + j) + "\n");
  }
  return record;
}

std::vector<Record> MakeRecords(int first, int count, int lines = 3) {
  std::vector<Record> records;
  for (int i = first; i < first + count; ++i) records.push_back(MakeRecord(i, lines));
  return records;
}

uint64_t PointsIn(const std::vector<Record>& records, size_t from, size_t to) {
  uint64_t points = 0;
  for (size_t i = from; i < to; ++i) points += records[i].size();
  return points;
}

// The payload PointRecordWriter makes of `record`.
std::string PayloadOf(const Record& record) {
  PointRecordWriter writer;
  for (const std::string& line : record) writer.Add(line);
  return std::string(writer.payload());
}

class SessionSpoolTest : public ::testing::Test {
 protected:
  static constexpr uint64_t kSmallSegmentBytes = 4096;
  static constexpr uint64_t kLargeSegmentBytes = uint64_t{1} << 20;

  std::string Dir() const { return tmp_.File("spool/autogen"); }
  std::string SegmentPath(uint64_t sequence) const {
    return Dir() + "/" + SegmentFileName(sequence);
  }

  std::unique_ptr<SessionSpool> Open(uint64_t segment_bytes, FileSystem* fs = nullptr) {
    std::unique_ptr<SessionSpool> spool;
    const Status s =
        SessionSpool::Open(Dir(), segment_bytes, fs != nullptr ? fs : &posix_, &spool, &report_);
    EXPECT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(report_.errors.empty()) << report_.errors.front();
    return spool;
  }

  // Stages the lines of `record` and appends them.
  static void Append(SessionSpool* spool, const Record& record) {
    for (const std::string& line : record) spool->Stage(line);
    const Status s = spool->AppendStaged();
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_FALSE(spool->has_staged());
  }

  // Appends each record and returns the sequence of the segment each went to.
  std::vector<uint64_t> AppendAll(SessionSpool* spool, const std::vector<Record>& records) {
    std::vector<uint64_t> segments;
    for (const Record& record : records) {
      Append(spool, record);
      segments.push_back(NewestSegment());
    }
    return segments;
  }

  // Loads the next record; nullopt when none is unloaded.
  static std::optional<Record> LoadNext(SessionSpool* spool,
                                        LoadedRecord* loaded_record = nullptr) {
    Record lines;
    LoadedRecord record;
    record.points = 12345;  // LoadNext sets it whatever happens
    bool loaded = true;
    const Status s = spool->LoadNext(
        [&lines](std::string_view line) { lines.emplace_back(line); }, &record, &loaded);
    EXPECT_TRUE(s.ok()) << s.message();
    if (loaded_record != nullptr) *loaded_record = record;
    if (!s.ok() || !loaded) {
      EXPECT_TRUE(lines.empty());
      EXPECT_EQ(record.points, 0u);
      return std::nullopt;
    }
    EXPECT_EQ(record.points, lines.size());
    return lines;
  }

  // Loads every unloaded record.
  static std::vector<Record> LoadAll(SessionSpool* spool) {
    std::vector<Record> records;
    for (int guard = 0; guard < 100000; ++guard) {
      std::optional<Record> record = LoadNext(spool);
      if (!record) break;
      records.push_back(std::move(*record));
    }
    EXPECT_FALSE(spool->lagging());
    return records;
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

  std::vector<std::string> SegmentFilesFrom(uint64_t first, uint64_t last) {
    std::vector<std::string> names;
    for (uint64_t sequence = first; sequence <= last; ++sequence) {
      names.push_back(SegmentFileName(sequence));
    }
    return names;
  }

  uint64_t NewestSegment() {
    const std::vector<std::string> names = SegmentFiles();
    uint64_t sequence = 0;
    EXPECT_FALSE(names.empty());
    if (!names.empty()) {
      EXPECT_TRUE(ParseSegmentFileName(names.back(), &sequence));
    }
    return sequence;
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

  // Appends records until the next one would start a new segment, and
  // returns them; that next record is left staged.
  std::vector<Record> FillFirstSegment(SessionSpool* spool, Record* staged) {
    std::vector<Record> records;
    for (int i = 0;; ++i) {
      const Record record = MakeRecord(i);
      for (const std::string& line : record) spool->Stage(line);
      if (spool->bytes() + spool->staged_bytes() > kSmallSegmentBytes) {
        *staged = record;
        return records;
      }
      const Status s = spool->AppendStaged();
      EXPECT_TRUE(s.ok()) << s.message();
      records.push_back(record);
    }
  }

  SpoolTempDir tmp_;
  PosixFileSystem posix_;
  SpoolRecoveryReport report_;
};

// --- Appending and loading ---

TEST_F(SessionSpoolTest, AFreshSpoolLoadsTheRecordJustAppended) {
  auto spool = Open(kLargeSegmentBytes);
  ASSERT_NE(spool, nullptr);
  EXPECT_FALSE(spool->lagging());
  EXPECT_EQ(spool->bytes(), 0u);
  EXPECT_FALSE(LoadNext(spool.get()).has_value());

  const Record record = MakeRecord(1);
  for (const std::string& line : record) spool->Stage(line);
  EXPECT_TRUE(spool->has_staged());
  EXPECT_EQ(spool->staged_points(), 3u);
  ASSERT_TRUE(spool->AppendStaged().ok());
  EXPECT_FALSE(spool->has_staged());
  EXPECT_EQ(spool->staged_points(), 0u);
  EXPECT_TRUE(spool->lagging());

  LoadedRecord loaded;
  const std::optional<Record> lines = LoadNext(spool.get(), &loaded);
  ASSERT_TRUE(lines.has_value());
  EXPECT_EQ(*lines, record);
  EXPECT_EQ(loaded.points, 3u);
  EXPECT_FALSE(loaded.damaged);
  EXPECT_FALSE(spool->lagging());
  EXPECT_FALSE(LoadNext(spool.get(), &loaded).has_value());
  EXPECT_EQ(loaded.points, 0u);
  EXPECT_FALSE(loaded.damaged);
  EXPECT_EQ(spool->corrupt_records(), 0u);
  EXPECT_EQ(spool->damaged_payloads(), 0u);
}

TEST_F(SessionSpoolTest, StagedBytesIsWhatTheRecordTakesOnDisk) {
  auto spool = Open(kLargeSegmentBytes);
  const Record record = MakeRecord(7, 5);
  for (const std::string& line : record) spool->Stage(line);
  const uint64_t staged_bytes = spool->staged_bytes();
  EXPECT_EQ(staged_bytes, RecordBytes(PayloadOf(record).size()));
  ASSERT_TRUE(spool->AppendStaged().ok());
  EXPECT_EQ(spool->bytes(), staged_bytes);
  EXPECT_EQ(BytesOnDisk(), staged_bytes);
}

TEST_F(SessionSpoolTest, DiscardStagedForgetsTheLinesAndAppendsNothing) {
  auto spool = Open(kLargeSegmentBytes);
  for (const std::string& line : MakeRecord(1)) spool->Stage(line);
  spool->DiscardStaged();
  EXPECT_FALSE(spool->has_staged());
  EXPECT_EQ(spool->staged_points(), 0u);
  Append(spool.get(), MakeRecord(2));
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{MakeRecord(2)});
}

TEST_F(SessionSpoolTest, LoadsRecordsAppendedWhileLaggingInOrder) {
  auto spool = Open(kLargeSegmentBytes);
  const std::vector<Record> records = MakeRecords(1, 5);
  for (const Record& record : records) {
    Append(spool.get(), record);
    EXPECT_TRUE(spool->lagging());
  }
  EXPECT_EQ(LoadAll(spool.get()), records);
  EXPECT_FALSE(spool->lagging());
  EXPECT_EQ(spool->corrupt_records(), 0u);
}

TEST_F(SessionSpoolTest, InterleavedAppendsAndLoadsKeepTheOrder) {
  auto spool = Open(kLargeSegmentBytes);
  const std::vector<Record> r = MakeRecords(1, 4);
  Append(spool.get(), r[0]);
  EXPECT_EQ(LoadNext(spool.get()), r[0]);
  EXPECT_FALSE(spool->lagging());
  Append(spool.get(), r[1]);
  Append(spool.get(), r[2]);
  EXPECT_EQ(LoadNext(spool.get()), r[1]);
  EXPECT_TRUE(spool->lagging());
  Append(spool.get(), r[3]);
  EXPECT_EQ(LoadNext(spool.get()), r[2]);
  EXPECT_EQ(LoadNext(spool.get()), r[3]);
  EXPECT_FALSE(spool->lagging());
  EXPECT_FALSE(LoadNext(spool.get()).has_value());
}

TEST_F(SessionSpoolTest, InterleavedAppendsAndLoadsAcrossManySegmentsKeepTheOrder) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 300, 4);
  std::vector<Record> loaded;
  // Append in bursts of 1..7 records, load 0..4 after each burst.
  size_t next = 0;
  for (size_t round = 0; next < records.size(); ++round) {
    for (size_t i = 0; i < 1 + round % 7 && next < records.size(); ++i) {
      Append(spool.get(), records[next++]);
    }
    for (size_t i = 0; i < round % 5; ++i) {
      std::optional<Record> record = LoadNext(spool.get());
      if (!record) break;
      loaded.push_back(*record);
    }
  }
  EXPECT_GT(NewestSegment(), 5u);
  for (Record& record : LoadAll(spool.get())) loaded.push_back(record);
  EXPECT_EQ(loaded, records);
}

TEST_F(SessionSpoolTest, TheRecordJustAppendedLoadsWithoutReadingTheDisk) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kLargeSegmentBytes, &fs);
  fs.FailOpenReadable(SegmentPath(1), EIO);
  const std::vector<Record> r = MakeRecords(1, 3);
  Append(spool.get(), r[0]);
  EXPECT_EQ(LoadNext(spool.get()), r[0]);
  Append(spool.get(), r[1]);  // nothing else unloaded: from memory too
  Append(spool.get(), r[2]);  // lagging: waits on disk
  EXPECT_EQ(LoadNext(spool.get()), r[1]);

  // The disk cannot be read: the error is returned, the record stays
  // unloaded.
  Record lines;
  LoadedRecord record;
  bool loaded = true;
  const Status s = spool->LoadNext(
      [&lines](std::string_view line) { lines.emplace_back(line); }, &record, &loaded);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(SegmentPath(1)), std::string::npos) << s.message();
  EXPECT_FALSE(loaded);
  EXPECT_TRUE(lines.empty());
  EXPECT_TRUE(spool->lagging());

  fs.FailOpenReadable("", 0);
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{r[2]});
}

// --- Replay after a restart ---

TEST_F(SessionSpoolTest, ReplaysRecordsOfThePreviousRunInOrder) {
  const std::vector<Record> records = MakeRecords(1, 60);
  {
    auto spool = Open(kSmallSegmentBytes);
    AppendAll(spool.get(), records);
    // Loaded but never delivered: still to be replayed.
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(LoadNext(spool.get()).has_value());
    ASSERT_TRUE(spool->Sync().ok());
  }
  auto spool = Open(kSmallSegmentBytes);
  EXPECT_EQ(report_.records, records.size());
  EXPECT_GT(report_.segments, 1u);
  EXPECT_TRUE(spool->lagging());
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
  EXPECT_EQ(LoadAll(spool.get()), records);
  EXPECT_EQ(spool->corrupt_records(), 0u);
}

TEST_F(SessionSpoolTest, RecordsAppendedAfterARestartComeAfterTheReplayedOnes) {
  const std::vector<Record> before = MakeRecords(1, 30);
  const std::vector<Record> after = MakeRecords(100, 30);
  {
    auto spool = Open(kSmallSegmentBytes);
    AppendAll(spool.get(), before);
  }
  auto spool = Open(kSmallSegmentBytes);
  std::vector<Record> loaded;
  for (size_t i = 0; i < after.size(); ++i) {
    Append(spool.get(), after[i]);
    if (i % 2 == 0) loaded.push_back(LoadNext(spool.get()).value_or(Record{}));
  }
  for (Record& record : LoadAll(spool.get())) loaded.push_back(record);
  std::vector<Record> expected = before;
  expected.insert(expected.end(), after.begin(), after.end());
  EXPECT_EQ(loaded, expected);
}

TEST_F(SessionSpoolTest, ReplaysTheAcknowledgedRecordsOfTheOldestSegmentLeft) {
  const std::vector<Record> records = MakeRecords(1, 80);
  std::vector<uint64_t> segments;
  size_t first_in_second = 0;
  {
    auto spool = Open(kSmallSegmentBytes);
    segments = AppendAll(spool.get(), records);
    ASSERT_GE(segments.back(), 3u);
    ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
    while (segments[first_in_second] == 1) ++first_in_second;
    // The first segment, and two records of the second, delivered.
    ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, first_in_second + 2)).ok());
    EXPECT_FALSE(FileExists(SegmentPath(1)));
    EXPECT_TRUE(FileExists(SegmentPath(2)));
  }
  // The acknowledged position is not kept on disk (segment_log.h): the
  // second segment is replayed whole.
  auto spool = Open(kSmallSegmentBytes);
  EXPECT_TRUE(spool->lagging());
  EXPECT_EQ(LoadAll(spool.get()),
            std::vector<Record>(records.begin() + static_cast<long>(first_in_second),
                                records.end()));
}

// --- Delivery and deletion ---

TEST_F(SessionSpoolTest, DeliveredDeletesTheSegmentsWhollyDeliveredButNeverTheNewest) {
  auto spool = Open(kSmallSegmentBytes);
  std::vector<Record> records;
  for (int i = 0; i < 120; ++i) records.push_back(MakeRecord(i, 1 + i % 4));
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  const uint64_t newest = segments.back();
  ASSERT_GE(newest, 4u);
  EXPECT_EQ(LoadAll(spool.get()), records);

  // Everything in segments 1 and 2.
  size_t end_of_2 = 0;
  while (segments[end_of_2] <= 2) ++end_of_2;
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, end_of_2)).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(3, newest));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());

  // Segment 3 but for its last point: it stays.
  size_t end_of_3 = end_of_2;
  while (segments[end_of_3] == 3) ++end_of_3;
  ASSERT_TRUE(spool->Delivered(PointsIn(records, end_of_2, end_of_3) - 1).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(3, newest));
  ASSERT_TRUE(spool->Delivered(1).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(4, newest));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());

  // Everything: the newest segment stays.
  ASSERT_TRUE(spool->Delivered(PointsIn(records, end_of_3, records.size())).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(newest, newest));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
  EXPECT_FALSE(spool->lagging());

  // And appends go on there.
  Append(spool.get(), MakeRecord(1000));
  EXPECT_EQ(NewestSegment(), newest);
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{MakeRecord(1000)});
}

TEST_F(SessionSpoolTest, PointsEndingMidRecordDoNotAcknowledgeIt) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 60, 5);
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  ASSERT_GE(segments.back(), 2u);
  ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
  size_t end_of_1 = 0;
  while (segments[end_of_1] == 1) ++end_of_1;

  // Up to the middle of the first segment's last record, in pieces.
  const uint64_t all_but_two = PointsIn(records, 0, end_of_1) - 2;
  ASSERT_TRUE(spool->Delivered(all_but_two - 7).ok());
  ASSERT_TRUE(spool->Delivered(7).ok());
  ASSERT_TRUE(spool->Delivered(1).ok());
  EXPECT_TRUE(FileExists(SegmentPath(1)));
  // The last point of that record, and the first of the next.
  ASSERT_TRUE(spool->Delivered(2).ok());
  EXPECT_FALSE(FileExists(SegmentPath(1)));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
}

TEST_F(SessionSpoolTest, ANewSegmentDeletesThePreviousOneIfItWasWhollyDelivered) {
  auto spool = Open(kSmallSegmentBytes);
  Record staged;
  const std::vector<Record> records = FillFirstSegment(spool.get(), &staged);
  ASSERT_TRUE(spool->has_staged());
  spool->DiscardStaged();
  EXPECT_EQ(LoadAll(spool.get()), records);
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size())).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(1, 1));  // the newest stays

  Append(spool.get(), staged);
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(2, 2));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{staged});
}

TEST_F(SessionSpoolTest, ANewSegmentKeepsThePreviousOneWhileAPointOfItIsUndelivered) {
  auto spool = Open(kSmallSegmentBytes);
  Record staged;
  const std::vector<Record> records = FillFirstSegment(spool.get(), &staged);
  spool->DiscardStaged();
  EXPECT_EQ(LoadAll(spool.get()), records);
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size()) - 1).ok());

  Append(spool.get(), staged);
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(1, 2));
  ASSERT_TRUE(spool->Delivered(1).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(2, 2));
}

TEST_F(SessionSpoolTest, AFailedDeletionInDeliveredIsTriedAgainByALaterCall) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kSmallSegmentBytes, &fs);
  const std::vector<Record> records = MakeRecords(0, 60);
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  ASSERT_GE(segments.back(), 3u);
  ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
  size_t end_of_1 = 0;
  while (segments[end_of_1] == 1) ++end_of_1;

  fs.FailNextRemove(EIO);
  const Status s = spool->Delivered(PointsIn(records, 0, end_of_1));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(SegmentPath(1)), std::string::npos) << s.message();
  EXPECT_TRUE(FileExists(SegmentPath(1)));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());

  ASSERT_TRUE(spool->Delivered(records[end_of_1].size()).ok());
  EXPECT_FALSE(FileExists(SegmentPath(1)));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
}

// Delivered promises that "a later call tries again": also one whose points
// complete no record (InfluxDB batches need not end where records do).
TEST_F(SessionSpoolTest, AFailedDeletionIsTriedAgainByALaterCallEndingMidRecord) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kSmallSegmentBytes, &fs);
  const std::vector<Record> records = MakeRecords(0, 60);
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  ASSERT_GE(segments.back(), 3u);
  ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
  size_t end_of_1 = 0;
  while (segments[end_of_1] == 1) ++end_of_1;

  fs.FailNextRemove(EIO);
  EXPECT_FALSE(spool->Delivered(PointsIn(records, 0, end_of_1)).ok());
  ASSERT_TRUE(FileExists(SegmentPath(1)));
  ASSERT_GE(records[end_of_1].size(), 2u);
  ASSERT_TRUE(spool->Delivered(1).ok());
  EXPECT_FALSE(FileExists(SegmentPath(1)));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
}

// --- ReclaimDelivered ---

TEST_F(SessionSpoolTest, ReclaimDeliveredDeletesEverySegmentOnceAllIsDelivered) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 70);
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  ASSERT_GE(segments.back(), 2u);
  EXPECT_EQ(LoadAll(spool.get()), records);
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size())).ok());
  ASSERT_EQ(SegmentFiles().size(), 1u);
  const uint64_t bytes = spool->bytes();
  ASSERT_GT(bytes, 0u);

  EXPECT_EQ(spool->ReclaimDelivered(), bytes);
  EXPECT_EQ(spool->bytes(), 0u);
  EXPECT_TRUE(SegmentFiles().empty());
  EXPECT_FALSE(spool->lagging());
  EXPECT_EQ(spool->ReclaimDelivered(), 0u);

  // The spool goes on: appends (from memory and from disk) load in order.
  const std::vector<Record> more = MakeRecords(500, 40);
  std::vector<Record> loaded;
  for (size_t i = 0; i < more.size(); ++i) {
    Append(spool.get(), more[i]);
    if (i % 3 != 1) loaded.push_back(LoadNext(spool.get()).value_or(Record{}));
  }
  for (Record& record : LoadAll(spool.get())) loaded.push_back(record);
  EXPECT_EQ(loaded, more);
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
  ASSERT_TRUE(spool->Delivered(PointsIn(more, 0, more.size())).ok());
  const uint64_t left = spool->bytes();
  ASSERT_GT(left, 0u);
  EXPECT_EQ(spool->ReclaimDelivered(), left);
  EXPECT_TRUE(SegmentFiles().empty());
}

// Delivered keeps the newest segment (appends go on there), unless every
// point is delivered and the spool holds kReclaimDeliveredBytes: then a
// restart would replay that much InfluxDB already has, and it goes too.
TEST_F(SessionSpoolTest, DeliveredDeletesTheNewestSegmentOnceCaughtUpWithAMegabyte) {
  auto spool = Open(4 * SessionSpool::kReclaimDeliveredBytes);
  const std::vector<Record> records = MakeRecords(0, 100, 20);  // ~ 80 KiB
  AppendAll(spool.get(), records);
  ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
  ASSERT_LT(spool->bytes(), SessionSpool::kReclaimDeliveredBytes);
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size())).ok());
  EXPECT_EQ(SegmentFiles().size(), 1u) << "deleted below the threshold";

  // Enough more to pass the threshold: all but one point delivered keeps
  // everything; the last point deletes every segment.
  std::vector<Record> more;
  while (spool->bytes() < SessionSpool::kReclaimDeliveredBytes) {
    more.push_back(MakeRecord(1000 + static_cast<int>(more.size()), 20));
    Append(spool.get(), more.back());
  }
  ASSERT_EQ(LoadAll(spool.get()), more);
  const uint64_t points = PointsIn(more, 0, more.size());
  ASSERT_TRUE(spool->Delivered(points - 1).ok());
  EXPECT_EQ(SegmentFiles().size(), 1u);
  ASSERT_TRUE(spool->Delivered(1).ok());
  EXPECT_TRUE(SegmentFiles().empty());
  EXPECT_EQ(spool->bytes(), 0u);
  EXPECT_FALSE(spool->lagging());
}

TEST_F(SessionSpoolTest, ReclaimDeliveredDeletesNothingWhileAPointIsUndelivered) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 70);
  AppendAll(spool.get(), records);
  ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size()) - 1).ok());
  const std::vector<std::string> files = SegmentFiles();
  const uint64_t bytes = spool->bytes();

  EXPECT_EQ(spool->ReclaimDelivered(), 0u);
  EXPECT_EQ(SegmentFiles(), files);
  EXPECT_EQ(spool->bytes(), bytes);

  // The last point delivered: everything goes.
  ASSERT_TRUE(spool->Delivered(1).ok());
  const uint64_t left = spool->bytes();
  EXPECT_EQ(spool->ReclaimDelivered(), left);
  EXPECT_TRUE(SegmentFiles().empty());
}

TEST_F(SessionSpoolTest, ReclaimDeliveredDeletesNothingWhileARecordIsUnloaded) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 70);
  AppendAll(spool.get(), records);
  std::vector<Record> loaded;
  for (size_t i = 0; i + 1 < records.size(); ++i) {
    loaded.push_back(LoadNext(spool.get()).value_or(Record{}));
  }
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size() - 1)).ok());
  ASSERT_TRUE(spool->lagging());
  const std::vector<std::string> files = SegmentFiles();
  const uint64_t bytes = spool->bytes();

  EXPECT_EQ(spool->ReclaimDelivered(), 0u);
  EXPECT_EQ(SegmentFiles(), files);
  EXPECT_EQ(spool->bytes(), bytes);
  for (Record& record : LoadAll(spool.get())) loaded.push_back(record);
  EXPECT_EQ(loaded, records);
}

// --- DropOldest ---

TEST_F(SessionSpoolTest, DropOldestWhileLaggingGoesOnWithTheOldestRecordLeft) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 80);
  // The first record is appended with nothing unloaded: it is the one kept
  // in memory, and it is in the segment dropped.
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  ASSERT_GE(segments.back(), 3u);
  size_t end_of_1 = 0;
  while (segments[end_of_1] == 1) ++end_of_1;
  const uint64_t first_bytes = ReadWholeFile(SegmentPath(1)).size();
  const uint64_t bytes_before = spool->bytes();

  uint64_t bytes = 0;
  uint64_t dropped_records = 0;
  ASSERT_TRUE(spool->DropOldest(&bytes, &dropped_records).ok());
  EXPECT_EQ(bytes, first_bytes);
  EXPECT_EQ(dropped_records, end_of_1);
  EXPECT_FALSE(FileExists(SegmentPath(1)));
  EXPECT_EQ(spool->bytes(), bytes_before - first_bytes);
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
  EXPECT_TRUE(spool->lagging());
  EXPECT_EQ(LoadAll(spool.get()),
            std::vector<Record>(records.begin() + static_cast<long>(end_of_1), records.end()));
}

TEST_F(SessionSpoolTest, DropOldestWhileReadingTheDroppedSegmentGoesOnAtTheNextOne) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 80);
  const std::vector<uint64_t> segments = AppendAll(spool.get(), records);
  size_t end_of_2 = 0;
  while (segments[end_of_2] <= 2) ++end_of_2;
  std::vector<Record> loaded;
  for (int i = 0; i < 3; ++i) loaded.push_back(LoadNext(spool.get()).value_or(Record{}));

  uint64_t bytes = 0;
  uint64_t dropped_records = 0;
  ASSERT_TRUE(spool->DropOldest(&bytes, &dropped_records).ok());
  ASSERT_TRUE(spool->DropOldest(&bytes, &dropped_records).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(3, segments.back()));
  for (Record& record : LoadAll(spool.get())) loaded.push_back(record);
  std::vector<Record> expected(records.begin(), records.begin() + 3);
  expected.insert(expected.end(), records.begin() + static_cast<long>(end_of_2), records.end());
  EXPECT_EQ(loaded, expected);

  // The points loaded from the dropped segments are still delivered.
  ASSERT_TRUE(spool->Delivered(PointsIn(expected, 0, expected.size())).ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(segments.back(), segments.back()));
}

TEST_F(SessionSpoolTest, DropOldestOfTheOnlySegmentLeavesNothingToLoadAndAppendsGoOn) {
  auto spool = Open(kLargeSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 5);
  AppendAll(spool.get(), records);
  uint64_t bytes = 0;
  uint64_t dropped_records = 0;
  ASSERT_TRUE(spool->DropOldest(&bytes, &dropped_records).ok());
  EXPECT_EQ(dropped_records, 5u);
  EXPECT_FALSE(spool->lagging());
  EXPECT_FALSE(LoadNext(spool.get()).has_value());
  EXPECT_EQ(spool->bytes(), 0u);

  Append(spool.get(), MakeRecord(9));
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(2, 2));
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{MakeRecord(9)});
}

// DropOldest sets "the bytes and records it held that were not delivered
// (records: an upper bound when the segment held loaded records)": the
// bytes exactly.
// DropOldest reports what the segment held, delivered or not: the spool
// cannot tell which of its points InfluxDB has taken.
TEST_F(SessionSpoolTest, DropOldestReportsWhatTheSegmentHeld) {
  auto spool = Open(kSmallSegmentBytes);
  const std::vector<Record> records = MakeRecords(0, 60);
  std::vector<uint64_t> record_bytes;
  std::vector<uint64_t> segments;
  for (const Record& record : records) {
    for (const std::string& line : record) spool->Stage(line);
    record_bytes.push_back(spool->staged_bytes());
    ASSERT_TRUE(spool->AppendStaged().ok());
    segments.push_back(NewestSegment());
  }
  size_t end_of_1 = 0;
  while (segments[end_of_1] == 1) ++end_of_1;
  ASSERT_GT(end_of_1, 4u);
  ASSERT_EQ(LoadAll(spool.get()).size(), records.size());
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, 4)).ok());
  uint64_t segment_bytes = 0;
  for (size_t i = 0; i < end_of_1; ++i) segment_bytes += record_bytes[i];

  uint64_t bytes = 0;
  uint64_t dropped_records = 0;
  ASSERT_TRUE(spool->DropOldest(&bytes, &dropped_records).ok());
  EXPECT_EQ(bytes, segment_bytes);
  EXPECT_EQ(dropped_records, end_of_1);
}

// --- Faults ---

TEST_F(SessionSpoolTest, AFullDiskKeepsTheLinesStagedAndTheSpoolUnchanged) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kLargeSegmentBytes, &fs);
  const Record record = MakeRecord(1);
  for (const std::string& line : record) spool->Stage(line);
  const uint64_t staged_bytes = spool->staged_bytes();

  fs.FailNextWrite(ENOSPC, 10);
  const Status s = spool->AppendStaged();
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(IsNoSpace(s)) << s.message();
  EXPECT_TRUE(spool->has_staged());
  EXPECT_EQ(spool->staged_points(), record.size());
  EXPECT_EQ(spool->staged_bytes(), staged_bytes);
  EXPECT_EQ(spool->bytes(), 0u);
  EXPECT_EQ(BytesOnDisk(), 0u);
  EXPECT_FALSE(spool->lagging());
  EXPECT_FALSE(LoadNext(spool.get()).has_value());

  // Space again: the same lines are appended, once.
  ASSERT_TRUE(spool->AppendStaged().ok());
  EXPECT_FALSE(spool->has_staged());
  EXPECT_EQ(spool->bytes(), staged_bytes);
  EXPECT_EQ(BytesOnDisk(), staged_bytes);
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{record});
}

TEST_F(SessionSpoolTest, AFullDiskWhileLaggingKeepsTheOrder) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kLargeSegmentBytes, &fs);
  const std::vector<Record> r = MakeRecords(1, 4);
  Append(spool.get(), r[0]);
  EXPECT_EQ(LoadNext(spool.get()), r[0]);
  Append(spool.get(), r[1]);
  Append(spool.get(), r[2]);
  const uint64_t bytes = spool->bytes();

  for (const std::string& line : r[3]) spool->Stage(line);
  fs.FailNextWrite(ENOSPC, 30);
  EXPECT_TRUE(IsNoSpace(spool->AppendStaged()));
  EXPECT_TRUE(spool->has_staged());
  EXPECT_EQ(spool->bytes(), bytes);
  EXPECT_EQ(BytesOnDisk(), bytes);
  EXPECT_TRUE(spool->lagging());
  EXPECT_EQ(LoadNext(spool.get()), r[1]);

  ASSERT_TRUE(spool->AppendStaged().ok());
  EXPECT_EQ(LoadAll(spool.get()), (std::vector<Record>{r[2], r[3]}));
}

TEST_F(SessionSpoolTest, AFullDiskAfterEverythingLoadedThenSpaceLoadsTheLinesOnce) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kLargeSegmentBytes, &fs);
  const std::vector<Record> r = MakeRecords(1, 2);
  Append(spool.get(), r[0]);
  EXPECT_EQ(LoadNext(spool.get()), r[0]);
  for (const std::string& line : r[1]) spool->Stage(line);
  fs.FailNextWrite(ENOSPC);
  EXPECT_TRUE(IsNoSpace(spool->AppendStaged()));
  EXPECT_FALSE(spool->lagging());
  EXPECT_FALSE(LoadNext(spool.get()).has_value());
  ASSERT_TRUE(spool->AppendStaged().ok());
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{r[1]});
}

// The append that fails starts the new segment; the one that succeeds goes
// on in it. The segment before was delivered whole: it must go all the same.
TEST_F(SessionSpoolTest, AFullDiskWhenStartingASegmentStillDeletesTheDeliveredOneAfter) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kSmallSegmentBytes, &fs);
  Record staged;
  const std::vector<Record> records = FillFirstSegment(spool.get(), &staged);
  EXPECT_EQ(LoadAll(spool.get()), records);
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size())).ok());

  fs.FailNextWrite(ENOSPC);
  EXPECT_TRUE(IsNoSpace(spool->AppendStaged()));
  EXPECT_TRUE(spool->has_staged());
  ASSERT_TRUE(spool->AppendStaged().ok());
  EXPECT_EQ(SegmentFiles(), SegmentFilesFrom(2, 2));
  EXPECT_EQ(spool->bytes(), BytesOnDisk());
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{staged});
}

// AppendStaged: "On failure ... the spool is as before and the lines stay
// staged". A deletion that fails after the record was appended must not
// make it report a failure with the lines gone.
TEST_F(SessionSpoolTest, AFailedDeletionOnANewSegmentDoesNotLoseTheStagedLines) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kSmallSegmentBytes, &fs);
  Record staged;
  const std::vector<Record> records = FillFirstSegment(spool.get(), &staged);
  EXPECT_EQ(LoadAll(spool.get()), records);
  ASSERT_TRUE(spool->Delivered(PointsIn(records, 0, records.size())).ok());
  const uint64_t bytes = spool->bytes();

  fs.FailNextRemove(EIO);
  const Status s = spool->AppendStaged();
  if (!s.ok()) {
    EXPECT_TRUE(spool->has_staged()) << "AppendStaged failed (" << s.message()
                                     << ") yet the staged lines are gone";
    EXPECT_EQ(spool->bytes(), bytes) << "AppendStaged failed yet appended the record";
    if (spool->has_staged()) {
      ASSERT_TRUE(spool->AppendStaged().ok());
    }
  }
  EXPECT_FALSE(spool->has_staged());
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{staged});
}

TEST_F(SessionSpoolTest, ACorruptRecordOnDiskIsSkippedAndCounted) {
  const std::vector<Record> records = MakeRecords(1, 5);
  std::vector<uint64_t> ends;
  {
    auto spool = Open(kLargeSegmentBytes);
    for (const Record& record : records) {
      Append(spool.get(), record);
      ends.push_back(spool->bytes());  // one segment, from offset 0
    }
    ASSERT_EQ(SegmentFiles(), SegmentFilesFrom(1, 1));
  }
  // A byte in the payload of record 2 (records[2] starts where records[1] ends).
  std::string bytes = ReadWholeFile(SegmentPath(1));
  bytes[ends[1] + kRecordHeaderBytes + 5] ^= 0x20;
  WriteWholeFile(SegmentPath(1), bytes);

  auto spool = Open(kLargeSegmentBytes);
  EXPECT_EQ(report_.records, 4u);
  EXPECT_EQ(report_.corrupt_records, 1u);
  EXPECT_EQ(report_.corrupt_bytes, ends[2] - ends[1]);
  EXPECT_TRUE(spool->lagging());
  EXPECT_EQ(LoadAll(spool.get()), (std::vector<Record>{records[0], records[1], records[3],
                                                       records[4]}));
  EXPECT_EQ(spool->corrupt_records(), 1u);
  EXPECT_EQ(spool->damaged_payloads(), 0u);

  // Appends after it go on loading; the count stays.
  Append(spool.get(), MakeRecord(9));
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{MakeRecord(9)});
  EXPECT_EQ(spool->corrupt_records(), 1u);
}

TEST_F(SessionSpoolTest, APayloadThatDoesNotDecodeLoadsAsDamagedWithTheLinesBeforeTheDamage) {
  const Record good = MakeRecord(1, 2);
  std::string other_version = PayloadOf(MakeRecord(2));
  other_version[0] = static_cast<char>(kPointRecordVersion + 1);
  const std::string zero_length_after_one_line = PayloadOf(MakeRecord(3, 1)) + '\0' + "junk";
  {
    std::unique_ptr<SegmentLog> log;
    ASSERT_TRUE(SegmentLog::Open(Dir(), kLargeSegmentBytes, &posix_, &log, &report_).ok());
    SegmentLog::Position end;
    ASSERT_TRUE(log->Append(other_version, &end).ok());
    ASSERT_TRUE(log->Append(PayloadOf(good), &end).ok());
    ASSERT_TRUE(log->Append(zero_length_after_one_line, &end).ok());
  }
  auto spool = Open(kLargeSegmentBytes);
  LoadedRecord loaded;
  EXPECT_EQ(LoadNext(spool.get(), &loaded), Record{});
  EXPECT_TRUE(loaded.damaged);
  EXPECT_EQ(loaded.points, 0u);
  EXPECT_EQ(LoadNext(spool.get(), &loaded), good);
  EXPECT_FALSE(loaded.damaged);
  EXPECT_EQ(LoadNext(spool.get(), &loaded), MakeRecord(3, 1));
  EXPECT_TRUE(loaded.damaged);
  EXPECT_EQ(loaded.points, 1u);
  EXPECT_FALSE(spool->lagging());
  EXPECT_EQ(spool->damaged_payloads(), 2u);
  EXPECT_EQ(spool->corrupt_records(), 0u);

  // The damaged records hold no points to wait for: delivering the three
  // points acknowledges all three records.
  ASSERT_TRUE(spool->Delivered(3).ok());
  const uint64_t bytes = spool->bytes();
  EXPECT_EQ(spool->ReclaimDelivered(), bytes);
  EXPECT_TRUE(SegmentFiles().empty());
}

// A record whose payload decodes to no point holds nothing undelivered, so
// ReclaimDelivered need not wait for a Delivered call that will never come
// (the session has no point of it to deliver).
TEST_F(SessionSpoolTest, ALoadedRecordWithNoPointsDoesNotBlockReclaimDelivered) {
  std::string other_version = PayloadOf(MakeRecord(2));
  other_version[0] = static_cast<char>(kPointRecordVersion + 1);
  {
    std::unique_ptr<SegmentLog> log;
    ASSERT_TRUE(SegmentLog::Open(Dir(), kLargeSegmentBytes, &posix_, &log, &report_).ok());
    SegmentLog::Position end;
    ASSERT_TRUE(log->Append(other_version, &end).ok());
  }
  auto spool = Open(kLargeSegmentBytes);
  LoadedRecord loaded;
  EXPECT_EQ(LoadNext(spool.get(), &loaded), Record{});
  EXPECT_TRUE(loaded.damaged);
  EXPECT_FALSE(spool->lagging());
  const uint64_t bytes = spool->bytes();
  ASSERT_GT(bytes, 0u);
  EXPECT_EQ(spool->ReclaimDelivered(), bytes);
  EXPECT_TRUE(SegmentFiles().empty());
}

// --- Sync ---

TEST_F(SessionSpoolTest, SyncAfterAnAppendSyncsAndSyncWithNothingAppendedDoesNothing) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kSmallSegmentBytes, &fs);
  const int file_syncs = fs.file_syncs();
  const int dir_syncs = fs.dir_syncs();
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), file_syncs);
  EXPECT_EQ(fs.dir_syncs(), dir_syncs);

  Append(spool.get(), MakeRecord(1));
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), file_syncs + 1);
  EXPECT_EQ(fs.dir_syncs(), dir_syncs + 1);  // the segment was created
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), file_syncs + 1);
  EXPECT_EQ(fs.dir_syncs(), dir_syncs + 1);

  // Loading and delivering append nothing.
  EXPECT_EQ(LoadAll(spool.get()), std::vector<Record>{MakeRecord(1)});
  ASSERT_TRUE(spool->Delivered(3).ok());
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), file_syncs + 1);

  Append(spool.get(), MakeRecord(2));
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(fs.file_syncs(), file_syncs + 2);
  EXPECT_EQ(fs.dir_syncs(), dir_syncs + 1);  // same segment
}

TEST_F(SessionSpoolTest, AFailedSyncIsReturned) {
  FaultyFileSystem fs(&posix_);
  auto spool = Open(kSmallSegmentBytes, &fs);
  Append(spool.get(), MakeRecord(1));
  fs.FailNextFileSync(EIO);
  const Status s = spool->Sync();
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(IsNoSpace(s));
  // The log goes on in a new segment; nothing is lost from the spool's view.
  Append(spool.get(), MakeRecord(2));
  ASSERT_TRUE(spool->Sync().ok());
  EXPECT_EQ(LoadAll(spool.get()), (std::vector<Record>{MakeRecord(1), MakeRecord(2)}));
}

}  // namespace
}  // namespace inflow::daemon
