#include "listeners/http_listener.h"

#include <spdlog/fmt/fmt.h>

#include <map>
#include <utility>
#include <vector>

#include "cache/last_value_reader.h"
#include "listeners/http/last_request.h"
#include "listeners/socket_address.h"

namespace inflow::daemon {

// A GET /last waiting for its lookup, shared with the lookup's callback:
// the client nulls it when it is freed, so that a lookup that ends after
// the client has gone finds nobody to answer.
struct HttpListener::LookupWait {
  Client* client;
};

struct HttpListener::Client : StreamClients::Client {
  explicit Client(HttpListener* owner)
      : listener(owner),
        intake(owner->context_.router, owner->context_.parser_options, owner->context_.name,
               owner->context_.retention_policy) {}
  ~Client() override {
    if (lookup) lookup->client = nullptr;
  }

  HttpListener* listener;
  HttpRequestParser parser;
  Intake intake;
  bool continue_sent = false;  // "100 Continue" went out for the request being read
  // A /write whose points the engine holds for a full spool: its answer,
  // sent once they are accepted (Resume), and the bytes read after it.
  // Also, with no answer, a client whose GET /last ended while every client
  // was paused: Resume serves what it read after.
  bool held = false;
  bool held_then_close = false;  // also for a GET /last that waits
  std::string held_answer;
  std::string unread;
  // A GET /last whose lookup runs: reading stops, and the bytes read after
  // it wait in `unread`, until it is answered (OnLookupDone).
  std::shared_ptr<LookupWait> lookup;
};

// Passes the lines of one request on to the engine, and keeps what the
// answer must say about the lines refused, in InfluxDB's words.
class HttpListener::AnswerCollector : public Pipeline {
 public:
  explicit AnswerCollector(Pipeline* engine) : engine_(engine) {}

  void Accept(const AcceptedPoint& point) override {
    ++accepted_;
    engine_->Accept(point);
  }

  // The request's points are admitted together, by ServeWrite.
  Admission Admit(bool can_wait) override { return engine_->Admit(can_wait); }

  void Refuse(const Refusal& refusal) override {
    engine_->Refuse(refusal);
    ++refused_;
    if (refusal.kind == Refusal::Kind::kUnknownRetentionPolicy) {
      ++unrouted_[std::string(refusal.reason)];
      ++dropped_;
    } else if (errors_.size() < kMaxErrorsNamed) {
      errors_.push_back("unable to parse '" + std::string(refusal.line) +
                        "': " + std::string(refusal.reason));
    } else {
      ++unnamed_;
    }
  }

  size_t refused() const { return refused_; }

  // As InfluxDB: the errors one per line; "partial write: ... dropped=N"
  // when some points of the body were taken, N counting the points dropped
  // after they parsed.
  std::string Message() const {
    std::string message = accepted_ > 0 ? "partial write: " : "";
    auto add = [&message](std::string_view part) {
      if (!message.empty() && message != "partial write: ") message += '\n';
      message += part;
    };
    // fmt::format rather than `"(" + std::to_string(n)`, in which GCC 12 at
    // -O3 reports a false -Wrestrict.
    for (const std::string& error : errors_) add(error);
    if (unnamed_ > 0) add(fmt::format("({} more lines unable to parse)", unnamed_));
    for (const auto& [rp, points] : unrouted_) {
      add(fmt::format("retention policy not found: {}", rp));
    }
    if (accepted_ > 0) message += fmt::format(" dropped={}", dropped_);
    return message;
  }

