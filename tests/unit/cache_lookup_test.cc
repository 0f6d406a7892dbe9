// The last-value cache's reader, LastValueLookup, driven with Redis replies
// built here: which commands it sends in which rounds, how it reads their
// replies, and the records it makes of them; FormatLastValueRecord's exact
// output; CheckLastValueQuery's errors. Keys are written out by hand in the
// layout's documented form (last_value_layout.h), not built by the code
// under test.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "inflow/last_value_lookup.h"
#include "inflow/redis_value.h"

namespace inflow {
namespace {

using Commands = std::vector<std::vector<std::string>>;

RedisValue Str(std::string text) {
  return RedisValue{RedisValue::Kind::kString, std::move(text), 0, {}};
}
RedisValue Err(std::string text) {
  return RedisValue{RedisValue::Kind::kError, std::move(text), 0, {}};
}
RedisValue Int(int64_t value) { return RedisValue{RedisValue::Kind::kInteger, "", value, {}}; }
RedisValue Arr(std::vector<RedisValue> elements) {
  return RedisValue{RedisValue::Kind::kArray, "", 0, std::move(elements)};
}
RedisValue Strings(const std::vector<std::string>& texts) {
  std::vector<RedisValue> elements;
  for (const std::string& text : texts) elements.push_back(Str(text));
  return Arr(std::move(elements));
}
// An SSCAN reply: the next cursor and the members.
RedisValue Scan(const std::string& cursor, const std::vector<std::string>& members) {
  return Arr({Str(cursor), Strings(members)});
}

// A series hash as HGETALL gives it: the series' tags (JSON), its time, and
// per field (name, value JSON, time).
struct HashField {
  std::string name;
  std::string json;
  int64_t time;
};
RedisValue Hash(const std::string& tags_json, int64_t time, const std::vector<HashField>& fields,
                const std::string& measurement_json = "\"m\"") {
  std::vector<std::string> flat = {"measurement", measurement_json, "tags", tags_json, "time",
                                   std::to_string(time)};
  for (const HashField& f : fields) {
    flat.insert(flat.end(), {"v:" + f.name, f.json, "t:" + f.name, std::to_string(f.time)});
  }
  return Strings(flat);
}

LastValueQuery Query(std::optional<std::string> database = "db",
                     std::optional<std::string> retention_policy = "rp") {
  LastValueQuery query;
  query.measurement = "m";
  query.database = std::move(database);
  query.retention_policy = std::move(retention_policy);
  return query;
}

// Runs one round: checks the commands, then gives the replies.
void Round(LastValueLookup* lookup, const Commands& want, const std::vector<RedisValue>& replies) {
  ASSERT_FALSE(lookup->done());
  EXPECT_EQ(lookup->Commands(), want);
  Status status = lookup->OnReplies(replies);
  ASSERT_TRUE(status.ok()) << status.message();
}

// A Redis of sets, hashes and lists held here, answering the lookup's five
// commands; SSCAN pages through a set `scan_count` members at a time, its
// cursor the offset. Every round's commands are kept.
struct FakeRedis {
  std::map<std::string, std::vector<std::string>> sets;
  std::map<std::string, RedisValue> hashes;
  std::map<std::string, std::vector<std::string>> lists;
  size_t scan_count = 1000;
  std::vector<Commands> rounds;

