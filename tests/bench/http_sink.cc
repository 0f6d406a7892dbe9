// inflow_sink: an HTTP/1.1 server on 127.0.0.1 that stands in for InfluxDB in
// benchmarks. It answers every request "204 No Content" at once (GET /ping
// as well as POST /write), on keep-alive connections, and counts requests,
// POST body bytes and the points in them (lines: newline bytes, plus a last
// line without one). A request counts once it has arrived whole. It stores
// nothing.
//
//   inflow_sink --port 0 --port-file /tmp/b/port --expect 2000000 --timeout 120
//
// It ends, printing one summary line on standard output,
//
//   inflow_sink: connections=1 requests=400 points=2000000 bytes=238888890
//       seconds=1.234 points_per_second=1620745 first_byte_at=1700000000.123456
//       last_byte_at=1700000001.357456
//
// (seconds runs from the first to the last POST body byte received; the
// *_at times are Unix times, so a script can measure from a moment of its
// own to the last byte), when:
//   - --expect N points have arrived: exit status 0;
//   - SIGTERM or SIGINT arrives: 0;
//   - --timeout S seconds have passed: 1 if --expect was given and not
//     reached, 0 otherwise.
// Exit status 2 is a usage error or a port that cannot be bound.
//
// One libuv loop and one thread. Each connection owns its handle and frees
// itself in the handle's close callback; on exit every handle is closed
// (answers already queued are flushed first, with uv_shutdown) and
// uv_loop_close must return 0.

#include <llhttp.h>
#include <netinet/in.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace {

// What InfluxDB 1.x answers a successful write with, minus Date and
// Request-Id, which no client of a benchmark needs.
constexpr std::string_view kAnswer =
    "HTTP/1.1 204 No Content\r\n"
    "Content-Type: application/json\r\n"
    "X-Influxdb-Build: OSS\r\n"
    "X-Influxdb-Version: inflow_sink\r\n"
    "\r\n";

double UnixNow() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Connection;

class Sink {
 public:
  struct Options {
    int port = 0;
    std::string port_file;
    uint64_t expect = 0;  // 0: never ends by count
    double timeout_seconds = 0;  // 0: no timeout
  };

  Sink(uv_loop_t* loop, Options options) : loop_(loop), options_(std::move(options)) {}

  // Binds, writes the port file and arms the timeout and signal handlers.
  // Returns false, having printed why and closed what it opened, when the
  // port cannot be bound or the port file cannot be written; the loop must
  // then still be run to let the close callbacks run.
  bool Start();

  // Prints the summary, closes every handle and sets the exit status. Later
  // calls do nothing.
  void Finish(int exit_status);

  int exit_status() const { return exit_status_; }

  // For connections.
  uv_loop_t* loop() const { return loop_; }
  // A POST body's bytes have arrived (they count once the request is whole).
  void NoteBodyBytes();
  // A request is whole; it carried `points` points in `bytes` body bytes.
  void AddRequest(uint64_t points, uint64_t bytes) {
    ++requests_;
    points_ += points;
    bytes_ += bytes;
  }
  void Forget(Connection* connection) { connections_.erase(connection); }
  // Called after each read: ends the run when the expected points are in.
  void CheckExpected() {
    if (options_.expect != 0 && points_ >= options_.expect) Finish(0);
  }

 private:
  // Start() failed: closes without a summary, exit status 2.
  void Fail() {
    finished_ = true;
    exit_status_ = 2;
    CloseAll();
  }
  void PrintSummary() const;
  void CloseAll();
  static void OnConnection(uv_stream_t* server, int status);
  static void OnTimeout(uv_timer_t* timer);
  static void OnSignal(uv_signal_t* signal, int signum);
  bool WritePortFile(int port);

  uv_loop_t* loop_;
  Options options_;
  uv_tcp_t server_;
  uv_timer_t timer_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  std::unordered_set<Connection*> connections_;
  uint64_t connections_accepted_ = 0;
  uint64_t requests_ = 0;
  uint64_t points_ = 0;
  uint64_t bytes_ = 0;
  double first_byte_at_ = 0;
  double last_byte_at_ = 0;
  bool finished_ = false;
  int exit_status_ = 0;
};

