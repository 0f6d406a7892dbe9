// The delivery table: what each answer of InfluxDB to a write means, and
// what a session does with the batch.
//
// One declaration drives three things: ClassifyWriteAnswer
// (influx_protocol.h) takes the first row that matches an answer, the
// session's delivery decisions act on the outcome, and the README's
// "Delivery" section shows every row as written here (a test holds it).
// Pure data.

#ifndef INFLOW_DELIVERY_RULES_H_
#define INFLOW_DELIVERY_RULES_H_

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace inflow {

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

// One row of the table. ClassifyWriteAnswer takes the first row that matches.
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
  // The answer's HTTP status; 0 without an answer.
  int http_status = 0;
};

}  // namespace inflow

#endif  // INFLOW_DELIVERY_RULES_H_
