// GET /last's query parameters (listeners/http/last_request.h).

#include "listeners/http/last_request.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "listeners/http/http_request.h"

namespace inflow::daemon {
namespace {

Status Parse(std::string_view query_string, LastValueQuery* query) {
  std::vector<std::pair<std::string, std::string>> params;
  if (Status status = ParseQueryString(query_string, &params); !status.ok()) return status;
  return ParseLastRequest(params, "telegraf", query);
}

TEST(LastRequestTest, ReadsEveryParameter) {
  LastValueQuery query;
  Status status =
      Parse("measurement=cpu&tag=host:h1&tag=url:http%3A//x:1&field=usage&field=idle&db=d&rp=r"
            "&last=3",
            &query);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(query.measurement, "cpu");
  // Split at the first ':': the value may hold more.
  EXPECT_EQ(query.tags, (std::vector<std::pair<std::string, std::string>>{
                            {"host", "h1"}, {"url", "http://x:1"}}));
  EXPECT_EQ(query.fields, (std::vector<std::string>{"usage", "idle"}));
  EXPECT_EQ(query.database, "d");
  EXPECT_EQ(query.retention_policy, "r");
  EXPECT_EQ(query.last, 3);
}

TEST(LastRequestTest, DefaultsToTheDatabaseGivenAndAnyRetentionPolicy) {
  LastValueQuery query;
  ASSERT_TRUE(Parse("measurement=cpu&db=&rp=", &query).ok());
  EXPECT_EQ(query.database, "telegraf");
  EXPECT_FALSE(query.retention_policy);
  EXPECT_EQ(query.last, 1);
  EXPECT_TRUE(query.tags.empty());
  EXPECT_TRUE(query.fields.empty());
}

TEST(LastRequestTest, ABadQueryIsNamed) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "measurement= is required"},
      {"measurement=", "a measurement is required"},
      {"measurement=a&measurement=b", "measurement=b: given twice"},
      {"measurement=a&rp=x&rp=y", "rp=y: given twice"},
      {"measurement=a&last=0", "last=0: last is a whole number from 1 to 100"},
      {"measurement=a&last=1x", "last=1x: last is a whole number from 1 to 100"},
      {"measurement=a&last=", "last=: last is a whole number from 1 to 100"},
      {"measurement=a&last=-1", "last=-1: last is a whole number from 1 to 100"},
      {"measurement=a&tag=host", "tag=host: a tag is asked for as KEY:VALUE"},
      {"measurement=a&tag=:v", "a tag needs a key (tag '=v')"},
      {"measurement=a&field=", "a field name cannot be empty"},
      {"measurement=a&limit=1", "limit=1: unknown parameter"},
  };
  for (const auto& [query_string, error] : cases) {
    LastValueQuery query;
    Status status = Parse(query_string, &query);
    EXPECT_FALSE(status.ok()) << query_string;
    EXPECT_TRUE(status.message().starts_with(error)) << query_string << ": " << status.message();
  }
}

TEST(LastRequestTest, DescribesWhatWasAsked) {
  LastValueQuery query;
  ASSERT_TRUE(Parse("measurement=cpu&tag=host:h1&tag=dc:x&field=f", &query).ok());
  EXPECT_EQ(DescribeLastQuery(query),
            "measurement \"cpu\" with tags host:h1, dc:x; fields f, in database \"telegraf\", "
            "any retention policy");
  ASSERT_TRUE(Parse("measurement=m&field=a&field=b&rp=autogen", &query).ok());
  EXPECT_EQ(DescribeLastQuery(query),
            "measurement \"m\" with fields a, b, in database \"telegraf\", retention policy "
            "\"autogen\"");
}

TEST(LastRequestTest, EachRecordIsOneLine) {
  // Initialized, not assigned: GCC 12 at -O3 reports a false -Wrestrict in
  // assigning a short literal to a std::string.
  const LastValueRecord record{.database = "d",
                               .retention_policy = "r",
                               .measurement = "m",
                               .tags = {},
                               .time_ns = 5,
                               .fields = {{"f", "1", 5}},
                               .recent = {}};
  const std::string line = FormatLastValueRecord(record);
  EXPECT_EQ(FormatLastValueLines({record, record}), line + "\n" + line + "\n");
  EXPECT_EQ(FormatLastValueLines({}), "");
}

}  // namespace
}  // namespace inflow::daemon
