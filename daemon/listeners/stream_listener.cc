#include "listeners/stream_listener.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <utility>

#include "listeners/socket_address.h"

namespace inflow::daemon {

struct StreamListener::Client : StreamClients::Client {
  explicit Client(const ListenerContext& context)
      : intake(context.router, context.parser_options, context.name, context.retention_policy) {}

  Intake intake;
  std::string partial;  // the start of a line whose end has not arrived
};

StreamListener::StreamListener(uv_loop_t* loop, const ListenerConfig& config,
                               ListenerContext context)
    : config_(config),
      context_(std::move(context)),
      clients_(loop, StreamClients::Transport::kUnix, context_.name, this) {}

Status StreamListener::Start() {
  Status status = PrepareUnixSocketPath(config_.path, SOCK_STREAM);
  if (!status.ok()) return Status::Error(context_.name + ": " + status.message());
  int rc = clients_.InitServer();
  if (rc < 0) return Status::Error(context_.name + ": " + uv_strerror(rc));
  rc = uv_pipe_bind(clients_.pipe(), config_.path.c_str());
  if (rc < 0) return Status::Error(context_.name + ": bind: " + uv_strerror(rc));
  bound_ = true;
  rc = clients_.Listen();
  if (rc < 0) return Status::Error(context_.name + ": listen: " + uv_strerror(rc));
  return Status::Ok();
}

std::unique_ptr<StreamClients::Client> StreamListener::NewClient() {
  return std::make_unique<Client>(context_);
}

void StreamListener::OnRead(StreamClients::Client* base, std::string_view data) {
  auto* client = static_cast<Client*>(base);
  int64_t received_ns = context_.clock->WallNanos();
  if (client->partial.empty()) {
    size_t used = client->intake.Feed(data, false, received_ns, context_.pipeline);
    client->partial.assign(data.substr(used));
  } else {
    client->partial.append(data);
    size_t used = client->intake.Feed(client->partial, false, received_ns, context_.pipeline);
    client->partial.erase(0, used);
  }
  // When the spool is full (kHeld), the engine keeps the points and pauses
  // this listener; what is dropped (kDropped) it has counted.
  context_.pipeline->Admit(true);
}

void StreamListener::OnEnd(StreamClients::Client* base, int status) {
  auto* client = static_cast<Client*>(base);
  if (status != UV_EOF) {
    spdlog::warn("{}: a client's connection failed: {}", context_.name, uv_strerror(status));
  }
  // The end of the connection ends its last line.
  client->intake.Feed(client->partial, true, context_.clock->WallNanos(), context_.pipeline);
  context_.pipeline->Admit(true);
}

void StreamListener::OnServerClosed() {
  if (bound_) unlink(config_.path.c_str());
}

void StreamListener::Close() { clients_.Close(); }

}  // namespace inflow::daemon
