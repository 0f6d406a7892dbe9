// HttpResponseParser: HTTP/1.1 responses from bytes, with llhttp.
//
// The InfluxDB writer feeds it what it reads from a connection; it never
// touches a socket itself, so tests feed it bytes split anywhere. Responses
// on a keep-alive connection follow each other: after each complete one,
// call Reset() and feed the rest. Limits on header and body sizes guard
// memory against a misbehaving server.

#ifndef INFLOW_HTTP_RESPONSE_PARSER_H_
#define INFLOW_HTTP_RESPONSE_PARSER_H_

#include <llhttp.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inflow {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as sent
  std::string body;                                          // de-chunked
  bool keep_alive = false;  // whether the connection may carry the next request

  // The value of the first header named `name`, compared without case.
  std::optional<std::string_view> Header(std::string_view name) const;
};

class HttpResponseParser {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  static constexpr size_t kDefaultMaxHeaderBytes = 64 << 10;
  static constexpr size_t kDefaultMaxBodyBytes = 16 << 20;

  explicit HttpResponseParser(size_t max_header_bytes = kDefaultMaxHeaderBytes,
                              size_t max_body_bytes = kDefaultMaxBodyBytes);

  HttpResponseParser(const HttpResponseParser&) = delete;
  HttpResponseParser& operator=(const HttpResponseParser&) = delete;

  // Parses `data`, which continues what was fed before. Sets *consumed to
  // the bytes used: all of `data` unless the response completed within it,
  // in which case the rest belongs to the next response. On kError,
  // error() says what was wrong; the connection should be closed.
  Result Feed(std::string_view data, size_t* consumed);

  // The connection closed: completes a response whose body runs to the end
  // of the connection, or fails one that was cut short.
  Result Finish();

  // REQUIRES: the last Feed or Finish returned kComplete.
  const HttpResponse& response() const { return response_; }
  const std::string& error() const { return error_; }

  // Readies the parser for the next response on the same connection.
  void Reset();

 private:
  static int OnStatus(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int OnHeadersComplete(llhttp_t* parser);
  static int OnBody(llhttp_t* parser, const char* at, size_t length);
  static int OnMessageComplete(llhttp_t* parser);

  bool CountHeaderBytes(size_t length);

  llhttp_settings_t settings_;
  llhttp_t parser_;
  HttpResponse response_;
  std::string error_;
  size_t header_bytes_ = 0;
  size_t max_header_bytes_;
  size_t max_body_bytes_;
  bool in_value_ = false;  // the last header callback was for a value
  bool complete_ = false;
};

}  // namespace inflow

#endif  // INFLOW_HTTP_RESPONSE_PARSER_H_
