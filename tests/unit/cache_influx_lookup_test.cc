// The last-value lookup answered by InfluxDB, InfluxLastValueLookup, fed
// with answer bodies copied from a real influxd 1.6 (curl POST /query with
// epoch=ns, for the data noted above each): the statements of each round,
// their quoting, and the records made of the answers.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "inflow/last_value_influx.h"
#include "inflow/last_value_lookup.h"

namespace inflow {
namespace {

// influxd's answer to SHOW RETENTION POLICIES ON "db" for a database with
// autogen (its default) and "r\"p".
constexpr const char* kPolicies =
    R"({"results":[{"statement_id":0,"series":[{"columns":["name","duration",)"
    R"("shardGroupDuration","replicaN","default"],"values":[["autogen","0s","168h0m0s",1,true],)"
    R"(["r\"p","1h0m0s","1h0m0s",1,false]]}]}]})";

// The data of the answers below, written with /write?db=db:
//   m,host=h1,dc=x a=1.5,b=2i 1000
//   m,host=h1,dc=x a=2.5 2000
//   m,host=h2 b=7i,s="q\"t" 1500
//   m,host=h1,dc=x s="hi" 500
constexpr const char* kFieldKeys =
    R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":["fieldKey","fieldType"],)"
    R"("values":[["a","float"],["b","integer"],["s","string"]]}]}]})";
constexpr const char* kLasts =
    R"({"results":[{"statement_id":0,"series":[{"name":"m","tags":{"dc":"x","host":"h1"},)"
    R"("columns":["time","last"],"values":[[2000,2.5]]}]},{"statement_id":1,"series":[)"
    R"({"name":"m","tags":{"dc":"","host":"h2"},"columns":["time","last"],"values":[[1500,7]]},)"
    R"({"name":"m","tags":{"dc":"x","host":"h1"},"columns":["time","last"],"values":[[1000,2]]}]},)"
    R"({"statement_id":2,"series":[{"name":"m","tags":{"dc":"","host":"h2"},"columns":["time",)"
    R"("last"],"values":[[1500,"q\"t"]]},{"name":"m","tags":{"dc":"x","host":"h1"},)"
    R"("columns":["time","last"],"values":[[500,"hi"]]}]}]})";
// SELECT "a","b","s" ... GROUP BY * ORDER BY time DESC LIMIT 2, after kLasts'
// three statements.
constexpr const char* kRecent =
    R"({"statement_id":3,"series":[{"name":"m","tags":{"dc":"x","host":"h1"},)"
    R"("columns":["time","a","b","s"],"values":[[2000,2.5,null,null],[1000,1.5,2,null]]},)"
    R"({"name":"m","tags":{"dc":"","host":"h2"},"columns":["time","a","b","s"],)"
    R"("values":[[1500,null,7,"q\"t"]]}]})";

std::string LastsWithRecent() {
  std::string body = kLasts;
  body.resize(body.size() - 2);  // "]}"
  return body + "," + kRecent + "]}";
}

// Built, not assigned to: GCC 12 at -O3 reports a false -Wrestrict in
// `query.measurement = "m"` here.
LastValueQuery Query() {
  return LastValueQuery{.measurement = std::string("m"), .tags = {}, .fields = {},
                        .database = std::string("db"), .retention_policy = {}, .last = 1};
}

std::vector<std::string> Formatted(std::vector<LastValueRecord> records) {
  std::vector<std::string> out;
  for (const LastValueRecord& record : records) out.push_back(FormatLastValueRecord(record));
  return out;
}

void Answer(InfluxLastValueLookup* lookup, const std::string& want, const std::string& body) {
  ASSERT_FALSE(lookup->done());
  EXPECT_EQ(lookup->Statements(), want);
  Status status = lookup->OnAnswer(body);
  ASSERT_TRUE(status.ok()) << status.message();
}

TEST(CacheInfluxLookupTest, AsksPoliciesThenFieldsThenEachFieldsLast) {
  InfluxLastValueLookup lookup(Query());
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  Answer(&lookup, R"(SHOW FIELD KEYS FROM "autogen"."m")", kFieldKeys);
  Answer(&lookup,
         R"(SELECT last("a") FROM "autogen"."m" GROUP BY *;)"
         R"(SELECT last("b") FROM "autogen"."m" GROUP BY *;)"
         R"(SELECT last("s") FROM "autogen"."m" GROUP BY *)",
         kLasts);
  ASSERT_TRUE(lookup.done());
  EXPECT_EQ(lookup.Statements(), "");
  EXPECT_EQ(lookup.absent(), "");
  // One record per series, its fields merged from the statements, each with
  // its own time; the empty dc of h2 (GROUP BY * names every key) dropped.
  EXPECT_EQ(Formatted(lookup.TakeRecords()),
            (std::vector<std::string>{
                R"({"measurement":"m","tags":{"dc":"x","host":"h1"},"time":2000,)"
                R"("fields":{"a":2.5,"b":2,"s":"hi"},"field_times":{"a":2000,"b":1000,"s":500},)"
                R"("database":"db","retention_policy":"autogen"})",
                R"({"measurement":"m","tags":{"host":"h2"},"time":1500,)"
                R"("fields":{"b":7,"s":"q\"t"},"field_times":{"b":1500,"s":1500},)"
                R"("database":"db","retention_policy":"autogen"})"}));
}

