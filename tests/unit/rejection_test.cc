// FindRejectedLines: InfluxDB 1.6's error texts (as LineProtocolFactsTest
// pins them) read against the batch that was sent.

#include "inflow/rejection.h"

#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace inflow::daemon {
namespace {

struct Found {
  std::string line;
  std::string reason;
  friend bool operator==(const Found&, const Found&) = default;
  friend std::ostream& operator<<(std::ostream& os, const Found& f) {
    return os << "{'" << f.line << "', \"" << f.reason << "\"}";
  }
};

std::vector<Found> Lines(const RejectedLines& rejected) {
  std::vector<Found> out;
  for (const RejectedLine& l : rejected.lines) out.push_back({std::string(l.line), l.reason});
  return out;
}

constexpr char kTagTime[] = "invalid tag key: input tag \"time\" on measurement \"m\" is invalid";
constexpr char kFieldTime[] =
    "invalid field name: input field \"time\" on measurement \"m\" is invalid";
constexpr char kConflictStringFloat[] =
    "field type conflict: input field \"f\" on measurement \"m\" is type string, already "
    "exists as type float";

// --- unable to parse -------------------------------------------------------

TEST(RejectionTest, FindsALineInfluxDbCouldNotParse) {
  // LineProtocolFactsTest.UnsignedIntegersAreRejected, with a timestamp.
  const RejectedLines r =
      FindRejectedLines("m f=1u 1\n", "unable to parse 'm f=1u 1': invalid number");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1u 1", "unable to parse: invalid number"}}));
  EXPECT_EQ(r.batch_lines, 1u);
  EXPECT_FALSE(r.dropped.has_value());
  EXPECT_EQ(r.unidentified_dropped, 0u);
  EXPECT_EQ(r.possibly_stored, 0u);
}

TEST(RejectionTest, FindsEachUnparsableLineOnALineOfItsOwn) {
  const RejectedLines r = FindRejectedLines("m f=1u 1\nm f=2u 2\n",
                                            "unable to parse 'm f=1u 1': invalid number\n"
                                            "unable to parse 'm f=2u 2': invalid number");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1u 1", "unable to parse: invalid number"},
                                          {"m f=2u 2", "unable to parse: invalid number"}}));
}

TEST(RejectionTest, MatchesTheQuoteWithItsCarriageReturn) {
  // LineProtocolFactsTest.TheErrorQuotesTheLineWithItsCarriageReturn.
  const RejectedLines r =
      FindRejectedLines("m f=1u 1\r\n", "unable to parse 'm f=1u 1\r': invalid number");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1u 1", "unable to parse: invalid number"}}));
}

TEST(RejectionTest, MatchesTheQuoteWithoutLeadingBlanks) {
  const RejectedLines r =
      FindRejectedLines("  \tm f=1u 1\n", "unable to parse 'm f=1u 1': invalid number");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1u 1", "unable to parse: invalid number"}}));
}

TEST(RejectionTest, FindsUnparsableLinesOfAPartialWriteDroppingZero) {
  // LineProtocolFactsTest.UnparsableLinesBesideGoodOnesArePartialWritesDroppingZero:
  // lines inflow's parser rejects too are still matched.
  const RejectedLines r =
      FindRejectedLines("bad1\nm f=1 1\nbad2\nm f=2 2\n",
                        "partial write: unable to parse 'bad1': missing fields\n"
                        "unable to parse 'bad2': missing fields dropped=0");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"bad1", "unable to parse: missing fields"},
                                          {"bad2", "unable to parse: missing fields"}}));
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_EQ(r.unidentified_dropped, 0u);
  EXPECT_EQ(r.batch_lines, 4u);
}

