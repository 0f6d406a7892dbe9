#include "support/http_client.h"

#include <cctype>
#include <charconv>

#include "inflow/percent_encoding.h"
#include "support/tcp_connection.h"

namespace inflow::test {
namespace {

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxChunkBytes = size_t{1} << 32;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view TrimSpaces(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Reads one response from a connection: `buffer_` holds what was received
// and not yet consumed, from `pos_` on.
class ResponseReader {
 public:
  ResponseReader(TcpConnection* connection, bool head_request)
      : connection_(connection), head_request_(head_request) {}

  Status Read(HttpResponse* response) {
    size_t header_end;
    if (Status status = ReadHeader(&header_end); !status.ok()) return status;
    if (Status status = ParseHeader(std::string_view(buffer_).substr(0, header_end), response);
        !status.ok()) {
      return status;
    }
    pos_ = header_end + 4;
    return ReadBody(response);
  }

 private:
  // Receives more bytes; an error if the peer closed the connection.
  Status Fill(std::string_view while_reading) {
    bool eof = false;
    if (Status status = connection_->Read(&buffer_, &eof); !status.ok()) return status;
    if (eof) {
      return Status::Error("the server closed the connection in the middle of the " +
                           std::string(while_reading));
    }
    return Status::Ok();
  }

  // Ensures `n` unconsumed bytes are buffered.
  Status Need(size_t n, std::string_view while_reading) {
    while (buffer_.size() - pos_ < n) {
      if (Status status = Fill(while_reading); !status.ok()) return status;
    }
    return Status::Ok();
  }

  // Returns the next CRLF-terminated line (without CRLF) and consumes it.
  Status Line(std::string_view while_reading, std::string* line) {
    size_t end;
    while ((end = buffer_.find("\r\n", pos_)) == std::string::npos) {
      if (buffer_.size() - pos_ > kMaxHeaderBytes) {
        return Status::Error("a line of the " + std::string(while_reading) + " is too long");
      }
      if (Status status = Fill(while_reading); !status.ok()) return status;
    }
    *line = buffer_.substr(pos_, end - pos_);
    pos_ = end + 2;
    return Status::Ok();
  }

  Status ReadHeader(size_t* header_end) {
    while ((*header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return Status::Error("the response header is too long");
      if (Status status = Fill("response header"); !status.ok()) return status;
    }
    return Status::Ok();
  }

  // "HTTP/1.1 204 No Content": the version, a space, three digits, then a
  // space or the end of the line.
  static bool ParseStatusLine(std::string_view line, int* status) {
    if (line.size() < 12 || !line.starts_with("HTTP/1.") || line[8] != ' ' ||
        (line.size() > 12 && line[12] != ' ')) {
      return false;
    }
    int value = 0;
    for (char c : line.substr(9, 3)) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    *status = value;
    return true;
  }

  static Status ParseHeader(std::string_view header, HttpResponse* response) {
    size_t line_end = header.find("\r\n");
    std::string_view status_line = header.substr(0, line_end);
    int status = 0;
    if (!ParseStatusLine(status_line, &status)) {
      return Status::Error("malformed status line: " + std::string(status_line));
    }
    response->status = status;
    response->headers.clear();
    while (line_end != std::string_view::npos) {
      header.remove_prefix(line_end + 2);
      line_end = header.find("\r\n");
      std::string_view line = header.substr(0, line_end);
      size_t colon = line.find(':');
      if (colon == 0 || colon == std::string_view::npos || line.front() == ' ' ||
          line.front() == '\t') {
        return Status::Error("malformed header line: " + std::string(line));
      }
      response->headers.push_back(
          {std::string(line.substr(0, colon)), std::string(TrimSpaces(line.substr(colon + 1)))});
    }
    return Status::Ok();
  }

  Status ReadBody(HttpResponse* response) {
    response->body.clear();
    if (response->status < 200) {
      return Status::Error("unexpected interim response " + std::to_string(response->status));
    }
    if (head_request_ || response->status == 204 || response->status == 304) {
      return CheckNothingLeft();
    }
    std::optional<std::string> transfer_encoding = response->Header("Transfer-Encoding");
    std::optional<std::string> content_length = response->Header("Content-Length");
    if (transfer_encoding && content_length) {
      return Status::Error("the response has both Transfer-Encoding and Content-Length");
    }
    if (transfer_encoding) {
      if (!EqualsIgnoreCase(*transfer_encoding, "chunked")) {
        return Status::Error("unsupported Transfer-Encoding: " + *transfer_encoding);
      }
      return ReadChunkedBody(&response->body);
    }
    if (content_length) {
      size_t length = 0;
      const char* end = content_length->data() + content_length->size();
      if (content_length->empty() ||
          std::from_chars(content_length->data(), end, length).ptr != end) {
        return Status::Error("malformed Content-Length: " + *content_length);
      }
      if (Status status = Need(length, "response body"); !status.ok()) return status;
      response->body = buffer_.substr(pos_, length);
      pos_ += length;
      return CheckNothingLeft();
    }
    // Neither: the body ends when the server closes the connection.
    bool eof = false;
    while (!eof) {
      if (Status status = connection_->Read(&buffer_, &eof); !status.ok()) return status;
    }
    response->body = buffer_.substr(pos_);
    pos_ = buffer_.size();
    return Status::Ok();
  }

  Status ReadChunkedBody(std::string* body) {
    while (true) {
      std::string line;
      if (Status status = Line("chunk size", &line); !status.ok()) return status;
      std::string_view size_text = std::string_view(line).substr(0, line.find(';'));
      size_t size = 0;
      auto [end, error] =
          std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
      if (size_text.empty() || error != std::errc() || end != size_text.data() + size_text.size()) {
        return Status::Error("malformed chunk size line: " + line);
      }
      if (size == 0) break;
      if (size > kMaxChunkBytes) return Status::Error("chunk too large: " + line);
      if (Status status = Need(size + 2, "chunk"); !status.ok()) return status;
      if (buffer_.compare(pos_ + size, 2, "\r\n") != 0) {
        return Status::Error("a chunk does not end with CRLF");
      }
      body->append(buffer_, pos_, size);
      pos_ += size + 2;
    }
    // Trailers, up to the empty line.
    std::string trailer;
    do {
      if (Status status = Line("trailer", &trailer); !status.ok()) return status;
    } while (!trailer.empty());
    return CheckNothingLeft();
  }

  Status CheckNothingLeft() const {
    if (pos_ != buffer_.size()) {
      return Status::Error(std::to_string(buffer_.size() - pos_) +
                           " unexpected bytes after the response");
    }
    return Status::Ok();
  }

  TcpConnection* connection_;
  bool head_request_;
  std::string buffer_;
  size_t pos_ = 0;
};

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view name) const {
  for (const HttpHeader& header : headers) {
    if (EqualsIgnoreCase(header.name, name)) return header.value;
  }
  return std::nullopt;
}

Status SendHttpRequest(std::string_view method, std::string_view host, uint16_t port,
                       std::string_view target, std::string_view body,
                       const std::vector<HttpHeader>& headers, HttpResponse* response,
                       std::chrono::milliseconds timeout) {
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\n");
  request.append("Host: ").append(host).append(":").append(std::to_string(port)).append("\r\n");
  for (const HttpHeader& header : headers) {
    request.append(header.name).append(": ").append(header.value).append("\r\n");
  }
  if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("Connection: close\r\n\r\n").append(body);

  TcpConnection connection(TcpConnection::Clock::now() + timeout);
  Status status = connection.Connect(host, port);
  if (status.ok()) status = connection.WriteAll(request);
  if (status.ok()) status = ResponseReader(&connection, method == "HEAD").Read(response);
  if (!status.ok()) {
    return Status::Error(std::string(method) + " http://" + std::string(host) + ":" +
                         std::to_string(port) + std::string(target) + ": " + status.message());
  }
  return Status::Ok();
}

std::string UrlEncode(std::string_view text) { return PercentEncoded(text); }

}  // namespace inflow::test