  RedisValue Answer(const std::vector<std::string>& command) const {
    const std::string& name = command[0];
    auto members = [&](const std::string& key) {
      auto it = sets.find(key);
      return it == sets.end() ? std::vector<std::string>{} : it->second;
    };
    if (name == "SMEMBERS") return Strings(members(command[1]));
    if (name == "SSCAN") {
      std::vector<std::string> all = members(command[1]);
      size_t start = std::stoul(command[2]);
      size_t end = std::min(all.size(), start + scan_count);
      return Scan(end == all.size() ? "0" : std::to_string(end),
                  std::vector<std::string>(all.begin() + static_cast<ptrdiff_t>(start),
                                           all.begin() + static_cast<ptrdiff_t>(end)));
    }
    if (name == "SINTER") {
      std::vector<std::string> first = members(command[1]);
      std::set<std::string> out(first.begin(), first.end());
      for (size_t i = 2; i < command.size(); ++i) {
        std::vector<std::string> other = members(command[i]);
        std::set<std::string> keep;
        for (const std::string& m : other) {
          if (out.contains(m)) keep.insert(m);
        }
        out = keep;
      }
      return Strings(std::vector<std::string>(out.begin(), out.end()));
    }
    if (name == "HGETALL") {
      auto it = hashes.find(command[1]);
      return it == hashes.end() ? Arr({}) : it->second;
    }
    if (name == "LRANGE") {
      auto it = lists.find(command[1]);
      if (it == lists.end()) return Arr({});
      size_t stop = std::min(it->second.size(), std::stoul(command[3]) + 1);
      return Strings(std::vector<std::string>(it->second.begin(),
                                              it->second.begin() + static_cast<ptrdiff_t>(stop)));
    }
    return Err("ERR unknown command '" + name + "'");
  }

  Status Run(LastValueLookup* lookup) {
    while (!lookup->done()) {
      Commands commands = lookup->Commands();
      rounds.push_back(commands);
      std::vector<RedisValue> replies;
      for (const auto& command : commands) replies.push_back(Answer(command));
      if (Status status = lookup->OnReplies(replies); !status.ok()) return status;
      if (rounds.size() > 10'000) return Status::Error("no end");
    }
    return Status::Ok();
  }
};

std::vector<std::string> Formatted(const std::vector<LastValueRecord>& records) {
  std::vector<std::string> out;
  for (const LastValueRecord& record : records) out.push_back(FormatLastValueRecord(record));
  return out;
}

TEST(CacheLookupTest, ScansTheIndexUntilCursorZeroAndReadsEachSeriesOnce) {
  LastValueLookup lookup("p:", Query());
  const std::string index = "p:index:2:db:2:rp:m";
  Round(&lookup, {{"SSCAN", index, "0", "COUNT", "1000"}},
        {Scan("17", {"m,host=h2", "m,host=h1"})});
  // SSCAN may give a member again: it is read once.
  Round(&lookup, {{"SSCAN", index, "17", "COUNT", "1000"}}, {Scan("5", {"m,host=h2"})});
  Round(&lookup, {{"SSCAN", index, "5", "COUNT", "1000"}},
        {Scan("0", {"m,host=h3", "m,host=h1"})});
  Round(&lookup,
        {{"HGETALL", "p:series:2:db:2:rp:m,host=h1"},
         {"HGETALL", "p:series:2:db:2:rp:m,host=h2"},
         {"HGETALL", "p:series:2:db:2:rp:m,host=h3"}},
        {Hash(R"({"host":"h1"})", 10, {{"a", "1.5", 10}}),
         Hash(R"({"host":"h2"})", 20, {{"a", "2", 20}}),
         Hash(R"({"host":"h3"})", 30, {{"a", "\"x\"", 30}})});
  ASSERT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.Commands().empty());
  EXPECT_EQ(Formatted(lookup.TakeRecords()),
            (std::vector<std::string>{
                R"({"measurement":"m","tags":{"host":"h1"},"time":10,"fields":{"a":1.5},)"
                R"("field_times":{"a":10},"database":"db","retention_policy":"rp"})",
                R"({"measurement":"m","tags":{"host":"h2"},"time":20,"fields":{"a":2},)"
                R"("field_times":{"a":20},"database":"db","retention_policy":"rp"})",
                R"({"measurement":"m","tags":{"host":"h3"},"time":30,"fields":{"a":"x"},)"
                R"("field_times":{"a":30},"database":"db","retention_policy":"rp"})"}));
}

TEST(CacheLookupTest, EmptyIndexEndsWithoutReads) {
  LastValueLookup lookup("p:", Query());
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}}, {Scan("0", {})});
  ASSERT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheLookupTest, TagsIntersectExactlyTheirTagSets) {
  LastValueQuery query = Query();
  query.tags = {{"host", "h1"}, {"dc", "x:y"}};
  LastValueLookup lookup("p:", query);
  Round(&lookup,
        {{"SINTER", "p:tag:2:db:2:rp:1:m:4:host:h1", "p:tag:2:db:2:rp:1:m:2:dc:x:y"}},
        {Strings({"m,dc=x:y,host=h1"})});
  Round(&lookup, {{"HGETALL", "p:series:2:db:2:rp:m,dc=x:y,host=h1"}},
        {Hash(R"({"dc":"x:y","host":"h1"})", 5, {{"a", "1", 5}})});
  ASSERT_TRUE(lookup.done());
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].tags, (std::vector<std::pair<std::string, std::string>>{
                                 {"dc", "x:y"}, {"host", "h1"}}));
}