TEST(CacheInfluxLookupTest, WithLastAlsoAsksTheRecentPoints) {
  LastValueQuery query = Query();
  query.last = 2;
  query.fields = {"a", "b", "s"};
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  // The fields named: no SHOW FIELD KEYS.
  Answer(&lookup,
         R"(SELECT last("a") FROM "autogen"."m" GROUP BY *;)"
         R"(SELECT last("b") FROM "autogen"."m" GROUP BY *;)"
         R"(SELECT last("s") FROM "autogen"."m" GROUP BY *;)"
         R"(SELECT "a","b","s" FROM "autogen"."m" GROUP BY * ORDER BY time DESC LIMIT 2)",
         LastsWithRecent());
  ASSERT_TRUE(lookup.done());
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 2u);
  // Nulls left out: each entry holds the fields its point has.
  EXPECT_EQ(records[0].recent, (std::vector<std::string>{R"({"time":2000,"fields":{"a":2.5}})",
                                                         R"({"time":1000,"fields":{"a":1.5,"b":2}})"}));
  EXPECT_EQ(records[1].recent,
            (std::vector<std::string>{R"({"time":1500,"fields":{"b":7,"s":"q\"t"}})"}));
}

TEST(CacheInfluxLookupTest, QuotesIdentifiersAndStrings) {
  std::string out;
  AppendInfluxIdentifier(R"(a"b\c)", &out);
  out.push_back(' ');
  AppendInfluxString(R"(it's \x")", &out);
  EXPECT_EQ(out, R"("a\"b\\c" 'it\'s \\x"')");

  LastValueQuery query;
  query.measurement = R"(q"m)";
  query.tags = {{R"(k"t)", R"(it's\\x)"}, {"h", "a b"}};
  query.fields = {R"(f"1)"};
  query.database = R"(d"b)";
  query.retention_policy = R"(r"p)";
  query.last = 3;
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "d\"b")", kPolicies);
  // Checked by hand against influxd: this WHERE finds the tag value it's\\x.
  EXPECT_EQ(lookup.Statements(),
            R"(SELECT last("f\"1") FROM "r\"p"."q\"m" WHERE "k\"t"='it\'s\\\\x' AND "h"='a b' )"
            R"(GROUP BY *;SELECT "f\"1" FROM "r\"p"."q\"m" WHERE "k\"t"='it\'s\\\\x' AND )"
            R"("h"='a b' GROUP BY * ORDER BY time DESC LIMIT 3)");
}

TEST(CacheInfluxLookupTest, DatabaseNotFoundIsNoErrorAndSaysSo) {
  LastValueQuery query = Query();
  query.database = "nodb";
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "nodb")",
         R"({"results":[{"statement_id":0,"error":"database not found: nodb"}]})");
  ASSERT_TRUE(lookup.done());
  EXPECT_EQ(lookup.absent(), "database not found: nodb");
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheInfluxLookupTest, PolicyNotFoundIsNoErrorAndSaysSo) {
  LastValueQuery query = Query();
  query.retention_policy = "nope";
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  ASSERT_TRUE(lookup.done());
  EXPECT_EQ(lookup.absent(), "retention policy not found: nope");
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheInfluxLookupTest, NamedPolicyIsUsed) {
  LastValueQuery query = Query();
  query.retention_policy = R"(r"p)";
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  EXPECT_EQ(lookup.Statements(), R"(SHOW FIELD KEYS FROM "r\"p"."m")");
}

