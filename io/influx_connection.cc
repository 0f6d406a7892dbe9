#include "inflow/influx_connection.h"

#include <netdb.h>
#include <netinet/in.h>

#include <chrono>
#include <utility>

namespace inflow {

struct InfluxConnection::Connection {
  TrackedHandle<uv_tcp_t> tcp;  // tcp.handle.data: this
  uv_connect_t connect;
  uv_write_t write;
  InfluxConnection* owner;  // null once abandoned: callbacks then do nothing
  bool connected = false;
  bool writing = false;  // `write` is in use: a request is still going out
};

struct InfluxConnection::Resolve {
  uv_getaddrinfo_t req;
  InfluxConnection* owner;  // null once abandoned
  HandleSet* handles;       // the owner's, which counts the lookup until its callback
};

namespace {

uint64_t Milliseconds(std::chrono::nanoseconds duration) {
  auto ms = std::chrono::ceil<std::chrono::milliseconds>(duration).count();
  return ms < 1 ? 1 : static_cast<uint64_t>(ms);
}

}  // namespace

InfluxConnection::InfluxConnection(uv_loop_t* loop, const InfluxEndpoint* endpoint)
    : loop_(loop),
      endpoint_(endpoint),
      parser_(HttpResponseParser::kDefaultMaxHeaderBytes, endpoint->max_answer_bytes) {
  uv_timer_init(loop_, &timer_.handle);
  timer_.handle.data = this;
  handles_.Adopt(&timer_);
}

InfluxConnection::~InfluxConnection() {
  if (addresses_ != nullptr) uv_freeaddrinfo(addresses_);
}

void InfluxConnection::Write(std::string_view retention_policy, std::string_view body,
                             Callback done) {
  request_.clear();
  BuildWriteRequest(endpoint_->url, endpoint_->database, retention_policy, body, &request_);
  Start(std::move(done), ClassifyWriteAnswer);
}

void InfluxConnection::CreateDatabase(Callback done) {
  request_.clear();
  BuildCreateDatabaseRequest(endpoint_->url, endpoint_->database, &request_);
  Start(std::move(done), ClassifyQueryAnswer);
}

void InfluxConnection::Query(std::string_view statements, QueryCallback done) {
  request_.clear();
  BuildQueryRequest(endpoint_->url, endpoint_->database, statements, &request_);
  Start([this, done = std::move(done)](const WriteVerdict& verdict) {
          done(verdict, std::move(answer_body_));
        },
        ClassifyQueryAnswer);
}

void InfluxConnection::Start(Callback done, Classifier classify) {
  answer_body_.clear();
  done_ = std::move(done);
  classify_ = classify;
  uv_timer_start(&timer_.handle, OnTimeout, Milliseconds(endpoint_->request_timeout), 0);
  // Whatever fails from here to the end of Start is reported by Finish
  // from the loop: see there.
  starting_ = true;
  if (connection_ != nullptr && connection_->connected) {
    reused_ = true;
    Send();
  } else {
    Connect();
  }
  starting_ = false;
}

void InfluxConnection::Connect() {
  Abandon();
  reused_ = false;
  resolve_ = new Resolve{};
  resolve_->owner = this;
  resolve_->handles = &handles_;
  resolve_->req.data = resolve_;
  struct addrinfo hints = {};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  std::string port = std::to_string(endpoint_->url.port);
  int rc = uv_getaddrinfo(loop_, &resolve_->req, OnResolved, endpoint_->url.host.c_str(),
                          port.c_str(), &hints);
  if (rc < 0) {
    delete resolve_;
    resolve_ = nullptr;
    Fail("cannot look up " + endpoint_->url.host + ": " + uv_strerror(rc));
    return;
  }
  handles_.RequestStarted();
}

void InfluxConnection::OnResolved(uv_getaddrinfo_t* req, int status, struct addrinfo* result) {
  auto* resolve = static_cast<Resolve*>(req->data);
  InfluxConnection* self = resolve->owner;
  resolve->handles->RequestDone();
  delete resolve;
  if (self == nullptr) {
    if (result != nullptr) uv_freeaddrinfo(result);
    return;
  }
  self->resolve_ = nullptr;
  if (status < 0) {
    self->Fail("cannot look up " + self->endpoint_->url.host + ": " + uv_strerror(status));
    return;
  }
  if (self->addresses_ != nullptr) uv_freeaddrinfo(self->addresses_);
  self->addresses_ = result;
  self->next_address_ = result;
  self->last_connect_error_ = "no address";
  self->ConnectNext();
}

// Tries the looked-up addresses in turn ("localhost" may name ::1 first
// while the server listens on 127.0.0.1 only).
void InfluxConnection::ConnectNext() {
  if (next_address_ == nullptr) {
    Fail("cannot connect to " + endpoint_->url.host + ":" + std::to_string(endpoint_->url.port) +
         ": " + last_connect_error_);
    return;
  }
  const struct addrinfo* address = next_address_;
  next_address_ = next_address_->ai_next;
  auto* connection = new Connection{};
  connection->owner = this;
  uv_tcp_init(loop_, &connection->tcp.handle);
  connection->tcp.handle.data = connection;
  handles_.Adopt(&connection->tcp);
  connection->connect.data = connection;
  connection->write.data = connection;
  uv_tcp_nodelay(&connection->tcp.handle, 1);
  connection_ = connection;
  int rc = uv_tcp_connect(&connection->connect, &connection->tcp.handle, address->ai_addr,
                          OnConnected);
  if (rc < 0) {
    last_connect_error_ = uv_strerror(rc);
    Abandon();
    ConnectNext();
  }
}

void InfluxConnection::OnConnected(uv_connect_t* req, int status) {
  auto* connection = static_cast<Connection*>(req->data);
  InfluxConnection* self = connection->owner;
  if (self == nullptr) return;
  if (status < 0) {
    self->last_connect_error_ = uv_strerror(status);
    self->Abandon();
    self->ConnectNext();
    return;
  }
  connection->connected = true;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&connection->tcp.handle),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        InfluxConnection* owner = static_cast<Connection*>(handle->data)->owner;
        *buf = owner == nullptr ? uv_buf_init(nullptr, 0)
                                : uv_buf_init(owner->read_buffer_, sizeof(owner->read_buffer_));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        InfluxConnection* owner = static_cast<Connection*>(stream->data)->owner;
        if (owner != nullptr) owner->OnRead(nread, buf);
      });
  self->Send();
}