TEST(CacheLookupTest, EmptyIntersectionEndsWithoutReads) {
  LastValueQuery query = Query();
  query.tags = {{"host", "h1"}};
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SINTER", "p:tag:2:db:2:rp:1:m:4:host:h1"}}, {Strings({})});
  ASSERT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheLookupTest, WithoutPolicyReadsTheCatalogAndKeepsTheQuerysDatabase) {
  LastValueLookup lookup("p:", Query("db", std::nullopt));
  // Members of other databases, and members not in the catalog's form (a
  // string without lengths, a length past the end, an integer), are passed
  // over.
  Round(&lookup, {{"SMEMBERS", "p:catalog"}},
        {Arr({Str("2:db:2:rp"), Str("5:other:2:rp"), Str("garbage"), Str("9:db:2:rp"),
              Int(7), Str("2:db:7:autogen")})});
  Round(&lookup,
        {{"SSCAN", "p:index:2:db:7:autogen:m", "0", "COUNT", "1000"},
         {"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}},
        {Scan("0", {"m"}), Scan("3", {})});
  // The finished place is not scanned again.
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "3", "COUNT", "1000"}}, {Scan("0", {"m"})});
  Round(&lookup, {{"HGETALL", "p:series:2:db:7:autogen:m"}, {"HGETALL", "p:series:2:db:2:rp:m"}},
        {Hash("{}", 1, {{"a", "1", 1}}), Hash("{}", 2, {{"a", "2", 2}})});
  ASSERT_TRUE(lookup.done());
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].retention_policy, "autogen");
  EXPECT_EQ(records[1].retention_policy, "rp");
}