TEST(CacheInfluxLookupTest, MeasurementWithoutFieldsFindsNothing) {
  InfluxLastValueLookup lookup(Query());
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  // influxd's answer for a measurement it does not have.
  Answer(&lookup, R"(SHOW FIELD KEYS FROM "autogen"."m")", R"({"results":[{"statement_id":0}]})");
  ASSERT_TRUE(lookup.done());
  EXPECT_EQ(lookup.absent(), "");
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheInfluxLookupTest, FieldWithoutSeriesAndNullValuesAreSkipped) {
  LastValueQuery query = Query();
  query.fields = {"a", "zz"};
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  // The second statement as influxd answers it for a field it lacks; the
  // null of the first is built here (influxd's last() gives none without a
  // time range), for the form's sake.
  Answer(&lookup,
         R"(SELECT last("a") FROM "autogen"."m" GROUP BY *;)"
         R"(SELECT last("zz") FROM "autogen"."m" GROUP BY *)",
         R"({"results":[{"statement_id":0,"series":[{"name":"m","tags":{"dc":"x","host":"h1"},)"
         R"("columns":["time","last"],"values":[[2000,2.5]]},{"name":"m","tags":{"host":"h3"},)"
         R"("columns":["time","last"],"values":[[0,null]]}]},{"statement_id":1}]})");
  EXPECT_EQ(Formatted(lookup.TakeRecords()),
            (std::vector<std::string>{
                R"({"measurement":"m","tags":{"dc":"x","host":"h1"},"time":2000,)"
                R"("fields":{"a":2.5},"field_times":{"a":2000},)"
                R"("database":"db","retention_policy":"autogen"})"}));
}

TEST(CacheInfluxLookupTest, StatementErrorIsAnErrorAndLeavesNoRecords) {
  InfluxLastValueLookup lookup(Query());
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  Status status = lookup.OnAnswer(
      R"({"results":[{"statement_id":0,"error":"retention policy not found: autogen"}]})");
  EXPECT_EQ(status.message(), "retention policy not found: autogen");
  EXPECT_TRUE(lookup.done());
  EXPECT_TRUE(lookup.TakeRecords().empty());
}

TEST(CacheInfluxLookupTest, QueryErrorAndBodyNotInInfluxDbsFormAreErrors) {
  {
    InfluxLastValueLookup lookup(Query());
    Status status = lookup.OnAnswer(
        R"({"error":"error parsing query: found FROM, expected identifier, string, number, )"
        R"(bool at line 1, char 62"})");
    EXPECT_EQ(status.message(),
              "error parsing query: found FROM, expected identifier, string, number, bool at "
              "line 1, char 62");
    EXPECT_TRUE(lookup.done());
  }
  {
    InfluxLastValueLookup lookup(Query());
    Status status = lookup.OnAnswer("<html>502</html>");
    EXPECT_EQ(status.message(), "InfluxDB's answer is not in its form: <html>502</html>");
    EXPECT_TRUE(lookup.done());
  }
  {
    InfluxLastValueLookup lookup(Query());
    Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
    // Two results to one statement.
    Status status = lookup.OnAnswer(
        R"({"results":[{"statement_id":0},{"statement_id":1}]})");
    EXPECT_EQ(status.message(), "InfluxDB answered 2 statements of 1");
    EXPECT_TRUE(lookup.done());
  }
}

TEST(CacheInfluxLookupTest, DatabaseWithoutDefaultPolicyIsAnError) {
  InfluxLastValueLookup lookup(Query());
  Status status = lookup.OnAnswer(
      R"({"results":[{"statement_id":0,"series":[{"columns":["name","duration",)"
      R"("shardGroupDuration","replicaN","default"],"values":[["x","1h0m0s","1h0m0s",1,false]]}]}]})");
  EXPECT_EQ(status.message(), "the database db has no default retention policy: name one");
  EXPECT_TRUE(lookup.done());
}

// `inflow last m --field a --field a`: the cache gives the field once; the
// fallback should too.
TEST(CacheInfluxLookupTest, FieldNamedTwiceIsGivenOnce) {
  LastValueQuery query = Query();
  query.fields = {"a", "a"};
  InfluxLastValueLookup lookup(query);
  Answer(&lookup, R"(SHOW RETENTION POLICIES ON "db")", kPolicies);
  std::string statements = lookup.Statements();
  const std::string one = R"({"statement_id":0,"series":[{"name":"m","tags":{"host":"h1"},)"
                          R"("columns":["time","last"],"values":[[2000,2.5]]}]})";
  std::string body = R"({"results":[)";
  body.append(one);
  size_t count = 1;
  for (size_t at = statements.find(';'); at != std::string::npos;
       at = statements.find(';', at + 1)) {
    body.push_back(',');
    body.append(one);
    ++count;
  }
  body += "]}";
  Status status = lookup.OnAnswer(body);
  ASSERT_TRUE(status.ok()) << status.message();
  std::vector<LastValueRecord> records = lookup.TakeRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].fields.size(), 1u) << count << " statements: " << statements;
}

}  // namespace
}  // namespace inflow
