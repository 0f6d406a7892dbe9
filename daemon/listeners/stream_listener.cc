#include "listeners/stream_listener.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include "listeners/socket_address.h"

namespace inflow::daemon {

struct StreamListener::Client {
  Client(StreamListener* owner)
      : listener(owner),
        intake(owner->context_.router, owner->context_.parser_options, owner->context_.name,
               owner->context_.retention_policy) {}

  uv_pipe_t pipe;
  StreamListener* listener;
  Intake intake;
  std::string partial;  // the start of a line whose end has not arrived
};

StreamListener::StreamListener(uv_loop_t* loop, const ListenerConfig& config,
                               ListenerContext context)
    : loop_(loop), config_(config), context_(std::move(context)) {}

Status StreamListener::Start() {
  Status status = PrepareUnixSocketPath(config_.path, SOCK_STREAM);
  if (!status.ok()) return Status::Error(context_.name + ": " + status.message());
  uv_pipe_init(loop_, &server_, 0);
  server_.data = this;
  server_open_ = true;
  int rc = uv_pipe_bind(&server_, config_.path.c_str());
  if (rc < 0) return Status::Error(context_.name + ": bind: " + uv_strerror(rc));
  bound_ = true;
  rc = uv_listen(reinterpret_cast<uv_stream_t*>(&server_), SOMAXCONN, OnConnection);
  if (rc < 0) return Status::Error(context_.name + ": listen: " + uv_strerror(rc));
  return Status::Ok();
}

void StreamListener::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<StreamListener*>(server->data);
  if (status < 0) {
    spdlog::error("{}: accept: {}", self->context_.name, uv_strerror(status));
    return;
  }
  auto* client = new Client(self);
  uv_pipe_init(self->loop_, &client->pipe, 0);
  client->pipe.data = client;
  self->clients_.insert(client);
  int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&client->pipe));
  if (rc == 0 && !self->paused_) rc = self->StartReading(client);
  if (rc < 0) {
    spdlog::error("{}: accept: {}", self->context_.name, uv_strerror(rc));
    self->CloseClient(client);
  }
}

int StreamListener::StartReading(Client* client) {
  return uv_read_start(
      reinterpret_cast<uv_stream_t*>(&client->pipe),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        StreamListener* owner = static_cast<Client*>(handle->data)->listener;
        *buf = uv_buf_init(owner->read_buffer_, sizeof(owner->read_buffer_));
      },
      OnRead);
}

void StreamListener::Pause() {
  paused_ = true;
  for (Client* client : clients_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&client->pipe));
}

void StreamListener::Resume() {
  paused_ = false;
  for (Client* client : clients_) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&client->pipe))) continue;
    if (int rc = StartReading(client); rc < 0) {
      spdlog::error("{}: resuming a client: {}", context_.name, uv_strerror(rc));
      CloseClient(client);
    }
  }
}

void StreamListener::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* client = static_cast<Client*>(stream->data);
  StreamListener* self = client->listener;
  if (nread == 0) return;
  int64_t received_ns = ReceivedNowNs();
  if (nread < 0) {
    if (nread != UV_EOF) {
      spdlog::warn("{}: a client's connection failed: {}", self->context_.name,
                   uv_strerror(static_cast<int>(nread)));
    }
    // The end of the connection ends its last line.
    client->intake.Feed(client->partial, true, received_ns, self->context_.pipeline);
    self->context_.pipeline->Admit(true);
    self->CloseClient(client);
    return;
  }
  std::string_view data(buf->base, static_cast<size_t>(nread));
  if (client->partial.empty()) {
    size_t used = client->intake.Feed(data, false, received_ns, self->context_.pipeline);
    client->partial.assign(data.substr(used));
  } else {
    client->partial.append(data);
    size_t used = client->intake.Feed(client->partial, false, received_ns, self->context_.pipeline);
    client->partial.erase(0, used);
  }
  // When the spool is full (kHeld), the engine keeps the points and pauses
  // this listener; what is dropped (kDropped) it has counted.
  self->context_.pipeline->Admit(true);
}

void StreamListener::CloseClient(Client* client) {
  uv_handle_t* handle = reinterpret_cast<uv_handle_t*>(&client->pipe);
  if (uv_is_closing(handle)) return;
  uv_close(handle, [](uv_handle_t* closed) {
    auto* done = static_cast<Client*>(closed->data);
    done->listener->clients_.erase(done);
    delete done;
  });
}

void StreamListener::Close() {
  for (Client* client : clients_) CloseClient(client);
  if (server_open_ && !uv_is_closing(reinterpret_cast<uv_handle_t*>(&server_))) {
    uv_close(reinterpret_cast<uv_handle_t*>(&server_), [](uv_handle_t* handle) {
      auto* self = static_cast<StreamListener*>(handle->data);
      if (self->bound_) unlink(self->config_.path.c_str());
    });
  }
}

}  // namespace inflow::daemon