TEST(CacheLookupTest, TheCatalogReadIsGivenBackAndAGivenCatalogIsNotRead) {
  LastValueQuery query = Query("db", std::nullopt);
  query.tags = {{"host", "h1"}};
  LastValueLookup first("p:", query);
  Round(&first, {{"SMEMBERS", "p:catalog"}},
        {Strings({"2:zz:2:rp", "2:db:7:autogen", "garbage", "2:db:2:rp"})});
  Round(&first,
        {{"SINTER", "p:tag:2:db:7:autogen:1:m:4:host:h1"},
         {"SINTER", "p:tag:2:db:2:rp:1:m:4:host:h1"}},
        {Strings({}), Strings({})});
  ASSERT_TRUE(first.done());
  // Every member of the cache's form, whatever the query asked, sorted.
  const LastValueCatalog expected = {{"db", "autogen"}, {"db", "rp"}, {"zz", "rp"}};
  ASSERT_TRUE(first.catalog_read().has_value());
  EXPECT_EQ(*first.catalog_read(), expected);
  // Given it, the next lookup starts with the series, filtered by its query.
  LastValueLookup second("p:", query, expected);
  Round(&second,
        {{"SINTER", "p:tag:2:db:7:autogen:1:m:4:host:h1"},
         {"SINTER", "p:tag:2:db:2:rp:1:m:4:host:h1"}},
        {Strings({}), Strings({})});
  ASSERT_TRUE(second.done());
  EXPECT_FALSE(second.catalog_read().has_value());
  // A query naming both never reads nor uses it.
  LastValueLookup third("p:", Query("db", "rp"), LastValueCatalog{{"db", "other"}});
  EXPECT_EQ(third.Commands(), (std::vector<std::vector<std::string>>{
                                  {"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}}));
}

TEST(CacheLookupTest, WithoutDatabaseReadsTheCatalogAndKeepsTheQuerysPolicy) {
  LastValueQuery query = Query(std::nullopt, "rp");
  query.tags = {{"host", "h1"}};
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SMEMBERS", "p:catalog"}},
        {Strings({"2:zz:2:rp", "2:db:7:autogen", "2:aa:2:rp"})});
  Round(&lookup,
        {{"SINTER", "p:tag:2:aa:2:rp:1:m:4:host:h1"}, {"SINTER", "p:tag:2:zz:2:rp:1:m:4:host:h1"}},
        {Strings({}), Strings({})});
  ASSERT_TRUE(lookup.done());
}

TEST(CacheLookupTest, WithNeitherReadsEveryPlaceOfTheCatalog) {
  LastValueLookup lookup("p:", Query(std::nullopt, std::nullopt));
  Round(&lookup, {{"SMEMBERS", "p:catalog"}}, {Strings({"2:db:7:autogen", "0::0:"})});
  Round(&lookup,
        {{"SSCAN", "p:index:0::0::m", "0", "COUNT", "1000"},
         {"SSCAN", "p:index:2:db:7:autogen:m", "0", "COUNT", "1000"}},
        {Scan("0", {}), Scan("0", {})});
  ASSERT_TRUE(lookup.done());
}

TEST(CacheLookupTest, CatalogWithoutTheQuerysPlaceEndsAtOnce) {
  LastValueLookup lookup("p:", Query("db", std::nullopt));
  Round(&lookup, {{"SMEMBERS", "p:catalog"}}, {Strings({"5:other:2:rp"})});
  ASSERT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.Commands().empty());
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheLookupTest, ErrorReplyNamesTheCommandAndKeyAndLeavesNoRecords) {
  LastValueLookup lookup("p:", Query());
  ASSERT_EQ(lookup.Commands().size(), 1u);
  Status status = lookup.OnReplies(
      std::vector<RedisValue>{Err("WRONGTYPE Operation against a key holding the wrong kind of value")});
  EXPECT_EQ(status.message(),
            "SSCAN 'p:index:2:db:2:rp:m': WRONGTYPE Operation against a key holding the wrong "
            "kind of value");
  EXPECT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.Commands().empty());
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheLookupTest, ErrorAmongTheReadsDropsTheRecordsAlreadyMade) {
  LastValueQuery query = Query();
  query.last = 2;
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}},
        {Scan("0", {"m,k=1", "m,k=2"})});
  ASSERT_EQ(lookup.Commands().size(), 4u);
  Status status = lookup.OnReplies(std::vector<RedisValue>{
      Hash(R"({"k":"1"})", 1, {{"a", "1", 1}}), Strings({R"({"time":1,"fields":{"a":1}})"}),
      Hash(R"({"k":"2"})", 1, {{"a", "1", 1}}), Err("ERR out of memory")});
  EXPECT_EQ(status.message(), "LRANGE 'p:recent:2:db:2:rp:m,k=2': ERR out of memory");
  EXPECT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheLookupTest, ReplyOfTheWrongShapeIsAnErrorNamingTheCommand) {
  struct Case {
    LastValueQuery query;
    RedisValue reply;
    std::string message;
  };
  LastValueQuery with_tag = Query();
  with_tag.tags = {{"k", "v"}};
  std::vector<Case> cases = {
      {Query(std::nullopt, std::nullopt), Str("x"),
       "SMEMBERS 'p:catalog': the cache's layout was not found there: not an array"},
      {Query(), Strings({"0"}),
       "SSCAN 'p:index:2:db:2:rp:m': the cache's layout was not found there: not a cursor and "
       "members"},
      {with_tag, Int(3),
       "SINTER 'p:tag:2:db:2:rp:1:m:1:k:v': the cache's layout was not found there: not an "
       "array"},
  };
  for (const Case& c : cases) {
    LastValueLookup lookup("p:", c.query);
    lookup.Commands();
    Status status = lookup.OnReplies(std::vector<RedisValue>{c.reply});
    EXPECT_EQ(status.message(), c.message);
    EXPECT_TRUE(lookup.done());
  }
}