 private:
  Pipeline* engine_;
  size_t accepted_ = 0;
  size_t refused_ = 0;
  size_t dropped_ = 0;
  size_t unnamed_ = 0;
  std::vector<std::string> errors_;
  std::map<std::string, size_t> unrouted_;
};

namespace {

struct WriteRequest {
  uv_write_t req;
  std::string data;
  bool then_close;
};

void AppendError(int status, std::string_view message, bool keep_alive, std::string* out) {
  std::string body;
  AppendInfluxErrorBody(message, &body);
  // InfluxDB repeats the message in a header for clients that do not read
  // bodies. A header holds one line, without control bytes.
  std::string header(message.substr(0, message.find('\n')));
  for (char& c : header) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  AppendHttpResponse(status, "application/json", body, keep_alive,
                     {{"X-Influxdb-Error", header}}, out);
}

}  // namespace

HttpListener::HttpListener(uv_loop_t* loop, const ListenerConfig& config, ListenerContext context)
    : config_(config),
      context_(std::move(context)),
      clients_(loop, StreamClients::Transport::kTcp, context_.name, this) {}

Status HttpListener::Start() {
  sockaddr_storage address = {};
  socklen_t length = 0;
  Status status = ResolveHostPort(config_.address, SOCK_STREAM, &address, &length);
  if (!status.ok()) return Status::Error(context_.name + ": " + status.message());
  int rc = clients_.InitServer();
  if (rc == 0) rc = uv_tcp_bind(clients_.tcp(), reinterpret_cast<sockaddr*>(&address), 0);
  if (rc == 0) rc = clients_.Listen();
  if (rc < 0) return Status::Error(context_.name + ": bind: " + uv_strerror(rc));
  return Status::Ok();
}

std::unique_ptr<StreamClients::Client> HttpListener::NewClient() {
  return std::make_unique<Client>(this);
}

bool HttpListener::OnResume(StreamClients::Client* base) {
  auto* client = static_cast<Client*>(base);
  if (client->lookup) return false;  // its lookup's end reads again
  if (client->held) {
    client->held = false;
    if (!client->held_answer.empty()) {
      Send(client, std::move(client->held_answer), client->held_then_close);
      client->held_answer.clear();
    }
    if (client->held_then_close || client->closing()) return false;
    std::string unread = std::move(client->unread);
    client->unread.clear();
    ProcessInput(client, unread);
  }
  // Serving what was unread may have held a request again, or begun a lookup.
  return !client->held && !client->lookup;
}

void HttpListener::OnRead(StreamClients::Client* client, std::string_view data) {
  ProcessInput(static_cast<Client*>(client), data);
}

void HttpListener::ProcessInput(Client* client, std::string_view data) {
  std::string answers;
  bool then_close = false;
  while (!data.empty()) {
    size_t consumed = 0;
    HttpRequestParser::Result result = client->parser.Feed(data, &consumed);
    data.remove_prefix(consumed);
    if (result == HttpRequestParser::Result::kNeedMore) {
      if (client->parser.ExpectsContinue() && !client->continue_sent) {
        answers += "HTTP/1.1 100 Continue\r\n\r\n";
        client->continue_sent = true;
      }
      break;
    }
    if (result == HttpRequestParser::Result::kError) {
      AppendError(client->parser.error_status(), client->parser.error(), false, &answers);
      then_close = true;
      break;
    }
    const HttpRequest& request = client->parser.request();
    Serve(client, request, &answers);
    then_close = !request.keep_alive;
    client->parser.Reset();
    client->continue_sent = false;
    if (client->held || client->lookup) {
      // The answers so far go now; the rest waits, in order, unread.
      if (client->lookup) uv_read_stop(client->stream());
      client->held_then_close = then_close;
      client->unread.assign(data);
      then_close = false;
      break;
    }
    if (then_close) break;
  }
  if (!answers.empty()) Send(client, std::move(answers), then_close);
}

void HttpListener::Serve(Client* client, const HttpRequest& request, std::string* answer) {
  bool keep_alive = request.keep_alive;
  if (request.path == "/write") {
    if (request.method != "POST") {
      AppendError(405, "method not allowed: " + request.method + " /write", keep_alive, answer);
      return;
    }
    ServeWrite(client, request, answer);
  } else if (request.path == "/ping") {
    if (request.method != "GET" && request.method != "HEAD") {
      AppendError(405, "method not allowed: " + request.method + " /ping", keep_alive, answer);
      return;
    }
    AppendHttpResponse(204, "", "", keep_alive, {}, answer);
  } else if (request.path == "/last") {
    if (request.method != "GET") {
      AppendError(405, "method not allowed: " + request.method + " /last", keep_alive, answer);
      return;
    }
    ServeLast(client, request, answer);
  } else {
    AppendHttpResponse(404, "text/plain; charset=utf-8", "404 page not found\n", keep_alive, {},
                       answer);
  }
}

void HttpListener::ServeWrite(Client* client, const HttpRequest& request, std::string* answer) {
  bool keep_alive = request.keep_alive;
  std::vector<std::pair<std::string, std::string>> params;
  Status status = ParseQueryString(request.query, &params);
  if (!status.ok()) {
    AppendError(400, status.message(), keep_alive, answer);
    return;
  }
  std::optional<std::string_view> db = QueryValue(params, "db");
  if (db && !db->empty() && *db != context_.database) {
    AppendError(404, "database not found: \"" + std::string(*db) + "\"", keep_alive, answer);
    return;
  }
  std::optional<std::string_view> encoding = request.Header("Content-Encoding");
  if (encoding && *encoding != "identity") {
    AppendError(415, "unsupported Content-Encoding: " + std::string(*encoding), keep_alive,
                answer);
    return;
  }
  ParserOptions options = context_.parser_options;
  std::optional<std::string_view> precision = QueryValue(params, "precision");
  if (precision && !precision->empty()) {
    std::optional<Precision> parsed = ParsePrecision(*precision);
    if (!parsed) {
      AppendError(400,
                  "invalid precision \"" + std::string(*precision) + "\" (n, ns, u, us, ms, s)",
                  keep_alive, answer);
      return;
    }
    options.precision = *parsed;
  }
  std::optional<std::string_view> rp = QueryValue(params, "rp");
  client->intake.Reset(options, rp && !rp->empty() ? *rp : context_.retention_policy);
  AnswerCollector collector(context_.pipeline);
  client->intake.Feed(request.body, true, context_.clock->WallNanos(), &collector);
  // The answer only once the points are in the spool.
  switch (context_.pipeline->Admit(true)) {
    case Admission::kHeld:
      client->held = true;
      client->held_answer.clear();
      answer = &client->held_answer;
      break;
    case Admission::kDropped:
      AppendError(503, "spool full: the points were not accepted; write them again later",
                  keep_alive, answer);
      return;
    case Admission::kNotSynced:
      AppendError(500, "the points are in the spool, but it could not be synced to disk",
                  keep_alive, answer);
      return;
    case Admission::kAccepted:
      break;
  }
  if (collector.refused() == 0) {
    AppendHttpResponse(204, "", "", keep_alive, {}, answer);
  } else {
    AppendError(400, collector.Message(), keep_alive, answer);
  }
}

void HttpListener::ServeLast(Client* client, const HttpRequest& request, std::string* answer) {
  bool keep_alive = request.keep_alive;
  if (context_.last_values == nullptr) {
    AppendError(404, "the last-value cache is off (redis.url is not set)", keep_alive, answer);
    return;
  }
  std::vector<std::pair<std::string, std::string>> params;
  Status status = ParseQueryString(request.query, &params);
  LastValueQuery query;
  if (status.ok()) status = ParseLastRequest(params, context_.database, &query);
  if (!status.ok()) {
    AppendError(400, status.message(), keep_alive, answer);
    return;
  }
  client->lookup = std::make_shared<LookupWait>(LookupWait{client});
  std::string asked = DescribeLastQuery(query);
  context_.last_values->Lookup(
      std::move(query), [this, wait = client->lookup, keep_alive, asked = std::move(asked)](
                            Status found, std::vector<LastValueRecord> records) {
        Client* waiting = wait->client;
        // Gone, or closing (the listener closed, or the client's answer
        // could not be written): nobody to answer.
        if (waiting == nullptr || waiting->closing() || waiting->lookup != wait) return;
        std::string late;
        if (!found.ok()) {
          AppendError(503, found.message(), keep_alive, &late);
        } else if (records.empty()) {
          std::string message = "no series found: ";
          message.append(asked);
          AppendError(404, message, keep_alive, &late);
        } else {
          AppendHttpResponse(200, "application/x-ndjson", FormatLastValueLines(records),
                             keep_alive, {}, &late);
        }
        OnLookupDone(waiting, std::move(late));
      });
}

// From the lookup's callback, on the loop: never inside the engine's calls,
// so serving a /write read after the GET /last may Admit.
void HttpListener::OnLookupDone(Client* client, std::string answer) {
  client->lookup.reset();
  const bool then_close = client->held_then_close;
  client->held_then_close = false;
  Send(client, std::move(answer), then_close);
  if (then_close || client->closing()) return;
  if (clients_.paused()) {
    // A full spool paused every client meanwhile: Resume serves the rest.
    client->held = true;
    client->held_answer.clear();
    return;
  }
  std::string unread = std::move(client->unread);
  client->unread.clear();
  ProcessInput(client, unread);
  if (!client->held && !client->lookup) clients_.ReadAgain(client);
}

void HttpListener::Send(Client* client, std::string answer, bool then_close) {
  auto* write = new WriteRequest{{}, std::move(answer), then_close};
  write->req.data = write;
  if (then_close) uv_read_stop(client->stream());
  uv_buf_t buf = uv_buf_init(write->data.data(), static_cast<unsigned>(write->data.size()));
  // Runs before the client's close callback (libuv cancels a closing
  // stream's writes first), so the client is still there.
  int rc = uv_write(&write->req, client->stream(), &buf, 1, [](uv_write_t* req, int status) {
    auto* done = static_cast<WriteRequest*>(req->data);
    auto* owner = static_cast<Client*>(static_cast<StreamClients::Client*>(req->handle->data));
    if (status < 0 || done->then_close) owner->listener->clients_.Close(owner);
    delete done;
  });
  if (rc < 0) {
    delete write;
    clients_.Close(client);
  }
}

}  // namespace inflow::daemon
