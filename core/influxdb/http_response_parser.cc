#include "inflow/http_response_parser.h"

namespace inflow {

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  const std::string* value = FindHttpHeader(headers, name);
  if (value == nullptr) return std::nullopt;
  return *value;
}

// Trailers join the headers: what the parser did before it shared the glue
// (InfluxDB sends none).
HttpResponseParser::HttpResponseParser(size_t max_header_bytes, size_t max_body_bytes)
    : reader_(HTTP_RESPONSE, "response", max_header_bytes, max_body_bytes,
              /*keep_trailers=*/true,
              {&reason_phrase_, &response_.headers, &response_.body, &response_.keep_alive},
              this) {}

void HttpResponseParser::Reset() {
  response_ = HttpResponse{};
  reason_phrase_.clear();
  reader_.Reset();
}

std::string HttpResponseParser::Malformed(size_t, const char* name, const char* reason) {
  return std::string("malformed HTTP response: ") + name + ": " + reason;
}

HttpResponseParser::Result HttpResponseParser::Feed(std::string_view data, size_t* consumed) {
  LlhttpReader::Result result = reader_.Feed(data, consumed);
  if (result == LlhttpReader::Result::kNeedMore) return Result::kNeedMore;
  if (result == LlhttpReader::Result::kError) return Result::kError;
  response_.status = reader_.llhttp().status_code;
  return Result::kComplete;
}

HttpResponseParser::Result HttpResponseParser::Finish() {
  if (reader_.Finish() == LlhttpReader::Result::kComplete) {
    response_.status = reader_.llhttp().status_code;
    return Result::kComplete;
  }
  if (reader_.failure() == LlhttpReader::Failure::kNone) {
    reader_.Fail(LlhttpReader::Failure::kMalformed,
                 "the connection closed before the response was complete");
  }
  return Result::kError;
}

}  // namespace inflow