TEST(CacheLookupTest, HashNotInTheLayoutIsAnError) {
  struct Case {
    RedisValue hash;
    std::string why;
  };
  std::vector<Case> cases = {
      {Strings({"time"}), "not a hash"},
      {Strings({"tags", "{}", "v:a", "1", "t:a", "1"}), "no time"},
      {Strings({"time", "01", "tags", "{}"}), "a bad time"},
      {Strings({"time", "1", "tags", "[1]"}), "bad tags"},
      {Strings({"time", "1", "tags", "{}", "v:a", "1", "t:a", "x"}), "a bad time for field a"},
      {Strings({"time", "1", "tags", "{}", "t:a", "1"}), "no value for field a"},
  };
  for (const Case& c : cases) {
    LastValueLookup lookup("p:", Query());
    Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}},
          {Scan("0", {"m"})});
    lookup.Commands();
    Status status = lookup.OnReplies(std::vector<RedisValue>{c.hash});
    EXPECT_EQ(status.message(),
              "HGETALL 'p:series:2:db:2:rp:m': the cache's layout was not found there: " + c.why);
    EXPECT_TRUE(lookup.done());
    EXPECT_TRUE(lookup.TakeRecords().empty());
  }
}

TEST(CacheLookupTest, WrongNumberOfRepliesIsAnError) {
  LastValueLookup lookup("p:", Query());
  lookup.Commands();
  Status status = lookup.OnReplies(std::vector<RedisValue>{Scan("0", {}), Scan("0", {})});
  EXPECT_EQ(status.message(), "2 replies to 1 commands");
  EXPECT_TRUE(lookup.done());
}

TEST(CacheLookupTest, ExpiredHashIsSkippedWithItsRecentList) {
  LastValueQuery query = Query();
  query.last = 3;
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}},
        {Scan("0", {"m,k=1", "m,k=2", "m,k=3"})});
  Round(&lookup,
        {{"HGETALL", "p:series:2:db:2:rp:m,k=1"},
         {"LRANGE", "p:recent:2:db:2:rp:m,k=1", "0", "2"},
         {"HGETALL", "p:series:2:db:2:rp:m,k=2"},
         {"LRANGE", "p:recent:2:db:2:rp:m,k=2", "0", "2"},
         {"HGETALL", "p:series:2:db:2:rp:m,k=3"},
         {"LRANGE", "p:recent:2:db:2:rp:m,k=3", "0", "2"}},
        {Hash(R"({"k":"1"})", 1, {{"a", "1", 1}}), Strings({R"({"time":1,"fields":{"a":1}})"}),
         // Expired between the scan and the read; its list not yet.
         Arr({}), Strings({R"({"time":2,"fields":{"a":2}})"}),
         Hash(R"({"k":"3"})", 3, {{"a", "3", 3}}), Strings({R"({"time":3,"fields":{"a":3}})"})});
  ASSERT_TRUE(lookup.done());
  EXPECT_EQ(Formatted(lookup.TakeRecords()),
            (std::vector<std::string>{
                R"({"measurement":"m","tags":{"k":"1"},"time":1,"fields":{"a":1},)"
                R"("field_times":{"a":1},"recent":[{"time":1,"fields":{"a":1}}],)"
                R"("database":"db","retention_policy":"rp"})",
                R"({"measurement":"m","tags":{"k":"3"},"time":3,"fields":{"a":3},)"
                R"("field_times":{"a":3},"recent":[{"time":3,"fields":{"a":3}}],)"
                R"("database":"db","retention_policy":"rp"})"}));
}

