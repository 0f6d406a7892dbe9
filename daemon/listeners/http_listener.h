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
// listener's). Keep-alive and pipelined requests are served in order. Its
// connections (accept, reading, closing) are a StreamClients'.

#ifndef INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_

#include <uv.h>

#include <memory>
#include <string>

#include "listeners/http/http_request.h"
#include "listeners/listener.h"
#include "listeners/stream_clients.h"

namespace inflow::daemon {

class HttpListener : public Listener, private StreamClients::Delegate {
 public:
  // The most bad lines one answer names; the rest are counted.
  static constexpr size_t kMaxErrorsNamed = 100;

  HttpListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context);

  Status Start() override;
  void Close() override { clients_.Close(); }
  void Pause() override { clients_.Pause(); }
  void Resume() override { clients_.Resume(); }
  const std::string& name() const override { return context_.name; }

 private:
  struct Client;
  class AnswerCollector;

  // StreamClients::Delegate.
  std::unique_ptr<StreamClients::Client> NewClient() override;
  void OnRead(StreamClients::Client* client, std::string_view data) override;
  void OnEnd(StreamClients::Client*, int) override {}
  // Sends a held answer and serves what was read after it.
  bool OnResume(StreamClients::Client* client) override;

  // Serves the requests in `data`, in order, until one is held for a full
  // spool (its answer and the bytes after it then wait in the client).
  void ProcessInput(Client* client, std::string_view data);
  void Serve(Client* client, const HttpRequest& request, std::string* answer);
  void ServeWrite(Client* client, const HttpRequest& request, std::string* answer);
  void Send(Client* client, std::string answer, bool then_close);

  ListenerConfig config_;
  ListenerContext context_;
  StreamClients clients_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_
