// HttpResponseParser: HTTP/1.1 responses from bytes, with llhttp (through
// LlhttpReader, the glue it shares with inflowd's request parser).
//
// The InfluxDB writer feeds it what it reads from a connection; it never
// touches a socket itself, so tests feed it bytes split anywhere. Responses
// on a keep-alive connection follow each other: after each complete one,
// call Reset() and feed the rest. Limits on header and body sizes guard
// memory against a misbehaving server.

#ifndef INFLOW_HTTP_RESPONSE_PARSER_H_
#define INFLOW_HTTP_RESPONSE_PARSER_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inflow/llhttp_reader.h"

namespace inflow {

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as sent
  std::string body;                                          // de-chunked
  bool keep_alive = false;  // whether the connection may carry the next request

  // The value of the first header named `name`, compared without case.
  std::optional<std::string_view> Header(std::string_view name) const;
};

class HttpResponseParser : private LlhttpReader::Hooks {
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
  const std::string& error() const { return reader_.error(); }

  // Readies the parser for the next response on the same connection.
  void Reset();

 private:
  // LlhttpReader::Hooks.
  std::string Malformed(size_t offset, const char* name, const char* reason) override;

  HttpResponse response_;
  std::string reason_phrase_;  // read, not kept
  LlhttpReader reader_;
};

}  // namespace inflow

#endif  // INFLOW_HTTP_RESPONSE_PARSER_H_
