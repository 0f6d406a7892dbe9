// RedisConnection, hiredis's async API on a libuv loop, against a real
// redis-server (tests/support's RedisServer): logging in (AUTH, SELECT),
// pipelined answers in order, the answer timeout of a server that stopped
// answering (SIGSTOP), connecting again after a restart, and Close with
// commands in flight. Each test runs on a PrivateLoop of its own and ends
// with uv_loop_close() == 0. Every done is counted and checked to run
// outside Send.

#include "inflow/redis_connection.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "loop/private_loop.h"
#include "support/redis_server.h"

namespace inflow {
namespace {

using namespace std::chrono_literals;
using test::PrivateLoop;
using test::RedisServer;

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// Prints a figure the test measured and records it in the XML report.
void Report(std::string_view name, int64_t value, std::string_view unit) {
  std::cout << "[  figure  ] " << name << ": " << value << " " << unit << std::endl;
  ::testing::Test::RecordProperty(std::string(name), std::to_string(value));
}

// Milliseconds from `start` to now, on the steady clock: for spans that
// begin while the loop is not running, when its cached time (uv_now) is
// behind.
int64_t MillisecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

// GET `key` in database `db` on a plain hiredis connection of the test's
// own (AUTH first with a password), to look at the server independently of
// the connection under test; "(nil)" for no value, "(error) ..." if any
// step failed.
std::string GetInDb(const RedisServer& server, int db, const std::string& key) {
  timeval timeout{2, 0};
  redisContext* context = redisConnectWithTimeout(server.host().c_str(), server.port(), timeout);
  if (context == nullptr || context->err != 0) {
    std::string error = context == nullptr ? "no context" : context->errstr;
    if (context != nullptr) redisFree(context);
    return "(error) " + error;
  }
  std::string result;
  auto command = [&](std::vector<std::string> argv) -> redisReply* {
    std::vector<const char*> args;
    std::vector<size_t> lengths;
    for (const std::string& a : argv) {
      args.push_back(a.data());
      lengths.push_back(a.size());
    }
    return static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(args.size()), args.data(), lengths.data()));
  };
  std::vector<std::vector<std::string>> steps;
  if (!server.password().empty()) steps.push_back({"AUTH", server.password()});
  steps.push_back({"SELECT", std::to_string(db)});
  steps.push_back({"GET", key});
  for (const std::vector<std::string>& step : steps) {
    redisReply* reply = command(step);
    if (reply == nullptr) {
      result = "(error) " + std::string(context->errstr);
      break;
    }
    if (reply->type == REDIS_REPLY_ERROR) {
      result = "(error) " + step[0] + ": " + std::string(reply->str, reply->len);
    } else if (step[0] == "GET") {
      result = reply->type == REDIS_REPLY_STRING ? std::string(reply->str, reply->len) : "(nil)";
    }
    freeReplyObject(reply);
    if (result.starts_with("(error)")) break;
  }
  redisFree(context);
  return result;
}

// What a command's done was given, and how often it ran.
struct Answer {
  int calls = 0;
  Status status = Status::Ok();
  RedisValue reply;
  bool up_when_done = false;  // the connection's up() as done ran
};

class RedisConnectionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    shared_ = new RedisServer();
    shared_status_ = shared_->Start();
  }
  static void TearDownTestSuite() {
    delete shared_;
    shared_ = nullptr;
  }

  void SetUp() override { ASSERT_TRUE(shared_status_.ok()) << shared_status_.message(); }

  void TearDown() override {
    if (connection_) CloseConnection();
    EXPECT_EQ(loop_.Close(), 0);
  }

  // Starts the connection under test to `server`, database `db`, with the
  // server's password unless `password` is given; quick retries, so that
  // reconnecting is measured in tens of milliseconds.
  void Open(const RedisServer& server, int db = 0, std::chrono::milliseconds timeout = 1000ms,
            const std::string* password = nullptr) {
    RedisConnectionOptions options;
    options.address.host = server.host();
    options.address.port = server.port();
    options.address.password = password != nullptr ? *password : server.password();
    options.address.db = db;
    options.timeout = timeout;
    options.retry_initial_interval = 20ms;
    options.retry_max_interval = 100ms;
    connection_ = std::make_unique<RedisConnection>(
        loop_.get(), options, [this](bool up, const Status& why) {
          EXPECT_FALSE(in_send_) << "on_state called inside Send";
          (up ? ups_ : downs_) += 1;
          if (!up) last_down_ = why.message();
        });
    connection_->Start();
  }

  bool WaitUntilUp(const std::string& what = "the connection up") {
    return loop_.RunUntil([&] { return connection_->up(); }, what);
  }

  // Sends `argv`; its done fills *answer, and fails the test if it runs
  // inside Send.
  void Send(const std::vector<std::string>& argv, Answer* answer) {
    in_send_ = true;
    connection_->Send(argv, [this, answer](const Status& status, const RedisValue& reply) {
      EXPECT_FALSE(in_send_) << "done called inside Send";
      ++answer->calls;
      answer->status = status;
      answer->reply = reply;
      answer->up_when_done = connection_->up();
    });
    in_send_ = false;
  }

  // Sends `argv` and runs the loop until it is answered.
  Answer Call(const std::vector<std::string>& argv) {
    Answer answer;
    Send(argv, &answer);
    loop_.RunUntil([&] { return answer.calls > 0; }, "the answer to " + argv[0]);
    return answer;
  }

  // Closes the connection and runs the loop until on_closed; then destroys
  // it (or, if on_closed never came, leaves it, as its handles may still
  // be the loop's).
  void CloseConnection() {
    connection_->Close([this] { ++closed_; });
    if (loop_.RunUntil([&] { return closed_ > 0; }, "on_closed")) {
      EXPECT_EQ(closed_, 1) << "on_closed ran more than once";
      connection_.reset();
    } else {
      (void)connection_.release();
    }
  }

  static RedisServer* shared_;
  static Status shared_status_;
  PrivateLoop loop_;
  std::unique_ptr<RedisConnection> connection_;
  bool in_send_ = false;
  int ups_ = 0;
  int downs_ = 0;
  std::string last_down_;
  int closed_ = 0;  // on_closed's calls
};

