#include "listeners/http/http_request.h"

#include <algorithm>
#include <cctype>

#include "inflow/percent_encoding.h"

namespace inflow::daemon {

namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// RFC 9110 5.6.2: the characters of a token, such as a header name.
bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Splits a request target into its path and query. An absolute-form target
// (RFC 9112 3.2.2) starts with a scheme and "://"; its authority is skipped.
void SplitTarget(std::string_view target, std::string* path, std::string* query) {
  size_t question = target.find('?');
  std::string_view before = target.substr(0, question);
  query->assign(question == std::string_view::npos ? std::string_view()
                                                   : target.substr(question + 1));
  size_t scheme_end = before.find("://");
  bool absolute =
      !before.empty() && before[0] != '/' && scheme_end != std::string_view::npos &&
      std::isalpha(static_cast<unsigned char>(before[0])) &&
      std::all_of(before.begin(), before.begin() + scheme_end, [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
      });
  if (absolute) {
    size_t slash = before.find('/', scheme_end + 3);
    before = slash == std::string_view::npos ? std::string_view("/") : before.substr(slash);
  }
  path->assign(before);
}

}  // namespace

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  const std::string* value = FindHttpHeader(headers, name);
  if (value == nullptr) return std::nullopt;
  return *value;
}

// Trailers after a chunked body are counted but not kept: InfluxDB never
// reads them, and they must not pass for headers.
HttpRequestParser::HttpRequestParser(size_t max_header_bytes, size_t max_body_bytes)
    : reader_(HTTP_REQUEST, "request", max_header_bytes, max_body_bytes,
              /*keep_trailers=*/false,
              {&request_.target, &request_.headers, &request_.body, &request_.keep_alive},
              this) {}

void HttpRequestParser::Reset() {
  request_ = HttpRequest{};
  expects_continue_ = false;
  reader_.Reset();
}

int HttpRequestParser::error_status() const {
  switch (reader_.failure()) {
    case LlhttpReader::Failure::kNone: return 0;
    case LlhttpReader::Failure::kMalformed: return 400;
    case LlhttpReader::Failure::kHeadTooLong: return 431;
    case LlhttpReader::Failure::kBodyTooLong: return 413;
  }
  return 400;
}

std::string HttpRequestParser::Malformed(size_t offset, const char* name, const char* reason) {
  return "malformed HTTP request at byte " + std::to_string(offset) + ": " + name + ": " + reason;
}

bool HttpRequestParser::OnHeadersComplete() {
  const llhttp_t& parser = reader_.llhttp();
  HttpRequest& request = request_;
  request.method = llhttp_method_name(static_cast<llhttp_method_t>(parser.method));
  SplitTarget(request.target, &request.path, &request.query);
  // llhttp's lenient (non-strict) build, Debian's, takes a request line
  // without a version (HTTP/0.9) and header names with spaces in them
  // ("Bad Header", "X-Id "), which Go (and so InfluxDB) refuses: a name
  // that a proxy in front might read differently is a way to smuggle
  // requests.
  if (parser.http_major == 0) {
    reader_.Fail(LlhttpReader::Failure::kMalformed,
                 "malformed HTTP request: no HTTP/1.x version in the request line");
    return false;
  }
  for (auto& [name, value] : request.headers) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) {
      reader_.Fail(LlhttpReader::Failure::kMalformed,
                   "malformed HTTP request: header name \"" + name + "\" is not a token");
      return false;
    }
    // llhttp drops the whitespace before a value but keeps what follows
    // it; Go trims both.
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
  }
  // A body over the limit is refused from its Content-Length, before any
  // of it is read.
  if ((parser.flags & F_CONTENT_LENGTH) != 0 && !reader_.BodyFits(parser.content_length)) {
    reader_.Fail(LlhttpReader::Failure::kBodyTooLong,
                 reader_.error() + " (Content-Length: " + std::to_string(parser.content_length) +
                     ")");
    return false;
  }
  bool has_body = (parser.flags & F_CHUNKED) != 0 || parser.content_length > 0;
  bool http11 = parser.http_major > 1 || (parser.http_major == 1 && parser.http_minor >= 1);
  std::optional<std::string_view> expect = request.Header("Expect");
  expects_continue_ =
      has_body && http11 && expect.has_value() && EqualsIgnoringCase(*expect, "100-continue");
  return true;
}

// Refuses a chunk that would take the body over the limit before any of
// its bytes are read.
bool HttpRequestParser::OnChunkHeader(uint64_t size) { return reader_.BodyFits(size); }

HttpRequestParser::Result HttpRequestParser::Feed(std::string_view data, size_t* consumed) {
  switch (reader_.Feed(data, consumed)) {
    case LlhttpReader::Result::kNeedMore: return Result::kNeedMore;
    case LlhttpReader::Result::kComplete: return Result::kComplete;
    case LlhttpReader::Result::kError: return Result::kError;
  }
  return Result::kError;
}

// --- Query strings -----------------------------------------------------------

