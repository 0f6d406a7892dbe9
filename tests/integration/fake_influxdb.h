// FakeInfluxDb: a stand-in for InfluxDB 1.x's HTTP API, for the answers a
// real InfluxDB cannot be made to give on demand (429 with Retry-After, 413,
// 503, 500), served by a thread of the test process to a real inflowd.
//
// It listens on 127.0.0.1, on a port the kernel chooses, and takes any
// number of connections, served by one thread with poll(). It reads HTTP/1.1
// requests whose body has a Content-Length (what inflowd sends; a chunked
// body is a problem, see problem()), records each one whole with the steady
// clock's time it was complete and the time its answer went out, and answers
// the n-th request it receives, on any connection, with the n-th answer of
// the script, and every request after the script with `after_script`.
// Answers are shaped as InfluxDB shapes them: {"error":"..."} as
// application/json, X-Influxdb-Version and X-Influxdb-Build headers, no body
// for 204. Keep-alive is honoured: a connection stays open until the client
// closes it or asks for "Connection: close".
//
// Thread: the public functions may be called from any thread; the requests
// are read under a lock, and WaitForRequests blocks until a deadline.

#ifndef INFLOW_TESTS_INTEGRATION_FAKE_INFLUXDB_H_
#define INFLOW_TESTS_INTEGRATION_FAKE_INFLUXDB_H_

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "inflow/status.h"

namespace inflow::test {

class FakeInfluxDb {
 public:
  using Clock = std::chrono::steady_clock;

  // One scripted answer: `status`, the body {"error":"<error>"} unless
  // `error` is empty, and `headers` besides those every answer has.
  struct Answer {
    int status = 204;
    std::string error = "";
    std::vector<std::pair<std::string, std::string>> headers = {};
  };

  struct Request {
    size_t connection = 0;  // 1 for the first connection accepted, 2 for the next, ...
    std::string method;
    std::string path;   // the target up to '?'
    std::string query;  // after '?', without it; empty if none
    std::string body;
    Clock::time_point received_at;  // when its last byte was read
    // Just before the first byte of its answer was sent: a client cannot
    // have read the answer earlier, so a wait measured from here is never
    // longer than the one the client made.
    Clock::time_point answered_at;
    int status = 0;  // the status answered
  };

  // Does not listen yet.
  FakeInfluxDb(std::vector<Answer> script, Answer after_script);
  // Stop()s.
  ~FakeInfluxDb();

  FakeInfluxDb(const FakeInfluxDb&) = delete;
  FakeInfluxDb& operator=(const FakeInfluxDb&) = delete;

  // Listens and starts serving. On failure returns an error naming the
  // system call that failed, and nothing runs. REQUIRES: not started.
  Status Start();

  // Stops serving: closes the listening socket and every connection, and
  // joins the thread. What was recorded stays readable. Idempotent.
  void Stop();

  // The port listened on; 0 before Start.
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port>"
  std::string url() const;

  // Every request received so far, in the order they were complete.
  std::vector<Request> requests() const;

  // Waits until at least `count` requests have been answered, or until
  // `deadline`; returns whether they have.
  bool WaitForRequests(size_t count, Clock::time_point deadline) const;

  // The first thing that went wrong in the server's thread (a malformed
  // request, a failed system call), with where; empty if nothing did.
  std::string problem() const;

 private:
  struct Connection;

  void Serve();
  void Accept();
  // Reads what `connection` has, and answers every request complete in it.
  // Returns false when the connection is to be closed.
  bool ReadAndAnswer(Connection* connection);
  // Answers the request at the start of connection->input if it is
  // complete, and removes it from there. Sets *answered to whether it did.
  // Returns false when the connection is to be closed.
  bool AnswerOne(Connection* connection, bool* answered);
  void NoteProblem(std::string what);

  const std::vector<Answer> script_;
  const Answer after_script_;
  int listen_fd_ = -1;
  std::vector<std::unique_ptr<Connection>> connections_;  // the thread's only
  size_t connections_accepted_ = 0;                        // the thread's only
  int wake_fds_[2] = {-1, -1};  // a pipe: a byte in it tells the thread to stop
  uint16_t port_ = 0;
  std::thread thread_;

  // Written by the thread only, read by anyone under mutex_.
  mutable std::mutex mutex_;
  mutable std::condition_variable answered_;
  std::vector<Request> requests_;
  std::string problem_;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_INTEGRATION_FAKE_INFLUXDB_H_
