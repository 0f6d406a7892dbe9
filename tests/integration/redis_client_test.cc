// RedisClient against a real redis-server (tests/support's RedisServer):
// the seed's save_in_redis, safe_read_from_redis and
// save_in_redis_with_expiration, and what happens around them (passwords,
// unix sockets, restarts, keys holding something else).

#include "inflow/redis_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "support/redis_server.h"

namespace inflow {
namespace {

using std::chrono::milliseconds;
using test::RedisServer;

RedisOptions TcpOptions(const RedisServer& server) {
  RedisOptions options;
  options.address.host = server.host();
  options.address.port = server.port();
  options.address.password = server.password();
  return options;
}

std::unique_ptr<RedisClient> ConnectOrFail(const RedisOptions& options) {
  std::unique_ptr<RedisClient> client;
  Status status = RedisClient::Connect(options, &client);
  EXPECT_TRUE(status.ok()) << status.message();
  return client;
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// One server for the suite; each test uses keys of its own.
class RedisClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    server_ = new RedisServer();
    Status status = server_->Start();
    ASSERT_TRUE(status.ok()) << status.message();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    client_ = ConnectOrFail(TcpOptions(*server_));
    ASSERT_NE(client_, nullptr);
  }

  // The reply to a command sent on a connection of the test's own.
  static std::string Raw(const std::vector<std::string>& args) {
    std::string reply;
    Status status = server_->Command(args, &reply);
    EXPECT_TRUE(status.ok()) << status.message();
    return reply;
  }

  static RedisServer* server_;
  std::unique_ptr<RedisClient> client_;
};

RedisServer* RedisClientTest::server_ = nullptr;

TEST_F(RedisClientTest, ReadsBackWhatWasSaved) {
  const std::string json = R"({"temperature": 21.5, "tags": ["a", "b"], "ok": true})";
  Status status = client_->Save("saved", json);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(Raw({"GET", "saved"}), json);

  std::optional<std::string> read;
  status = client_->Read("saved", &read);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(*read, json);
}

TEST_F(RedisClientTest, SaveReplacesTheValueAndKeysMayHoldAnyBytes) {
  const std::string key("bin\0key\n", 8);
  ASSERT_TRUE(client_->Save(key, "1").ok());
  ASSERT_TRUE(client_->Save(key, "[2]").ok());
  std::optional<std::string> read;
  Status status = client_->Read(key, &read);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(read, std::optional<std::string>("[2]"));
}

TEST_F(RedisClientTest, ReadsNothingForAnAbsentKey) {
  ASSERT_EQ(Raw({"EXISTS", "absent"}), "0");
  std::optional<std::string> read = "left over";
  Status status = client_->Read("absent", &read);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(read, std::nullopt);
}

TEST_F(RedisClientTest, SaveWithExpirationGivesTheKeyATimeToLive) {
  Status status = client_->SaveWithExpiration("expiring", "{\"v\":1}", std::chrono::seconds(1));
  ASSERT_TRUE(status.ok()) << status.message();
  // PTTL: the milliseconds left; -1 would be a key without expiry, -2 none.
  long ttl = std::stol(Raw({"PTTL", "expiring"}));
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 1000);

  // A plain Save afterwards removes the expiry, as SET does.
  ASSERT_TRUE(client_->Save("expiring", "{\"v\":2}").ok());
  EXPECT_EQ(Raw({"PTTL", "expiring"}), "-1");
}

TEST_F(RedisClientTest, SaveWithExpirationRefusesZeroSecondsAndSendsNothing) {
  Status status = client_->SaveWithExpiration("never", "1", std::chrono::seconds(0));
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status.message(), "at least 1s")) << status.message();
  EXPECT_EQ(Raw({"EXISTS", "never"}), "0");
}

TEST_F(RedisClientTest, RefusesInvalidJsonAndStoresNothing) {
  ASSERT_TRUE(client_->Save("kept", "\"before\"").ok());
  for (std::string_view bad : {"{\"a\":", "plain text", "1 2", ""}) {
    Status status = client_->Save("kept", bad);
    EXPECT_FALSE(status.ok()) << "accepted: " << bad;
    EXPECT_TRUE(Contains(status.message(), "not a JSON value")) << status.message();
    EXPECT_TRUE(Contains(status.message(), "SET 'kept'")) << status.message();
    EXPECT_TRUE(Contains(status.message(), "nothing was stored")) << status.message();
  }
  EXPECT_EQ(Raw({"GET", "kept"}), "\"before\"");

  Status status = client_->SaveWithExpiration("fresh", "{", std::chrono::seconds(5));
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(Raw({"EXISTS", "fresh"}), "0");
}

TEST_F(RedisClientTest, ReportsAStoredStringThatIsNotJson) {
  ASSERT_EQ(Raw({"SET", "not-json", "hello"}), "OK");
  std::optional<std::string> read;
  Status status = client_->Read("not-json", &read);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status.message(), "holds a string that is not a JSON value"))
      << status.message();
  EXPECT_EQ(read, std::nullopt);
}

TEST_F(RedisClientTest, PassesOnWrongTypeNamingServerAndCommand) {
  ASSERT_EQ(Raw({"RPUSH", "a-list", "x"}), "1");
  std::optional<std::string> read;
  Status status = client_->Read("a-list", &read);
  EXPECT_FALSE(status.ok());
  const std::string server = "Redis 127.0.0.1:" + std::to_string(server_->port());
  EXPECT_TRUE(status.message().starts_with(server + ": GET 'a-list': WRONGTYPE"))
      << status.message();
}