TEST(CacheLookupTest, FieldFilterKeepsThoseFieldsWithTheLatestOfTheirTimes) {
  LastValueQuery query = Query();
  query.fields = {"c", "a", "absent"};
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}},
        {Scan("0", {"m,k=1", "m,k=2"})});
  Round(&lookup, {{"HGETALL", "p:series:2:db:2:rp:m,k=1"}, {"HGETALL", "p:series:2:db:2:rp:m,k=2"}},
        {Hash(R"({"k":"1"})", 300, {{"a", "1.5", 100}, {"b", "2", 300}, {"c", "true", 200}}),
         // None of the fields asked for: no record.
         Hash(R"({"k":"2"})", 400, {{"b", "7", 400}})});
  ASSERT_TRUE(lookup.done());
  EXPECT_EQ(Formatted(lookup.TakeRecords()),
            (std::vector<std::string>{
                R"({"measurement":"m","tags":{"k":"1"},"time":200,"fields":{"a":1.5,"c":true},)"
                R"("field_times":{"a":100,"c":200},"database":"db","retention_policy":"rp"})"}));
}

TEST(CacheLookupTest, WithoutFieldFilterTheTimeIsTheSeries) {
  LastValueLookup lookup("p:", Query());
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}}, {Scan("0", {"m"})});
  // The series' time may be later than every field's (a point of fields
  // already newer elsewhere never lowers it; the hash holds it as written).
  Round(&lookup, {{"HGETALL", "p:series:2:db:2:rp:m"}},
        {Hash("{}", 900, {{"b", "2", 300}, {"a", "1", 100}})});
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].time_ns, 900);
  ASSERT_EQ(records[0].fields.size(), 2u);
  EXPECT_EQ(records[0].fields[0].name, "a");  // by name
  EXPECT_EQ(records[0].fields[1].name, "b");
}

TEST(CacheLookupTest, RecentEntriesAreReadWholeWithFieldsAndCutToLast) {
  LastValueQuery query = Query();
  query.last = 2;
  query.fields = {"a", "c"};
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}}, {Scan("0", {"m"})});
  // The list is read whole (as many as keep_last can keep): its newest
  // entries may lack the fields asked for.
  Round(&lookup,
        {{"HGETALL", "p:series:2:db:2:rp:m"}, {"LRANGE", "p:recent:2:db:2:rp:m", "0", "99"}},
        {Hash("{}", 400, {{"a", "2.5", 300}, {"b", "9", 400}, {"c", "\"s\"", 100}}),
         Strings({R"({"time":400,"fields":{"b":9}})",
                  R"({"time":300,"fields":{"a":2.5,"b":8}})",
                  R"({"time":200, "fields": {"b":7, "a":-1e-7}})",
                  R"({"time":100,"fields":{"c":"s \"q\"","a":1}})"})});
  ASSERT_TRUE(lookup.done());
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 1u);
  // The entry without a or c is left out; the others keep a and c alone,
  // their values as stored; the two newest of them.
  EXPECT_EQ(records[0].recent,
            (std::vector<std::string>{R"({"time":300,"fields":{"a":2.5}})",
                                      R"({"time":200,"fields":{"a":-1e-7}})"}));
}

TEST(CacheLookupTest, RecentEntriesWithoutFieldFilterAreAsStored) {
  LastValueQuery query = Query();
  query.last = 2;
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}}, {Scan("0", {"m"})});
  Round(&lookup,
        {{"HGETALL", "p:series:2:db:2:rp:m"}, {"LRANGE", "p:recent:2:db:2:rp:m", "0", "1"}},
        {Hash("{}", 2, {{"a", "2", 2}}),
         Strings({R"({"time":2,"fields":{"a":2}})", R"({"time":1, "fields":{"a":1,"b":0}})"})});
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].recent, (std::vector<std::string>{R"({"time":2,"fields":{"a":2}})",
                                                         R"({"time":1, "fields":{"a":1,"b":0}})"}));
}