RedisServer* RedisConnectionTest::shared_ = nullptr;
Status RedisConnectionTest::shared_status_ = Status::Ok();

// Resumes a server stopped with SIGSTOP when it goes out of scope, however
// the test left, so that its Stop and the tests after it find it running.
class StoppedServer {
 public:
  explicit StoppedServer(RedisServer* server) : pid_(server->pid()) {
    stopped_ = pid_ > 0 && kill(pid_, SIGSTOP) == 0;
  }
  ~StoppedServer() { Resume(); }
  StoppedServer(const StoppedServer&) = delete;
  StoppedServer& operator=(const StoppedServer&) = delete;

  bool stopped() const { return stopped_; }
  void Resume() {
    if (stopped_) kill(pid_, SIGCONT);
    stopped_ = false;
  }
  // The server was killed: there is nothing to resume.
  void Killed() { stopped_ = false; }

 private:
  pid_t pid_;
  bool stopped_ = false;
};

TEST_F(RedisConnectionTest, LogsInWithThePasswordAndSelectsTheDatabase) {
  RedisServer server(RedisServer::Options{.password = "inflow-secret", .unix_socket = false});
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NO_FATAL_FAILURE(Open(server, 3));
  ASSERT_TRUE(WaitUntilUp());
  Answer set = Call({"SET", "selected", "in db 3"});
  ASSERT_TRUE(set.status.ok()) << set.status.message();
  EXPECT_EQ(set.reply.kind, RedisValue::Kind::kStatus);
  EXPECT_EQ(set.reply.text, "OK");
  EXPECT_EQ(GetInDb(server, 3, "selected"), "in db 3");
  EXPECT_EQ(GetInDb(server, 0, "selected"), "(nil)");
  Answer get = Call({"GET", "selected"});
  EXPECT_EQ(get.reply.kind, RedisValue::Kind::kString);
  EXPECT_EQ(get.reply.text, "in db 3");
  EXPECT_EQ(ups_, 1);
  EXPECT_EQ(downs_, 0) << last_down_;
}

TEST_F(RedisConnectionTest, SaysWhyAWrongPasswordIsRefusedAndNeverComesUp) {
  RedisServer server(RedisServer::Options{.password = "inflow-secret", .unix_socket = false});
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  const std::string wrong = "not-the-password";
  ASSERT_NO_FATAL_FAILURE(Open(server, 0, 1000ms, &wrong));
  // Two refusals: it tried again after the first, with backoff.
  ASSERT_TRUE(loop_.RunUntil([&] { return downs_ >= 2; }, "two refused logins"));
  EXPECT_EQ(ups_, 0);
  EXPECT_FALSE(connection_->up());
  EXPECT_TRUE(Contains(last_down_, "login refused")) << last_down_;
  EXPECT_FALSE(Contains(last_down_, wrong)) << "the password is in the message: " << last_down_;
}

