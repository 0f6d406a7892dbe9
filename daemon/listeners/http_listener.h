// HttpListener: InfluxDB 1.x's write API over HTTP/1.1, for clients that
// speak it (client libraries, Telegraf's influxdb output, curl), and the
// last values of the cache.
//
//   POST /write?db=&rp=&precision=  204 once the body's points are taken;
//                                   400 naming the bad lines, as InfluxDB
//                                   does, the good lines being taken still
//   GET|HEAD /ping                  204
//   GET /last?measurement=M&tag=KEY:VALUE&field=F&db=&rp=&last=N
//                                   the last values of the matching series
//                                   in the last-value cache (Redis)
//
// /write: `db`, when given, must name the database inflowd writes to (else
// 404, as InfluxDB answers an unknown database); `rp` picks the session
// (default: the listener's); `precision` is n/ns, u/us, ms or s (default:
// the listener's).
//
// /last (parameters: http/last_request.h): `tag` and `field` may repeat
// (series with every tag; only those fields); `db` defaults to the
// database inflowd writes to, `rp` to any; `last` 1..100 adds the N recent
// points (as many as redis.keep_last keeps). Answers:
//   200 application/x-ndjson  one JSON object per series and line, each
//       ending in '\n', as FormatLastValueRecord (inflow/last_value_lookup.h)
//       writes it, sorted by database, retention policy and series key;
//   404 {"error":"no series found: <what was asked>"} when none matches, or
//       {"error":"the last-value cache is off (redis.url is not set)"};
//   400 {"error":"..."} for a bad query, naming the parameter;
//   405 for a method other than GET;
//   503 {"error":"..."} when Redis cannot be reached, does not answer in
//       redis.timeout, answers what is not the cache's layout, or 64
//       lookups run already (LastValueReader).
// While its lookup runs, the client's later pipelined requests wait unread,
// so that answers keep their order; a client that goes away meanwhile is
// not answered.
//
// Keep-alive and pipelined requests are served in order. Its connections
// (accept, reading, closing) are a StreamClients'.

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
  struct LookupWait;
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
  // Begins the lookup; its answer comes in OnLookupDone (or, for a bad
  // query or the cache off, at once in *answer).
  void ServeLast(Client* client, const HttpRequest& request, std::string* answer);
  void OnLookupDone(Client* client, std::string answer);
  void Send(Client* client, std::string answer, bool then_close);

  ListenerConfig config_;
  ListenerContext context_;
  StreamClients clients_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_HTTP_LISTENER_H_