TEST(RejectionTest, TellsAQuoteFromAStringThatLooksLikeTheErrorText) {
  // The first line's string holds `'`, "': ", a raw newline and a whole
  // fake clause; the second line is the one InfluxDB refused.
  const std::string sneaky =
      "m,host=a\\,b s=\"it's': x\nunable to parse 'm u=1u 2': invalid number\" 1";
  const std::string batch = sneaky + "\nm u=1u 2\n";
  const RejectedLines r = FindRejectedLines(
      batch, "partial write: unable to parse 'm u=1u 2': invalid number dropped=0");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m u=1u 2", "unable to parse: invalid number"}}));

  // And when both are refused, each quote is the whole of its line.
  const std::string both = "m s=\"it's': x\nunable to parse 'm u=1u 2': invalid number\",u=1u 1";
  const std::string batch2 = both + "\nm u=1u 2\n";  // outlives the views into it
  const RejectedLines r2 = FindRejectedLines(
      batch2,
      "unable to parse '" + both + "': invalid number\nunable to parse 'm u=1u 2': invalid number");
  EXPECT_TRUE(r2.understood);
  EXPECT_EQ(Lines(r2), (std::vector<Found>{{both, "unable to parse: invalid number"},
                                           {"m u=1u 2", "unable to parse: invalid number"}}));
}

TEST(RejectionTest, FindsTheSameLineTwiceInTheOrderQuoted) {
  const RejectedLines r = FindRejectedLines("m f=1u 1\nm f=2 2\nm f=1u 1\n",
                                            "partial write: unable to parse 'm f=1u 1': invalid "
                                            "number\nunable to parse 'm f=1u 1': invalid number "
                                            "dropped=0");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.lines[0].line.data(), r.batch.data());
  EXPECT_EQ(r.lines[1].line.data(), r.batch.data() + 17);
}

TEST(RejectionTest, AQuoteNotInTheBatchIsNotUnderstood) {
  const RejectedLines r = FindRejectedLines(
      "m f=1 1\nm f=2 2\n", "partial write: unable to parse 'm f=3u 3': invalid number dropped=0");
  EXPECT_FALSE(r.understood);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(r.unidentified_dropped, 0u);  // InfluxDB's N
}

TEST(RejectionTest, AWholeRefusalThatDoesNotQuoteEveryLineIsNotUnderstood) {
  // Without "partial write" nothing was stored, so every line must be named.
  const RejectedLines r =
      FindRejectedLines("m f=1u 1\nm f=2 2\n", "unable to parse 'm f=1u 1': invalid number");
  EXPECT_FALSE(r.understood);
  EXPECT_EQ(r.unidentified_dropped, 2u);  // the whole batch
  EXPECT_EQ(r.unidentified_reason, "unable to parse 'm f=1u 1': invalid number");
}

// --- points the storage dropped ----------------------------------------------

TEST(RejectionTest, FindsTheLinesWithATagKeyTime) {
  // LineProtocolFactsTest.TagKeyTimeDropsThePoint.
  const RejectedLines r =
      FindRejectedLines("m,time=1 f=1 1\nm,host=a f=1 2\nn,time=1 f=1 3\n",
                        std::string("partial write: ") + kTagTime + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m,time=1 f=1 1", kTagTime}}));
  EXPECT_EQ(r.dropped, 1u);
  EXPECT_EQ(r.unidentified_dropped, 0u);
  EXPECT_EQ(r.possibly_stored, 0u);
}

TEST(RejectionTest, FindsTheLinesWhoseOnlyFieldIsTime) {
  // LineProtocolFactsTest.FieldKeyTimeAloneDropsThePoint, and
  // FieldKeyTimeBesideAnotherFieldIsDroppedSilently: that point is stored.
  const RejectedLines r =
      FindRejectedLines("m time=1 1\nm time=1,f=2 2\nn time=1 3\nm time=2,time=3 4\n",
                        std::string("partial write: ") + kFieldTime + " dropped=2");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r),
            (std::vector<Found>{{"m time=1 1", kFieldTime}, {"m time=2,time=3 4", kFieldTime}}));
  EXPECT_EQ(r.unidentified_dropped, 0u);
}

TEST(RejectionTest, FindsTheDroppedPointThatHidTheParseErrors) {
  // LineProtocolFactsTest.DroppedPointsHideTheParseErrorsOfTheSameRequest:
  // `bad` was dropped too, but the text does not say so.
  const RejectedLines r = FindRejectedLines(
      "m f=1 1\nbad\nm,time=1 f=1 3\n", std::string("partial write: ") + kTagTime + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m,time=1 f=1 3", kTagTime}}));
  EXPECT_EQ(r.unidentified_dropped, 0u);
}

TEST(RejectionTest, FindsTheLineOfAFieldTypeConflict) {
  // LineProtocolFactsTest.FieldTypeConflictWithAStoredFieldDropsThePoint.
  const RejectedLines r =
      FindRejectedLines("m f=\"x\" 2\nm f=3 3\n",
                        std::string("partial write: ") + kConflictStringFloat + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=\"x\" 2", kConflictStringFloat}}));
  EXPECT_EQ(r.dropped, 1u);
  EXPECT_EQ(r.unidentified_dropped, 0u);
}

