// A minimal blocking HTTP/1.1 client for tests, on loopback.
//
// One request per connection ("Connection: close"), so no state is kept
// between requests. It reads Content-Length and chunked bodies and bodies
// ended by the server closing the connection, and is strict about framing:
// a malformed response is an error, not something to guess around, since
// the servers it talks to include the one under test.

#ifndef INFLOW_TESTS_SUPPORT_HTTP_CLIENT_H_
#define INFLOW_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/status.h"

namespace inflow::test {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;  // in the order received, trailers excluded
  std::string body;                 // with the chunked framing removed

  // The value of the first header called `name` (ASCII case-insensitive);
  // nullopt if there is none.
  std::optional<std::string> Header(std::string_view name) const;
};

inline constexpr std::chrono::milliseconds kDefaultHttpTimeout{10'000};

// Sends `method target` to host:port with `headers` and `body`, and reads the
// whole response into *response before `timeout` has passed.
//
// `host` is an IPv4 address such as "127.0.0.1"; `target` is the path with
// its query string, e.g. "/write?db=x". Host, Connection: close and (for a
// body, or for POST/PUT/PATCH) Content-Length are added.
// REQUIRES: `headers` has none of Host, Connection, Content-Length or
// Transfer-Encoding.
//
// Returns an error, and leaves *response unspecified, when the connection
// fails, the response is malformed or incomplete, or time runs out. Any
// HTTP status, 4xx and 5xx included, is a success here: callers check
// response->status.
Status SendHttpRequest(std::string_view method, std::string_view host, uint16_t port,
                       std::string_view target, std::string_view body,
                       const std::vector<HttpHeader>& headers, HttpResponse* response,
                       std::chrono::milliseconds timeout = kDefaultHttpTimeout);

// Percent-encodes `text` for a query string or a form body: every byte but
// ASCII letters, digits and -._~ becomes %XX.
std::string UrlEncode(std::string_view text);

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_HTTP_CLIENT_H_