// One accepted connection: parses requests with llhttp and answers each.
class Connection {
 public:
  // REQUIRES: `sink` outlives the connection (it does: the loop runs until
  // every connection's close callback has run).
  explicit Connection(Sink* sink) : sink_(sink) {
    uv_tcp_init(sink->loop(), &tcp_);
    tcp_.data = this;
    llhttp_init(&parser_, HTTP_REQUEST, &kSettings);
    parser_.data = this;
  }

  uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&tcp_); }

  // Starts reading. Returns false when it cannot; the caller then closes.
  bool Start() { return uv_read_start(stream(), OnAlloc, OnRead) == 0; }

  // Closes the connection and frees it in the close callback. With
  // `flush`, answers already queued are sent first (uv_shutdown waits for
  // them); without, they are dropped.
  void Close(bool flush);

 private:
  static llhttp_settings_t MakeSettings();
  static int OnMessageBegin(llhttp_t* parser);
  static int OnHeadersComplete(llhttp_t* parser);
  static int OnBody(llhttp_t* parser, const char* at, size_t length);
  static int OnMessageComplete(llhttp_t* parser);
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void OnWritten(uv_write_t* req, int status);
  static void OnShutdown(uv_shutdown_t* req, int status);
  static void OnClosed(uv_handle_t* handle);

  static const llhttp_settings_t kSettings;

  Sink* sink_;
  uv_tcp_t tcp_;
  uv_shutdown_t shutdown_;
  llhttp_t parser_;
  char buffer_[64 << 10];
  unsigned answers_due_ = 0;  // requests completed in this read, not yet answered
  bool is_post_ = false;
  bool close_after_answer_ = false;
  uint64_t body_bytes_ = 0;  // of the current request
  uint64_t body_newlines_ = 0;
  char last_body_byte_ = '\n';
  bool closing_ = false;
};

// One write of the answers due after a read; owns its bytes until the write
// completes.
struct AnswerWrite {
  uv_write_t req;
  std::string bytes;
};

const llhttp_settings_t Connection::kSettings = Connection::MakeSettings();

llhttp_settings_t Connection::MakeSettings() {
  llhttp_settings_t settings;
  llhttp_settings_init(&settings);
  settings.on_message_begin = OnMessageBegin;
  settings.on_headers_complete = OnHeadersComplete;
  settings.on_body = OnBody;
  settings.on_message_complete = OnMessageComplete;
  return settings;
}

int Connection::OnMessageBegin(llhttp_t* parser) {
  auto* self = static_cast<Connection*>(parser->data);
  self->is_post_ = false;
  self->body_bytes_ = 0;
  self->body_newlines_ = 0;
  self->last_body_byte_ = '\n';
  return 0;
}

int Connection::OnHeadersComplete(llhttp_t* parser) {
  static_cast<Connection*>(parser->data)->is_post_ = llhttp_get_method(parser) == HTTP_POST;
  return 0;
}

int Connection::OnBody(llhttp_t* parser, const char* at, size_t length) {
  auto* self = static_cast<Connection*>(parser->data);
  if (!self->is_post_ || length == 0) return 0;
  self->sink_->NoteBodyBytes();
  self->body_bytes_ += length;
  self->body_newlines_ += static_cast<uint64_t>(std::count(at, at + length, '\n'));
  self->last_body_byte_ = at[length - 1];
  return 0;
}

int Connection::OnMessageComplete(llhttp_t* parser) {
  auto* self = static_cast<Connection*>(parser->data);
  // A last line without a newline is a point too.
  bool unterminated = self->body_bytes_ > 0 && self->last_body_byte_ != '\n';
  self->sink_->AddRequest(self->body_newlines_ + (unterminated ? 1 : 0), self->body_bytes_);
  ++self->answers_due_;
  if (llhttp_should_keep_alive(parser) == 0) {
    self->close_after_answer_ = true;
    return HPE_PAUSED;  // nothing after this request is read
  }
  return 0;
}

