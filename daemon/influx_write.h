// An InfluxDB 1.x write, as bytes to send and as a verdict on the answer.
//
// Pure: the writer adapter (libuv) sends what BuildWriteRequest makes and
// hands the parsed answer to ClassifyWriteAnswer; the engine alone decides
// what to do with the verdict (retry, split, dead-letter).

#ifndef INFLOW_DAEMON_INFLUX_WRITE_H_
#define INFLOW_DAEMON_INFLUX_WRITE_H_

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "http_response_parser.h"
#include "inflow/influx_url.h"

namespace inflow::daemon {

// Appends to *out an HTTP/1.1 request `POST /write?db=&rp=&precision=ns`
// with `body` (line protocol, nanosecond timestamps), basic auth from the
// URL's user info, and keep-alive. An empty `retention_policy` leaves `rp`
// out (the database's default).
void BuildWriteRequest(const InfluxUrl& url, std::string_view database,
                       std::string_view retention_policy, std::string_view body,
                       std::string* out);

// Appends to *out the request `POST /query` with `CREATE DATABASE "<database>"`
// (which succeeds also when the database exists), basic auth and keep-alive.
void BuildCreateDatabaseRequest(const InfluxUrl& url, std::string_view database,
                                std::string* out);

enum class WriteOutcome {
  kDelivered,         // 2xx: stored
  kRejected,          // 400: the lines named in `error` were refused, the rest stored
  kDatabaseNotFound,  // 404 "database not found"
  kUnauthorized,      // 401, 403: keep the batch, retry slowly
  kTooLarge,          // 413: split the batch
  kRetry,             // 429, 5xx, other answers: retry with backoff
};

// "delivered", "rejected", "database not found", "unauthorized", "too
// large", "retry": for logs and test messages.
std::string_view WriteOutcomeName(WriteOutcome outcome);

// The delivery table: what each answer of InfluxDB to a write means, and
// what the session does with the batch (SessionQueue acts on the outcome).
// ClassifyWriteAnswer takes the first row that matches; the README's
// "Delivery" section shows every row as written here (a test holds it).
struct DeliveryRule {
  int first_status;               // the answers it covers: first_status..last_status,
  int last_status;                // 0..0 for no answer (connection failure, timeout)
  std::string_view error_prefix;  // and, if not empty, an error text starting so
  WriteOutcome outcome;
  std::string_view answer;  // the answer, for people
  std::string_view action;  // what inflowd does
};

std::span<const DeliveryRule> DeliveryRules();

struct WriteVerdict {
  WriteOutcome outcome = WriteOutcome::kRetry;
  std::string error;  // InfluxDB's "error" text, if it gave one
  std::optional<std::chrono::seconds> retry_after;  // from Retry-After, in seconds
  // Whether InfluxDB answered (false: no connection, a timeout, a broken
  // answer). Only answered failures can tell a bad batch from a bad server.
  bool answered = false;
};

WriteVerdict ClassifyWriteAnswer(const HttpResponse& answer);

// The verdict on the answer to a query such as BuildCreateDatabaseRequest's:
// kDelivered when every statement succeeded; kUnauthorized for 401/403;
// otherwise kRetry, with the statement's or the server's error text.
WriteVerdict ClassifyQueryAnswer(const HttpResponse& answer);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_INFLUX_WRITE_H_
