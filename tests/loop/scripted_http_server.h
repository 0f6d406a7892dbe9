// ScriptedHttpServer: a stand-in for InfluxDB that answers as the test
// scripts it, on the test's own loop.
//
// A real InfluxDB cannot be made, on demand, to close an idle keep-alive
// connection, to never answer, to answer garbage, 503 with Retry-After or
// 413, or to dribble an answer out byte by byte. This server does whatever
// the next scripted action says. It listens on 127.0.0.1 (a port the kernel
// chooses), reads requests with daemon::HttpRequestParser, records each one
// whole (its bytes as received and parsed, the connection it came on, the
// loop time it completed), and answers the n-th request it receives, on any
// connection, with the n-th action of the script (taken when the request
// is complete, or for AnswerBeforeTheBody when its first bytes arrive). A
// request beyond the
// script is recorded and its connection closed without an answer; the test
// sees it in requests().
//
// Ownership: the server owns its listening handle and its connections; each
// is freed in its own close callback, so the server itself may be destroyed
// as soon as Close() was called, before the loop has run those callbacks.
// Thread: the loop's.

#ifndef INFLOW_TESTS_LOOP_SCRIPTED_HTTP_SERVER_H_
#define INFLOW_TESTS_LOOP_SCRIPTED_HTTP_SERVER_H_

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "listeners/http/http_request.h"
#include "inflow/status.h"

namespace inflow::test {

// What the server does with one request.
struct ScriptedAction {
  enum class Kind : uint8_t {
    kAnswer,              // sends `answer`
    kCloseWithoutAnswer,  // closes the connection at once
    kStaySilent,          // never answers; the connection stays open
  };

  // Sends `bytes` as they are, in one write; the connection stays open.
  static ScriptedAction Answer(std::string bytes);
  // Sends `bytes`, then closes the connection once they are written,
  // whatever they say about keep-alive.
  static ScriptedAction AnswerThenClose(std::string bytes);
  // Sends `bytes` in pieces of `piece_bytes`, one write a millisecond apart,
  // so that the client reads each piece on its own.
  static ScriptedAction AnswerInPieces(std::string bytes, size_t piece_bytes);
  // Sends `bytes`, then closes the connection if no further request has
  // begun to arrive `idle` after they were written: a server timing out an
  // idle keep-alive connection.
  static ScriptedAction AnswerThenCloseWhenIdle(std::string bytes, std::chrono::milliseconds idle);
  // Sends `bytes` as soon as the request's first bytes arrive, then reads
  // the rest of the request and keeps the connection: a server refusing a
  // request from its head (413 from its Content-Length) before the body
  // has arrived.
  static ScriptedAction AnswerBeforeTheBody(std::string bytes);
  static ScriptedAction CloseWithoutAnswer();
  static ScriptedAction StaySilent();

  Kind kind = Kind::kAnswer;
  std::string answer;
  size_t piece_bytes = 0;  // 0: the answer in one write
  bool close_after = false;
  bool before_body = false;
  std::optional<std::chrono::milliseconds> idle_close;
};

// Answers as InfluxDB 1.x shapes them: "HTTP/1.1 <status>", Content-Length
// (none for 204), `headers` in order, and, for a non-empty `error`, the body
// {"error":"<error>"} as application/json. With !keep_alive, the answer
// says "Connection: close" (the server does not close by itself; see
// AnswerThenClose).
std::string InfluxAnswer(
    int status, std::string_view error = "",
    const std::vector<std::pair<std::string_view, std::string_view>>& headers = {},
    bool keep_alive = true);

struct RecordedRequest {
  daemon::HttpRequest request;  // method, target, headers, body
  std::string bytes;            // exactly as received
  size_t connection = 0;        // 1 for the first connection accepted, 2 for the next, ...
  uint64_t received_at = 0;     // uv_now() when the request was complete, in ms
};

class ScriptedHttpServer {
 public:
  explicit ScriptedHttpServer(uv_loop_t* loop);
  // Closes the server if that was not done; callbacks still to come then
  // only free memory.
  ~ScriptedHttpServer();

  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  // Listens on 127.0.0.1, on a port the kernel chooses. On failure returns
  // an error naming the call that failed; the server is then closed.
  Status Listen();

  // The port listened on; 0 before Listen.
  uint16_t port() const { return port_; }
  // "http://[user_info@]127.0.0.1:<port>"
  std::string url(std::string_view user_info = "") const;

  // Appends an action to the script.
  void Add(ScriptedAction action) { script_.push_back(std::move(action)); }
  // Actions not yet used.
  size_t actions_left() const { return script_.size(); }

  const std::vector<RecordedRequest>& requests() const { return requests_; }
  size_t connections_accepted() const { return connections_accepted_; }
  // Connections whose handle has closed, by either side.
  size_t connections_closed() const { return connections_closed_; }

  // Called after each request is recorded and its action started.
  void set_on_request(std::function<void(const RecordedRequest&)> on_request) {
    on_request_ = std::move(on_request);
  }

  // Stops listening and closes every connection. Idempotent.
  void Close();

 private:
  struct Listener;
  struct Connection;
  struct Write;

  static void OnConnection(uv_stream_t* stream, int status);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* req, int status);
  static void OnPieceTimer(uv_timer_t* timer);
  static void OnIdleTimer(uv_timer_t* timer);
  static void OnConnectionHandleClosed(uv_handle_t* handle);

  void Act(Connection* connection);
  void OnRequest(Connection* connection, RecordedRequest request, bool answered);
  static void SendPiece(Connection* connection);
  static void Send(Connection* connection, std::string bytes, bool last);
  static void AnswerSent(Connection* connection);
  static void CloseConnection(Connection* connection);

  uv_loop_t* loop_;
  Listener* listener_ = nullptr;  // null before Listen and once closed
  std::set<Connection*> connections_;
  std::deque<ScriptedAction> script_;
  std::vector<RecordedRequest> requests_;
  std::function<void(const RecordedRequest&)> on_request_;
  uint16_t port_ = 0;
  size_t connections_accepted_ = 0;
  size_t connections_closed_ = 0;
  bool closed_ = false;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_LOOP_SCRIPTED_HTTP_SERVER_H_
