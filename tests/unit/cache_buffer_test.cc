// LastValueBuffer: points coalesced per series, field by field, between
// flushes to the last-value cache.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/last_value_buffer.h"
#include "inflow/last_value_layout.h"
#include "inflow/line_parser.h"
#include "inflow/line_writer.h"

namespace inflow {
namespace {

// Arguments of one update (see last_value_script.h).
constexpr size_t kFirstField = 8;

class CacheBufferTest : public ::testing::Test {
 protected:
  LastValueBuffer::AddResult Add(LastValueBuffer& buffer, std::string_view line,
                                 std::string_view db = "db", bool drop_first_tag = false) {
    size_t consumed = 0, newlines = 0;
    EXPECT_EQ(parser_.Parse(line, true, &consumed, &newlines), ParseStatus::kPoint) << line;
    const PointView& point = parser_.point();
    const TagView* left_out =
        drop_first_tag && !point.tags.empty() ? &point.tags[0] : nullptr;
    std::string key;
    AppendSeriesKey(point, &key, left_out);
    SeriesIdentity series{db, "rp", key, point.measurement, point.tags, left_out};
    return buffer.Add(series, point.fields, point.timestamp_ns.value_or(0));
  }

  // Each field's name → "value@time", from an update's arguments.
  static std::map<std::string, std::string> Fields(const LastValueUpdate& update) {
    std::map<std::string, std::string> out;
    size_t n = std::stoul(update.args.at(7));
    for (size_t i = 0; i < n; ++i) {
      const auto& a = update.args;
      out[a.at(kFirstField + 3 * i)] = a.at(kFirstField + 3 * i + 1) + "@" +
                                       a.at(kFirstField + 3 * i + 2);
    }
    return out;
  }

  // The recent points of an update, newest first.
  static std::vector<std::string> Recent(const LastValueUpdate& update) {
    size_t first = kFirstField + 3 * std::stoul(update.args.at(7));
    return {update.args.begin() + static_cast<ptrdiff_t>(first), update.args.end()};
  }

  LineParser parser_;
};

TEST_F(CacheBufferTest, UpdateCarriesKeysIdentityAndOptions) {
  LastValueBuffer buffer({.key_prefix = "p:", .ttl_seconds = 60});
  Add(buffer, R"(c\ pu,zone=z\,1,host=h1 v=1.5,s="a\"b" 100)");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  const LastValueUpdate& u = updates[0];
  std::vector<std::string> keys = {
      R"(p:series:2:db:2:rp:c\ pu,host=h1,zone=z\,1)",
      R"(p:recent:2:db:2:rp:c\ pu,host=h1,zone=z\,1)",
      "p:catalog",
      "p:index:2:db:2:rp:c pu",
      "p:tag:2:db:2:rp:4:c pu:4:host:h1",
      "p:tag:2:db:2:rp:4:c pu:4:zone:z,1"};
  EXPECT_EQ(u.keys, keys);
  std::vector<std::string> expected = {
      "60", "1", R"(c\ pu,host=h1,zone=z\,1)", R"("c pu")", R"({"host":"h1","zone":"z,1"})",
      "100", "2:db:2:rp", "2", "v", "1.5", "100", "s", R"("a\"b")", "100"};
  EXPECT_EQ(u.args, expected);
}

TEST_F(CacheBufferTest, RoutingTagLeftOutOfTheTags) {
  LastValueBuffer buffer({});
  Add(buffer, "m,rp=one,host=h v=1 5", "db", /*drop_first_tag=*/true);
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].args[2], "m,host=h");
  EXPECT_EQ(updates[0].args[4], R"({"host":"h"})");
}

TEST_F(CacheBufferTest, KeepsEachFieldsLatestValueFieldByField) {
  LastValueBuffer buffer({});
  Add(buffer, "m a=1,b=1 10");
  Add(buffer, "m a=2 20");         // newer, lacks b: b stays at 10
  Add(buffer, "m b=3,c=3i 15");    // b newer than 10; c new
  Add(buffer, "m a=0,c=0i 12");    // older than a@20 and c@15: ignored
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  std::map<std::string, std::string> expected = {{"a", "2@20"}, {"b", "3@15"}, {"c", "3@15"}};
  EXPECT_EQ(Fields(updates[0]), expected);
  EXPECT_EQ(updates[0].args[5], "20");  // the series' latest time
}

TEST_F(CacheBufferTest, OutOfOrderPointsEndWhereInOrderOnesDo) {
  std::vector<std::string> lines = {"m a=1,b=1 1", "m a=2 2", "m b=3 3", "m a=4,b=4 4"};
  std::vector<std::vector<int>> orders = {{0, 1, 2, 3}, {3, 2, 1, 0}, {2, 0, 3, 1}, {1, 3, 0, 2}};
  for (const auto& order : orders) {
    LastValueBuffer buffer({});
    for (int i : order) Add(buffer, lines[i]);
    std::vector<LastValueUpdate> updates = buffer.Take();
    ASSERT_EQ(updates.size(), 1u);
    std::map<std::string, std::string> expected = {{"a", "4@4"}, {"b", "4@4"}};
    EXPECT_EQ(Fields(updates[0]), expected);
  }
}

