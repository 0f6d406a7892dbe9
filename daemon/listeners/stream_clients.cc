#include "listeners/stream_clients.h"

#include <spdlog/spdlog.h>

#include <utility>

namespace inflow::daemon {

StreamClients::StreamClients(uv_loop_t* loop, Transport transport, std::string name,
                             Delegate* delegate)
    : loop_(loop), transport_(transport), name_(std::move(name)), delegate_(delegate) {}

int StreamClients::InitServer() {
  int rc = transport_ == Transport::kUnix ? uv_pipe_init(loop_, &server_.handle.pipe, 0)
                                          : uv_tcp_init(loop_, &server_.handle.tcp);
  if (rc < 0) return rc;
  server_.handle.handle.data = this;
  handles_.Adopt(&server_);
  server_open_ = true;
  return 0;
}

int StreamClients::Listen() {
  return uv_listen(reinterpret_cast<uv_stream_t*>(&server_.handle), SOMAXCONN, OnConnection);
}

void StreamClients::OnConnection(uv_stream_t* server, int status) {
  auto* self = static_cast<StreamClients*>(server->data);
  if (status < 0) {
    spdlog::error("{}: accept: {}", self->name_, uv_strerror(status));
    return;
  }
  Client* client = self->delegate_->NewClient().release();
  client->owner_ = self;
  uv_any_handle* handle = &client->handle_.handle;
  int rc = self->transport_ == Transport::kUnix ? uv_pipe_init(self->loop_, &handle->pipe, 0)
                                                : uv_tcp_init(self->loop_, &handle->tcp);
  if (rc < 0) {
    spdlog::error("{}: accept: {}", self->name_, uv_strerror(rc));
    delete client;
    return;
  }
  handle->handle.data = client;
  self->handles_.Adopt(&client->handle_);
  self->clients_.insert(client);
  rc = uv_accept(server, client->stream());
  if (rc == 0 && self->transport_ == Transport::kTcp) uv_tcp_nodelay(&handle->tcp, 1);
  if (rc == 0 && !self->paused_) rc = self->StartReading(client);
  if (rc < 0) {
    spdlog::error("{}: accept: {}", self->name_, uv_strerror(rc));
    self->Close(client);
  }
}

int StreamClients::StartReading(Client* client) {
  return uv_read_start(
      client->stream(),
      [](uv_handle_t* handle, size_t, uv_buf_t* buf) {
        StreamClients* owner = static_cast<Client*>(handle->data)->owner_;
        *buf = uv_buf_init(owner->read_buffer_, sizeof(owner->read_buffer_));
      },
      OnRead);
}

void StreamClients::OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* client = static_cast<Client*>(stream->data);
  StreamClients* self = client->owner_;
  if (nread == 0) return;
  if (nread < 0) {
    self->delegate_->OnEnd(client, static_cast<int>(nread));
    self->Close(client);
    return;
  }
  self->delegate_->OnRead(client, std::string_view(buf->base, static_cast<size_t>(nread)));
}

void StreamClients::Pause() {
  paused_ = true;
  for (Client* client : clients_) uv_read_stop(client->stream());
}

void StreamClients::Resume() {
  paused_ = false;
  // Clients leave clients_ only in close callbacks, and join it only on
  // accept, neither of which runs within this loop.
  for (Client* client : clients_) {
    if (client->closing()) continue;
    bool read_again = delegate_->OnResume(client);
    // What OnResume served may have filled the spool again (Pause), or
    // closed the client.
    if (!read_again || paused_ || client->closing()) continue;
    if (int rc = StartReading(client); rc < 0) {
      spdlog::error("{}: resuming a client: {}", name_, uv_strerror(rc));
      Close(client);
    }
  }
}

void StreamClients::ReadAgain(Client* client) {
  if (paused_ || client->closing()) return;
  if (int rc = StartReading(client); rc < 0) {
    spdlog::error("{}: reading a client again: {}", name_, uv_strerror(rc));
    Close(client);
  }
}

void StreamClients::Close(Client* client) {
  handles_.Close(&client->handle_, [](uv_any_handle* closed) {
    auto* done = static_cast<Client*>(closed->handle.data);
    done->owner_->clients_.erase(done);
    delete done;
  });
}

void StreamClients::Close() {
  for (Client* client : clients_) Close(client);
  if (server_open_) {
    handles_.Close(&server_, [](uv_any_handle* closed) {
      static_cast<StreamClients*>(closed->handle.data)->delegate_->OnServerClosed();
    });
  }
}

}  // namespace inflow::daemon
