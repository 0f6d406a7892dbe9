// The helpers of tests/support, against the real servers they start.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include "support/files.h"
#include "support/free_port.h"
#include "support/http_client.h"
#include "support/influxdb_server.h"
#include "support/process.h"
#include "support/redis_server.h"
#include "support/shared_influxdb.h"
#include "support/temp_dir.h"

namespace inflow::test {
namespace {

using std::chrono::milliseconds;

TEST(TempDirTest, RemovesItsFolderWithEverythingInIt) {
  if (std::getenv("INFLOW_KEEP_TEST_DIRS") != nullptr) GTEST_SKIP() << "INFLOW_KEEP_TEST_DIRS";
  std::string path;
  {
    TempDir dir("inflow-temp-dir-test");
    path = dir.path();
    ASSERT_TRUE(std::filesystem::is_directory(path));
    std::filesystem::create_directory(dir.File("sub"));
    ASSERT_TRUE(WriteFile(dir.File("sub/file"), "data").ok());
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(FreePortTest, ReturnsAPortThatCanBeBound) {
  uint16_t port = 0;
  Status status = FreePort(&port);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NE(port, 0);

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  close(fd);
}

TEST(ChildProcessTest, ReportsAMissingBinary) {
  TempDir dir("inflow-process-test");
  ChildProcess process;
  Status status = process.Start({"/nonexistent/server"}, {}, dir.File("log"));
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("cannot run /nonexistent/server"), std::string::npos)
      << status.message();
  EXPECT_FALSE(process.running());
}

TEST(ChildProcessTest, StopsWithSigtermAndLogsOutput) {
  TempDir dir("inflow-process-test");
  ChildProcess process;
  Status status =
      process.Start({"/bin/sh", "-c", "echo started; exec sleep 60"}, {}, dir.File("log"));
  ASSERT_TRUE(status.ok()) << status.message();
  status =
      process.WaitUntil([&] { return process.LogMentions("started"); }, milliseconds(10'000), "sh");
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_TRUE(process.running());
  status = process.Stop(milliseconds(10'000));
  EXPECT_TRUE(status.ok()) << status.message();
  EXPECT_FALSE(process.running());
  EXPECT_EQ(process.exit_description(), "was killed by signal 15");
  EXPECT_EQ(process.LogTail(), "started\n");
}

TEST(ChildProcessTest, KillsAChildThatIgnoresSigtermAfterTheTimeout) {
  TempDir dir("inflow-process-test");
  ChildProcess process;
  // The trap is set before "ready" is printed, so SIGTERM arrives after it.
  Status status =
      process.Start({"/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 1; done"}, {},
                    dir.File("log"));
  ASSERT_TRUE(status.ok()) << status.message();
  status =
      process.WaitUntil([&] { return process.LogMentions("ready"); }, milliseconds(10'000), "sh");
  ASSERT_TRUE(status.ok()) << status.message();
  status = process.Stop(milliseconds(200));
  EXPECT_FALSE(status.ok());
  EXPECT_FALSE(process.running());
  EXPECT_EQ(process.exit_description(), "was killed by signal 9");
}

// Whether `pid` is gone or a zombie waiting for its new parent to reap it.
bool Dead(pid_t pid) {
  std::string stat;
  if (!ReadFile("/proc/" + std::to_string(pid) + "/stat", &stat).ok()) return true;
  size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] == 'Z';
}

TEST(ChildProcessTest, DiesWithTheProcessThatStartedIt) {
  TempDir dir("inflow-process-test");
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t starter = fork();
  ASSERT_GE(starter, 0);
  if (starter == 0) {
    // The "test process": starts a server, then dies without cleaning up.
    close(pipe_fds[0]);
    auto* process = new ChildProcess();  // never destroyed, so never stopped
    pid_t pid =
        process->Start({"/bin/sleep", "60"}, {}, dir.File("log")).ok() ? process->pid() : -1;
    (void)!write(pipe_fds[1], &pid, sizeof pid);
    _exit(0);
  }
  close(pipe_fds[1]);
  pid_t server = -1;
  ASSERT_EQ(read(pipe_fds[0], &server, sizeof server), static_cast<ssize_t>(sizeof server));
  close(pipe_fds[0]);
  ASSERT_GT(server, 0);
  int wait_status = 0;
  ASSERT_EQ(waitpid(starter, &wait_status, 0), starter);

  auto deadline = std::chrono::steady_clock::now() + milliseconds(10'000);
  while (!Dead(server) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(milliseconds(10));
  }
  EXPECT_TRUE(Dead(server)) << "pid " << server << " outlived the process that started it";
}

// One InfluxDB for the InfluxDbServer tests; they run in order.
class InfluxDbServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { influxdb_.Start(); }
  static void TearDownTestSuite() { influxdb_.Stop(); }
  void SetUp() override {
    ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
    if (!server()->running()) {
      Status status = server()->Start();
      ASSERT_TRUE(status.ok()) << status.message();
    }
  }

  static std::string QueryOrDie(std::string_view q, std::string_view db) {
    std::string json;
    Status status = server()->Query(q, db, &json);
    EXPECT_TRUE(status.ok()) << status.message();
    return json;
  }

  static InfluxDbServer* server() { return influxdb_.server(); }

  static SharedInfluxDb influxdb_;
};

SharedInfluxDb InfluxDbServerTest::influxdb_;

TEST_F(InfluxDbServerTest, AnswersOnLoopbackWithTheConfiguredLayout) {
  EXPECT_NE(server()->port(), 0);
  EXPECT_EQ(server()->url(), "http://127.0.0.1:" + std::to_string(server()->port()));
  EXPECT_GT(server()->pid(), 0);
  EXPECT_TRUE(std::filesystem::is_directory(server()->dir() + "/meta"));
  EXPECT_TRUE(std::filesystem::exists(server()->log_path()));

  HttpResponse response;
  Status status = SendHttpRequest("GET", "127.0.0.1", server()->port(), "/ping", "", {}, &response);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(response.status, 204);
  EXPECT_TRUE(response.Header("x-influxdb-version").has_value());
}

TEST_F(InfluxDbServerTest, WritesAndQueries) {
  QueryOrDie("CREATE DATABASE support", "");
  HttpResponse response;
  Status status = server()->Write("support", "cpu,host=a value=1.5 1000000000\n", "", "", &response);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(response.status, 204) << response.body;
  EXPECT_EQ(QueryOrDie("SELECT * FROM cpu", "support"),
            R"({"results":[{"statement_id":0,"series":[{"name":"cpu","columns":)"
            R"(["time","host","value"],"values":[[1000000000,"a",1.5]]}]}]})"
            "\n");
}

TEST_F(InfluxDbServerTest, ReadsChunkedResponses) {
  QueryOrDie("CREATE DATABASE support", "");
  HttpResponse response;
  Status status =
      server()->Write("support", "chunks,host=b value=2i 2000000000\n", "", "", &response);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(response.status, 204) << response.body;

  status = SendHttpRequest(
      "GET", "127.0.0.1", server()->port(),
      "/query?db=support&chunked=true&epoch=s&q=" + UrlEncode("SELECT value FROM chunks"), "", {},
      &response);
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("Transfer-Encoding").value_or(""), "chunked");
  EXPECT_EQ(response.Header("Content-Length"), std::nullopt);
  EXPECT_EQ(response.body, R"({"results":[{"statement_id":0,"series":[{"name":"chunks","columns":)"
                           R"(["time","value"],"values":[[2,2]]}]}]})"
                           "\n");
}

TEST_F(InfluxDbServerTest, KeepsItsDataAcrossStopAndKill) {
  QueryOrDie("CREATE DATABASE restart", "");
  HttpResponse response;
  Status status = server()->Write("restart", "m f=1i 1\n", "", "", &response);
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_EQ(response.status, 204) << response.body;
  const std::string expected = R"({"results":[{"statement_id":0,"series":[{"name":"m","columns":)"
                               R"(["time","f"],"values":[[1,1]]}]}]})"
                               "\n";

  uint16_t port = server()->port();
  pid_t first_pid = server()->pid();
  status = server()->Stop();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_FALSE(server()->running());
  status = server()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(server()->port(), port);
  EXPECT_NE(server()->pid(), first_pid);
  EXPECT_EQ(QueryOrDie("SELECT * FROM m", "restart"), expected);

  // The WAL is written before a write is acknowledged (wal-fsync-delay 0),
  // so an acknowledged point survives a crash.
  server()->Kill();
  EXPECT_FALSE(server()->running());
  status = server()->Start();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(QueryOrDie("SELECT * FROM m", "restart"), expected);
}

TEST(InfluxDbServerStartTest, FailsWithTheLogWhenTheServerExits) {
  // A stand-in that prints and exits at once, as influxd does with a bad
  // config.
  TempDir dir("inflow-fake-influxd");
  std::string fake = dir.File("influxd");
  ASSERT_TRUE(WriteFile(fake, "#!/bin/sh\necho 'run: bad config' >&2\nexit 1\n").ok());
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);

  const char* saved = std::getenv("INFLOW_INFLUXD");
  std::optional<std::string> previous = saved ? std::optional<std::string>(saved) : std::nullopt;
  setenv("INFLOW_INFLUXD", fake.c_str(), 1);
  InfluxDbServer server;
  Status status = server.Start();
  if (previous) {
    setenv("INFLOW_INFLUXD", previous->c_str(), 1);
  } else {
    unsetenv("INFLOW_INFLUXD");
  }
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.message().find("exited with status 1 before it was ready"), std::string::npos)
      << status.message();
  EXPECT_NE(status.message().find("run: bad config"), std::string::npos) << status.message();
  EXPECT_FALSE(server.running());
}

TEST(RedisServerTest, StartsAnswersPingAndRestarts) {
  RedisServer server;
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_NE(server.port(), 0);
  EXPECT_EQ(server.host(), "127.0.0.1");
  EXPECT_TRUE(server.Ping().ok());

  uint16_t port = server.port();
  status = server.Stop();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_FALSE(server.running());
  EXPECT_FALSE(server.Ping(milliseconds(500)).ok());

  status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  EXPECT_EQ(server.port(), port);
  server.Kill();
  EXPECT_FALSE(server.running());
}

}  // namespace
}  // namespace inflow::test
