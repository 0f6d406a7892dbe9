// StreamListener: a Unix stream socket, newline-delimited line protocol.
//
// Many clients at once; each has its own Intake, so a line split across
// reads is put together and lines from different clients never mix. A line
// still incomplete when its client closes the connection is taken as
// ending there. Each read's points are admitted to the spool together;
// while the spool is full under when_full: block, the listener is paused
// and its clients' writes wait in their sockets.

#ifndef INFLOW_DAEMON_LISTENERS_STREAM_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_STREAM_LISTENER_H_

#include <uv.h>

#include <string>
#include <unordered_set>

#include "listeners/listener.h"

namespace inflow::daemon {

class StreamListener : public Listener {
 public:
  StreamListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context);

  Status Start() override;
  void Close() override;
  void Pause() override;
  void Resume() override;
  const std::string& name() const override { return context_.name; }

  size_t clients() const { return clients_.size(); }

 private:
  struct Client;

  static void OnConnection(uv_stream_t* server, int status);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  int StartReading(Client* client);
  void CloseClient(Client* client);

  uv_loop_t* loop_;
  ListenerConfig config_;
  ListenerContext context_;
  uv_pipe_t server_;
  bool server_open_ = false;
  bool bound_ = false;  // the socket file is ours to remove
  bool paused_ = false;
  std::unordered_set<Client*> clients_;
  // One read at a time on the loop: every client reads into this buffer and
  // keeps only an incomplete last line of its own.
  char read_buffer_[64 << 10];
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_STREAM_LISTENER_H_