TEST(RejectionTest, FindsEveryLineOfTheNamedConflictAndCountsTheOthersUnidentified) {
  // InfluxDB 1.6 names the first conflict of a request but drops them all.
  const std::string batch =
      "m f=1i 1\n"         // the one named
      "m f=2 2\n"          // float: stored
      "m,host=a f=3i 3\n"  // same measurement, field and type: dropped too
      "m g=true 4\n"       // another conflict, not named
      "n f=5i 5\n";        // another measurement
  const std::string clause =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=3");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1i 1", clause}, {"m,host=a f=3i 3", clause}}));
  EXPECT_EQ(r.dropped, 3u);
  EXPECT_EQ(r.unidentified_dropped, 1u);
  EXPECT_EQ(r.unidentified_reason, clause);
}

TEST(RejectionTest, FindsTheLinesOfSeveralJoinedClauses) {
  const std::string conflict_f =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const std::string conflict_g =
      "field type conflict: input field \"g\" on measurement \"cpu\" is type boolean, already "
      "exists as type string";
  const std::string batch =
      "m f=1i 1\ncpu g=true 2\ncpu g=\"ok\" 3\nm,time=x f=1 4\nm f=1i,g=t 5\n";
  const RejectedLines r = FindRejectedLines(
      batch, "partial write: " + conflict_f + "\n" + conflict_g + "\n" + kTagTime + " dropped=5");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1i 1", conflict_f},
                                          {"cpu g=true 2", conflict_g},
                                          {"m,time=x f=1 4", kTagTime},
                                          {"m f=1i,g=t 5", conflict_f}}));
  EXPECT_EQ(r.unidentified_dropped, 1u);
  EXPECT_EQ(r.unidentified_reason, conflict_f + "; " + conflict_g + "; " + kTagTime);
}

TEST(RejectionTest, NamesALineOnceThoughTwoClausesNameIt) {
  const std::string conflict_f =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const std::string conflict_g =
      "field type conflict: input field \"g\" on measurement \"m\" is type boolean, already "
      "exists as type float";
  const RejectedLines r = FindRejectedLines(
      "m f=1i,g=true 1\n", "partial write: " + conflict_f + "\n" + conflict_g + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m f=1i,g=true 1", conflict_f}}));
  EXPECT_EQ(r.unidentified_dropped, 0u);
  EXPECT_EQ(r.possibly_stored, 0u);
}

TEST(RejectionTest, SaysWhenMoreLinesMatchThanWereDropped) {
  // Another shard may have taken the same type: one of the two is stored.
  const std::string conflict =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const RejectedLines r =
      FindRejectedLines("m f=1i 1\nm f=2i 2\n", "partial write: " + conflict + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(r.lines.size(), 2u);
  EXPECT_EQ(r.unidentified_dropped, 0u);
  EXPECT_EQ(r.possibly_stored, 1u);
}

TEST(RejectionTest, ReadsNamesUnescapedAndHoldingQuotes) {
  // InfluxDB prints the unescaped names inside plain quotes.
  const std::string batch =
      "my\\ m\"x,host=a a\\ b\\\"c\\,d=1i 1\n"  // measurement `my m"x`, field `a b"c,d`
      "my\\ m\"x a\\ b\\\"c\\,d=1 2\n"          // the same field, float: stored
      "my\\ m\"x,h=\\\"q\\\" s=\"it's\" 3\n";   // escapes elsewhere
  const std::string clause =
      "field type conflict: input field \"a b\"c,d\" on measurement \"my m\"x\" is type "
      "integer, already exists as type float";
  const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"my\\ m\"x,host=a a\\ b\\\"c\\,d=1i 1", clause}}));
  EXPECT_EQ(r.unidentified_dropped, 0u);
}

