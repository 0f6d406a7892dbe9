#include "scripted_http_server.h"

#include <netinet/in.h>

#include <algorithm>

namespace inflow::test {

struct ScriptedHttpServer::Listener {
  uv_tcp_t tcp;
  ScriptedHttpServer* server;  // null once the server is gone
};

struct ScriptedHttpServer::Connection {
  uv_tcp_t tcp;
  uv_timer_t timer;            // paces an answer's pieces, then times the idle close
  ScriptedHttpServer* server;  // null once the server is gone
  size_t number = 0;
  daemon::HttpRequestParser parser;
  std::string request_bytes;  // of the request being read
  std::string pieces;         // of the answer, still to send
  size_t piece_bytes = 0;
  bool close_after = false;
  std::optional<std::chrono::milliseconds> idle_close;
  bool answered_early = false;  // the request being read was answered before its body
  bool closing = false;
  int open_handles = 2;  // freed when both tcp and timer have closed
  char buffer[16 << 10];
};

// The request owns its bytes until libuv is done with them.
struct ScriptedHttpServer::Write {
  uv_write_t req;
  std::string bytes;
  Connection* connection;
  bool last;  // the answer's last piece
};

ScriptedAction ScriptedAction::Answer(std::string bytes) {
  ScriptedAction action;
  action.answer = std::move(bytes);
  return action;
}

ScriptedAction ScriptedAction::AnswerThenClose(std::string bytes) {
  ScriptedAction action = Answer(std::move(bytes));
  action.close_after = true;
  return action;
}

ScriptedAction ScriptedAction::AnswerInPieces(std::string bytes, size_t piece_bytes) {
  ScriptedAction action = Answer(std::move(bytes));
  action.piece_bytes = piece_bytes;
  return action;
}

ScriptedAction ScriptedAction::AnswerThenCloseWhenIdle(std::string bytes,
                                                       std::chrono::milliseconds idle) {
  ScriptedAction action = Answer(std::move(bytes));
  action.idle_close = idle;
  return action;
}

ScriptedAction ScriptedAction::AnswerBeforeTheBody(std::string bytes) {
  ScriptedAction action = Answer(std::move(bytes));
  action.before_body = true;
  return action;
}

ScriptedAction ScriptedAction::CloseWithoutAnswer() {
  ScriptedAction action;
  action.kind = Kind::kCloseWithoutAnswer;
  return action;
}

ScriptedAction ScriptedAction::StaySilent() {
  ScriptedAction action;
  action.kind = Kind::kStaySilent;
  return action;
}

std::string InfluxAnswer(int status, std::string_view error,
                         const std::vector<std::pair<std::string_view, std::string_view>>& headers,
                         bool keep_alive) {
  std::string body;
  if (!error.empty()) daemon::AppendInfluxErrorBody(error, &body);
  std::vector<std::pair<std::string_view, std::string_view>> all = {
      {"X-Influxdb-Version", "scripted"}};
  all.insert(all.end(), headers.begin(), headers.end());
  std::string out;
  daemon::AppendHttpResponse(status, body.empty() ? "" : "application/json", body, keep_alive, all,
                             &out);
  return out;
}

ScriptedHttpServer::ScriptedHttpServer(uv_loop_t* loop) : loop_(loop) {}

ScriptedHttpServer::~ScriptedHttpServer() {
  Close();
  for (Connection* connection : connections_) connection->server = nullptr;
}

Status ScriptedHttpServer::Listen() {
  listener_ = new Listener{};
  listener_->server = this;
  uv_tcp_init(loop_, &listener_->tcp);
  listener_->tcp.data = listener_;
  struct sockaddr_in address = {};
  uv_ip4_addr("127.0.0.1", 0, &address);
  const char* call = "uv_tcp_bind";
  int rc = uv_tcp_bind(&listener_->tcp, reinterpret_cast<const struct sockaddr*>(&address), 0);
  if (rc == 0) {
    call = "uv_listen";
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&listener_->tcp), 16, OnConnection);
  }
  if (rc == 0) {
    call = "uv_tcp_getsockname";
    struct sockaddr_storage bound = {};
    int length = sizeof bound;
    rc = uv_tcp_getsockname(&listener_->tcp, reinterpret_cast<struct sockaddr*>(&bound), &length);
    if (rc == 0) port_ = ntohs(reinterpret_cast<const struct sockaddr_in*>(&bound)->sin_port);
  }
  if (rc != 0) {
    Close();
    return Status::Error(std::string(call) + " on 127.0.0.1:0: " + uv_strerror(rc));
  }
  return Status::Ok();
}