TEST(CacheLookupTest, RecentEntryNotInTheLayoutIsAnErrorWithFieldFilter) {
  LastValueQuery query = Query();
  query.last = 2;
  query.fields = {"a"};
  LastValueLookup lookup("p:", query);
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}}, {Scan("0", {"m"})});
  lookup.Commands();
  Status status = lookup.OnReplies(std::vector<RedisValue>{
      Hash("{}", 2, {{"a", "2", 2}}), Strings({R"({"fields":{"a":2}})"})});
  EXPECT_EQ(status.message(),
            "LRANGE 'p:recent:2:db:2:rp:m': the cache's layout was not found there: a bad entry");
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheLookupTest, ReadsSeriesInRoundsOfFiveHundred) {
  constexpr int kSeries = 1234;
  FakeRedis redis;
  redis.scan_count = 1000;
  const std::string index = "p:index:2:db:2:rp:m";
  for (int s = 0; s < kSeries; ++s) {
    std::string key = "m,k=" + std::to_string(s);
    redis.sets[index].push_back(key);
    redis.hashes["p:series:2:db:2:rp:" + key] =
        Hash(R"({"k":")" + std::to_string(s) + "\"}", s, {{"a", std::to_string(s), s}});
    redis.lists["p:recent:2:db:2:rp:" + key] = {R"({"time":)" + std::to_string(s) +
                                                R"(,"fields":{"a":0}})"};
  }
  for (int last : {1, 2}) {
    SCOPED_TRACE("last " + std::to_string(last));
    redis.rounds.clear();
    LastValueQuery query = Query();
    query.last = last;
    LastValueLookup lookup("p:", query);
    Status status = redis.Run(&lookup);
    ASSERT_TRUE(status.ok()) << status.message();
    // Two SSCAN rounds (1000 and 234), then 500, 500 and 234 series.
    ASSERT_EQ(redis.rounds.size(), 5u);
    EXPECT_EQ(redis.rounds[0].size(), 1u);
    EXPECT_EQ(redis.rounds[1], (Commands{{"SSCAN", index, "1000", "COUNT", "1000"}}));
    const size_t per_series = static_cast<size_t>(last);
    EXPECT_EQ(redis.rounds[2].size(), 500 * per_series);
    EXPECT_EQ(redis.rounds[3].size(), 500 * per_series);
    EXPECT_EQ(redis.rounds[4].size(), 234 * per_series);
    std::set<std::string> read;
    for (size_t r = 2; r < 5; ++r) {
      for (const auto& command : redis.rounds[r]) {
        if (command[0] == "HGETALL") {
          EXPECT_TRUE(read.insert(command[1]).second) << command[1];
        }
      }
    }
    EXPECT_EQ(read.size(), static_cast<size_t>(kSeries));
    std::vector<LastValueRecord> records = lookup.TakeRecords();
    ASSERT_EQ(records.size(), static_cast<size_t>(kSeries));
    for (const LastValueRecord& record : records) {
      EXPECT_EQ(record.recent.size(), last == 1 ? 0u : 1u);
    }
  }
}

TEST(CacheLookupTest, RecordsAreSortedByDatabasePolicyAndSeriesKey) {
  FakeRedis redis;
  redis.sets["p:catalog"] = {"2:zz:2:rp", "2:aa:2:rp", "2:aa:1:b"};
  // Scanned in an order of their own, one member a round.
  redis.scan_count = 1;
  // By series key, `m,k=a+b` (0x2b) comes before `m,k=a,x=1` (0x2c).
  const std::vector<std::string> keys = {"m,k=b", "m,k=a,x=1", "m,k=a+b", "m,k=a"};
  for (const char* place : {"2:zz:2:rp:", "2:aa:2:rp:", "2:aa:1:b:"}) {
    redis.sets[std::string("p:index:") + place + "m"] = keys;
    for (const std::string& key : keys) {
      redis.hashes[std::string("p:series:") + place + key] =
          Hash("{}", 1, {{"a", "\"" + std::string(place) + key + "\"", 1}});
    }
  }
  LastValueLookup lookup("p:", Query(std::nullopt, std::nullopt));
  Status status = redis.Run(&lookup);
  ASSERT_TRUE(status.ok()) << status.message();
  std::vector<std::string> order;
  for (const LastValueRecord& record : lookup.TakeRecords()) {
    order.push_back(record.database + "/" + record.retention_policy + " " +
                    record.fields.at(0).json);
  }
  EXPECT_EQ(order, (std::vector<std::string>{
                       R"(aa/b "2:aa:1:b:m,k=a")", R"(aa/b "2:aa:1:b:m,k=a+b")",
                       R"(aa/b "2:aa:1:b:m,k=a,x=1")", R"(aa/b "2:aa:1:b:m,k=b")",
                       R"(aa/rp "2:aa:2:rp:m,k=a")", R"(aa/rp "2:aa:2:rp:m,k=a+b")",
                       R"(aa/rp "2:aa:2:rp:m,k=a,x=1")", R"(aa/rp "2:aa:2:rp:m,k=b")",
                       R"(zz/rp "2:zz:2:rp:m,k=a")", R"(zz/rp "2:zz:2:rp:m,k=a+b")",
                       R"(zz/rp "2:zz:2:rp:m,k=a,x=1")", R"(zz/rp "2:zz:2:rp:m,k=b")"}));
}

