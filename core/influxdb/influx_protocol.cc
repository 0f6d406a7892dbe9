#include "inflow/influx_protocol.h"

#include <simdjson.h>

#include <charconv>

#include "inflow/host_port.h"
#include "inflow/percent_encoding.h"

namespace inflow {

namespace {

void AppendBase64(std::string_view in, std::string* out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16 |
                 static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8 |
                 static_cast<uint32_t>(static_cast<unsigned char>(in[i + 2]));
    for (int shift : {18, 12, 6, 0}) out->push_back(kAlphabet[(n >> shift) & 63]);
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (rest == 2) n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out->push_back(kAlphabet[(n >> 18) & 63]);
    out->push_back(kAlphabet[(n >> 12) & 63]);
    out->push_back(rest == 2 ? kAlphabet[(n >> 6) & 63] : '=');
    out->push_back('=');
  }
}

// InfluxDB's JSON answer {"error":"..."}; empty if there is none.
std::string ErrorText(std::string_view body) {
  if (body.empty()) return "";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return "";
  std::string_view error;
  if (doc["error"].get(error) != simdjson::SUCCESS) return "";
  return std::string(error);
}

}  // namespace

namespace {

// A POST to `target` (path and query) with `body`, keep-alive, and basic
// auth from the URL's user info.
void AppendPost(const InfluxUrl& url, std::string_view target, std::string_view content_type,
                std::string_view body, std::string* out) {
  out->append("POST ");
  out->append(target);
  out->append(" HTTP/1.1\r\nHost: ");
  AppendHostPort(url.host, url.port, out);
  out->append("\r\n");
  if (!url.username.empty()) {
    std::string credentials = url.username;
    credentials.push_back(':');
    credentials.append(url.password);
    out->append("Authorization: Basic ");
    AppendBase64(credentials, out);
    out->append("\r\n");
  }
  out->append("Content-Type: ");
  out->append(content_type);
  out->append("\r\nContent-Length: ");
  out->append(std::to_string(body.size()));
  out->append("\r\n\r\n");
  out->append(body);
}

}  // namespace

void BuildWriteRequest(const InfluxUrl& url, std::string_view database,
                       std::string_view retention_policy, std::string_view body,
                       std::string* out) {
  std::string target = "/write?db=";
  AppendPercentEncoded(database, &target);
  if (!retention_policy.empty()) {
    target.append("&rp=");
    AppendPercentEncoded(retention_policy, &target);
  }
  target.append("&precision=ns");
  AppendPost(url, target, "text/plain; charset=utf-8", body, out);
}

void AppendInfluxIdentifier(std::string_view name, std::string* out) {
  out->push_back('"');
  for (char c : name) {
    if (c == '"' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendInfluxString(std::string_view text, std::string* out) {
  out->push_back('\'');
  for (char c : text) {
    if (c == '\'' || c == '\\') out->push_back('\\');
    out->push_back(c);
  }
  out->push_back('\'');
}

void BuildCreateDatabaseRequest(const InfluxUrl& url, std::string_view database,
                                std::string* out) {
  std::string statement = "CREATE DATABASE ";
  AppendInfluxIdentifier(database, &statement);
  std::string form = "q=";
  AppendPercentEncoded(statement, &form);
  AppendPost(url, "/query", "application/x-www-form-urlencoded", form, out);
}

void BuildQueryRequest(const InfluxUrl& url, std::string_view database,
                       std::string_view statements, std::string* out) {
  std::string form = "db=";
  AppendPercentEncoded(database, &form);
  form.append("&epoch=ns&q=");
  AppendPercentEncoded(statements, &form);
  AppendPost(url, "/query", "application/x-www-form-urlencoded", form, out);
}

WriteVerdict ClassifyWriteAnswer(const HttpResponse& answer) {
  WriteVerdict verdict;
  verdict.answered = true;
  verdict.http_status = answer.status;
  verdict.error = ErrorText(answer.body);
  if (std::optional<std::string_view> after = answer.Header("Retry-After")) {
    // Only the delay-seconds form; an HTTP date is left to the backoff.
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(after->data(), after->data() + after->size(), seconds);
    if (ec == std::errc() && ptr == after->data() + after->size() && seconds >= 0) {
      verdict.retry_after = std::chrono::seconds(seconds);
    }
  }
  verdict.outcome = WriteOutcome::kRetry;
  for (const DeliveryRule& rule : DeliveryRules()) {
    if (answer.status >= rule.first_status && answer.status <= rule.last_status &&
        verdict.error.starts_with(rule.error_prefix)) {
      verdict.outcome = rule.outcome;
      break;
    }
  }
  return verdict;
}

WriteVerdict ClassifyQueryAnswer(const HttpResponse& answer) {
  WriteVerdict verdict = ClassifyWriteAnswer(answer);
  if (verdict.outcome != WriteOutcome::kDelivered) {
    if (verdict.outcome == WriteOutcome::kRejected || verdict.outcome == WriteOutcome::kTooLarge ||
        verdict.outcome == WriteOutcome::kDatabaseNotFound) {
      verdict.outcome = WriteOutcome::kRetry;
    }
    return verdict;
  }
  // A statement that failed is reported inside a 200: {"results":[{"error":"..."}]}.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(answer.body.data(), answer.body.size()).get(doc) != simdjson::SUCCESS) {
    verdict.outcome = WriteOutcome::kRetry;
    verdict.error = "unreadable answer to a query";
    return verdict;
  }
  simdjson::dom::array results;
  if (doc["results"].get(results) == simdjson::SUCCESS) {
    for (simdjson::dom::element result : results) {
      std::string_view error;
      if (result["error"].get(error) == simdjson::SUCCESS) {
        verdict.outcome = WriteOutcome::kRetry;
        verdict.error = std::string(error);
      }
    }
  }
  return verdict;
}

}  // namespace inflow