void Connection::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(handle->data);
  *buf = uv_buf_init(self->buffer_, sizeof(self->buffer_));
}

void Connection::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0) {
    // The client closed (UV_EOF) or the connection failed: nothing is
    // left to answer on it.
    self->Close(false);
    return;
  }
  llhttp_errno_t err = llhttp_execute(&self->parser_, buf->base, static_cast<size_t>(nread));
  bool bad_request = err != HPE_OK && !(err == HPE_PAUSED && self->close_after_answer_);
  if (self->answers_due_ > 0) {
    auto* write = new AnswerWrite;
    write->bytes.reserve(kAnswer.size() * self->answers_due_);
    for (unsigned i = 0; i < self->answers_due_; ++i) write->bytes.append(kAnswer);
    self->answers_due_ = 0;
    write->req.data = write;
    uv_buf_t out = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
    if (uv_write(&write->req, stream, &out, 1, OnWritten) != 0) {
      delete write;
      bad_request = true;
    }
  }
  if (bad_request) {
    // A malformed request gets no answer: the client sees the connection
    // close, which is all a benchmark needs to notice it.
    std::fprintf(stderr, "inflow_sink: closing a connection: %s\n",
                 err == HPE_OK ? "write failed" : llhttp_errno_name(err));
    self->Close(false);
  } else if (self->close_after_answer_) {
    self->Close(true);
  }
  // May finish the run, closing this connection too: nothing of `self` is
  // used after this call.
  self->sink_->CheckExpected();
}

void Connection::OnWritten(uv_write_t* req, int) {
  // A failed write (the client went away) is noticed by the read side.
  delete static_cast<AnswerWrite*>(req->data);
}

void Connection::Close(bool flush) {
  if (closing_) return;
  closing_ = true;
  uv_read_stop(stream());
  shutdown_.data = this;
  if (flush && uv_shutdown(&shutdown_, stream(), OnShutdown) == 0) return;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), OnClosed);
}

void Connection::OnShutdown(uv_shutdown_t* req, int) {
  auto* self = static_cast<Connection*>(req->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->tcp_), OnClosed);
}

void Connection::OnClosed(uv_handle_t* handle) {
  auto* self = static_cast<Connection*>(handle->data);
  self->sink_->Forget(self);
  delete self;
}

// ---------------------------------------------------------------------------

void Sink::NoteBodyBytes() {
  double now = UnixNow();
  if (first_byte_at_ == 0) first_byte_at_ = now;
  last_byte_at_ = now;
}

bool Sink::Start() {
  uv_tcp_init(loop_, &server_);
  server_.data = this;
  uv_timer_init(loop_, &timer_);
  timer_.data = this;
  uv_signal_init(loop_, &sigterm_);
  sigterm_.data = this;
  uv_signal_init(loop_, &sigint_);
  sigint_.data = this;

  sockaddr_in addr;
  uv_ip4_addr("127.0.0.1", options_.port, &addr);
  int rc = uv_tcp_bind(&server_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server_), 511, OnConnection);
  }
  if (rc != 0) {
    std::fprintf(stderr, "inflow_sink: cannot listen on 127.0.0.1:%d: %s\n", options_.port,
                 uv_strerror(rc));
    Fail();
    return false;
  }
  sockaddr_storage bound;
  int length = sizeof(bound);
  uv_tcp_getsockname(&server_, reinterpret_cast<sockaddr*>(&bound), &length);
  int port = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (!options_.port_file.empty() && !WritePortFile(port)) {
    Fail();
    return false;
  }
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  if (options_.timeout_seconds > 0) {
    uv_timer_start(&timer_, OnTimeout, static_cast<uint64_t>(options_.timeout_seconds * 1000), 0);
  }
  return true;
}