TEST_F(RedisClientTest, SelectsTheDatabaseItIsGiven) {
  RedisOptions options = TcpOptions(*server_);
  options.address.db = 3;
  std::unique_ptr<RedisClient> client = ConnectOrFail(options);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Save("in-db-3", "3").ok());
  EXPECT_EQ(Raw({"EXISTS", "in-db-3"}), "0");  // Raw uses db 0
  std::optional<std::string> read;
  ASSERT_TRUE(client->Read("in-db-3", &read).ok());
  EXPECT_EQ(read, std::optional<std::string>("3"));

  options.address.db = 100000;  // more than the server's 16
  std::unique_ptr<RedisClient> refused;
  Status status = RedisClient::Connect(options, &refused);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status.message(), "SELECT 100000: ERR")) << status.message();
  EXPECT_EQ(refused, nullptr);
}

TEST_F(RedisClientTest, FromEnvironmentConnectsWhereTheUrlSays) {
  const std::string url = "redis://127.0.0.1:" + std::to_string(server_->port()) + "/0";
  std::unique_ptr<RedisClient> client;
  Status status = RedisClient::FromEnvironment(&client, [&url](const char* name) -> const char* {
    return std::string_view(name) == "INFLOW_REDIS_URL" ? url.c_str() : nullptr;
  });
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(client->Save("from-env", "true").ok());
  EXPECT_EQ(Raw({"GET", "from-env"}), "true");
}

TEST(RedisClientServerTest, ReconnectsOnceAfterTheServerRestarted) {
  RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  std::unique_ptr<RedisClient> client = ConnectOrFail(TcpOptions(server));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Save("before", "1").ok());

  Status status = server.Stop();
  ASSERT_TRUE(status.ok()) << status.message();
  status = server.Start();  // same port, empty dataset
  ASSERT_TRUE(status.ok()) << status.message();

  status = client->Save("after", "2");
  ASSERT_TRUE(status.ok()) << status.message();
  std::string reply;
  ASSERT_TRUE(server.Command({"GET", "after"}, &reply).ok());
  EXPECT_EQ(reply, "2");
}

TEST(RedisClientServerTest, FailsNamingTheServerWhenItIsDownAndRecoversWhenItIsBack) {
  RedisServer server;
  ASSERT_TRUE(server.Start().ok());
  std::unique_ptr<RedisClient> client = ConnectOrFail(TcpOptions(server));
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(server.Stop().ok());

  const std::string name = "Redis 127.0.0.1:" + std::to_string(server.port());
  std::optional<std::string> read;
  Status status = client->Read("k", &read);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.message().starts_with(name + ": GET 'k': ")) << status.message();
  EXPECT_TRUE(Contains(status.message(), "reconnecting failed")) << status.message();

  std::unique_ptr<RedisClient> never;
  status = RedisClient::Connect(TcpOptions(server), &never);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(status.message().starts_with(name + ": connect: ")) << status.message();
  EXPECT_EQ(never, nullptr);

  // The next command after a failure opens a connection again.
  ASSERT_TRUE(server.Start().ok());
  status = client->Read("k", &read);
  EXPECT_TRUE(status.ok()) << status.message();
}

TEST(RedisClientServerTest, LogsInWithTheRightPasswordAndNotWithAWrongOne) {
  RedisServer server(RedisServer::Options{.password = "s3cret pass", .unix_socket = false});
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();

  RedisOptions options = TcpOptions(server);
  std::unique_ptr<RedisClient> client = ConnectOrFail(options);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Save("guarded", "{}").ok());

  options.address.password = "wrong";
  std::unique_ptr<RedisClient> refused;
  status = RedisClient::Connect(options, &refused);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status.message(), ": AUTH: WRONGPASS")) << status.message();
  EXPECT_FALSE(Contains(status.message(), "wrong")) << status.message();
  EXPECT_EQ(refused, nullptr);

  // Without a password the connection opens, and the server refuses the
  // command.
  options.address.password.clear();
  std::unique_ptr<RedisClient> anonymous = ConnectOrFail(options);
  ASSERT_NE(anonymous, nullptr);
  std::optional<std::string> read;
  status = anonymous->Read("guarded", &read);
  EXPECT_FALSE(status.ok());
  EXPECT_TRUE(Contains(status.message(), "GET 'guarded': NOAUTH")) << status.message();
}

TEST(RedisClientServerTest, ConnectsOverAUnixSocket) {
  RedisServer server(RedisServer::Options{.password = "", .unix_socket = true});
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();

  RedisOptions options;
  options.address.unix_socket = server.socket_path();
  std::unique_ptr<RedisClient> client = ConnectOrFail(options);
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Save("over-unix", "[1,2]").ok());
  std::string reply;
  ASSERT_TRUE(server.Command({"GET", "over-unix"}, &reply).ok());
  EXPECT_EQ(reply, "[1,2]");

  ASSERT_TRUE(server.Command({"RPUSH", "l", "x"}, &reply).ok());
  std::optional<std::string> read;
  status = client->Read("l", &read);
  EXPECT_TRUE(status.message().starts_with("Redis " + server.socket_path() + ": GET 'l': "))
      << status.message();
}

}  // namespace
}  // namespace inflow
