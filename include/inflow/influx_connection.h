// InfluxConnection: the I/O edge of a session's writes: HTTP/1.1 to InfluxDB
// over libuv TCP.
//
// A connection keeps one keep-alive TCP connection and carries one request at a
// time, so a session's batches reach InfluxDB in order. It reports a verdict
// per write (ClassifyWriteAnswer's, or kRetry naming the transport failure:
// no address, refused, reset, timed out, a malformed answer); it never
// retries a write itself, except once at once on a fresh connection when a
// reused keep-alive connection turns out to have been closed by the server
// before it answered. What to do with a verdict is Delivery's to decide
// (delivery.h), carried out by BatchWriter.
//
// Every verdict is reported from a loop callback, never from within the
// call that started the write: a failure found inside Write or
// CreateDatabase (the host refused by uv_getaddrinfo at the call, uv_write
// refusing the stream) waits for the loop's next turn, so a caller may start
// the next write from its callback without being called back inside it.
//
// Ownership: the InfluxConnection owns its timer and its connection, and the
// connections and lookups it abandoned until their callbacks ran (a
// HandleSet, which aborts the process if it is destroyed earlier).
// Close() closes them; the InfluxConnection must outlive the loop's run that follows.
// Thread: the loop's.

#ifndef INFLOW_INFLUX_CONNECTION_H_
#define INFLOW_INFLUX_CONNECTION_H_

#include <uv.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "inflow/handle_set.h"
#include "inflow/http_response_parser.h"
#include "inflow/influx_protocol.h"

namespace inflow {

class InfluxConnection {
 public:
  using Callback = std::function<void(const WriteVerdict&)>;

  InfluxConnection(uv_loop_t* loop, const InfluxEndpoint* endpoint);
  ~InfluxConnection();

  InfluxConnection(const InfluxConnection&) = delete;
  InfluxConnection& operator=(const InfluxConnection&) = delete;

  // Writes `body` (lines ending in '\n', ns timestamps) to the retention
  // policy; calls `done` once, from a later loop callback (never from
  // within this call, even for a failure found in it), with the verdict,
  // unless the connection is closed first. busy() until then.
  // REQUIRES: !busy(), not closed.
  void Write(std::string_view retention_policy, std::string_view body, Callback done);

  // Creates the database (CREATE DATABASE, which succeeds if it exists);
  // `done` gets ClassifyQueryAnswer's verdict. REQUIRES: as for Write.
  void CreateDatabase(Callback done);

  // Runs `statements` (InfluxQL reads: SELECT, SHOW) on the database;
  // `done` gets ClassifyQueryAnswer's verdict and, when InfluxDB answered,
  // the answer's body (its JSON results; empty when it did not answer).
  // REQUIRES: as for Write.
  using QueryCallback = std::function<void(const WriteVerdict&, std::string body)>;
  void Query(std::string_view statements, QueryCallback done);

  bool busy() const { return static_cast<bool>(done_); }

  // Abandons a write in flight (its callback is never called) and closes
  // the connection and the timer. It may be destroyed once the
  // loop has run their close callbacks (and those of the connections and
  // lookups abandoned before).
  void Close();

 private:
  struct Connection;
  struct Resolve;

  using Classifier = WriteVerdict (*)(const HttpResponse&);

  void Start(Callback done, Classifier classify);
  void Connect();
  void ConnectNext();
  void Send();
  void Abandon();
  void Finish(WriteVerdict verdict);
  void Fail(std::string what);
  void OnRead(ssize_t nread, const uv_buf_t* buf);

  static void OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* result);
  static void OnConnected(uv_connect_t* req, int status);
  static void OnWritten(uv_write_t* req, int status);
  static void OnTimeout(uv_timer_t* timer);
  static void OnDeferred(uv_timer_t* timer);

  HandleSet handles_{"InfluxConnection"};
  uv_loop_t* loop_;
  const InfluxEndpoint* endpoint_;
  // The request's deadline; or, due at once, the report of a verdict found
  // inside Start (deferred_).
  TrackedHandle<uv_timer_t> timer_;
  bool closed_ = false;
  bool starting_ = false;  // inside Start: a verdict now must wait for the loop
  std::optional<WriteVerdict> deferred_;

  Connection* connection_ = nullptr;  // null when not connected
  Resolve* resolve_ = nullptr;        // a lookup in progress
  struct addrinfo* addresses_ = nullptr;
  struct addrinfo* next_address_ = nullptr;
  std::string last_connect_error_;

  std::string request_;
  std::string answer_body_;  // of the last answer, for Query
  Callback done_;
  Classifier classify_ = ClassifyWriteAnswer;
  HttpResponseParser parser_;
  bool reused_ = false;         // the write went out on a connection used before
  size_t answer_bytes_ = 0;     // bytes of the answer received so far
  char read_buffer_[16 << 10];
};

}  // namespace inflow

#endif  // INFLOW_INFLUX_CONNECTION_H_