namespace {

// Decodes one key or value that starts at `offset` in the whole query, so
// that an error can say where.
Status Unescape(std::string_view query, size_t offset, size_t length, std::string* out) {
  size_t bad = 0;
  if (PercentDecode(query.substr(offset, length), PlusSign::kSpace, out, &bad)) {
    return Status::Ok();
  }
  const size_t i = offset + bad;
  std::string_view escape = query.substr(i, std::min<size_t>(3, offset + length - i));
  return Status::Error("bad escape \"" + std::string(escape) + "\" at offset " +
                       std::to_string(i) + " in query string");
}

}  // namespace

Status ParseQueryString(std::string_view query,
                        std::vector<std::pair<std::string, std::string>>* params) {
  params->clear();
  size_t start = 0;
  while (start <= query.size()) {
    size_t end = std::min(query.find('&', start), query.size());
    if (end > start) {
      std::string_view piece = query.substr(start, end - start);
      size_t equals = std::min(piece.find('='), piece.size());
      std::pair<std::string, std::string> param;
      Status status = Unescape(query, start, equals, &param.first);
      if (status.ok() && equals < piece.size()) {
        status = Unescape(query, start + equals + 1, piece.size() - equals - 1, &param.second);
      }
      if (!status.ok()) {
        params->clear();
        return status;
      }
      params->push_back(std::move(param));
    }
    start = end + 1;
  }
  return Status::Ok();
}

std::optional<std::string_view> QueryValue(
    const std::vector<std::pair<std::string, std::string>>& params, std::string_view key) {
  for (const auto& [name, value] : params) {
    if (name == key) return value;
  }
  return std::nullopt;
}

// --- Answers -----------------------------------------------------------------

namespace {

// Go's http.StatusText, which InfluxDB's answers carry, for the statuses an
// InfluxDB-like server may send. Others get "status code NNN", as Go writes
// for a status it has no text for.
std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 101: return "Switching Protocols";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 410: return "Gone";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Request Entity Too Large";
    case 414: return "Request URI Too Long";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Entity";
    case 426: return "Upgrade Required";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    case 505: return "HTTP Version Not Supported";
    default: return {};
  }
}

void AppendHeader(std::string_view name, std::string_view value, std::string* out) {
  out->append(name);
  out->append(": ");
  for (char c : value) out->push_back(c == '\r' || c == '\n' ? ' ' : c);
  out->append("\r\n");
}

}  // namespace

void AppendHttpResponse(
    int status, std::string_view content_type, std::string_view body, bool keep_alive,
    const std::vector<std::pair<std::string_view, std::string_view>>& extra_headers,
    std::string* out) {
  std::string_view reason = ReasonPhrase(status);
  out->append("HTTP/1.1 ");
  out->append(std::to_string(status));
  out->push_back(' ');
  if (reason.empty()) {
    out->append("status code " + std::to_string(status));
  } else {
    out->append(reason);
  }
  out->append("\r\n");
  bool body_allowed = status >= 200 && status != 204 && status != 304;
  if (!body_allowed) body = {};
  if (body_allowed) AppendHeader("Content-Length", std::to_string(body.size()), out);
  if (!body.empty()) AppendHeader("Content-Type", content_type, out);
  if (!keep_alive) AppendHeader("Connection", "close", out);
  for (const auto& [name, value] : extra_headers) AppendHeader(name, value, out);
  out->append("\r\n");
  out->append(body);
}

namespace {

// The length of the valid UTF-8 sequence that starts `s`, or 0 when its
// first byte is not the start of one: Go's utf8.DecodeRuneInString rules
// (no overlong forms, no surrogates, nothing above U+10FFFF).
size_t Utf8SequenceLength(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  unsigned char first = byte(0);
  size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (first >= 0xC2 && first <= 0xDF) {
    length = 2;
  } else if (first >= 0xE0 && first <= 0xEF) {
    length = 3;
    if (first == 0xE0) low = 0xA0;
    if (first == 0xED) high = 0x9F;
  } else if (first >= 0xF0 && first <= 0xF4) {
    length = 4;
    if (first == 0xF0) low = 0x90;
    if (first == 0xF4) high = 0x8F;
  } else {
    return 0;
  }
  if (s.size() < length || byte(1) < low || byte(1) > high) return 0;
  for (size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
  }
  return length;
}

}  // namespace

void AppendInfluxErrorBody(std::string_view message, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->append("{\"error\":\"");
  size_t i = 0;
  while (i < message.size()) {
    unsigned char c = static_cast<unsigned char>(message[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default:
          if (c < 0x20 || c == '<' || c == '>' || c == '&') {
            out->append("\\u00");
            out->push_back(kHex[c >> 4]);
            out->push_back(kHex[c & 0xF]);
          } else {
            out->push_back(static_cast<char>(c));
          }
      }
      ++i;
      continue;
    }
    size_t length = Utf8SequenceLength(message.substr(i));
    if (length == 0) {
      out->append("\\ufffd");
      ++i;
      continue;
    }
    std::string_view sequence = message.substr(i, length);
    // U+2028 and U+2029 end a line in JavaScript, so Go escapes them.
    if (sequence == "\xE2\x80\xA8" || sequence == "\xE2\x80\xA9") {
      out->append(sequence == "\xE2\x80\xA8" ? "\\u2028" : "\\u2029");
    } else {
      out->append(sequence);
    }
    i += length;
  }
  out->append("\"}\n");
}

}  // namespace inflow::daemon