TEST(RejectionTest, SplitsAnAmbiguousConflictWhereTheBatchHasTheNames) {
  // `input field "x" on measurement "y" on measurement "m"`: field `x` of
  // measurement `y" on measurement "m`, or field `x" on measurement "y` of
  // measurement `m`. Only the second is in the batch.
  const std::string batch =
      "m x\\\"\\ on\\ measurement\\ \\\"y=1i 1\n"
      "m x=1i 2\n";
  const std::string clause =
      "field type conflict: input field \"x\" on measurement \"y\" on measurement \"m\" is type "
      "integer, already exists as type float";
  const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(Lines(r), (std::vector<Found>{{"m x\\\"\\ on\\ measurement\\ \\\"y=1i 1", clause}}));
}

TEST(RejectionTest, MatchesEveryFieldTypeByInfluxDbsName) {
  const std::vector<std::pair<std::string, std::string>> cases = {{"float", "1.5"},
                                                                  {"integer", "1i"},
                                                                  {"unsigned", "1u"},
                                                                  {"string", "\"s\""},
                                                                  {"boolean", "true"}};
  for (const auto& [type, value] : cases) {
    const std::string line = "m f=" + value + " 1";
    const std::string clause =
        "field type conflict: input field \"f\" on measurement \"m\" is type " + type +
        ", already exists as type " + (type == "float" ? "integer" : "float");
    std::string batch;
    for (const auto& [other_type, other_value] : cases) batch += "m f=" + other_value + " 1\n";
    const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=1");
    EXPECT_TRUE(r.understood) << type;
    EXPECT_EQ(Lines(r), (std::vector<Found>{{line, clause}})) << type;
  }
}

