#include "inflow/http_response_parser.h"

#include <algorithm>
#include <cctype>

namespace inflow {

namespace {

HttpResponseParser* Self(llhttp_t* parser) {
  return static_cast<HttpResponseParser*>(parser->data);
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringCase(key, name)) return value;
  }
  return std::nullopt;
}

HttpResponseParser::HttpResponseParser(size_t max_header_bytes, size_t max_body_bytes)
    : max_header_bytes_(max_header_bytes), max_body_bytes_(max_body_bytes) {
  llhttp_settings_init(&settings_);
  settings_.on_status = OnStatus;
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_body = OnBody;
  settings_.on_message_complete = OnMessageComplete;
  Reset();
}

void HttpResponseParser::Reset() {
  llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
  parser_.data = this;
  response_ = HttpResponse{};
  error_.clear();
  header_bytes_ = 0;
  in_value_ = false;
  complete_ = false;
}

bool HttpResponseParser::CountHeaderBytes(size_t length) {
  header_bytes_ += length;
  if (header_bytes_ <= max_header_bytes_) return true;
  error_ = "response headers longer than " + std::to_string(max_header_bytes_) + " bytes";
  return false;
}

int HttpResponseParser::OnStatus(llhttp_t* parser, const char*, size_t length) {
  return Self(parser)->CountHeaderBytes(length) ? 0 : -1;
}

int HttpResponseParser::OnHeaderField(llhttp_t* parser, const char* at, size_t length) {
  HttpResponseParser* self = Self(parser);
  if (!self->CountHeaderBytes(length)) return -1;
  // A name may arrive in pieces; a new one starts after a value.
  if (self->in_value_ || self->response_.headers.empty()) {
    self->response_.headers.emplace_back();
    self->in_value_ = false;
  }
  self->response_.headers.back().first.append(at, length);
  return 0;
}

int HttpResponseParser::OnHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  HttpResponseParser* self = Self(parser);
  if (!self->CountHeaderBytes(length)) return -1;
  self->in_value_ = true;
  self->response_.headers.back().second.append(at, length);
  return 0;
}

int HttpResponseParser::OnHeadersComplete(llhttp_t* parser) {
  Self(parser)->response_.status = parser->status_code;
  return 0;
}

int HttpResponseParser::OnBody(llhttp_t* parser, const char* at, size_t length) {
  HttpResponseParser* self = Self(parser);
  if (self->response_.body.size() + length > self->max_body_bytes_) {
    self->error_ = "response body longer than " + std::to_string(self->max_body_bytes_) + " bytes";
    return -1;
  }
  self->response_.body.append(at, length);
  return 0;
}

int HttpResponseParser::OnMessageComplete(llhttp_t* parser) {
  HttpResponseParser* self = Self(parser);
  self->response_.keep_alive = llhttp_should_keep_alive(parser) != 0;
  self->complete_ = true;
  // Stop here: bytes after this response belong to the next one.
  return HPE_PAUSED;
}

HttpResponseParser::Result HttpResponseParser::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (!error_.empty()) return Result::kError;
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  if (err == HPE_OK) {
    *consumed = data.size();
    return Result::kNeedMore;
  }
  if (err == HPE_PAUSED && complete_) {
    *consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data.data());
    return Result::kComplete;
  }
  if (error_.empty()) {
    error_ = std::string("malformed HTTP response: ") + llhttp_errno_name(err) + ": " +
             llhttp_get_error_reason(&parser_);
  }
  return Result::kError;
}

HttpResponseParser::Result HttpResponseParser::Finish() {
  if (!error_.empty()) return Result::kError;
  if (complete_) return Result::kComplete;
  llhttp_errno_t err = llhttp_finish(&parser_);
  if ((err == HPE_OK || err == HPE_PAUSED) && complete_) return Result::kComplete;
  error_ = "the connection closed before the response was complete";
  return Result::kError;
}

}  // namespace inflow
