// An InfluxDB 1.x write, as bytes to send and as a verdict on the answer.
//
// Pure: the connection (influx_connection.h, libuv) sends what
// BuildWriteRequest makes and hands the parsed answer to
// ClassifyWriteAnswer, which follows the delivery table
// (delivery_rules.h); what to do with the verdict (retry, split,
// dead-letter) is the session's to decide.

#ifndef INFLOW_INFLUX_PROTOCOL_H_
#define INFLOW_INFLUX_PROTOCOL_H_

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "inflow/delivery_rules.h"
#include "inflow/http_response_parser.h"
#include "inflow/influx_url.h"

namespace inflow {

// Where writes go: the server, with its credentials, and the database.
struct InfluxEndpoint {
  InfluxUrl url;
  std::string database;
  // How long one request may wait for its answer.
  std::chrono::nanoseconds request_timeout = std::chrono::seconds(10);
  // The largest answer body taken: a write's answer is small, a query's
  // (every series of a measurement) may not be.
  size_t max_answer_bytes = HttpResponseParser::kDefaultMaxBodyBytes;
};

// Appends to *out an HTTP/1.1 request `POST /write?db=&rp=&precision=ns`
// with `body` (line protocol, nanosecond timestamps), basic auth from the
// URL's user info, and keep-alive. An empty `retention_policy` leaves `rp`
// out (the database's default).
void BuildWriteRequest(const InfluxUrl& url, std::string_view database,
                       std::string_view retention_policy, std::string_view body,
                       std::string* out);

// InfluxQL's quoting: an identifier in double quotes, a string literal in
// single quotes, with the quote and '\' escaped by '\'.
void AppendInfluxIdentifier(std::string_view name, std::string* out);
void AppendInfluxString(std::string_view text, std::string* out);

// Appends to *out the request `POST /query` with `CREATE DATABASE "<database>"`
// (which succeeds also when the database exists), basic auth and keep-alive.
void BuildCreateDatabaseRequest(const InfluxUrl& url, std::string_view database,
                                std::string* out);

// Appends to *out the request `POST /query` running `statements` (InfluxQL,
// several separated by ';') on `database`, times in ns (epoch=ns), with
// basic auth and keep-alive.
void BuildQueryRequest(const InfluxUrl& url, std::string_view database,
                       std::string_view statements, std::string* out);

WriteVerdict ClassifyWriteAnswer(const HttpResponse& answer);

// The verdict on the answer to a query such as BuildCreateDatabaseRequest's:
// kDelivered when every statement succeeded; kUnauthorized for 401/403;
// otherwise kRetry, with the statement's or the server's error text.
WriteVerdict ClassifyQueryAnswer(const HttpResponse& answer);

}  // namespace inflow

#endif  // INFLOW_INFLUX_PROTOCOL_H_