TEST_F(RedisConnectionTest, AnswersPipelinedCommandsInOrder) {
  constexpr int kCommands = 2000;
  ASSERT_NO_FATAL_FAILURE(Open(*shared_));
  ASSERT_TRUE(WaitUntilUp());
  std::vector<Answer> answers(kCommands);
  std::vector<int> order;
  in_send_ = true;
  for (int i = 0; i < kCommands; ++i) {
    std::vector<std::string> argv = {"ECHO", "echo " + std::to_string(i)};
    connection_->Send(argv, [this, &answers, &order, i](const Status& status,
                                                        const RedisValue& reply) {
      EXPECT_FALSE(in_send_) << "done called inside Send";
      ++answers[i].calls;
      answers[i].status = status;
      answers[i].reply = reply;
      order.push_back(i);
    });
  }
  in_send_ = false;
  // None is answered before the loop runs: all are in flight at once.
  EXPECT_EQ(connection_->in_flight(), static_cast<size_t>(kCommands));
  const uint64_t start = loop_.now();
  ASSERT_TRUE(loop_.RunUntil([&] { return order.size() >= kCommands; }, "every answer"));
  Report("pipelined commands", kCommands, "");
  Report("pipelined commands answered in", static_cast<int64_t>(loop_.now() - start), "ms");
  EXPECT_EQ(connection_->in_flight(), 0u);
  int wrong = 0;
  for (int i = 0; i < kCommands; ++i) {
    const Answer& a = answers[i];
    bool right = a.calls == 1 && a.status.ok() && a.reply.kind == RedisValue::Kind::kString &&
                 a.reply.text == "echo " + std::to_string(i) && order[i] == i;
    if (!right && ++wrong <= 3) {
      ADD_FAILURE() << "command " << i << ": " << a.calls << " calls, status "
                    << a.status.message() << ", reply " << a.reply.text << ", answered "
                    << order[i] << "th";
    }
  }
  EXPECT_EQ(wrong, 0);
}

TEST_F(RedisConnectionTest, DropsTheConnectionWhenAnAnswerTakesLongerThanTheTimeout) {
  constexpr auto kTimeout = 300ms;
  RedisServer server;
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NO_FATAL_FAILURE(Open(server, 0, kTimeout));
  ASSERT_TRUE(WaitUntilUp());
  ASSERT_EQ(Call({"PING"}).reply.text, "PONG");

  StoppedServer stopped(&server);
  ASSERT_TRUE(stopped.stopped()) << "SIGSTOP failed";
  Answer ping;
  const uint64_t sent = loop_.now();
  Send({"PING"}, &ping);
  ASSERT_TRUE(loop_.RunUntil([&] { return ping.calls > 0; }, "the timeout"));
  const int64_t waited = static_cast<int64_t>(loop_.now() - sent);
  Report("answer timeout", kTimeout / 1ms, "ms");
  Report("done with an error after", waited, "ms");
  EXPECT_EQ(ping.calls, 1);
  EXPECT_FALSE(ping.status.ok());
  EXPECT_TRUE(Contains(ping.status.message(), "no answer within 300 ms"))
      << ping.status.message();
  EXPECT_FALSE(ping.up_when_done) << "up() inside the done of a dropped connection";
  EXPECT_GE(waited, (kTimeout - 1ms) / 1ms);  // the loop's clock counts whole ms
  EXPECT_LT(waited, (kTimeout + 1500ms) / 1ms) << "ms: the timeout came late";
  EXPECT_GE(downs_, 1);

  // Once the server answers again, so does the connection (made again).
  stopped.Resume();
  ASSERT_TRUE(loop_.RunUntil([&] { return connection_->up(); }, "the connection up again"));
  Answer again = Call({"PING"});
  EXPECT_TRUE(again.status.ok()) << again.status.message();
  EXPECT_EQ(again.reply.text, "PONG");
  EXPECT_GE(ups_, 2);
}

// A server killed while commands it has not read wait in its socket
// resets the connection (RST, not FIN): the connection is lost then, and
// the command's done must say so then, not at the answer timeout.
TEST_F(RedisConnectionTest, NoticesAResetConnectionBeforeTheAnswerTimeout) {
  constexpr auto kTimeout = 3000ms;
  RedisServer server;
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NO_FATAL_FAILURE(Open(server, 0, kTimeout));
  ASSERT_TRUE(WaitUntilUp());
  StoppedServer stopped(&server);
  ASSERT_TRUE(stopped.stopped()) << "SIGSTOP failed";
  Answer ping;
  Send({"PING"}, &ping);
  // Polled from a timer of the loop's: the connection writes only while
  // the loop runs.
  bool unread = false;
  std::function<void()> look = [&] {
    unread = server.UnreadBytes() > 0;
    if (!unread) loop_.After(5ms, look);
  };
  loop_.After(0ms, look);
  ASSERT_TRUE(loop_.RunUntil([&] { return unread; }, "PING waiting in the stopped server"));
  server.Kill();
  stopped.Killed();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop_.RunUntil([&] { return ping.calls > 0; }, "the done of PING", 2 * kTimeout));
  const int64_t waited = MillisecondsSince(killed);
  Report("answer timeout", kTimeout / 1ms, "ms");
  Report("done after the reset", waited, "ms");
  EXPECT_FALSE(ping.status.ok());
  EXPECT_TRUE(Contains(ping.status.message(), "connection lost")) << ping.status.message();
  EXPECT_LT(waited, 1000) << "ms: the reset was noticed only at the answer timeout";
}