void InfluxConnection::Send() {
  parser_.Reset();
  answer_bytes_ = 0;
  uv_buf_t buf = uv_buf_init(request_.data(), static_cast<unsigned>(request_.size()));
  connection_->writing = true;
  int rc = uv_write(&connection_->write, reinterpret_cast<uv_stream_t*>(&connection_->tcp.handle),
                    &buf, 1, OnWritten);
  if (rc < 0) Fail(std::string("cannot send the write: ") + uv_strerror(rc));
}

void InfluxConnection::OnWritten(uv_write_t* req, int status) {
  auto* connection = static_cast<Connection*>(req->data);
  connection->writing = false;
  InfluxConnection* self = connection->owner;
  if (self == nullptr || status >= 0 || !self->busy()) return;
  if (self->reused_ && self->answer_bytes_ == 0) {
    self->Connect();  // the server had closed the idle connection
    return;
  }
  self->Fail(std::string("cannot send the write: ") + uv_strerror(status));
}

void InfluxConnection::OnRead(ssize_t nread, const uv_buf_t* buf) {
  if (nread == 0) return;
  if (!busy()) {
    // The server closed the idle connection, or sent what nobody asked for.
    Abandon();
    return;
  }
  if (nread < 0) {
    if (nread == UV_EOF && parser_.Finish() == HttpResponseParser::Result::kComplete) {
      WriteVerdict verdict = classify_(parser_.response());
      answer_body_ = parser_.response().body;
      Abandon();
      Finish(std::move(verdict));
    } else if (reused_ && answer_bytes_ == 0) {
      Connect();  // the server had closed the idle connection
    } else {
      Fail(nread == UV_EOF ? "InfluxDB closed the connection before answering"
                           : std::string("connection to InfluxDB failed: ") +
                                 uv_strerror(static_cast<int>(nread)));
    }
    return;
  }
  std::string_view data(buf->base, static_cast<size_t>(nread));
  answer_bytes_ += data.size();
  size_t consumed = 0;
  switch (parser_.Feed(data, &consumed)) {
    case HttpResponseParser::Result::kNeedMore:
      return;
    case HttpResponseParser::Result::kError:
      Fail("malformed answer from InfluxDB: " + parser_.error());
      return;
    case HttpResponseParser::Result::kComplete: {
      WriteVerdict verdict = classify_(parser_.response());
      answer_body_ = parser_.response().body;
      // Bytes after the answer belong to no request, and an answer that
      // came before the whole request went out (a server may refuse a body
      // early) leaves the rest of the body on its way: either way the
      // connection cannot carry another request.
      if (!parser_.response().keep_alive || consumed < data.size() || connection_->writing) {
        Abandon();
      }
      Finish(std::move(verdict));
      return;
    }
  }
}

void InfluxConnection::OnTimeout(uv_timer_t* timer) {
  auto* self = static_cast<InfluxConnection*>(timer->data);
  if (!self->busy()) return;
  self->Fail("no answer from InfluxDB within request_timeout (" +
             std::to_string(Milliseconds(self->endpoint_->request_timeout)) + " ms)");
}

// The one place `done` is called. Inside Start (Write, CreateDatabase), the
// caller is still in its call: the verdict waits for the timer, due at once,
// so that the caller is never called back from within its own call (and,
// starting the next write from the callback, never recurses). Every other
// path here runs in a loop callback already.
void InfluxConnection::Finish(WriteVerdict verdict) {
  uv_timer_stop(&timer_.handle);
  if (starting_) {
    deferred_ = std::move(verdict);
    uv_timer_start(&timer_.handle, OnDeferred, 0, 0);
    return;
  }
  // The callback may start the next write at once.
  Callback done = std::move(done_);
  done_ = nullptr;
  if (done) done(verdict);
}

void InfluxConnection::OnDeferred(uv_timer_t* timer) {
  auto* self = static_cast<InfluxConnection*>(timer->data);
  if (!self->deferred_) return;
  WriteVerdict verdict = std::move(*self->deferred_);
  self->deferred_.reset();
  self->Finish(std::move(verdict));
}

void InfluxConnection::Fail(std::string what) {
  Abandon();
  WriteVerdict verdict;
  verdict.outcome = WriteOutcome::kRetry;
  verdict.error = std::move(what);
  Finish(std::move(verdict));
}

void InfluxConnection::Abandon() {
  if (connection_ != nullptr) {
    connection_->owner = nullptr;
    handles_.Close(&connection_->tcp,
                   [](uv_tcp_t* tcp) { delete static_cast<Connection*>(tcp->data); });
    connection_ = nullptr;
  }
  if (resolve_ != nullptr) {
    resolve_->owner = nullptr;
    uv_cancel(reinterpret_cast<uv_req_t*>(&resolve_->req));
    resolve_ = nullptr;
  }
}

void InfluxConnection::Close() {
  if (closed_) return;
  closed_ = true;
  done_ = nullptr;
  deferred_.reset();
  Abandon();
  handles_.Close(&timer_);
}

}  // namespace inflow
