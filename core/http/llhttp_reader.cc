#include "inflow/llhttp_reader.h"

#include <algorithm>
#include <cctype>

namespace inflow {

namespace {

LlhttpReader* Self(llhttp_t* parser) { return static_cast<LlhttpReader*>(parser->data); }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

const std::string* FindHttpHeader(const HttpHeaders& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (EqualsIgnoringCase(key, name)) return &value;
  }
  return nullptr;
}

LlhttpReader::LlhttpReader(llhttp_type_t type, const char* what, size_t max_header_bytes,
                           size_t max_body_bytes, bool keep_trailers, Storage storage,
                           Hooks* hooks)
    : type_(type),
      what_(what),
      max_header_bytes_(max_header_bytes),
      max_body_bytes_(max_body_bytes),
      keep_trailers_(keep_trailers),
      storage_(storage),
      hooks_(hooks) {
  llhttp_settings_init(&settings_);
  if (type == HTTP_REQUEST) {
    settings_.on_url = OnStartText;
  } else {
    settings_.on_status = OnStartText;
  }
  settings_.on_header_field = OnHeaderField;
  settings_.on_header_value = OnHeaderValue;
  settings_.on_headers_complete = OnHeadersComplete;
  settings_.on_chunk_header = OnChunkHeader;
  settings_.on_body = OnBody;
  settings_.on_message_complete = OnMessageComplete;
  Reset();
}

void LlhttpReader::Reset() {
  llhttp_init(&parser_, type_, &settings_);
  parser_.data = this;
  failure_ = Failure::kNone;
  error_.clear();
  head_bytes_ = 0;
  fed_bytes_ = 0;
  in_value_ = false;
  headers_complete_ = false;
  complete_ = false;
}

void LlhttpReader::Fail(Failure failure, std::string message) {
  failure_ = failure;
  error_ = std::move(message);
}

bool LlhttpReader::CountHeadBytes(size_t length) {
  head_bytes_ += length;
  if (head_bytes_ <= max_header_bytes_) return true;
  Fail(Failure::kHeadTooLong, std::string(what_) + " headers longer than " +
                                  std::to_string(max_header_bytes_) + " bytes");
  return false;
}

bool LlhttpReader::BodyFits(uint64_t more) {
  if (more <= max_body_bytes_ - storage_.body->size()) return true;
  Fail(Failure::kBodyTooLong,
       std::string(what_) + " body longer than " + std::to_string(max_body_bytes_) + " bytes");
  return false;
}

// Returning an error from a callback stops llhttp_execute; the failure is
// already recorded, and Feed reports it rather than llhttp's code.
int LlhttpReader::OnStartText(llhttp_t* parser, const char* at, size_t length) {
  LlhttpReader* self = Self(parser);
  if (!self->CountHeadBytes(length)) return HPE_USER;
  self->storage_.start_text->append(at, length);
  return 0;
}

int LlhttpReader::OnHeaderField(llhttp_t* parser, const char* at, size_t length) {
  LlhttpReader* self = Self(parser);
  if (!self->CountHeadBytes(length)) return HPE_USER;
  if (self->headers_complete_ && !self->keep_trailers_) return 0;
  // A name may arrive in pieces; a new one starts after a value.
  HttpHeaders& headers = *self->storage_.headers;
  if (self->in_value_ || headers.empty()) {
    headers.emplace_back();
    self->in_value_ = false;
  }
  headers.back().first.append(at, length);
  return 0;
}

int LlhttpReader::OnHeaderValue(llhttp_t* parser, const char* at, size_t length) {
  LlhttpReader* self = Self(parser);
  if (!self->CountHeadBytes(length)) return HPE_USER;
  if (self->headers_complete_ && !self->keep_trailers_) return 0;
  self->in_value_ = true;
  self->storage_.headers->back().second.append(at, length);
  return 0;
}

int LlhttpReader::OnHeadersComplete(llhttp_t* parser) {
  LlhttpReader* self = Self(parser);
  self->headers_complete_ = true;
  return self->hooks_->OnHeadersComplete() ? 0 : -1;
}

int LlhttpReader::OnChunkHeader(llhttp_t* parser) {
  // llhttp holds the coming chunk's size in content_length.
  return Self(parser)->hooks_->OnChunkHeader(parser->content_length) ? 0 : -1;
}

int LlhttpReader::OnBody(llhttp_t* parser, const char* at, size_t length) {
  LlhttpReader* self = Self(parser);
  if (!self->BodyFits(length)) return HPE_USER;
  self->storage_.body->append(at, length);
  return 0;
}

int LlhttpReader::OnMessageComplete(llhttp_t* parser) {
  LlhttpReader* self = Self(parser);
  *self->storage_.keep_alive = llhttp_should_keep_alive(parser) != 0;
  self->complete_ = true;
  // Stop here: bytes after this message belong to the next one.
  return HPE_PAUSED;
}

LlhttpReader::Result LlhttpReader::Feed(std::string_view data, size_t* consumed) {
  *consumed = 0;
  if (failure_ != Failure::kNone) return Result::kError;
  if (complete_) return Result::kComplete;
  if (data.empty()) return Result::kNeedMore;
  llhttp_errno_t err = llhttp_execute(&parser_, data.data(), data.size());
  if (err == HPE_OK) {
    *consumed = data.size();
    fed_bytes_ += data.size();
    return Result::kNeedMore;
  }
  if (err == HPE_PAUSED && complete_) {
    *consumed = static_cast<size_t>(llhttp_get_error_pos(&parser_) - data.data());
    return Result::kComplete;
  }
  if (failure_ == Failure::kNone) {
    const char* pos = llhttp_get_error_pos(&parser_);
    size_t offset = fed_bytes_ + (pos != nullptr ? static_cast<size_t>(pos - data.data()) : 0);
    const char* reason = llhttp_get_error_reason(&parser_);
    Fail(Failure::kMalformed,
         hooks_->Malformed(offset, llhttp_errno_name(err), reason != nullptr ? reason : "?"));
  }
  return Result::kError;
}

LlhttpReader::Result LlhttpReader::Finish() {
  if (failure_ != Failure::kNone) return Result::kError;
  if (complete_) return Result::kComplete;
  llhttp_errno_t err = llhttp_finish(&parser_);
  if ((err == HPE_OK || err == HPE_PAUSED) && complete_) return Result::kComplete;
  return Result::kError;
}

}  // namespace inflow
