// The HTTP listener's pure half: requests from bytes, and the bytes of answers.
// Requests are read with llhttp through LlhttpReader, the glue shared with
// the library's HttpResponseParser.
//
// The listener feeds HttpRequestParser what it reads from a connection; the
// parser never touches a socket, so tests feed it bytes split anywhere.
// Requests on a keep-alive connection follow each other (pipelined or not):
// after each complete one, call Reset() and feed the rest. Limits on the
// head and body sizes guard memory against a misbehaving client, and an
// error tells which status to answer before closing.
//
// The answers follow InfluxDB 1.x: AppendHttpResponse writes a response
// whole, AppendInfluxErrorBody the {"error":"..."} body its clients expect.

#ifndef INFLOW_DAEMON_LISTENERS_HTTP_HTTP_REQUEST_H_
#define INFLOW_DAEMON_LISTENERS_HTTP_HTTP_REQUEST_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "inflow/llhttp_reader.h"
#include "inflow/status.h"

namespace inflow::daemon {

struct HttpRequest {
  std::string method;  // as llhttp names it: "GET", "POST", ...
  std::string target;  // the request target as sent, e.g. "/write?db=x"
  // The target's path, e.g. "/write", raw (not percent-decoded). For an
  // absolute-form target ("http://host:8086/write?db=x", as proxies send)
  // the scheme and authority are left out: "/write".
  std::string path;
  std::string query;  // after the first '?', raw (not decoded); empty if none
  std::vector<std::pair<std::string, std::string>> headers;  // in order, as sent
  std::string body;                                          // de-chunked
  bool keep_alive = false;  // whether the connection may carry the next request

  // The value of the first header named `name`, compared without case.
  std::optional<std::string_view> Header(std::string_view name) const;
};

class HttpRequestParser : private LlhttpReader::Hooks {
 public:
  enum class Result { kNeedMore, kComplete, kError };

  static constexpr size_t kDefaultMaxHeaderBytes = 64 << 10;
  static constexpr size_t kDefaultMaxBodyBytes = 32 << 20;

  // `max_header_bytes` bounds the request target plus the names and values
  // of all header fields (and of a chunked body's trailers); the framing
  // around them (spaces, colons, line ends) is not counted. `max_body_bytes`
  // bounds the de-chunked body.
  explicit HttpRequestParser(size_t max_header_bytes = kDefaultMaxHeaderBytes,
                             size_t max_body_bytes = kDefaultMaxBodyBytes);

  HttpRequestParser(const HttpRequestParser&) = delete;
  HttpRequestParser& operator=(const HttpRequestParser&) = delete;

  // Parses `data`, which continues what was fed before. Sets *consumed to
  // the bytes used: all of `data` unless the request completed within it,
  // in which case the rest belongs to the next (pipelined) request. Once a
  // request is complete, further calls use nothing and return kComplete
  // until Reset(). On kError, error_status() and error() say what to
  // answer; the connection should then be closed, and further calls return
  // kError until Reset().
  Result Feed(std::string_view data, size_t* consumed);

  // REQUIRES: the last Feed returned kComplete.
  const HttpRequest& request() const { return request_; }

  // Whether the client waits for "HTTP/1.1 100 Continue" before sending the
  // body: true from when the current request's headers are complete, if it
  // is HTTP/1.1 or later, carries "Expect: 100-continue" (compared without
  // case) and has a body to send. The headers are checked first: a request
  // whose Content-Length is over the body limit fails with 413 instead, so
  // the client is told no before it sends the body. Other expectations are
  // ignored (RFC 9110 allows that).
  bool ExpectsContinue() const { return expects_continue_; }

  // After kError: the status to answer before closing. 400 for a malformed
  // request, 413 for a body over max_body_bytes (decided from Content-Length
  // as soon as the headers are complete, before any body byte is read; for
  // a chunked body, as soon as a chunk would take it over), 431 for a head
  // over max_header_bytes. 0 before any error.
  int error_status() const;
  // After kError: what was wrong, and where for a malformed request.
  const std::string& error() const { return reader_.error(); }

  // Readies the parser for the next request on the same connection.
  void Reset();

 private:
  // LlhttpReader::Hooks.
  bool OnHeadersComplete() override;
  bool OnChunkHeader(uint64_t size) override;
  std::string Malformed(size_t offset, const char* name, const char* reason) override;

  HttpRequest request_;
  bool expects_continue_ = false;
  LlhttpReader reader_;
};

// Parses an application/x-www-form-urlencoded query such as "db=x&rp=y", as
// Go's url.ParseQuery does (which InfluxDB uses): pieces are separated by
// '&', '+' is a space and %XX an escaped byte, in keys and values alike. A
// key without '=' gets an empty value; empty pieces ("a&&b") are skipped.
// Order is kept, and so are repeated keys. ';' is an ordinary character.
// On success, *params holds the pairs (replacing what it held). On a bad
// escape ('%' not followed by two hex digits) returns an error naming the
// escape and its offset in `query`, and leaves *params empty.
Status ParseQueryString(std::string_view query,
                        std::vector<std::pair<std::string, std::string>>* params);

// The first value of `key` (compared exactly) in `params`, or nullopt; as
// Go's url.Values.Get, except that a missing key is told from an empty value.
std::optional<std::string_view> QueryValue(
    const std::vector<std::pair<std::string, std::string>>& params, std::string_view key);

// Appends an HTTP/1.1 response to *out: the status line with Go's reason
// phrase for the statuses an InfluxDB-like server sends (for others,
// "status code NNN", as Go writes for a status it has no text for),
// then "Content-Length" (always, 0 for no body; except for 1xx, 204 and 304,
// which carry no body), "Content-Type" when `body` is non-empty,
// "Connection: close" when !keep_alive, the extra headers in order, a blank
// line and the body. CR and LF in header values become spaces, as Go's
// net/http does, so a value built from client input cannot split the head.
// REQUIRES: 100 <= status <= 999; header names are HTTP tokens; `body` is
// empty for 1xx, 204 and 304 (it is left out there, to keep the connection
// in step).
void AppendHttpResponse(
    int status, std::string_view content_type, std::string_view body, bool keep_alive,
    const std::vector<std::pair<std::string_view, std::string_view>>& extra_headers,
    std::string* out);

// Appends InfluxDB 1.x's error body to *out: {"error":"<message>"} and "\n",
// the message escaped exactly as Go's encoding/json.Marshal escapes a string
// (as built by the old Go of Debian's InfluxDB 1.6.7): '"' and '\' with a
// backslash; \n, \r and \t as such; other bytes below 0x20 as \u00xx
// (lowercase hex, so \b is \u0008); '<', '>' and '&' as \u003c, \u003e and
// \u0026; U+2028 and U+2029 as \u2028 and \u2029; each byte that is not
// part of valid UTF-8 as \ufffd. Everything else, DEL and valid multi-byte
// UTF-8 included, is copied as is.
void AppendInfluxErrorBody(std::string_view message, std::string* out);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_HTTP_HTTP_REQUEST_H_