std::string ScriptedHttpServer::url(std::string_view user_info) const {
  std::string url = "http://";
  if (!user_info.empty()) url.append(user_info).append("@");
  return url + "127.0.0.1:" + std::to_string(port_);
}

void ScriptedHttpServer::OnConnection(uv_stream_t* stream, int status) {
  ScriptedHttpServer* self = static_cast<Listener*>(stream->data)->server;
  if (self == nullptr || status < 0) return;
  auto* connection = new Connection;
  connection->server = self;
  connection->number = ++self->connections_accepted_;
  uv_tcp_init(self->loop_, &connection->tcp);
  connection->tcp.data = connection;
  uv_timer_init(self->loop_, &connection->timer);
  connection->timer.data = connection;
  self->connections_.insert(connection);
  if (uv_accept(stream, reinterpret_cast<uv_stream_t*>(&connection->tcp)) != 0) {
    CloseConnection(connection);
    return;
  }
  uv_tcp_nodelay(&connection->tcp, 1);
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&connection->tcp),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        auto* c = static_cast<Connection*>(handle->data);
        *buf = uv_buf_init(c->buffer, sizeof c->buffer);
      },
      OnRead);
}

void ScriptedHttpServer::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* connection = static_cast<Connection*>(stream->data);
  if (nread == 0) return;
  if (nread < 0 || connection->server == nullptr) {
    CloseConnection(connection);
    return;
  }
  // A request has begun to arrive: the connection is no longer idle.
  if (connection->pieces.empty()) uv_timer_stop(&connection->timer);
  std::string_view data(buf->base, static_cast<size_t>(nread));
  while (!data.empty() && !connection->closing) {
    ScriptedHttpServer* self = connection->server;
    if (connection->request_bytes.empty() && !self->script_.empty() &&
        self->script_.front().before_body) {
      connection->answered_early = true;
      self->Act(connection);
      if (connection->closing) return;
    }
    size_t consumed = 0;
    daemon::HttpRequestParser::Result result = connection->parser.Feed(data, &consumed);
    connection->request_bytes.append(data.substr(0, consumed));
    data.remove_prefix(consumed);
    if (result == daemon::HttpRequestParser::Result::kNeedMore) return;
    if (result == daemon::HttpRequestParser::Result::kError) {
      CloseConnection(connection);
      return;
    }
    RecordedRequest request;
    request.request = connection->parser.request();
    request.bytes = std::move(connection->request_bytes);
    request.connection = connection->number;
    request.received_at = uv_now(stream->loop);
    connection->request_bytes.clear();
    connection->parser.Reset();
    bool answered = connection->answered_early;
    connection->answered_early = false;
    self->OnRequest(connection, std::move(request), answered);
  }
}

void ScriptedHttpServer::OnRequest(Connection* connection, RecordedRequest request, bool answered) {
  requests_.push_back(std::move(request));
  if (!answered) Act(connection);
  if (on_request_) on_request_(requests_.back());
}

