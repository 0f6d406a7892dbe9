// StreamClients: the connections of a stream listener (Unix stream or TCP),
// from accept to free, for the stream and HTTP listeners alike.
//
// It owns the listening socket's handle and every accepted client's: it
// accepts, reads each client into one buffer shared by all (the loop reads
// one at a time; a listener keeps what it must of a read), stops and starts
// reading for Pause/Resume, and closes. A client's memory is freed in its
// close callback, never before; the handles are kept in a HandleSet, so the
// owner's destructor aborts if it runs before every close callback has.
//
// The listener is its Delegate: it makes each client's own state (a Client
// subclass), takes what each reads, and is told when a connection ends.
// Reading starts on accept unless paused. A client that fails to accept or
// to start reading is logged (naming the listener) and closed.
//
// Ownership: the listener owns its StreamClients, which owns the clients.
// Close() closes every handle; the owner must outlive the loop's run that
// follows. Thread: the loop's.

#ifndef INFLOW_DAEMON_LISTENERS_STREAM_CLIENTS_H_
#define INFLOW_DAEMON_LISTENERS_STREAM_CLIENTS_H_

#include <uv.h>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "inflow/handle_set.h"

namespace inflow::daemon {

class StreamClients {
 public:
  enum class Transport { kUnix, kTcp };

  // One connection. A listener derives its own client state from it.
  class Client {
   public:
    virtual ~Client() = default;
    uv_stream_t* stream() { return reinterpret_cast<uv_stream_t*>(&handle_.handle); }
    bool closing() { return uv_is_closing(handle_.base()) != 0; }

   private:
    friend class StreamClients;
    TrackedHandle<uv_any_handle> handle_;  // handle_.handle.handle.data: this
    StreamClients* owner_ = nullptr;
  };

  class Delegate {
   public:
    virtual ~Delegate() = default;
    // The state of a connection about to be accepted.
    virtual std::unique_ptr<Client> NewClient() = 0;
    // Bytes read from `client`; the view is valid during the call only.
    virtual void OnRead(Client* client, std::string_view data) = 0;
    // The client's connection ended: `status` is UV_EOF, or the read's
    // error. The client is closed when this returns.
    virtual void OnEnd(Client* client, int status) = 0;
    // From Resume, for each client not closing, before it reads again:
    // returns whether it should (false leaves it stopped).
    virtual bool OnResume(Client*) { return true; }
    // The listening socket's close callback ran.
    virtual void OnServerClosed() {}
  };

  // `name` names the listener in logs. `delegate` outlives this.
  StreamClients(uv_loop_t* loop, Transport transport, std::string name, Delegate* delegate);

  StreamClients(const StreamClients&) = delete;
  StreamClients& operator=(const StreamClients&) = delete;

  // Makes the listening socket's handle, for the listener to bind through
  // pipe() or tcp() (as the transport). Returns libuv's error, if any.
  // REQUIRES: called once.
  int InitServer();
  uv_pipe_t* pipe() { return &server_.handle.pipe; }
  uv_tcp_t* tcp() { return &server_.handle.tcp; }
  // Starts accepting. REQUIRES: InitServer() succeeded and the socket is bound.
  int Listen();

  // Stops reading from every client, and from new ones, until Resume.
  void Pause();
  // Reads from every client again, except those the delegate's OnResume
  // declines, and unless the delegate paused again meanwhile.
  void Resume();
  bool paused() const { return paused_; }
  // Reads from `client` again after its listener stopped reading from it
  // alone (uv_read_stop, while one of its requests waits), unless every
  // client is paused (Resume then reads from it, if OnResume agrees) or it
  // is closing. A client that cannot read again is logged and closed.
  void ReadAgain(Client* client);

  // Closes `client` (once; later calls do nothing). It is freed in its
  // close callback, when it also leaves the set.
  void Close(Client* client);
  // Closes every client and the listening socket.
  void Close();

  size_t size() const { return clients_.size(); }

 private:
  static void OnConnection(uv_stream_t* server, int status);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  int StartReading(Client* client);

  HandleSet handles_{"a stream listener"};
  uv_loop_t* loop_;
  Transport transport_;
  std::string name_;
  Delegate* delegate_;
  TrackedHandle<uv_any_handle> server_;
  bool server_open_ = false;
  bool paused_ = false;
  std::unordered_set<Client*> clients_;
  // One read at a time on the loop: every client reads into this buffer.
  char read_buffer_[64 << 10];
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_STREAM_CLIENTS_H_
