// LlhttpReader: the llhttp glue that both HTTP parsers share, the library's
// HttpResponseParser (InfluxDB's answers) and inflowd's HttpRequestParser
// (its HTTP listener's requests). Not meant for other users.
//
// It drives llhttp over bytes fed in pieces split anywhere, and collects one
// message into storage the parser owns: the start line's text (a request's
// target, a response's reason phrase), the headers in order (a name or value
// arriving in pieces put together), the de-chunked body, and whether the
// connection may carry the next message. It stops at the message's end, so
// that the bytes after it can go to the next one (pipelining). It bounds
// the head (the start line's text and the header names and values, not
// the framing) and the body, and words those failures itself ("request
// headers longer than N bytes"); the parser words llhttp's own errors and
// adds checks of its own through Hooks.
//
// Thread: any; one reader per connection. Never touches a socket.

#ifndef INFLOW_LLHTTP_READER_H_
#define INFLOW_LLHTTP_READER_H_

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace inflow {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// The value of the first header named `name` (compared without case), or
// null.
const std::string* FindHttpHeader(const HttpHeaders& headers, std::string_view name);

class LlhttpReader {
 public:
  enum class Result { kNeedMore, kComplete, kError };
  enum class Failure { kNone, kMalformed, kHeadTooLong, kBodyTooLong };

  // Where the message goes; each pointer outlives the reader. The reader
  // appends and never clears: the parser empties them before Reset().
  struct Storage {
    std::string* start_text;
    HttpHeaders* headers;
    std::string* body;
    bool* keep_alive;
  };

  // What a parser adds. Each hook refuses the message by calling Fail()
  // and returning false.
  class Hooks {
   public:
    virtual ~Hooks() = default;
    // The head is complete (llhttp() holds the method or status, the
    // version and the framing).
    virtual bool OnHeadersComplete() { return true; }
    // A chunk of `size` bytes comes next.
    virtual bool OnChunkHeader(uint64_t) { return true; }
    // The text of llhttp's error `name` (and `reason`, never null), found
    // `offset` bytes into the message.
    virtual std::string Malformed(size_t offset, const char* name, const char* reason) = 0;
  };

  // `type`: HTTP_REQUEST or HTTP_RESPONSE; `what` ("request", "response")
  // names it in the limits' messages; `keep_trailers`: whether trailer
  // fields after a chunked body join the headers (else they are counted
  // against the head's limit and dropped).
  LlhttpReader(llhttp_type_t type, const char* what, size_t max_header_bytes,
               size_t max_body_bytes, bool keep_trailers, Storage storage, Hooks* hooks);

  LlhttpReader(const LlhttpReader&) = delete;
  LlhttpReader& operator=(const LlhttpReader&) = delete;

  // Parses `data`, which continues what was fed before. Sets *consumed to
  // the bytes used: all of `data` unless the message completed within it,
  // the rest belonging to the next. Once complete, further calls use
  // nothing and return kComplete until Reset(); once failed, kError.
  Result Feed(std::string_view data, size_t* consumed);

  // The connection ended: completes a message whose body runs to the end
  // of the connection. Returns kComplete if the message is complete, else
  // kError (without failing the reader: the parser words it).
  Result Finish();

  // Readies the reader for the next message on the same connection.
  void Reset();

  // Refuses the message: Feed returns kError from now on.
  void Fail(Failure failure, std::string message);
  // Whether `more` body bytes fit under the limit; fails the message
  // (kBodyTooLong) if not.
  bool BodyFits(uint64_t more);

  const llhttp_t& llhttp() const { return parser_; }
  bool headers_complete() const { return headers_complete_; }
  Failure failure() const { return failure_; }
  const std::string& error() const { return error_; }  // empty unless failed

 private:
  static int OnStartText(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderField(llhttp_t* parser, const char* at, size_t length);
  static int OnHeaderValue(llhttp_t* parser, const char* at, size_t length);
  static int OnHeadersComplete(llhttp_t* parser);
  static int OnChunkHeader(llhttp_t* parser);
  static int OnBody(llhttp_t* parser, const char* at, size_t length);
  static int OnMessageComplete(llhttp_t* parser);
  bool CountHeadBytes(size_t length);

  llhttp_type_t type_;
  const char* what_;
  size_t max_header_bytes_;
  size_t max_body_bytes_;
  bool keep_trailers_;
  Storage storage_;
  Hooks* hooks_;
  llhttp_settings_t settings_;
  llhttp_t parser_;
  Failure failure_ = Failure::kNone;
  std::string error_;
  size_t head_bytes_ = 0;
  size_t fed_bytes_ = 0;    // bytes of this message fed before the current Feed
  bool in_value_ = false;   // the last header callback was for a value
  bool headers_complete_ = false;
  bool complete_ = false;
};

}  // namespace inflow

#endif  // INFLOW_LLHTTP_READER_H_
