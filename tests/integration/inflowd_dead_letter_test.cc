// inflowd's dead letters, against a real InfluxDB 1.6 on loopback: the
// points InfluxDB drops without naming them (here: older than their
// retention policy's duration) are kept in the dead-letter file, every one
// of them, with a comment that says whether the lines kept were all dropped
// or may be partly stored. Issue 9, bug 4.
//
// The fixture, and how the tests wait, are in inflowd_fixture.h. No test
// sleeps: each polls with a deadline for what it waits for.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "inflowd_fixture.h"
#include "support/files.h"
#include "support/stored_point.h"

namespace inflow::test {
namespace {

constexpr int64_t kNanosPerDay = 86'400'000'000'000;

// Every dead-letter file in `folder`, read whole and joined; "" if none.
std::string ReadDeadLetters(const std::filesystem::path& folder) {
  std::string letters;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(folder, error)) {
    std::string text;
    if (ReadFile(entry.path().string(), &text).ok()) letters += text;
  }
  return letters;
}

struct DeadLetters {
  std::vector<std::string> comments;
  std::vector<std::string> lines;
};

// The test's lines hold no string fields, so each line of the file is one
// line of line protocol or one comment.
DeadLetters Split(std::string_view text) {
  DeadLetters letters;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty()) continue;
    (line.starts_with("#") ? letters.comments : letters.lines).emplace_back(line);
  }
  return letters;
}

class InflowdDeadLetterTest : public InflowdTest {
 protected:
  std::filesystem::path Folder() const { return spool_dir() + "/rejected"; }

  // Polls until the dead-letter files hold `lines` lines of line protocol.
  DeadLetters WaitForDeadLetters(size_t lines) {
    DeadLetters letters;
    PollUntil(kArrivalTimeout, [&] {
      letters = Split(ReadDeadLetters(Folder()));
      return letters.lines.size() >= lines;
    });
    return letters;
  }
};

// Bug 4, as a new user met it: five points older than rp_four_weeks' four
// weeks, sent alone. InfluxDB answers "partial write: points beyond
// retention policy dropped=5"; the file held only a comment.
TEST_F(InflowdDeadLetterTest, KeepsEveryPointBeyondTheRetentionPolicy) {
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {{std::string(kFourWeeks), 5, "1h"}},
                                        .listeners = {{ListenerKind::kUnixStream}}}));
  const int64_t old = NowNs() - 35 * kNanosPerDay;
  std::vector<std::string> sent;
  std::string lines;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(Line("aged", "host=a", i, old + i));
    sent.back().pop_back();  // Line ends with '\n'
    lines += sent.back() + "\n";
  }
  ASSERT_NO_FATAL_FAILURE(Send(0, lines));
  const DeadLetters letters = WaitForDeadLetters(sent.size());
  ASSERT_NO_FATAL_FAILURE(StopInflowd());

  EXPECT_EQ(letters.lines, sent) << ReadDeadLetters(Folder());
  ASSERT_EQ(letters.comments.size(), 1u) << ReadDeadLetters(Folder());
  // All the batch's lines were dropped: nothing marks them as maybe stored.
  EXPECT_TRUE(letters.comments[0].ends_with(
      " session=rp_four_weeks reason=\"points beyond retention policy\" "
      "unidentified_points=5 lines=5"))
      << letters.comments[0];
  EXPECT_EQ(StoredIn(kFourWeeks), std::vector<StoredPoint>{});
  const std::string log = inflowd_->Log();
  EXPECT_NE(log.find("InfluxDB refused 5 of a batch of 5 points (5 lines kept in " +
                     Folder().string() + "/"),
            std::string::npos)
      << log;
}

// Old and recent points in one batch: InfluxDB stores the recent ones and
// drops the old ones without naming them. The file keeps every line of the
// batch, the dropped ones among them, under a comment that says some of
// them may be stored.
TEST_F(InflowdDeadLetterTest, KeepsTheOldPointsOfAMixedBatchAmongLinesPossiblyStored) {
  ASSERT_NO_FATAL_FAILURE(StartInflowd({.sessions = {{std::string(kFourWeeks), 5, "1h"}},
                                        .listeners = {{ListenerKind::kUnixStream}}}));
  const int64_t old = NowNs() - 35 * kNanosPerDay;
  const int64_t recent = RecentTime();
  std::vector<std::string> sent;
  std::string lines;
  for (int i = 0; i < 5; ++i) {
    sent.push_back(Line("mixed", "host=a", i, i % 2 == 0 ? old + i : recent + i));
    sent.back().pop_back();
    lines += sent.back() + "\n";
  }
  ASSERT_NO_FATAL_FAILURE(Send(0, lines));
  const DeadLetters letters = WaitForDeadLetters(sent.size());
  ASSERT_NO_FATAL_FAILURE(StopInflowd());

  ExpectSame(StoredIn(kFourWeeks),
             {IntegerPoint("mixed", {{"host", "a"}}, 1, recent + 1),
              IntegerPoint("mixed", {{"host", "a"}}, 3, recent + 3)},
             "rp_four_weeks");
  EXPECT_EQ(letters.lines, sent) << ReadDeadLetters(Folder());
  ASSERT_EQ(letters.comments.size(), 1u) << ReadDeadLetters(Folder());
  EXPECT_TRUE(letters.comments[0].ends_with(
      " reason=\"points beyond retention policy\" unidentified_points=3 lines=5 "
      "possibly_partly_stored=true"))
      << letters.comments[0];
  const std::string log = inflowd_->Log();
  EXPECT_NE(log.find("InfluxDB refused 3 of a batch of 5 points, 3 without naming them (5 lines "
                     "kept in " +
                     Folder().string() + "/"),
            std::string::npos)
      << log;
}

}  // namespace
}  // namespace inflow::test
