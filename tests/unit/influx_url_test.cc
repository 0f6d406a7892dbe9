// ParseInfluxUrl: the URL forms of the seed library's Client and inflowd's
// influxdb.url.

#include "inflow/influx_url.h"

#include <gtest/gtest.h>

namespace inflow {
namespace {

InfluxUrl Parse(std::string_view text) {
  InfluxUrl url;
  Status status = ParseInfluxUrl(text, &url);
  EXPECT_TRUE(status.ok()) << text << ": " << status.message();
  return url;
}

std::string Error(std::string_view text) {
  InfluxUrl url;
  Status status = ParseInfluxUrl(text, &url);
  EXPECT_FALSE(status.ok()) << text;
  return status.message();
}

TEST(InfluxUrlTest, ParsesTheSeedsForm) {
  InfluxUrl url = Parse("http://username:pass@localhost:8086/databasename");
  EXPECT_FALSE(url.tls);
  EXPECT_EQ(url.host, "localhost");
  EXPECT_EQ(url.port, 8086);
  EXPECT_EQ(url.username, "username");
  EXPECT_EQ(url.password, "pass");
  EXPECT_EQ(url.database, "databasename");
}

TEST(InfluxUrlTest, DefaultsPortAndLeavesOutWhatIsNotGiven) {
  InfluxUrl url = Parse("http://127.0.0.1");
  EXPECT_EQ(url.host, "127.0.0.1");
  EXPECT_EQ(url.port, 8086);
  EXPECT_TRUE(url.username.empty());
  EXPECT_TRUE(url.password.empty());
  EXPECT_TRUE(url.database.empty());
  EXPECT_EQ(Parse("http://h:9999/").database, "");
  EXPECT_EQ(Parse("http://h/telemetry/").database, "telemetry");
}

TEST(InfluxUrlTest, ParsesHttpsIpv6AndUserWithoutPassword) {
  InfluxUrl url = Parse("https://reader@[::1]:8443/db");
  EXPECT_TRUE(url.tls);
  EXPECT_EQ(url.host, "::1");
  EXPECT_EQ(url.port, 8443);
  EXPECT_EQ(url.username, "reader");
  EXPECT_EQ(url.password, "");
  EXPECT_EQ(Parse("http://[fe80::1]").port, 8086);
}

TEST(InfluxUrlTest, DecodesPercentEscapesAndTakesTheLastAtSign) {
  InfluxUrl url = Parse("http://us%40er:p%3Ass@w@host/my%20db");
  EXPECT_EQ(url.username, "us@er");
  EXPECT_EQ(url.password, "p:ss@w");
  EXPECT_EQ(url.host, "host");
  EXPECT_EQ(url.database, "my db");
}

TEST(InfluxUrlTest, RedactedLeavesOutCredentials) {
  EXPECT_EQ(Parse("http://u:secret@h:1/db").Redacted(), "http://h:1/db");
  EXPECT_EQ(Parse("https://[::1]").Redacted(), "https://[::1]:8086");
}

TEST(InfluxUrlTest, RejectsWhatIsNotAnInfluxUrl) {
  EXPECT_NE(Error("localhost:8086").find("http://"), std::string::npos);
  EXPECT_NE(Error("ftp://h").find("http://"), std::string::npos);
  EXPECT_NE(Error("http://").find("no host"), std::string::npos);
  EXPECT_NE(Error("http://:8086").find("no host"), std::string::npos);
  EXPECT_NE(Error("http://h:").find("empty port"), std::string::npos);
  EXPECT_NE(Error("http://h:0").find("invalid port"), std::string::npos);
  EXPECT_NE(Error("http://h:65536").find("invalid port"), std::string::npos);
  EXPECT_NE(Error("http://h:80x").find("invalid port"), std::string::npos);
  EXPECT_NE(Error("http://h/a/b").find("one segment"), std::string::npos);
  EXPECT_NE(Error("http://h/db?x=1").find("query"), std::string::npos);
  EXPECT_NE(Error("http://[::1").find("unclosed"), std::string::npos);
  EXPECT_NE(Error("http://:pw@h").find("empty user"), std::string::npos);
  EXPECT_NE(Error("http://u:p%4@h").find("password"), std::string::npos);
}

TEST(InfluxUrlTest, ErrorsNeverShowThePassword) {
  EXPECT_EQ(Error("http://u:hunter2@h:99999").find("hunter2"), std::string::npos);
  EXPECT_EQ(Error("http://u:hunter2%zz@h").find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace inflow