// Written under another name and renamed, so a reader never sees half a
// port number.
bool Sink::WritePortFile(int port) {
  std::string tmp = options_.port_file + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  bool ok = f != nullptr && std::fprintf(f, "%d\n", port) > 0;
  if (f != nullptr && std::fclose(f) != 0) ok = false;
  if (ok && std::rename(tmp.c_str(), options_.port_file.c_str()) != 0) ok = false;
  if (!ok) {
    std::fprintf(stderr, "inflow_sink: cannot write the port file %s\n",
                 options_.port_file.c_str());
  }
  return ok;
}

void Sink::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<Sink*>(server->data);
  if (status != 0) {
    std::fprintf(stderr, "inflow_sink: accept failed: %s\n", uv_strerror(status));
    return;
  }
  auto* connection = new Connection(self);
  self->connections_.insert(connection);
  if (uv_accept(server, connection->stream()) != 0 || !connection->Start()) {
    connection->Close(false);
    return;
  }
  ++self->connections_accepted_;
}

void Sink::OnTimeout(uv_timer_t* timer) {
  auto* self = static_cast<Sink*>(timer->data);
  bool short_of_expected = self->options_.expect != 0 && self->points_ < self->options_.expect;
  if (short_of_expected) {
    std::fprintf(stderr, "inflow_sink: timed out after %g s with %llu of %llu points\n",
                 self->options_.timeout_seconds, static_cast<unsigned long long>(self->points_),
                 static_cast<unsigned long long>(self->options_.expect));
  }
  self->Finish(short_of_expected ? 1 : 0);
}

void Sink::OnSignal(uv_signal_t* signal, int) { static_cast<Sink*>(signal->data)->Finish(0); }

void Sink::Finish(int exit_status) {
  if (finished_) return;
  finished_ = true;
  exit_status_ = exit_status;
  PrintSummary();
  CloseAll();
}

void Sink::PrintSummary() const {
  double seconds = last_byte_at_ - first_byte_at_;
  std::printf(
      "inflow_sink: connections=%llu requests=%llu points=%llu bytes=%llu seconds=%.3f "
      "points_per_second=%.0f first_byte_at=%.6f last_byte_at=%.6f\n",
      static_cast<unsigned long long>(connections_accepted_),
      static_cast<unsigned long long>(requests_), static_cast<unsigned long long>(points_),
      static_cast<unsigned long long>(bytes_), seconds,
      seconds > 0 ? static_cast<double>(points_) / seconds : 0.0, first_byte_at_, last_byte_at_);
  std::fflush(stdout);
}

void Sink::CloseAll() {
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(&server_), reinterpret_cast<uv_handle_t*>(&timer_),
        reinterpret_cast<uv_handle_t*>(&sigterm_), reinterpret_cast<uv_handle_t*>(&sigint_)}) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
  }
  // Connections leave the set only in their close callbacks, which run
  // after this loop.
  for (Connection* connection : connections_) connection->Close(true);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"An HTTP server on 127.0.0.1 that answers every request 204 and counts points."};
  Sink::Options options;
  app.add_option("--port", options.port, "port to listen on; 0 picks a free one")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  app.add_option("--port-file", options.port_file, "file to write the bound port to");
  app.add_option("--expect", options.expect,
                 "exit (status 0) with the summary once this many points arrived; 0: never");
  app.add_option("--timeout", options.timeout_seconds,
                 "seconds before exiting anyway (status 1 when --expect was not reached); 0: none")
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }

  // A client that goes away while an answer is being written must not
  // kill the sink.
  std::signal(SIGPIPE, SIG_IGN);

  uv_loop_t loop;
  uv_loop_init(&loop);
  int exit_status;
  {
    Sink sink(&loop, options);
    sink.Start();
    uv_run(&loop, UV_RUN_DEFAULT);
    exit_status = sink.exit_status();
  }
  int rc = uv_loop_close(&loop);
  if (rc != 0) {
    std::fprintf(stderr, "inflow_sink: uv_loop_close: %s (a handle was left open)\n",
                 uv_strerror(rc));
    return 1;
  }
  return exit_status;
}
