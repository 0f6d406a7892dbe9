// HttpListener: InfluxDB 1.x's write API over HTTP/1.1, for clients that
// speak it (client libraries, Telegraf's influxdb output, curl).
//
//   POST /write?db=&rp=&precision=  204 once the body's points are taken;
//                                   400 naming the bad lines, as InfluxDB
//                                   does, the good lines being taken still
//   GET|HEAD /ping                  204
//
// `db`, when given, must name the database inflowd writes to (else 404, as
// InfluxDB answers an unknown database); `rp` picks the session (default:
// the listener's); `precision` is n/ns, u/us, ms or s (default: the
// listener's). Keep-alive and pipelined requests are served in order.

#ifndef INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_

#include <uv.h>

#include <string>
#include <unordered_set>

#include "listeners/http/http_request.h"
#include "listeners/listener.h"

namespace inflow::daemon {

class HttpListener : public Listener {
 public:
  // The most bad lines one answer names; the rest are counted.
  static constexpr size_t kMaxErrorsNamed = 100;

  HttpListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context);

  Status Start() override;
  void Close() override;
  void Pause() override;
  void Resume() override;
  const std::string& name() const override { return context_.name; }

 private:
  struct Client;
  class AnswerCollector;

  static void OnConnection(uv_stream_t* server, int status);
  static void OnRead(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  int StartReading(Client* client);
  // Serves the requests in `data`, in order, until one is held for a full
  // spool (its answer and the bytes after it then wait in the client).
  void ProcessInput(Client* client, std::string_view data);
  void Serve(Client* client, const HttpRequest& request, std::string* answer);
  void ServeWrite(Client* client, const HttpRequest& request, std::string* answer);
  void Send(Client* client, std::string answer, bool then_close);
  void CloseClient(Client* client);

  uv_loop_t* loop_;
  ListenerConfig config_;
  ListenerContext context_;
  uv_tcp_t server_;
  bool server_open_ = false;
  bool paused_ = false;
  std::unordered_set<Client*> clients_;
  char read_buffer_[64 << 10];  // shared: one read at a time on the loop
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_