TEST(CacheLookupTest, TagsAreReadUnescapedAndSortedByKey) {
  LastValueLookup lookup("p:", Query());
  Round(&lookup, {{"SSCAN", "p:index:2:db:2:rp:m", "0", "COUNT", "1000"}},
        {Scan("0", {R"(m,a=x\ y,z=\=)"})});
  Round(&lookup, {{"HGETALL", R"(p:series:2:db:2:rp:m,a=x\ y,z=\=)"}},
        {Hash(R"({"z":"=", "a":"x y", "q\"\u00e9":"\\"})", 1, {{"a", "1", 1}})});
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].tags, (std::vector<std::pair<std::string, std::string>>{
                                 {"a", "x y"}, {"q\"\xc3\xa9", "\\"}, {"z", "="}}));
}

TEST(CacheLookupTest, FormatsTheRecordWithEveryNameEscaped) {
  LastValueRecord record;
  record.database = "d\"b";
  record.retention_policy = "r\\p";
  record.measurement = "m \"q\" \\ \x01";
  record.tags = {{"h\"k", "v\\1"}, {"t", "\n"}};
  record.time_ns = -5;
  record.fields = {{"f\"1", "1.5", -7}, {"s", "\"x \\\" y\"", 3}};
  record.recent = {R"({"time":3,"fields":{"s":"x"}})", R"({"time":-7,"fields":{"f\"1":1.5}})"};
  EXPECT_EQ(FormatLastValueRecord(record),
            R"({"measurement":"m \"q\" \\ \u0001","tags":{"h\"k":"v\\1","t":"\u000a"},)"
            R"("time":-5,"fields":{"f\"1":1.5,"s":"x \" y"},"field_times":{"f\"1":-7,"s":3},)"
            R"("recent":[{"time":3,"fields":{"s":"x"}},{"time":-7,"fields":{"f\"1":1.5}}],)"
            R"("database":"d\"b","retention_policy":"r\\p"})");
}

TEST(CacheLookupTest, FormatsARecordWithoutTagsFieldsOrRecent) {
  LastValueRecord record;
  record.measurement = "m";
  EXPECT_EQ(FormatLastValueRecord(record),
            R"({"measurement":"m","tags":{},"time":0,"fields":{},"field_times":{},)"
            R"("database":"","retention_policy":""})");
}

TEST(CacheLookupTest, CheckNamesWhatIsWrongWithTheQuery) {
  auto check = [](LastValueQuery query) { return CheckLastValueQuery(query).message(); };
  EXPECT_TRUE(CheckLastValueQuery(Query()).ok());
  EXPECT_EQ(check(LastValueQuery{}), "a measurement is required");
  LastValueQuery query = Query();
  query.last = 0;
  EXPECT_EQ(check(query), "last must be 1..100, not 0");
  query.last = 101;
  EXPECT_EQ(check(query), "last must be 1..100, not 101");
  query.last = 100;
  EXPECT_TRUE(CheckLastValueQuery(query).ok());
  query.tags = {{"", "v"}};
  EXPECT_EQ(check(query), "a tag needs a key (tag '=v')");
  query.tags = {{"k", ""}};
  EXPECT_TRUE(CheckLastValueQuery(query).ok());
  query.fields = {"a", ""};
  EXPECT_EQ(check(query), "a field name cannot be empty");
}

}  // namespace
}  // namespace inflow
