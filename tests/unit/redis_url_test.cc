// ParseRedisUrl and RedisAddressFromEnvironment: the settings of the seed's
// RedisClient (host, port, password) as a URL or from the environment.

#include "inflow/redis_url.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "inflow/redis_client.h"

namespace inflow {
namespace {

RedisAddress Parse(std::string_view text) {
  RedisAddress address;
  Status status = ParseRedisUrl(text, &address);
  EXPECT_TRUE(status.ok()) << text << ": " << status.message();
  return address;
}

std::string Error(std::string_view text) {
  RedisAddress address;
  Status status = ParseRedisUrl(text, &address);
  EXPECT_FALSE(status.ok()) << text;
  return status.message();
}

// An environment of its own for each test, not the process's.
class FakeEnvironment {
 public:
  using Variables = std::map<std::string, std::string>;
  explicit FakeEnvironment(Variables variables) : variables_(std::move(variables)) {}
  GetEnvironment Getter() const {
    return [this](const char* name) -> const char* {
      auto it = variables_.find(name);
      return it == variables_.end() ? nullptr : it->second.c_str();
    };
  }

 private:
  Variables variables_;
};

TEST(RedisUrlTest, ParsesHostPortPasswordAndDb) {
  RedisAddress address = Parse("redis://:s3cret@cache.example:6380/2");
  EXPECT_EQ(address.host, "cache.example");
  EXPECT_EQ(address.port, 6380);
  EXPECT_EQ(address.username, "");
  EXPECT_EQ(address.password, "s3cret");
  EXPECT_EQ(address.db, 2);
  EXPECT_EQ(address.unix_socket, "");
  EXPECT_EQ(address.Name(), "cache.example:6380");
}

TEST(RedisUrlTest, DefaultsPortDbAndNoPassword) {
  RedisAddress address = Parse("redis://localhost");
  EXPECT_EQ(address.host, "localhost");
  EXPECT_EQ(address.port, 6379);
  EXPECT_EQ(address.db, 0);
  EXPECT_TRUE(address.password.empty());
  EXPECT_EQ(Parse("redis://localhost/").db, 0);
}

TEST(RedisUrlTest, ReadsUserAndPercentDecodedPassword) {
  RedisAddress address = Parse("redis://alice:p%40ss%3Aword@127.0.0.1");
  EXPECT_EQ(address.username, "alice");
  EXPECT_EQ(address.password, "p@ss:word");
  // The last '@' ends the user info, so a bare '@' in a password works too.
  EXPECT_EQ(Parse("redis://:a@b@host").password, "a@b");
}

TEST(RedisUrlTest, ReadsOneWordOfUserInfoAsThePasswordAsRedisCliDoes) {
  RedisAddress address = Parse("redis://secret@host");
  EXPECT_EQ(address.username, "");
  EXPECT_EQ(address.password, "secret");
}

TEST(RedisUrlTest, ParsesBracketedIpv6Host) {
  RedisAddress address = Parse("redis://[::1]:7000/1");
  EXPECT_EQ(address.host, "::1");
  EXPECT_EQ(address.port, 7000);
  EXPECT_EQ(address.db, 1);
  EXPECT_EQ(address.Name(), "[::1]:7000");
}

TEST(RedisUrlTest, ParsesUnixSocketWithPasswordAndDb) {
  RedisAddress address = Parse("unix:///run/redis/redis.sock");
  EXPECT_EQ(address.unix_socket, "/run/redis/redis.sock");
  EXPECT_EQ(address.db, 0);
  EXPECT_EQ(address.Name(), "/run/redis/redis.sock");

  address = Parse("unix://:pw@/tmp/r.sock?db=3");
  EXPECT_EQ(address.unix_socket, "/tmp/r.sock");
  EXPECT_EQ(address.password, "pw");
  EXPECT_EQ(address.db, 3);
}

TEST(RedisUrlTest, RefusesOtherSchemesNamingThem) {
  EXPECT_EQ(Error("http://localhost"), "Redis URL must start with redis:// or unix://");
  EXPECT_EQ(Error("localhost:6379"), "Redis URL must start with redis:// or unix://");
  EXPECT_NE(Error("rediss://localhost").find("TLS"), std::string::npos);
}

TEST(RedisUrlTest, RefusesBadPortsAndDbs) {
  EXPECT_EQ(Error("redis://host:0"), "Redis URL has an invalid port '0'");
  EXPECT_EQ(Error("redis://host:65536"), "Redis URL has an invalid port '65536'");
  EXPECT_EQ(Error("redis://host:"), "Redis URL has an empty port");
  EXPECT_EQ(Error("redis://host:12x"), "Redis URL has an invalid port '12x'");
  EXPECT_EQ(Error("redis://host/x"), "Redis URL path must be a database index, not 'x'");
  EXPECT_EQ(Error("redis://host/-1"), "Redis URL path must be a database index, not '-1'");
  EXPECT_EQ(Error("redis://host/1/2"), "Redis URL path must be a database index, not '1/2'");
  EXPECT_EQ(Error("unix:///tmp/r.sock?x=1"), "Redis URL query must be db=N, a database index");
}

TEST(RedisUrlTest, RefusesMalformedPiecesWithoutShowingThePassword) {
  EXPECT_EQ(Error("redis://"), "Redis URL has no host");
  EXPECT_EQ(Error("redis://:pw@:6379"), "Redis URL has no host");
  EXPECT_EQ(Error("redis://[::1"), "Redis URL has an unclosed '['");
  EXPECT_EQ(Error("redis://host?db=1"), "Redis URL may not have a query or fragment");
  std::string message = Error("redis://:hunter%zz@host");
  EXPECT_EQ(message, "Redis URL has a malformed %-escape in its password");
  EXPECT_EQ(message.find("hunter"), std::string::npos);
  EXPECT_EQ(Error("unix://"), "Redis URL unix:// needs an absolute socket path (unix:///path)");
  EXPECT_EQ(Error("unix:///"), "Redis URL unix:// has no socket path");
  EXPECT_EQ(Error("unix://host/tmp/r.sock"), "Redis URL unix:// takes no host: write unix:///path");
}

TEST(RedisEnvironmentTest, DefaultsToLocalhostWithoutPassword) {
  FakeEnvironment environment({});
  RedisAddress address;
  address.host = "left over";
  Status status = RedisAddressFromEnvironment(environment.Getter(), &address);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(address.Name(), "127.0.0.1:6379");
  EXPECT_TRUE(address.password.empty());
  EXPECT_EQ(address.db, 0);
}

TEST(RedisEnvironmentTest, ReadsHostPortAndPassword) {
  FakeEnvironment environment(
      {{"REDIS_HOST", "cache"}, {"REDIS_PORT", "6390"}, {"REDIS_PASSWORD", "pw"}});
  RedisAddress address;
  Status status = RedisAddressFromEnvironment(environment.Getter(), &address);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(address.host, "cache");
  EXPECT_EQ(address.port, 6390);
  EXPECT_EQ(address.password, "pw");
}

TEST(RedisEnvironmentTest, EmptyVariablesCountAsUnset) {
  FakeEnvironment environment({{"INFLOW_REDIS_URL", ""}, {"REDIS_HOST", ""}, {"REDIS_PORT", ""}});
  RedisAddress address;
  Status status = RedisAddressFromEnvironment(environment.Getter(), &address);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(address.Name(), "127.0.0.1:6379");
}

TEST(RedisEnvironmentTest, UrlWinsOverHostAndPort) {
  FakeEnvironment environment({{"INFLOW_REDIS_URL", "unix:///tmp/r.sock?db=4"},
                               {"REDIS_HOST", "ignored"},
                               {"REDIS_PORT", "1"},
                               {"REDIS_PASSWORD", "ignored"}});
  RedisAddress address;
  Status status = RedisAddressFromEnvironment(environment.Getter(), &address);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(address.unix_socket, "/tmp/r.sock");
  EXPECT_EQ(address.db, 4);
  EXPECT_TRUE(address.password.empty());
}

TEST(RedisEnvironmentTest, ErrorsNameTheVariable) {
  RedisAddress address;
  FakeEnvironment bad_port(FakeEnvironment::Variables{{"REDIS_PORT", "http"}});
  Status status = RedisAddressFromEnvironment(bad_port.Getter(), &address);
  EXPECT_EQ(status.message(), "REDIS_PORT must be a port from 1 to 65535, not 'http'");
  FakeEnvironment bad_url(FakeEnvironment::Variables{{"INFLOW_REDIS_URL", "localhost"}});
  status = RedisAddressFromEnvironment(bad_url.Getter(), &address);
  EXPECT_EQ(status.message(), "INFLOW_REDIS_URL: Redis URL must start with redis:// or unix://");
}

// What RedisClient::Save refuses and Read reports: checked without a server.
TEST(RedisJsonTest, AcceptsOneJsonValueOfAnyKind) {
  for (std::string_view json : {"{\"a\":[1,2.5,null]}", "[]", "\"text\"", "42", "true", "null",
                                " {\"padded\": 1}\n"}) {
    Status status = RedisClient::CheckJson(json);
    EXPECT_TRUE(status.ok()) << json << ": " << status.message();
  }
}

TEST(RedisJsonTest, RefusesTextThatIsNotExactlyOneJsonValue) {
  for (std::string_view text : {"", "   ", "{", "{\"a\":}", "[1,]", "plain", "'single'",
                                "{\"a\":1} {\"b\":2}", "1 2", "{\"a\":1}x"}) {
    Status status = RedisClient::CheckJson(text);
    EXPECT_FALSE(status.ok()) << "accepted: " << text;
    EXPECT_TRUE(status.message().starts_with("not a JSON value (")) << status.message();
  }
}

}  // namespace
}  // namespace inflow
