// Router: a point's session, and the line its session writes.

#include "intake/router.h"

#include <gtest/gtest.h>

#include <string>

#include "inflow/line_parser.h"

namespace inflow::daemon {
namespace {

constexpr int64_t kReceived = 1700000000000000000;

class RouterTest : public ::testing::Test {
 protected:
  // Routes one line; returns the session index or -1, the line written,
  // and the routing tag left out ("key=value", empty if none).
  int Route(const Router& router, std::string_view input, std::string_view default_rp,
            std::string* line, std::string* unknown = nullptr,
            std::string* routing_tag = nullptr) {
    size_t consumed, newlines;
    EXPECT_EQ(parser_.Parse(input, true, &consumed, &newlines), ParseStatus::kPoint)
        << parser_.error().reason;
    std::string unknown_rp;
    const TagView* tag = nullptr;
    std::optional<size_t> session =
        router.Route(parser_.point(), default_rp, kReceived, line, &unknown_rp, &tag);
    if (unknown != nullptr) *unknown = unknown_rp;
    if (routing_tag != nullptr) {
      *routing_tag = tag == nullptr ? "" : std::string(tag->key) + "=" + std::string(tag->value);
    }
    return session ? static_cast<int>(*session) : -1;
  }

  LineParser parser_;
};

TEST_F(RouterTest, NamesTheRoutingTagItLeftOut) {
  Router router({"autogen", "rp_four_weeks"}, "rp");
  std::string line;
  std::string tag;
  EXPECT_EQ(Route(router, "cpu,host=a,rp=rp_four_weeks v=1 5", "autogen", &line, nullptr, &tag),
            1);
  EXPECT_EQ(tag, "rp=rp_four_weeks");
  EXPECT_EQ(Route(router, "cpu,host=a v=1 5", "autogen", &line, nullptr, &tag), 0);
  EXPECT_EQ(tag, "");
}

TEST_F(RouterTest, RoutesByTheListenersRetentionPolicy) {
  Router router({"autogen", "rp_four_weeks"}, "");
  std::string line;
  EXPECT_EQ(Route(router, "cpu,rp=autogen v=1 5", "rp_four_weeks", &line), 1);
  EXPECT_EQ(line, "cpu,rp=autogen v=1 5\n");  // no routing tag configured: kept
}

TEST_F(RouterTest, RoutesByTheTagAndLeavesItOut) {
  Router router({"autogen", "rp_four_weeks"}, "rp");
  std::string line;
  EXPECT_EQ(Route(router, "cpu,host=a,rp=rp_four_weeks,zone=b v=1 5", "autogen", &line), 1);
  EXPECT_EQ(line, "cpu,host=a,zone=b v=1 5\n");
  line.clear();
  EXPECT_EQ(Route(router, "cpu,rp=autogen v=1", "rp_four_weeks", &line), 0);
  EXPECT_EQ(line, "cpu v=1 1700000000000000000\n");
  line.clear();
  EXPECT_EQ(Route(router, "cpu,a=1,rp=autogen v=1 7", "rp_four_weeks", &line), 0);
  EXPECT_EQ(line, "cpu,a=1 v=1 7\n");
}

TEST_F(RouterTest, ComparesTheTagUnescaped) {
  Router router({"four weeks"}, "r p");
  std::string line;
  EXPECT_EQ(Route(router, "cpu,r\\ p=four\\ weeks,x=1 v=1 5", "nope", &line), 0);
  EXPECT_EQ(line, "cpu,x=1 v=1 5\n");
}

TEST_F(RouterTest, WithoutTheTagUsesTheDefault) {
  Router router({"autogen", "rp_four_weeks"}, "rp");
  std::string line;
  EXPECT_EQ(Route(router, "cpu,host=a v=1 5", "rp_four_weeks", &line), 1);
  EXPECT_EQ(line, "cpu,host=a v=1 5\n");
}

TEST_F(RouterTest, RefusesAnUnknownRetentionPolicy) {
  Router router({"autogen"}, "rp");
  std::string line = "kept\n";
  std::string unknown;
  EXPECT_EQ(Route(router, "cpu,rp=elsewhere v=1 5", "autogen", &line, &unknown), -1);
  EXPECT_EQ(unknown, "elsewhere");
  EXPECT_EQ(line, "kept\n");
  EXPECT_EQ(Route(router, "cpu v=1 5", "missing", &line, &unknown), -1);
  EXPECT_EQ(unknown, "missing");
}

TEST_F(RouterTest, ConvertsTimestampsWhenLeavingTheTagOut) {
  ParserOptions options;
  options.precision = Precision::kSeconds;
  LineParser seconds(options);
  size_t consumed, newlines;
  ASSERT_EQ(seconds.Parse("cpu,rp=autogen v=1 1700000000", true, &consumed, &newlines),
            ParseStatus::kPoint);
  Router router({"autogen"}, "rp");
  std::string line, unknown;
  const TagView* tag = nullptr;
  ASSERT_EQ(router.Route(seconds.point(), "x", kReceived, &line, &unknown, &tag), 0u);
  EXPECT_EQ(line, "cpu v=1 1700000000000000000\n");
}

}  // namespace
}  // namespace inflow::daemon
