// DeadLetterFile and its formatting: the exact text, one file per UTC day,
// the folder made on Open, faults injected (a full disk, a failed fdatasync,
// a failed truncate), and files that parse back to the lines refused.

#include "spool/dead_letter.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "inflow/line_parser.h"
#include "inflow/rejection.h"
#include "unit/spool_test_util.h"

namespace inflow::daemon {
namespace {

using test::FaultyFileSystem;
using test::FileExists;
using test::ReadWholeFile;
using test::SpoolTempDir;
using test::WriteWholeFile;

constexpr int64_t kExampleTime = 1795307467123456789;  // 2026-11-22T00:31:07.123456789Z
constexpr int64_t kNanosPerDay = 86400LL * 1000000000LL;

constexpr char kConflict[] =
    "field type conflict: input field \"f\" on measurement \"m\" is type integer, already exists "
    "as type float";

RejectedLines Identified(std::vector<RejectedLine> lines, uint64_t unidentified = 0,
                         std::string unidentified_reason = "") {
  RejectedLines r;
  r.understood = true;
  r.lines = std::move(lines);
  r.unidentified_dropped = unidentified;
  r.unidentified_reason = std::move(unidentified_reason);
  return r;
}

// What LineParser makes of a file: the lines of its points (comments and
// blank lines skipped), and how many lines it could not parse.
struct Parsed {
  std::vector<std::string> lines;
  size_t comments = 0;
  size_t errors = 0;
};
Parsed ParseBack(std::string_view text) {
  Parsed parsed;
  LineParser parser;
  while (!text.empty()) {
    size_t consumed = 0, newlines = 0;
    const ParseStatus status = parser.Parse(text, /*final=*/true, &consumed, &newlines);
    if (consumed == 0) break;
    if (status == ParseStatus::kPoint) parsed.lines.emplace_back(parser.point().line);
    if (status == ParseStatus::kError) ++parsed.errors;
    if (status == ParseStatus::kSkip && text.front() == '#') ++parsed.comments;
    text.remove_prefix(consumed);
  }
  return parsed;
}

// InfluxDB 1.6's scanLine (models/points.go), which splits a request into
// lines before it knows a line is a comment: a `"` toggles "inside a string"
// once the line has had a space and more `=` than `,`, and a newline inside
// a string does not end the line. Returns the lines it finds.
std::vector<std::string> InfluxDbSplit(std::string_view buf) {
  std::vector<std::string> lines;
  size_t i = 0;
  while (i < buf.size()) {
    const size_t start = i;
    bool quoted = false, fields = false;
    int equals = 0, commas = 0;
    for (;;) {
      if (i >= buf.size()) break;
      if (buf[i] == '\\' && i + 2 < buf.size()) {
        i += 2;
        continue;
      }
      if (buf[i] == ' ') fields = true;
      if (fields) {
        if (!quoted && buf[i] == '=') {
          ++i;
          ++equals;
          continue;
        } else if (!quoted && buf[i] == ',') {
          ++i;
          ++commas;
          continue;
        } else if (buf[i] == '"' && equals > commas) {
          ++i;
          quoted = !quoted;
          continue;
        }
      }
      if (buf[i] == '\n' && !quoted) break;
      ++i;
    }
    lines.emplace_back(buf.substr(start, i - start));
    ++i;
  }
  return lines;
}

// --- formatting --------------------------------------------------------------

TEST(DeadLetterFormatTest, FormatsTimesAsRfc3339UtcWithMilliseconds) {
  EXPECT_EQ(FormatRfc3339Millis(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatRfc3339Millis(kExampleTime), "2026-11-22T00:31:07.123Z");
  EXPECT_EQ(FormatRfc3339Millis(1709251199999999999), "2024-02-29T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(FormatRfc3339Millis(INT64_MIN + 2), "1677-09-21T00:12:43.145Z");
  EXPECT_EQ(FormatRfc3339Millis(INT64_MAX - 1), "2262-04-11T23:47:16.854Z");
}

TEST(DeadLetterFormatTest, NamesTheFileForTheUtcDay) {
  EXPECT_EQ(DeadLetterFileName(kExampleTime), "2026-11-22.lp");
  EXPECT_EQ(DeadLetterFileName(1709251199999999999), "2024-02-29.lp");
  EXPECT_EQ(DeadLetterFileName(1709251199999999999 + 1), "2024-03-01.lp");
  EXPECT_EQ(DeadLetterFileName(0), "1970-01-01.lp");
}

TEST(DeadLetterFormatTest, WritesTheCommentThenTheLine) {
  const std::string text = FormatRejectedLines(
      kExampleTime, "autogen", Identified({{"m,host=a f=1i 1700000000000000000", kConflict}}));
  EXPECT_EQ(text,
            "# 2026-11-22T00:31:07.123Z session=autogen reason=\"field type conflict: input field "
            "\\\"f\\\" on measurement \\\"m\\\" is type integer, already exists as type float\"\n"
            "m,host=a f=1i 1700000000000000000\n");
}

TEST(DeadLetterFormatTest, WritesUnidentifiedPointsAsACommentAlone) {
  const std::string text =
      FormatRejectedLines(kExampleTime, "autogen",
                          Identified({{"m f=1i 1", "a"}}, 3, "points beyond retention policy"));
  EXPECT_EQ(text,
            "# 2026-11-22T00:31:07.123Z session=autogen reason=\"a\"\n"
            "m f=1i 1\n"
            "# 2026-11-22T00:31:07.123Z session=autogen reason=\"points beyond retention "
            "policy\" unidentified_points=3\n");
}

TEST(DeadLetterFormatTest, EscapesTheReasonOntoOneLine) {
  const std::string text =
      FormatRejectedLines(0, "rp", Identified({{"m f=1 1", "q\"b\\n\nr\rt\tc\x01z\x7f"}}));
  EXPECT_EQ(text,
            "# 1970-01-01T00:00:00.000Z session=rp reason=\"q\\\"b\\\\n\\nr\\rt\\tc\\x01z\\x7f\"\n"
            "m f=1 1\n");
}

TEST(DeadLetterFormatTest, QuotesASessionThatIsNotABareWord) {
  const RejectedLines r = Identified({{"m f=1 1", "x"}});
  EXPECT_EQ(FormatRejectedLines(0, "four_weeks.v2-a:b", r),
            "# 1970-01-01T00:00:00.000Z session=four_weeks.v2-a:b reason=\"x\"\nm f=1 1\n");
  EXPECT_EQ(FormatRejectedLines(0, "two weeks, \"hot\"", r),
            "# 1970-01-01T00:00:00.000Z session=\"two weeks, \\\"hot\\\"\" reason=\"x\"\n"
            "m f=1 1\n");
  EXPECT_EQ(FormatRejectedLines(0, "", r),
            "# 1970-01-01T00:00:00.000Z session=\"\" reason=\"x\"\nm f=1 1\n");
}

TEST(DeadLetterFormatTest, CutsAVeryLongReason) {
  // The cut falls between the two bytes of an e-acute, so it moves before them.
  const std::string reason = std::string(kMaxReasonBytes - 1, 'a') + "\xc3\xa9" + "tail";
  const std::string text = FormatRejectedLines(0, "rp", Identified({{"m f=1 1", reason}}));
  EXPECT_EQ(text, "# 1970-01-01T00:00:00.000Z session=rp reason=\"" +
                      std::string(kMaxReasonBytes - 1, 'a') +
                      " [6 more bytes left out]\"\nm f=1 1\n");
}

TEST(DeadLetterFormatTest, WritesAWholeBatchUnderOneComment) {
  uint64_t lines = 0;
  EXPECT_EQ(FormatRejectedBatch(kExampleTime, "autogen", "too many attempts", "m f=1 1\n\nm f=2 2",
                                false, &lines),
            "# 2026-11-22T00:31:07.123Z session=autogen reason=\"too many attempts\" lines=2\n"
            "m f=1 1\n\nm f=2 2\n");
  EXPECT_EQ(lines, 2u);
  EXPECT_EQ(FormatRejectedBatch(0, "rp", "x", "\n# only a comment\n", false, &lines), "");
  EXPECT_EQ(lines, 0u);
}

TEST(DeadLetterFormatTest, WritesTheWholeBatchOfAnAnswerNotUnderstood) {
  const std::string batch = "m f=1 1\nm f=2 2\n";
  const RejectedLines r = FindRejectedLines(batch, "partial write: shard 7 is gone dropped=1");
  ASSERT_FALSE(r.understood);
  EXPECT_EQ(FormatRejectedLines(0, "rp", r),
            "# 1970-01-01T00:00:00.000Z session=rp reason=\"partial write: shard 7 is gone "
            "dropped=1\" lines=2 possibly_partly_stored=true\n"
            "m f=1 1\nm f=2 2\n");
}

// Bug 4 (issue 9): five points older than their retention policy's
// duration, which InfluxDB drops without naming them, left only a comment
// (`unidentified_points=5`) in the file, and the lines were lost. They are
// the only lines of the batch, so they are the five dropped.
TEST(DeadLetterFormatTest, KeepsThePointsBeyondTheRetentionPolicyThatAreTheWholeBatch) {
  const std::string batch = "m f=1 1\nm f=2 2\nm f=3 3\nm f=4 4\nm f=5 5\n";
  const RejectedLines r =
      FindRejectedLines(batch, "partial write: points beyond retention policy dropped=5");
  ASSERT_TRUE(r.understood);
  EXPECT_EQ(FormatRejectedLines(0, "rp_four_weeks", r),
            "# 1970-01-01T00:00:00.000Z session=rp_four_weeks reason=\"points beyond retention "
            "policy\" unidentified_points=5 lines=5\n" +
                batch);
}

// Bug 4: when the batch holds more lines than the dropped points InfluxDB
// did not name, which of them were dropped cannot be told, so all of them
// are kept, marked as possibly partly stored.
TEST(DeadLetterFormatTest, KeepsTheLinesUnnamedDroppedPointsAreAmongAsPossiblyPartlyStored) {
  const std::string batch = "m f=1 1\nm f=2 2\nm f=3 1700000000000000000\n";
  const RejectedLines r =
      FindRejectedLines(batch, "partial write: points beyond retention policy dropped=2");
  ASSERT_TRUE(r.understood);
  EXPECT_EQ(FormatRejectedLines(0, "rp", r),
            "# 1970-01-01T00:00:00.000Z session=rp reason=\"points beyond retention policy\" "
            "unidentified_points=2 lines=3 possibly_partly_stored=true\n" +
                batch);
}

// Bug 4: InfluxDB 1.6 names the first conflicting point and drops more; the
// lines it does not name are kept beside the ones it does.
TEST(DeadLetterFormatTest, KeepsTheLinesANamedConflictLeavesUnnamed) {
  const std::string batch =
      "m f=1i 1\n"         // the one named
      "m f=2 2\n"          // float: stored
      "m,host=a f=3i 3\n"  // same measurement, field and type: named too
      "m g=true 4\n"       // another conflict, not named
      "n f=5i 5\n";        // another measurement
  const RejectedLines r =
      FindRejectedLines(batch, std::string("partial write: ") + kConflict + " dropped=3");
  ASSERT_TRUE(r.understood);
  const std::string comment =
      std::string("# 1970-01-01T00:00:00.000Z session=rp reason=\"field type conflict: input "
                  "field \\\"f\\\" on measurement \\\"m\\\" is type integer, already "
                  "exists as type float\"");
  EXPECT_EQ(FormatRejectedLines(0, "rp", r),
            comment + "\nm f=1i 1\n" + comment + "\nm,host=a f=3i 3\n" + comment +
                " unidentified_points=1 lines=3 possibly_partly_stored=true\n"
                "m f=2 2\nm g=true 4\nn f=5i 5\n");
}

// InfluxDB 1.6's bare "field type conflict" (two points of one request
// giving a new field two types) names nothing: the whole batch is kept.
TEST(DeadLetterFormatTest, KeepsTheWholeBatchOfABareFieldTypeConflict) {
  const std::string batch = "m f=1 1\nm f=\"x\" 2\n";
  const RejectedLines r = FindRejectedLines(batch, "field type conflict");
  EXPECT_EQ(FormatRejectedLines(0, "rp", r),
            "# 1970-01-01T00:00:00.000Z session=rp reason=\"field type conflict\" lines=2 "
            "possibly_partly_stored=true\n" +
                batch);
}

// Bug 4: the log said the lines were kept when only a comment was.
TEST(DeadLetterFormatTest, DescribesWhatTheEntriesKeep) {
  const std::string batch = "m f=1i 1\nm f=2 2\nm,host=a f=3i 3\nm g=true 4\nn f=5i 5\n";
  const std::string conflict = std::string("partial write: ") + kConflict;
  EXPECT_EQ(DescribeRejectedLines(FindRejectedLines(batch, conflict + " dropped=2"), "P"),
            "InfluxDB refused 2 of a batch of 5 points (2 lines kept in P)");
  EXPECT_EQ(DescribeRejectedLines(FindRejectedLines(batch, conflict + " dropped=3"), "P"),
            "InfluxDB refused 3 of a batch of 5 points, 1 without naming them (5 lines kept in P, "
            "3 of them marked possibly_partly_stored)");
  EXPECT_EQ(DescribeRejectedLines(FindRejectedLines(batch, conflict + " dropped=5"), "P"),
            "InfluxDB refused 5 of a batch of 5 points (5 lines kept in P)");
  EXPECT_EQ(DescribeRejectedLines(FindRejectedLines(batch, conflict + " dropped=6"), "P"),
            "InfluxDB refused 6 of a batch of 5 points (5 lines kept in P, 1 point not found in "
            "the batch)");
  EXPECT_EQ(DescribeRejectedLines(FindRejectedLines(batch, conflict + " dropped=1"), "P"),
            "InfluxDB refused 1 of a batch of 5 points (2 lines kept in P, 1 of those named "
            "possibly stored by another shard)");
  EXPECT_EQ(DescribeRejectedLines(FindRejectedLines("m f=1 1\n", "field type conflict"), "P"),
            "InfluxDB refused points of a batch of 1 point without saying which (the whole batch "
            "kept in P, marked possibly_partly_stored)");
}

TEST(DeadLetterFormatTest, WritesNothingForNothing) {
  EXPECT_EQ(FormatRejectedLines(0, "rp", Identified({})), "");
}

TEST(DeadLetterFormatTest, CommentsStayOneLineForBothParsers) {
  // Reasons and sessions full of what InfluxDB's splitter counts: `=`, `,`,
  // quotes, backslashes (one at the very end), newlines.
  const std::string reason = "a=b,c=\"d\"\ne,,f\\=\" g=h\\";
  const std::string session = "s,=\"x";
  const std::string line = "m s=\"two\nlines\",t=\"q\\\"\" 1";  // a raw newline in a string
  const std::string text = FormatRejectedLines(
      0, session, Identified({{line, reason}, {"m f=1 2", ",,,="}}, 1, "\"unbalanced"));

  const std::vector<std::string> influx = InfluxDbSplit(text);
  ASSERT_EQ(influx.size(), 5u) << text;
  EXPECT_EQ(influx[1], line);
  EXPECT_EQ(influx[3], "m f=1 2");
  for (size_t i : {0, 2, 4}) EXPECT_EQ(influx[i][0], '#') << influx[i];

  const Parsed parsed = ParseBack(text);
  EXPECT_EQ(parsed.lines, (std::vector<std::string>{line, "m f=1 2"}));
  EXPECT_EQ(parsed.comments, 3u);
  EXPECT_EQ(parsed.errors, 0u);
}

// --- the file ----------------------------------------------------------------

class DeadLetterFileTest : public ::testing::Test {
 protected:
  std::string SpoolDir() const { return tmp_.File("spool"); }
  std::string DayFile(int64_t unix_ns) const {
    return SpoolDir() + "/rejected/" + DeadLetterFileName(unix_ns);
  }

  void Open(DeadLetterFile* file, FileSystem* fs = nullptr) {
    const Status s = file->Open(SpoolDir(), fs != nullptr ? fs : &posix_);
    ASSERT_TRUE(s.ok()) << s.message();
  }

  SpoolTempDir tmp_;
  PosixFileSystem posix_;
};

TEST_F(DeadLetterFileTest, OpenCreatesTheFolder) {
  DeadLetterFile file;
  Open(&file);
  EXPECT_EQ(file.dir(), SpoolDir() + "/rejected");
  EXPECT_TRUE(FileExists(SpoolDir() + "/rejected"));
  EXPECT_EQ(file.current_path(), "");
}

TEST_F(DeadLetterFileTest, WriteBeforeOpenFails) {
  DeadLetterFile file;
  const Status s = file.Write(0, "rp", Identified({{"m f=1 1", "x"}}));
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(file.lines_written(), 0u);
}

TEST_F(DeadLetterFileTest, AppendsEntriesToTheDaysFileAndCountsThem) {
  FaultyFileSystem fs(&posix_);
  DeadLetterFile file;
  Open(&file, &fs);
  const RejectedLines r = Identified({{"m,host=a f=1i 1700000000000000000", kConflict}}, 2,
                                     "points beyond retention policy");
  ASSERT_TRUE(file.Write(kExampleTime, "autogen", r).ok());
  ASSERT_TRUE(
      file.WriteBatch(kExampleTime + 1000000, "autogen", "quarantined", "m f=1 1\nm f=2 2\n").ok());

  const std::string expected = FormatRejectedLines(kExampleTime, "autogen", r) +
                               "# 2026-11-22T00:31:07.124Z session=autogen "
                               "reason=\"quarantined\" lines=2\nm f=1 1\nm f=2 2\n";
  EXPECT_EQ(ReadWholeFile(DayFile(kExampleTime)), expected);
  EXPECT_EQ(file.current_path(), DayFile(kExampleTime));
  EXPECT_EQ(file.lines_written(), 3u);
  EXPECT_EQ(file.unidentified_points_written(), 2u);
  EXPECT_EQ(file.bytes_written(), expected.size());
  EXPECT_EQ(fs.file_syncs(), 2);  // one fdatasync per write
  EXPECT_EQ(fs.dir_syncs(), 1);   // the new file's folder, once
}

TEST_F(DeadLetterFileTest, WritesNothingForNothing) {
  DeadLetterFile file;
  Open(&file);
  ASSERT_TRUE(file.Write(0, "rp", Identified({})).ok());
  EXPECT_FALSE(FileExists(DayFile(0)));
  EXPECT_EQ(file.bytes_written(), 0u);
}

TEST_F(DeadLetterFileTest, RollsToTheNextDaysFile) {
  DeadLetterFile file;
  Open(&file);
  const int64_t before_midnight = 1709251199999999999;  // 2024-02-29T23:59:59.999999999Z
  ASSERT_TRUE(file.Write(before_midnight, "rp", Identified({{"m f=1 1", "a"}})).ok());
  ASSERT_TRUE(file.Write(before_midnight + 1, "rp", Identified({{"m f=2 2", "b"}})).ok());
  ASSERT_TRUE(
      file.Write(before_midnight + 1 + kNanosPerDay, "rp", Identified({{"m f=3 3", "c"}})).ok());
  // A clock stepped back goes to its own day's file again.
  ASSERT_TRUE(file.Write(before_midnight, "rp", Identified({{"m f=4 4", "d"}})).ok());

  EXPECT_EQ(ParseBack(ReadWholeFile(SpoolDir() + "/rejected/2024-02-29.lp")).lines,
            (std::vector<std::string>{"m f=1 1", "m f=4 4"}));
  EXPECT_EQ(ParseBack(ReadWholeFile(SpoolDir() + "/rejected/2024-03-01.lp")).lines,
            (std::vector<std::string>{"m f=2 2"}));
  EXPECT_EQ(ParseBack(ReadWholeFile(SpoolDir() + "/rejected/2024-03-02.lp")).lines,
            (std::vector<std::string>{"m f=3 3"}));
  EXPECT_EQ(file.lines_written(), 4u);
}

TEST_F(DeadLetterFileTest, AppendsToTheFileOfAnEarlierRun) {
  {
    DeadLetterFile file;
    Open(&file);
    ASSERT_TRUE(file.Write(kExampleTime, "rp", Identified({{"m f=1 1", "a"}})).ok());
  }
  DeadLetterFile file;
  Open(&file);
  ASSERT_TRUE(file.Write(kExampleTime, "rp", Identified({{"m f=2 2", "b"}})).ok());
  const std::string text = ReadWholeFile(DayFile(kExampleTime));
  EXPECT_EQ(text, FormatRejectedLines(kExampleTime, "rp", Identified({{"m f=1 1", "a"}})) +
                      FormatRejectedLines(kExampleTime, "rp", Identified({{"m f=2 2", "b"}})));
}

TEST_F(DeadLetterFileTest, StartsOnAFreshLineAfterATornTail) {
  ASSERT_TRUE(posix_.CreateDir(SpoolDir() + "/rejected").ok());
  WriteWholeFile(DayFile(0), "# 1970-01-01T00:00:00.000Z session=rp reason=\"a\"\nm f=1");
  DeadLetterFile file;
  Open(&file);
  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=2 2", "b"}})).ok());
  const Parsed parsed = ParseBack(ReadWholeFile(DayFile(0)));
  EXPECT_EQ(parsed.lines, (std::vector<std::string>{"m f=1", "m f=2 2"}));
  EXPECT_EQ(parsed.comments, 2u);
}

TEST_F(DeadLetterFileTest, MakesTheFolderAgainIfItWasRemoved) {
  DeadLetterFile file;
  Open(&file);
  ASSERT_EQ(::rmdir((SpoolDir() + "/rejected").c_str()), 0);
  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=1 1", "a"}})).ok());
  EXPECT_EQ(ParseBack(ReadWholeFile(DayFile(0))).lines, (std::vector<std::string>{"m f=1 1"}));
}

TEST_F(DeadLetterFileTest, AFullDiskIsAnErrorAndALaterWriteWorks) {
  FaultyFileSystem fs(&posix_);
  DeadLetterFile file;
  Open(&file, &fs);
  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=1 1", "a"}})).ok());
  const std::string before = ReadWholeFile(DayFile(0));
  const uint64_t bytes_before = file.bytes_written();

  fs.FailNextWrite(ENOSPC, /*bytes_first=*/20);  // half an entry reaches the file
  const Status s = file.Write(0, "rp", Identified({{"m f=2 2", "b"}}, 4, "c"));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(IsNoSpace(s)) << s.message();
  EXPECT_EQ(ReadWholeFile(DayFile(0)), before);  // the torn part was cut away
  EXPECT_EQ(file.lines_written(), 1u);
  EXPECT_EQ(file.unidentified_points_written(), 0u);
  EXPECT_EQ(file.bytes_written(), bytes_before);

  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=3 3", "d"}})).ok());
  EXPECT_EQ(ReadWholeFile(DayFile(0)),
            before + FormatRejectedLines(0, "rp", Identified({{"m f=3 3", "d"}})));
  EXPECT_EQ(file.lines_written(), 2u);
}

TEST_F(DeadLetterFileTest, AFullDiskWhoseTornTailStaysLeavesTheNextEntryWhole) {
  FaultyFileSystem fs(&posix_);
  DeadLetterFile file;
  Open(&file, &fs);
  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=1 1", "a"}})).ok());

  const std::string entry = FormatRejectedLines(0, "rp", Identified({{"m f=2 2", "b"}}));
  fs.FailNextWrite(ENOSPC, entry.size() - 3);  // all but the end of the line
  fs.FailNextFileTruncate(EIO);
  EXPECT_TRUE(IsNoSpace(file.Write(0, "rp", Identified({{"m f=2 2", "b"}}))));
  EXPECT_EQ(file.current_path(), "");  // given up, to be reopened

  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=3 3", "c"}})).ok());
  const Parsed parsed = ParseBack(ReadWholeFile(DayFile(0)));
  // The torn `m f=2` still parses (a point without a timestamp); what
  // matters is that the entry after it is whole.
  EXPECT_EQ(parsed.lines, (std::vector<std::string>{"m f=1 1", "m f=2", "m f=3 3"}));
  EXPECT_EQ(parsed.comments, 3u);
}

TEST_F(DeadLetterFileTest, AFailedSyncIsAnErrorAndTheFileIsReopened) {
  FaultyFileSystem fs(&posix_);
  DeadLetterFile file;
  Open(&file, &fs);
  fs.FailNextFileSync(EIO);
  const Status s = file.Write(0, "rp", Identified({{"m f=1 1", "a"}}));
  EXPECT_FALSE(s.ok());
  EXPECT_FALSE(IsNoSpace(s));
  EXPECT_NE(s.message().find("fdatasync"), std::string::npos) << s.message();
  EXPECT_EQ(file.lines_written(), 0u);

  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=2 2", "b"}})).ok());
  EXPECT_EQ(file.current_path(), DayFile(0));
  EXPECT_EQ(ParseBack(ReadWholeFile(DayFile(0))).lines,
            (std::vector<std::string>{"m f=1 1", "m f=2 2"}));
}

TEST_F(DeadLetterFileTest, AFileThatCannotBeOpenedIsAnErrorAndALaterWriteWorks) {
  FaultyFileSystem fs(&posix_);
  DeadLetterFile file;
  Open(&file, &fs);
  fs.FailNextOpenWritable(ENOSPC);
  EXPECT_TRUE(IsNoSpace(file.Write(0, "rp", Identified({{"m f=1 1", "a"}}))));
  ASSERT_TRUE(file.Write(0, "rp", Identified({{"m f=2 2", "b"}})).ok());
  EXPECT_EQ(ParseBack(ReadWholeFile(DayFile(0))).lines, (std::vector<std::string>{"m f=2 2"}));
}

// Bug 4: the lines of points InfluxDB dropped without naming them are
// written, and counted.
TEST_F(DeadLetterFileTest, WritesAndCountsTheLinesOfUnnamedDroppedPoints) {
  const std::vector<std::string> old = {"m,host=a f=1i 1", "m,host=b f=2i 2", "m,host=c f=3i 3"};
  const std::string batch = old[0] + "\n" + old[1] + "\n" + old[2] + "\n";
  const RejectedLines r =
      FindRejectedLines(batch, "partial write: points beyond retention policy dropped=3");
  DeadLetterFile file;
  Open(&file);
  ASSERT_TRUE(file.Write(kExampleTime, "rp_four_weeks", r).ok());
  const Parsed parsed = ParseBack(ReadWholeFile(DayFile(kExampleTime)));
  EXPECT_EQ(parsed.lines, old);
  EXPECT_EQ(parsed.comments, 1u);
  EXPECT_EQ(parsed.errors, 0u);
  EXPECT_EQ(file.lines_written(), 3u);
  EXPECT_EQ(file.unidentified_points_written(), 3u);
}

TEST_F(DeadLetterFileTest, TheFileParsesBackToTheRefusedLines) {
  // The batch and InfluxDB's answer as they come, through FindRejectedLines.
  const std::vector<std::string> refused = {
      "m,host=a\\ b,t=\\\"q\\\" s=\"it's \\\"quoted\\\"\nand two lines\",f=1u 1700000000000000000",
      "m,host=c f=2u 1700000000000000001",
  };
  const std::string batch = refused[0] + "\nm,host=d f=3 1700000000000000002\n" + refused[1] + "\n";
  const RejectedLines r = FindRejectedLines(batch, "partial write: unable to parse '" + refused[0] +
                                                       "': invalid number\nunable to parse '" +
                                                       refused[1] + "': invalid number dropped=0");
  ASSERT_TRUE(r.understood);
  ASSERT_EQ(r.lines.size(), 2u);

  DeadLetterFile file;
  Open(&file);
  ASSERT_TRUE(file.Write(kExampleTime, "autogen", r).ok());
  ASSERT_TRUE(file.WriteBatch(kExampleTime, "autogen", "quarantined: 10 attempts", batch).ok());

  const std::string text = ReadWholeFile(DayFile(kExampleTime));
  const Parsed parsed = ParseBack(text);
  EXPECT_EQ(parsed.errors, 0u);
  EXPECT_EQ(parsed.comments, 3u);
  EXPECT_EQ(parsed.lines,
            (std::vector<std::string>{refused[0], refused[1], refused[0],
                                      "m,host=d f=3 1700000000000000002", refused[1]}));
  EXPECT_EQ(InfluxDbSplit(text).size(), 8u);  // 3 comments, 5 lines
  EXPECT_EQ(file.lines_written(), 5u);
}

}  // namespace
}  // namespace inflow::daemon