TEST_F(RedisConnectionTest, ConnectsAgainAfterRedisRestarts) {
  RedisServer server;
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NO_FATAL_FAILURE(Open(server));
  ASSERT_TRUE(WaitUntilUp());
  // In flight when the server goes: BLPOP on a list nobody pushes to.
  Answer blocked;
  Send({"BLPOP", "nobody-pushes", "0"}, &blocked);
  ASSERT_TRUE(loop_.RunUntil([&] { return connection_->in_flight() == 1; }, "BLPOP sent"));
  status = server.Stop();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(loop_.RunUntil([&] { return downs_ >= 1; }, "the loss seen"));
  EXPECT_EQ(blocked.calls, 1);
  EXPECT_FALSE(blocked.status.ok());
  EXPECT_TRUE(Contains(blocked.status.message(), "connection lost")) << blocked.status.message();
  EXPECT_FALSE(connection_->up());

  status = server.Start();  // the same port
  ASSERT_TRUE(status.ok()) << status.message();
  const auto restarted = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop_.RunUntil([&] { return connection_->up(); }, "the connection up again"));
  Report("up again after the restart", MillisecondsSince(restarted), "ms");
  Answer ping = Call({"PING"});
  EXPECT_TRUE(ping.status.ok()) << ping.status.message();
  EXPECT_EQ(ping.reply.text, "PONG");
  EXPECT_EQ(ups_, 2);
}

// up() is whether commands may be sent. Inside the done of a command whose
// connection was lost (Redis shut down: a clean close), hiredis refuses new
// commands on the context it is freeing, and Send would abort; so up()
// must be false there, for an owner that sends again from a done.
TEST_F(RedisConnectionTest, IsNotUpInsideTheDoneOfACommandWhoseConnectionWasLost) {
  RedisServer server;
  Status status = server.Start();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_NO_FATAL_FAILURE(Open(server));
  ASSERT_TRUE(WaitUntilUp());
  Answer blocked;
  Send({"BLPOP", "nobody-pushes", "0"}, &blocked);
  ASSERT_TRUE(loop_.RunUntil([&] { return connection_->in_flight() == 1; }, "BLPOP sent"));
  status = server.Stop();
  ASSERT_TRUE(status.ok()) << status.message();
  ASSERT_TRUE(loop_.RunUntil([&] { return blocked.calls > 0; }, "the done of BLPOP"));
  EXPECT_FALSE(blocked.status.ok());
  EXPECT_FALSE(blocked.up_when_done) << "up() inside the done of a lost connection";
}

TEST_F(RedisConnectionTest, CloseDoesEveryCommandInFlightOnce) {
  constexpr int kCommands = 100;
  ASSERT_NO_FATAL_FAILURE(Open(*shared_));
  ASSERT_TRUE(WaitUntilUp());
  // BLPOP first: Redis holds the commands after it until it returns, so
  // every command is still unanswered when Close comes.
  const std::string list = "close-in-flight";
  std::vector<Answer> answers(kCommands);
  Send({"BLPOP", list, "0"}, &answers[0]);
  for (int i = 1; i < kCommands; ++i) Send({"ECHO", std::to_string(i)}, &answers[i]);
  // Polled from a timer of the loop's: the connection writes only while
  // the loop runs.
  bool blocked = false;
  std::function<void()> look = [&] {
    std::string clients;
    Status status = shared_->Command({"CLIENT", "LIST"}, &clients);
    blocked = status.ok() && Contains(clients, "cmd=blpop");
    if (!blocked) loop_.After(10ms, look);
  };
  loop_.After(0ms, look);
  ASSERT_TRUE(loop_.RunUntil([&] { return blocked; }, "BLPOP blocked in Redis"));
  EXPECT_EQ(connection_->in_flight(), static_cast<size_t>(kCommands));

  connection_->Close([this] { ++closed_; });
  ASSERT_TRUE(loop_.RunUntil([&] { return closed_ > 0; }, "on_closed"));
  int wrong = 0;
  for (int i = 0; i < kCommands; ++i) {
    const Answer& a = answers[i];
    if ((a.calls != 1 || a.status.ok()) && ++wrong <= 3) {
      ADD_FAILURE() << "command " << i << ": " << a.calls << " calls, status "
                    << (a.status.ok() ? "OK" : a.status.message());
    }
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_TRUE(Contains(answers[kCommands - 1].status.message(), "closed"))
      << answers[kCommands - 1].status.message();
  EXPECT_EQ(connection_->in_flight(), 0u);
  EXPECT_EQ(closed_, 1);
  connection_.reset();
}

}  // namespace
}  // namespace inflow