TEST_F(CacheBufferTest, SameTimeLaterAddWins) {
  LastValueBuffer buffer({});
  Add(buffer, "m a=1 10");
  Add(buffer, "m a=2 10");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(Fields(updates[0])["a"], "2@10");
}

TEST_F(CacheBufferTest, NegativeTimesOrderedAsNumbers) {
  LastValueBuffer buffer({});
  Add(buffer, "m a=1 -5");
  Add(buffer, "m a=2 -10");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(Fields(updates[0])["a"], "1@-5");
}

TEST_F(CacheBufferTest, SeriesApartByDatabaseAndTags) {
  LastValueBuffer buffer({});
  Add(buffer, "m,h=1 a=1 1");
  Add(buffer, "m,h=2 a=2 1");
  Add(buffer, "m,h=1 a=3 1", "other");
  Add(buffer, "m,h=1 a=4 2");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 3u);  // in the order first added
  EXPECT_EQ(Fields(updates[0])["a"], "4@2");
  EXPECT_EQ(Fields(updates[1])["a"], "2@1");
  EXPECT_EQ(Fields(updates[2])["a"], "3@1");
  EXPECT_EQ(updates[2].keys[0], "inflow:series:5:other:2:rp:m,h=1");
}

TEST_F(CacheBufferTest, NewSeriesBeyondBoundRefusedAndCounted) {
  LastValueBuffer buffer({.max_pending_series = 2});
  EXPECT_EQ(Add(buffer, "m,h=1 a=1 1"), LastValueBuffer::AddResult::kTaken);
  EXPECT_EQ(Add(buffer, "m,h=2 a=1 1"), LastValueBuffer::AddResult::kTaken);
  EXPECT_EQ(Add(buffer, "m,h=3 a=1 1"), LastValueBuffer::AddResult::kRefused);
  EXPECT_EQ(Add(buffer, "m,h=4 a=1 1"), LastValueBuffer::AddResult::kRefused);
  // Series already pending keep coalescing.
  EXPECT_EQ(Add(buffer, "m,h=1 a=9 9"), LastValueBuffer::AddResult::kTaken);
  EXPECT_EQ(buffer.pending_series(), 2u);
  EXPECT_EQ(buffer.refused_points(), 2u);
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 2u);
  EXPECT_EQ(Fields(updates[0])["a"], "9@9");
  // After a flush there is room again; the count stays.
  EXPECT_EQ(Add(buffer, "m,h=3 a=1 1"), LastValueBuffer::AddResult::kTaken);
  EXPECT_EQ(buffer.refused_points(), 2u);
}

TEST_F(CacheBufferTest, TakeLeavesTheBufferEmpty) {
  LastValueBuffer buffer({});
  Add(buffer, "m,h=1 a=1 1");
  Add(buffer, "m,h=2 a=1 1");
  EXPECT_EQ(buffer.Take().size(), 2u);
  EXPECT_EQ(buffer.pending_series(), 0u);
  EXPECT_TRUE(buffer.Take().empty());
  // A series taken before starts afresh: an older point is pending again,
  // as only Redis knows what it holds.
  Add(buffer, "m,h=1 a=0 0");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(Fields(updates[0])["a"], "0@0");
}

TEST_F(CacheBufferTest, KeepLastKeepsNewestPointsNewestFirst) {
  LastValueBuffer buffer({.keep_last = 3});
  for (const char* line : {"m a=3 30", "m a=1 10", "m a=5 50", "m a=2 20", "m a=4 40"}) {
    Add(buffer, line);
  }
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  std::vector<std::string> expected = {R"({"time":50,"fields":{"a":5}})",
                                       R"({"time":40,"fields":{"a":4}})",
                                       R"({"time":30,"fields":{"a":3}})"};
  EXPECT_EQ(Recent(updates[0]), expected);
  EXPECT_EQ(updates[0].args[1], "3");
}

TEST_F(CacheBufferTest, KeepLastMergesPointsOfTheSameTime) {
  LastValueBuffer buffer({.keep_last = 2});
  Add(buffer, "m a=1,b=1 10");
  Add(buffer, "m a=2,c=\"x\" 10");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  std::vector<std::string> expected = {R"({"time":10,"fields":{"a":2,"b":1,"c":"x"}})"};
  EXPECT_EQ(Recent(updates[0]), expected);
}

TEST_F(CacheBufferTest, KeepLastOfOneSendsNoRecentPoints) {
  LastValueBuffer buffer({});
  Add(buffer, "m a=1 10");
  std::vector<LastValueUpdate> updates = buffer.Take();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_TRUE(Recent(updates[0]).empty());
}

TEST(CacheOptionsTest, OutOfRangeOptionsNamed) {
  EXPECT_TRUE(CheckLastValueOptions({}).ok());
  EXPECT_NE(CheckLastValueOptions({.keep_last = 0}).message().find("keep_last"),
            std::string::npos);
  EXPECT_NE(CheckLastValueOptions({.keep_last = 101}).message().find("keep_last"),
            std::string::npos);
  EXPECT_NE(CheckLastValueOptions({.ttl_seconds = -1}).message().find("ttl_seconds"),
            std::string::npos);
  EXPECT_NE(CheckLastValueOptions({.max_pending_series = 0}).message().find("max_pending"),
            std::string::npos);
  EXPECT_TRUE(CheckLastValueOptions({.keep_last = 100}).ok());
}

}  // namespace
}  // namespace inflow
