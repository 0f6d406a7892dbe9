// inflowd's command line: --check-config on good and bad files, usage
// errors, and a listener that cannot bind.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "inflowd_fixture.h"
#include "support/files.h"
#include "support/inflowd_process.h"
#include "support/printable.h"
#include "support/temp_dir.h"

namespace inflow::test {
namespace {

using namespace std::chrono_literals;

// ---------------------------------------------------------------------------
// --check-config, usage errors and a failure to start.

class InflowdCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(InflowdProcess::BinaryPath().empty())
        << "INFLOW_INFLOWD is not set: run this test through ctest (integration.inflowd)";
  }

  // Runs inflowd with `args`; it must exit within 10 s.
  InflowdRun Run(const std::vector<std::string>& args) {
    InflowdRun run;
    Status status = RunInflowd(args, 10'000ms, &run);
    EXPECT_TRUE(status.ok()) << status.message();
    return run;
  }

  static std::string Describe(const InflowdRun& run) {
    return "inflowd " + run.exit_description + "\nstdout: " + Printable(run.stdout_text) +
           "\nstderr: " + Printable(run.stderr_text);
  }

  // A configuration with every section; `session_extra` is put in the first
  // session, at line kSessionExtraLine.
  std::string Config(std::string_view session_extra = "") const {
    return "influxdb:\n"
           "  url: http://127.0.0.1:1\n"
           "  database: telemetry\n"
           "sessions:\n"
           "  - retention_policy: autogen\n"
           "    autocommit_every: 5000\n" +
           std::string(session_extra) +
           "  - retention_policy: rp_four_weeks\n"
           "    commit_interval: 10s\n"
           "listeners:\n"
           "  - type: udp\n"
           "    address: 127.0.0.1:1\n"
           "    precision: ms\n"
           "  - type: unix_stream\n"
           "    path: " + dir_.File("stream.sock") + "\n"
           "  - type: unix_dgram\n"
           "    path: " + dir_.File("dgram.sock") + "\n"
           "    retention_policy: rp_four_weeks\n"
           "  - type: http\n"
           "    address: 127.0.0.1:1\n"
           "routing:\n"
           "  retention_policy_tag: rp\n"
           "redis:\n"
           "  url: redis://127.0.0.1:1/0\n"
           "spool:\n"
           "  directory: " + dir_.File("spool") + "\n"
           "log:\n"
           "  level: info\n"
           "shutdown_timeout: 10s\n";
  }
  static constexpr int kSessionExtraLine = 7;

  std::string WriteConfig(const std::string& yaml) {
    std::string path = dir_.File("inflowd.yaml");
    Status status = WriteFile(path, yaml);
    EXPECT_TRUE(status.ok()) << status.message();
    return path;
  }

  TempDir dir_{"inflow-inflowd-command"};
};

TEST_F(InflowdCommandTest, CheckConfigAcceptsAGoodConfigWithoutListening) {
  std::string path = WriteConfig(Config());
  InflowdRun run = Run({"--check-config", "--config", path});
  EXPECT_EQ(run.exit_description, "exited with status 0") << Describe(run);
  EXPECT_FALSE(std::filesystem::exists(dir_.File("stream.sock")))
      << "--check-config created a listener's socket";
}

TEST_F(InflowdCommandTest, CheckConfigNamesTheFileLineAndKeyOfABadValue) {
  std::string path = WriteConfig(Config("    commit_interval: 1x\n"));
  InflowdRun run = Run({"--check-config", "--config", path});
  EXPECT_EQ(run.exit_description, "exited with status 2") << Describe(run);
  std::string where = path + ":" + std::to_string(kSessionExtraLine) +
                      ": sessions[0].commit_interval: invalid duration '1x'";
  EXPECT_NE(run.stderr_text.find(where), std::string::npos)
      << "stderr does not say " << Printable(where) << "\n"
      << Describe(run);
}

TEST_F(InflowdCommandTest, CheckConfigNamesTheFileLineAndKeyOfAnUnknownKey) {
  std::string path = WriteConfig(Config("    autocommit_evry: 5\n"));
  InflowdRun run = Run({"--check-config", "--config", path});
  EXPECT_EQ(run.exit_description, "exited with status 2") << Describe(run);
  std::string where =
      path + ":" + std::to_string(kSessionExtraLine) + ": sessions[0].autocommit_evry: ";
  EXPECT_NE(run.stderr_text.find(where), std::string::npos)
      << "stderr does not say " << Printable(where) << "\n"
      << Describe(run);
}

TEST_F(InflowdCommandTest, UsageErrorsExitWith2) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{}, {"--no-such-option"}, {"--check-config"}}) {
    InflowdRun run = Run(args);
    std::string shown;
    for (const std::string& arg : args) shown += " " + arg;
    EXPECT_EQ(run.exit_description, "exited with status 2") << "inflowd" << shown << "\n"
                                                            << Describe(run);
  }
}

// A listener that cannot bind: inflowd exits 1 and says which address.
TEST_F(InflowdTest, ExitsWith1WhenAListenerCannotBind) {
  struct Socket {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ~Socket() {
      if (fd >= 0) close(fd);
    }
  } listening;
  const int fd = listening.fd;
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  // The sockets API takes a sockaddr_in as a sockaddr.
  auto* generic = reinterpret_cast<sockaddr*>(&address);
  ASSERT_EQ(bind(fd, generic, sizeof address), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  ASSERT_EQ(getsockname(fd, generic, &length), 0);
  const std::string taken = "127.0.0.1:" + std::to_string(ntohs(address.sin_port));

  TempDir dir("inflow-inflowd-bind");
  std::string yaml = "influxdb:\n  url: " + influxdb()->url() + "\n  database: " + db_ +
                     "\nsessions:\n  - retention_policy: autogen\n"
                     "listeners:\n  - type: http\n    address: " + taken + "\n"
                     "redis:\n  url: redis://127.0.0.1:" + std::to_string(redis_->port()) +
                     "/0\nspool:\n  directory: " + dir.path() + "\n";
  ASSERT_TRUE(WriteFile(dir.File("inflowd.yaml"), yaml).ok());
  InflowdRun run;
  Status status = RunInflowd({"--config", dir.File("inflowd.yaml")}, 10'000ms, &run);
  ASSERT_TRUE(status.ok()) << status.message();
  const std::string output = run.stdout_text + run.stderr_text;
  EXPECT_EQ(run.exit_description, "exited with status 1") << output;
  EXPECT_NE(output.find(taken), std::string::npos) << "the message does not name " << taken
                                                   << ": " << output;
  EXPECT_EQ(output.find("inflowd ready"), std::string::npos) << output;
}

}  // namespace
}  // namespace inflow::test