// Carries out the script's next action on `connection`; closes it when the
// script has run out.
void ScriptedHttpServer::Act(Connection* connection) {
  if (script_.empty()) {
    CloseConnection(connection);
    return;
  }
  ScriptedAction action = std::move(script_.front());
  script_.pop_front();
  switch (action.kind) {
    case ScriptedAction::Kind::kAnswer:
      connection->close_after = action.close_after;
      connection->idle_close = action.idle_close;
      connection->piece_bytes = action.piece_bytes == 0 ? action.answer.size() : action.piece_bytes;
      connection->pieces = std::move(action.answer);
      SendPiece(connection);
      break;
    case ScriptedAction::Kind::kCloseWithoutAnswer:
      CloseConnection(connection);
      break;
    case ScriptedAction::Kind::kStaySilent:
      break;
  }
}

void ScriptedHttpServer::SendPiece(Connection* connection) {
  size_t size = std::min(connection->piece_bytes, connection->pieces.size());
  std::string piece = connection->pieces.substr(0, size);
  connection->pieces.erase(0, size);
  bool last = connection->pieces.empty();
  // A timer turn between pieces lets the client's read of one piece come
  // before the next is written. (Not 0 ms: libuv 1.44 would run a timer
  // restarted at 0 ms again within the same turn.)
  if (last) {
    uv_timer_stop(&connection->timer);
  } else if (!uv_is_active(reinterpret_cast<uv_handle_t*>(&connection->timer))) {
    uv_timer_start(&connection->timer, OnPieceTimer, 1, 1);
  }
  Send(connection, std::move(piece), last);
}

void ScriptedHttpServer::OnPieceTimer(uv_timer_t* timer) {
  auto* connection = static_cast<Connection*>(timer->data);
  if (!connection->closing) SendPiece(connection);
}

void ScriptedHttpServer::Send(Connection* connection, std::string bytes, bool last) {
  if (bytes.empty()) {
    if (last) AnswerSent(connection);
    return;
  }
  auto* write = new Write{};
  write->bytes = std::move(bytes);
  write->connection = connection;
  write->last = last;
  write->req.data = write;
  uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc =
      uv_write(&write->req, reinterpret_cast<uv_stream_t*>(&connection->tcp), &buf, 1, OnWritten);
  if (rc < 0) {
    delete write;
    CloseConnection(connection);
  }
}

// On a connection being closed, libuv cancels its writes before the close
// callbacks run, so `connection` is still there.
void ScriptedHttpServer::OnWritten(uv_write_t* req, int status) {
  auto* write = static_cast<Write*>(req->data);
  Connection* connection = write->connection;
  bool last = write->last;
  delete write;
  if (status < 0) {
    CloseConnection(connection);
  } else if (last && !connection->closing) {
    AnswerSent(connection);
  }
}

void ScriptedHttpServer::AnswerSent(Connection* connection) {
  if (connection->close_after) {
    CloseConnection(connection);
  } else if (connection->idle_close) {
    uv_timer_start(&connection->timer, OnIdleTimer,
                   static_cast<uint64_t>(connection->idle_close->count()), 0);
  }
}

void ScriptedHttpServer::OnIdleTimer(uv_timer_t* timer) {
  CloseConnection(static_cast<Connection*>(timer->data));
}

void ScriptedHttpServer::CloseConnection(Connection* connection) {
  if (connection->closing) return;
  connection->closing = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&connection->tcp), OnConnectionHandleClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&connection->timer), OnConnectionHandleClosed);
}

void ScriptedHttpServer::OnConnectionHandleClosed(uv_handle_t* handle) {
  auto* connection = static_cast<Connection*>(handle->data);
  if (--connection->open_handles > 0) return;
  if (connection->server != nullptr) {
    connection->server->connections_.erase(connection);
    ++connection->server->connections_closed_;
  }
  delete connection;
}

void ScriptedHttpServer::Close() {
  if (closed_) return;
  closed_ = true;
  if (listener_ != nullptr) {
    listener_->server = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_->tcp),
             [](uv_handle_t* handle) { delete static_cast<Listener*>(handle->data); });
    listener_ = nullptr;
  }
  for (Connection* connection : connections_) CloseConnection(connection);
}

}  // namespace inflow::test
