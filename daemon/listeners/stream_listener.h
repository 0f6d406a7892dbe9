// StreamListener: a Unix stream socket, newline-delimited line protocol.
//
// Many clients at once; each has its own Intake, so a line split across
// reads is put together and lines from different clients never mix. A line
// still incomplete when its client closes the connection is taken as
// ending there. Each read's points are admitted to the spool together;
// while the spool is full under when_full: block, the listener is paused
// and its clients' writes wait in their sockets. Its connections (accept,
// reading, closing) are a StreamClients'.

#ifndef INFLOW_DAEMON_LISTENERS_STREAM_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_STREAM_LISTENER_H_

#include <uv.h>

#include <memory>
#include <string>

#include "listeners/listener.h"
#include "listeners/stream_clients.h"

namespace inflow::daemon {

class StreamListener : public Listener, private StreamClients::Delegate {
 public:
  StreamListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context);

  Status Start() override;
  void Close() override;
  void Pause() override { clients_.Pause(); }
  void Resume() override { clients_.Resume(); }
  const std::string& name() const override { return context_.name; }

  size_t clients() const { return clients_.size(); }

 private:
  struct Client;

  // StreamClients::Delegate.
  std::unique_ptr<StreamClients::Client> NewClient() override;
  void OnRead(StreamClients::Client* client, std::string_view data) override;
  void OnEnd(StreamClients::Client* client, int status) override;
  void OnServerClosed() override;

  ListenerConfig config_;
  ListenerContext context_;
  bool bound_ = false;  // the socket file is ours to remove
  StreamClients clients_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_STREAM_LISTENER_H_
