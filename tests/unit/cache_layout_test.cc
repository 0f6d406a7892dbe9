// The last-value cache's keys, its times as text, and its script's name.

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "inflow/last_value_layout.h"
#include "inflow/last_value_script.h"
#include "inflow/sha1.h"

namespace inflow {
namespace {

std::string TimeText(int64_t t) {
  std::string out;
  AppendTimeText(t, &out);
  return out;
}

TEST(CacheLayoutTest, KeysCarryPrefixAndLengthPrefixedParts) {
  LastValueKeys keys = MakeLastValueKeys("inflow:", "telegraf", "autogen", "cpu,host=h1", "cpu",
                                         {{"host", "h1"}, {"zone", "a:b"}});
  EXPECT_EQ(keys.series, "inflow:series:8:telegraf:7:autogen:cpu,host=h1");
  EXPECT_EQ(keys.recent, "inflow:recent:8:telegraf:7:autogen:cpu,host=h1");
  EXPECT_EQ(keys.catalog, "inflow:catalog");
  EXPECT_EQ(keys.index, "inflow:index:8:telegraf:7:autogen:cpu");
  EXPECT_EQ(keys.tag_indexes, (std::vector<std::string>{
                                  "inflow:tag:8:telegraf:7:autogen:3:cpu:4:host:h1",
                                  "inflow:tag:8:telegraf:7:autogen:3:cpu:4:zone:a:b"}));
  EXPECT_EQ(MakeLastValueKeys("", "", "", "m", "m", {}).series, "series:0::0::m");
  EXPECT_EQ(LastValueSeriesKey("inflow:", "telegraf", "autogen", "cpu,host=h1"), keys.series);
  EXPECT_EQ(LastValueRecentKey("inflow:", "telegraf", "autogen", "cpu,host=h1"), keys.recent);
  EXPECT_EQ(LastValueIndexKey("inflow:", "telegraf", "autogen", "cpu"), keys.index);
  EXPECT_EQ(LastValueTagIndexKey("inflow:", "telegraf", "autogen", "cpu", "host", "h1"),
            keys.tag_indexes[0]);
}

TEST(CacheLayoutTest, ColonsInNamesNeverMakeTwoSeriesShareAKey) {
  // Each triple would give the same key if the parts were only joined by ':'.
  struct Names { const char* db; const char* rp; const char* series; };
  std::vector<Names> names = {
      {"a:b", "c", "m"}, {"a", "b:c", "m"}, {"a", "b", "c:m"}, {"a:b:c", "", "m"},
      {"", "a:b:c", "m"}, {"a", "", "b:c:m"}, {"a:", "b", "c:m"}, {"1:a", "1", "b:m"},
  };
  std::set<std::string> series, indexes, members;
  for (const Names& n : names) {
    LastValueKeys keys = MakeLastValueKeys("p:", n.db, n.rp, n.series, n.series, {});
    EXPECT_TRUE(series.insert(keys.series).second) << keys.series;
    EXPECT_TRUE(indexes.insert(keys.index).second) << keys.index;
    EXPECT_TRUE(members.insert(LastValueCatalogMember(n.db, n.rp)).second);
  }
  // Tag sets: the measurement, the tag key and its value, any of them with ':'.
  std::set<std::string> tag_sets;
  for (auto [m, k, v] : std::vector<std::array<const char*, 3>>{
           {"a:b", "c", "d"}, {"a", "b:c", "d"}, {"a", "b", "c:d"}, {"a:b:c", "", "d"}}) {
    std::string key = LastValueTagIndexKey("p:", "db", "rp", m, k, v);
    EXPECT_TRUE(tag_sets.insert(key).second) << key;
  }
}

TEST(CacheLayoutTest, CatalogMembersReadBackAsTheyWereWritten) {
  for (auto [db, rp] : std::vector<std::pair<std::string, std::string>>{
           {"telegraf", "autogen"}, {"", ""}, {"a:b", "1:c"}, {"12:x", ":"}}) {
    std::string member = LastValueCatalogMember(db, rp);
    std::string read_db = "?";
    std::string read_rp = "?";
    ASSERT_TRUE(ParseLastValueCatalogMember(member, &read_db, &read_rp)) << member;
    EXPECT_EQ(read_db, db);
    EXPECT_EQ(read_rp, rp);
  }
  EXPECT_EQ(LastValueCatalogMember("telegraf", "autogen"), "8:telegraf:7:autogen");
  std::string db;
  std::string rp;
  for (std::string_view bad : {"", "8:telegraf", "8:telegraf:7:autogenx", "9:telegraf:7:autogen",
                               "x:a:1:b", "1:a:1:b:", "-1:a:1:b", "99999999999:a:1:b"}) {
    EXPECT_FALSE(ParseLastValueCatalogMember(bad, &db, &rp)) << bad;
  }
}

TEST(CacheLayoutTest, TimesWrittenInDecimalWithoutLeadingZeros) {
  EXPECT_EQ(TimeText(0), "0");
  EXPECT_EQ(TimeText(1475848864000000000), "1475848864000000000");
  EXPECT_EQ(TimeText(-1), "-1");
  EXPECT_EQ(TimeText(std::numeric_limits<int64_t>::min()), "-9223372036854775808");
  for (const char* good : {"0", "7", "-7", "10", "-9223372036854775808"}) {
    EXPECT_TRUE(IsTimeText(good)) << good;
  }
  for (const char* bad : {"", "-", "-0", "01", "+1", "1.0", "1e3", " 1", "1a", "--1"}) {
    EXPECT_FALSE(IsTimeText(bad)) << bad;
  }
}

TEST(CacheLayoutTest, TimeTextComparesAsTheNumbersDo) {
  // Pairs that comparing as doubles, or as plain strings, would get wrong.
  std::vector<int64_t> times = {
      std::numeric_limits<int64_t>::min(), -1475848864000000001, -1475848864000000000,
      -100, -99, -10, -9, -1, 0, 1, 9, 10, 99, 100,
      1475848864000000000, 1475848864000000001, 1475848864000000255,
      std::numeric_limits<int64_t>::max()};
  for (int64_t a : times) {
    for (int64_t b : times) {
      int expected = a < b ? -1 : (a > b ? 1 : 0);
      int got = CompareTimeText(TimeText(a), TimeText(b));
      EXPECT_EQ((got > 0) - (got < 0), expected) << a << " vs " << b;
    }
  }
}

TEST(CacheLayoutTest, Sha1MatchesTheStandardsVectors) {
  EXPECT_EQ(Sha1Hex(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(Sha1Hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(Sha1Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
  EXPECT_EQ(Sha1Hex(std::string(1000000, 'a')), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
  // 55 and 56 bytes: the length still fits in the last block, and no longer.
  EXPECT_EQ(Sha1Hex(std::string(55, 'a')), "c1c8bbdc22796e28c0e15163d20899b65621d65a");
  EXPECT_EQ(Sha1Hex(std::string(56, 'a')), "c2db330f6083854c99d4b5bfb6e8f29f201be699");
}

TEST(CacheLayoutTest, ScriptIsNamedByItsSha1) {
  EXPECT_EQ(LastValueScriptSha1(), Sha1Hex(LastValueScript()));
  EXPECT_EQ(LastValueScriptSha1().size(), 40u);
}

}  // namespace
}  // namespace inflow