TEST(RejectionTest, AConflictNamingNoLineLeavesItsPointsUnidentified) {
  const std::string clause =
      "field type conflict: input field \"f\" on measurement \"gone\" is type integer, already "
      "exists as type float";
  const RejectedLines r =
      FindRejectedLines("m f=1i 1\n", "partial write: " + clause + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(r.unidentified_dropped, 1u);
  EXPECT_EQ(r.unidentified_reason, clause);
}

TEST(RejectionTest, ATimeKeyClauseNamingNoLineLeavesItsPointsUnidentified) {
  const std::string clause =
      "invalid tag key: input tag \"time\" on measurement \"other\" is invalid";
  const RejectedLines r =
      FindRejectedLines("m,time=1 f=1 1\n", "partial write: " + clause + " dropped=1");
  EXPECT_TRUE(r.understood);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(r.unidentified_dropped, 1u);
  EXPECT_EQ(r.unidentified_reason, clause);
}

TEST(RejectionTest, PointsBeyondTheRetentionPolicyAreUnidentified) {
  const RejectedLines r =
      FindRejectedLines("m f=1 1\nm f=2 2\nm f=3 1700000000000000000\n",
                        "partial write: points beyond retention policy dropped=2");
  EXPECT_TRUE(r.understood);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_EQ(r.unidentified_dropped, 2u);
  EXPECT_EQ(r.unidentified_reason, "points beyond retention policy");
}

// Bug 4 (issue 9): the lines of points dropped without a name were lost.
// Every line the text does not name is a candidate; which were dropped
// cannot be told while there are more candidates than such points.
TEST(RejectionTest, GivesTheLinesUnnamedDroppedPointsAreAmong) {
  const RejectedLines r =
      FindRejectedLines("m f=1 1\nm f=2 2\nm f=3 1700000000000000000\n",
                        "partial write: points beyond retention policy dropped=2");
  EXPECT_EQ(r.unidentified_candidates,
            (std::vector<std::string_view>{"m f=1 1", "m f=2 2", "m f=3 1700000000000000000"}));
  EXPECT_FALSE(r.AllCandidatesDropped());
}

TEST(RejectionTest, KnowsTheCandidatesWereAllDroppedWhenTheCountCoversThem) {
  const RejectedLines r = FindRejectedLines(
      "m f=1 1\nm f=2 2\n", "partial write: points beyond retention policy dropped=2");
  EXPECT_EQ(r.unidentified_dropped, 2u);
  EXPECT_EQ(r.unidentified_candidates, (std::vector<std::string_view>{"m f=1 1", "m f=2 2"}));
  EXPECT_TRUE(r.AllCandidatesDropped());
}

TEST(RejectionTest, LeavesTheNamedLinesOutOfTheCandidates) {
  const std::string batch = "m f=1i 1\nm f=2 2\nm,host=a f=3i 3\nm g=true 4\nn f=5i 5\n";
  const std::string clause =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=3");
  EXPECT_EQ(r.unidentified_dropped, 1u);
  EXPECT_EQ(r.unidentified_candidates,
            (std::vector<std::string_view>{"m f=2 2", "m g=true 4", "n f=5i 5"}));
  EXPECT_FALSE(r.AllCandidatesDropped());
}

TEST(RejectionTest, GivesTheOneLineLeftAsTheOneUnnamedPointDropped) {
  // Five dropped, four named: the fifth line is the fifth point.
  const std::string conflict_f =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const RejectedLines r = FindRejectedLines(
      "m f=1i 1\ncpu g=\"ok\" 3\nm,time=x f=1 4\nm f=1i,g=t 5\n",
      "partial write: " + conflict_f + "\n" + kTagTime + " dropped=4");
  EXPECT_EQ(r.lines.size(), 3u);
  EXPECT_EQ(r.unidentified_candidates, (std::vector<std::string_view>{"cpu g=\"ok\" 3"}));
  EXPECT_TRUE(r.AllCandidatesDropped());
}

TEST(RejectionTest, GivesNoCandidatesWhenEveryDroppedPointIsNamed) {
  const std::string batch = "m f=1i 1\nm f=2 2\n";
  const std::string clause =
      "field type conflict: input field \"f\" on measurement \"m\" is type integer, already "
      "exists as type float";
  const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=1");
  EXPECT_EQ(r.unidentified_dropped, 0u);
  EXPECT_TRUE(r.unidentified_candidates.empty());
  // A text not understood has the whole batch as its candidate instead.
  EXPECT_TRUE(FindRejectedLines(batch, "field type conflict").unidentified_candidates.empty());
}

TEST(RejectionTest, SkipsBlankLinesAndCommentsOfTheBatch) {
  const RejectedLines r =
      FindRejectedLines("# note\n\nm f=1u 1\n", "unable to parse 'm f=1u 1': invalid number");
  EXPECT_TRUE(r.understood);
  EXPECT_EQ(r.batch_lines, 1u);
  EXPECT_EQ(r.lines.size(), 1u);
}

// --- texts not understood --------------------------------------------------

TEST(RejectionTest, AnUnknownTextIsNotUnderstood) {
  const std::string batch = "m f=1 1\nm f=2 2\nm f=3 3\n";
  const std::string text =
      "partial write: max-series-per-database limit exceeded: (1000) dropped=2";
  const RejectedLines r = FindRejectedLines(batch, text);
  EXPECT_FALSE(r.understood);
  EXPECT_TRUE(r.lines.empty());
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_EQ(r.unidentified_dropped, 2u);
  EXPECT_EQ(r.unidentified_reason, text);
  EXPECT_EQ(r.batch, batch);
  EXPECT_EQ(r.batch_lines, 3u);
}

TEST(RejectionTest, AWholeRequestTypeConflictIsNotUnderstood) {
  // LineProtocolFactsTest.FieldTypeConflictWithinOneRequestForANewFieldRejectsItWhole:
  // nothing is stored, and no line is named.
  const RejectedLines r = FindRejectedLines("m f=1 1\nm f=\"x\" 2\n", "field type conflict");
  EXPECT_FALSE(r.understood);
  EXPECT_FALSE(r.dropped.has_value());
  EXPECT_EQ(r.unidentified_dropped, 2u);
  EXPECT_EQ(r.unidentified_reason, "field type conflict");
}

TEST(RejectionTest, TextsWithAKnownClauseInTheWrongPlaceAreNotUnderstood) {
  const std::string batch = "m,time=1 f=1 1\n";
  // A dropped-point clause without "partial write".
  EXPECT_FALSE(FindRejectedLines(batch, std::string(kTagTime) + " dropped=1").understood);
  // A partial write without its count.
  EXPECT_FALSE(FindRejectedLines(batch, std::string("partial write: ") + kTagTime).understood);
  // A known clause followed by an unknown one.
  EXPECT_FALSE(FindRejectedLines(
                   batch, std::string("partial write: ") + kTagTime + "\nsomething else dropped=1")
                   .understood);
  // A clause cut short, a type InfluxDB does not have, nothing at all.
  EXPECT_FALSE(FindRejectedLines(batch,
                                 "partial write: field type conflict: input field \"f\" "
                                 "on measurement \"m\" dropped=1")
                   .understood);
  EXPECT_FALSE(FindRejectedLines(batch,
                                 "partial write: field type conflict: input field \"f\" "
                                 "on measurement \"m\" is type text, already exists as "
                                 "type float dropped=1")
                   .understood);
  EXPECT_FALSE(FindRejectedLines(batch,
                                 "partial write: field type conflict: input field \"f\" "
                                 "is type integer, already exists as type float dropped=1")
                   .understood);
  EXPECT_FALSE(FindRejectedLines(batch,
                                 "partial write: invalid tag key: input tag \"time\" on "
                                 "measurement \" is invalid dropped=1")
                   .understood);
  EXPECT_FALSE(FindRejectedLines(batch, "").understood);
  EXPECT_FALSE(FindRejectedLines(batch, "partial write:  dropped=1").understood);
  EXPECT_FALSE(FindRejectedLines(batch, "partial write: " + std::string(kTagTime) + " dropped=-1")
                   .understood);
}

// --- size ------------------------------------------------------------------

std::string Line(int i) {
  return "cpu,host=h" + std::to_string(i % 50) + ",region=eu\\ west usage=" + std::to_string(i) +
         ".5,note=\"it's \\\"fine\\\"\" " + std::to_string(1700000000000000000LL + i);
}

TEST(RejectionTest, FindsOneConflictAmongFiveThousandLinesQuickly) {
  std::string batch;
  for (int i = 0; i < 5000; ++i) {
    batch += i == 3777 ? "cpu,host=h27,region=eu\\ west usage=1i 1700000000000003777" : Line(i);
    batch += '\n';
  }
  const std::string clause =
      "field type conflict: input field \"usage\" on measurement \"cpu\" is type integer, already "
      "exists as type float";
  const auto start = std::chrono::steady_clock::now();
  const RejectedLines r = FindRejectedLines(batch, "partial write: " + clause + " dropped=1");
  const auto took = std::chrono::steady_clock::now() - start;
  const double ms = std::chrono::duration<double, std::milli>(took).count();
  std::cout << "[ timing   ] 5000 lines, one conflict: " << ms << " ms\n";
  RecordProperty("milliseconds", std::to_string(ms));

  EXPECT_TRUE(r.understood);
  EXPECT_EQ(r.batch_lines, 5000u);
  EXPECT_EQ(
      Lines(r),
      (std::vector<Found>{{"cpu,host=h27,region=eu\\ west usage=1i 1700000000000003777", clause}}));
  EXPECT_EQ(r.unidentified_dropped, 0u);
  // About a millisecond optimized; generous for sanitizers and a busy machine.
  EXPECT_LT(ms, 500.0);
}

TEST(RejectionTest, FindsFiveThousandUnparsableLinesInLinearTime) {
  // Every line quoted, each with the same long prefix: a search that began
  // at the first line for each quote would take quadratic time.
  std::string batch, text;
  const std::string prefix(200, 'p');
  for (int i = 0; i < 5000; ++i) {
    const std::string line = "m" + prefix + " f=" + std::to_string(i) + "u " + std::to_string(i);
    batch += line + '\n';
    if (i > 0) text += '\n';
    text += "unable to parse '" + line + "': invalid number";
  }
  const auto start = std::chrono::steady_clock::now();
  const RejectedLines r = FindRejectedLines(batch, text);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[ timing   ] 5000 unparsable lines: " << ms << " ms\n";

  EXPECT_TRUE(r.understood);
  ASSERT_EQ(r.lines.size(), 5000u);
  EXPECT_EQ(r.lines[4999].line, "m" + prefix + " f=4999u 4999");
  EXPECT_LT(ms, 500.0);
}

}  // namespace
}  // namespace inflow::daemon
