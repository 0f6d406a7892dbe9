// inflow_load: sends N points of realistic line protocol to one of inflowd's
// listeners, as fast as it can or at a given rate.
//
//   inflow_load --transport unix_stream --path /run/inflowd.sock --points 2000000
//   inflow_load --transport udp --address 127.0.0.1:8089 --points 1000000 --rate 200000
//   inflow_load --transport http --address 127.0.0.1:8086 --points 1000000 --connections 4
//
// It prints one summary line on standard output:
//
//   inflow_load: transport=unix_stream connections=4 points=2000000
//       bytes=239275585 batches=3656 seconds=0.218 points_per_second=9172761 errors=0
//       started_at=1700000000.123456
//
// where started_at is the Unix time the clock started, after the payload was
// generated and the connections made, so that a script can measure from it
// to the moment the points arrive elsewhere.
//
// Every point is unique (timestamps increase strictly over the whole run), so
// a count in InfluxDB finds them all. The series cycle over a bounded set
// (kSeriesCount: three measurements, 100 hosts, 10 sensors each), and each
// measurement mixes floats, integers, booleans and (for disk) a string.
//
// The payload is generated before the clock starts, already cut into the
// writes, datagrams or request bodies that will be sent, each made of whole
// lines; the timed part only calls send()/sendmsg(). What that sustains on
// the 2-core development VM (Debian 12, 2,000,000 points of ~120 bytes):
//   unix_stream, 64 KiB writes, into `socat -u UNIX-LISTEN:...,fork /dev/null`:
//     4.0 million points/s on 1 connection, 9.2 million on 4;
//   unix_dgram, 8 KiB datagrams, into `socat -u UNIX-RECV:... - | wc -l`
//     (no loss: a Unix datagram sender waits for the reader): 2.3 million;
//   udp, 8 KiB datagrams: 10 million points/s leave the generator (no
//     reader keeps up with that; the kernel drops what does not fit);
//   http, 64 KiB bodies, into inflow_sink: 1.85 million points/s on 1
//     connection, 5.4 million on 8.
// That is several times what inflowd takes on the same machine, so the
// generator is not what a daemon benchmark measures.
//
// Exit status: 0 when every point was sent (and, over HTTP, every request was
// answered 204); 1 on a connection or socket error, or when any HTTP answer
// was not 204 (counted in errors=, the first one printed); 2 on a usage
// error.

#include <arpa/inet.h>
#include <llhttp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

constexpr uint64_t kMaxPoints = 20'000'000;  // about 2.4 GB of payload, generated up front
constexpr size_t kMaxDatagramBytes = 65'000;
constexpr size_t kDefaultDatagramBatchBytes = 8 << 10;
constexpr size_t kDefaultStreamBatchBytes = 64 << 10;
constexpr unsigned kHosts = 100;
constexpr unsigned kSensorsPerHost = 10;
constexpr unsigned kSeriesCount = kHosts * kSensorsPerHost;
constexpr int64_t kFirstTimestampNs = 1'700'000'000'000'000'000;
constexpr int64_t kTimestampStepNs = 1000;  // each point gets its own microsecond
constexpr std::string_view kDatabase = "bench";

enum class Transport { kUnixStream, kUdp, kUnixDgram, kHttp };

bool IsDatagram(Transport t) { return t == Transport::kUdp || t == Transport::kUnixDgram; }

struct Options {
  Transport transport = Transport::kUnixStream;
  std::string address;  // host:port, for udp and http
  std::string path;     // socket file, for unix_stream and unix_dgram
  uint64_t points = 0;
  unsigned connections = 1;
  size_t batch_bytes = 0;  // 0: the transport's default
  double rate = 0;         // points per second over all connections; 0: no pacing
  uint64_t seed = 1;
};

// ---------------------------------------------------------------------------
// The payload.

// One sender's share: its lines, cut into batches of whole lines.
struct Payload {
  std::string bytes;
  std::vector<size_t> batch_ends;    // end offset of each batch in `bytes`
  std::vector<uint64_t> batch_points;  // points in each batch
  uint64_t points = 0;
};

void AppendUnsigned(std::string* out, uint64_t v) {
  char digits[24];
  auto r = std::to_chars(digits, digits + sizeof(digits), v);
  out->append(digits, r.ptr);
}

// Appends hundredths as a decimal with two places: 2317 -> "23.17".
void AppendHundredths(std::string* out, uint64_t hundredths) {
  AppendUnsigned(out, hundredths / 100);
  char frac[3] = {'.', static_cast<char>('0' + hundredths % 100 / 10),
                  static_cast<char>('0' + hundredths % 10)};
  out->append(frac, 3);
}

std::vector<std::string> MakeSeriesKeys() {
  static const char* const kMeasurements[] = {"climate", "power", "disk"};
  static const char* const kRegions[] = {"eu-west", "eu-central", "us-east", "ap-south"};
  std::vector<std::string> keys;
  keys.reserve(kSeriesCount);
  char key[128];
  for (unsigned i = 0; i < kSeriesCount; ++i) {
    unsigned host = i / kSensorsPerHost;
    unsigned sensor = i % kSensorsPerHost;
    int n = std::snprintf(key, sizeof(key), "%s,host=h%02u,region=%s,sensor=s%03u",
                          kMeasurements[i % 3], host, kRegions[host % 4], sensor * 7 + host % 7);
    keys.emplace_back(key, static_cast<size_t>(n));
  }
  return keys;
}

// Appends point number `index` of the run (its series and timestamp follow
// from the index, its values from `rng`), ending in a newline.
void AppendPoint(std::string* out, const std::vector<std::string>& series_keys, uint64_t index,
                 std::mt19937_64& rng) {
  unsigned series = static_cast<unsigned>(index % kSeriesCount);
  out->append(series_keys[series]);
  uint64_t r = rng();
  switch (series % 3) {
    case 0:  // climate
      out->append(" temperature=");
      AppendHundredths(out, 1000 + r % 2500);
      out->append(",humidity=");
      AppendHundredths(out, (r >> 12) % 10000);
      out->append((r >> 30) % 8 ? ",ok=true,count=" : ",ok=false,count=");
      AppendUnsigned(out, index / kSeriesCount);
      out->push_back('i');
      break;
    case 1:  // power
      out->append(" watts=");
      AppendHundredths(out, r % 500000);
      out->append(",volts=");
      AppendHundredths(out, 22000 + (r >> 20) % 2000);
      out->append((r >> 40) % 2 ? ",on=true,cycles=" : ",on=false,cycles=");
      AppendUnsigned(out, index / kSeriesCount);
      out->push_back('i');
      break;
    default:  // disk
      out->append(" used_percent=");
      AppendHundredths(out, r % 10000);
      out->append(",free_bytes=");
      AppendUnsigned(out, (r >> 14) % 1'000'000'000'000);
      out->append("i,reads=");
      AppendUnsigned(out, index / kSeriesCount);
      out->append((r >> 60) % 4 ? "i,status=\"ok\"" : "i,status=\"degraded\"");
      break;
  }
  out->push_back(' ');
  // Strictly increasing over the run, with a varying tail so the timestamps
  // do not all compress alike.
  int64_t ts = kFirstTimestampNs + static_cast<int64_t>(index) * kTimestampStepNs +
               static_cast<int64_t>((r >> 50) % kTimestampStepNs);
  AppendUnsigned(out, static_cast<uint64_t>(ts));
  out->push_back('\n');
}

// Points [first, first + count) of the run, cut into batches of at most
// `batch_bytes` bytes of whole lines.
Payload MakePayload(const std::vector<std::string>& series_keys, uint64_t first, uint64_t count,
                    size_t batch_bytes, uint64_t seed) {
  Payload payload;
  payload.points = count;
  payload.bytes.reserve(count * 120);
  std::mt19937_64 rng(seed ^ (first * 0x9E3779B97F4A7C15ULL));
  std::string line;
  size_t batch_start = 0;
  uint64_t batch_points = 0;
  for (uint64_t i = first; i < first + count; ++i) {
    line.clear();
    AppendPoint(&line, series_keys, i, rng);
    if (batch_points > 0 && payload.bytes.size() - batch_start + line.size() > batch_bytes) {
      payload.batch_ends.push_back(payload.bytes.size());
      payload.batch_points.push_back(batch_points);
      batch_start = payload.bytes.size();
      batch_points = 0;
    }
    payload.bytes.append(line);
    ++batch_points;
  }
  if (batch_points > 0) {
    payload.batch_ends.push_back(payload.bytes.size());
    payload.batch_points.push_back(batch_points);
  }
  return payload;
}

// ---------------------------------------------------------------------------
// Sockets. Each function returns a connected blocking socket, or -1 with
// *error saying what failed and where.

std::string ErrnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

int ConnectUnix(const std::string& path, int type, std::string* error) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof(addr.sun_path)) {
    *error = "socket path too long: " + path;
    return -1;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = ErrnoText("socket");
    return -1;
  }
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = ErrnoText("cannot connect to " + path);
    close(fd);
    return -1;
  }
  return fd;
}

int ConnectInet(const std::string& address, int type, std::string* error) {
  size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    *error = "address must be host:port, got '" + address + "'";
    return -1;
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_socktype = type;
  addrinfo* found = nullptr;
  int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    *error = "cannot resolve " + address + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = -1;
  std::string last_error;
  for (addrinfo* ai = found; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = ErrnoText("socket");
      continue;
    }
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      last_error = ErrnoText("cannot connect to " + address);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd < 0) {
    *error = last_error;
    return -1;
  }
  if (type == SOCK_STREAM) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  }
  return fd;
}

int Connect(const Options& options, std::string* error) {
  switch (options.transport) {
    case Transport::kUnixStream:
      return ConnectUnix(options.path, SOCK_STREAM, error);
    case Transport::kUnixDgram:
      return ConnectUnix(options.path, SOCK_DGRAM, error);
    case Transport::kUdp:
      return ConnectInet(options.address, SOCK_DGRAM, error);
    case Transport::kHttp:
      return ConnectInet(options.address, SOCK_STREAM, error);
  }
  return -1;
}

// Writes all of iov[0..count), resuming after partial writes. Returns false
// with *error set when the socket fails.
bool WriteAll(int fd, iovec* iov, int count, std::string* error) {
  while (count > 0) {
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(count);
    ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      *error = ErrnoText("write");
      return false;
    }
    auto left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<char*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------
// HTTP answers, read with llhttp. There is no pipelining: one request is
// sent and its answer read before the next.

class HttpAnswerReader {
 public:
  HttpAnswerReader() {
    llhttp_settings_init(&settings_);
    settings_.on_body = [](llhttp_t* p, const char* at, size_t length) {
      auto* self = static_cast<HttpAnswerReader*>(p->data);
      size_t room = kMaxBodyKept - std::min(kMaxBodyKept, self->body_.size());
      self->body_.append(at, std::min(room, length));
      return 0;
    };
    settings_.on_message_complete = [](llhttp_t* p) {
      auto* self = static_cast<HttpAnswerReader*>(p->data);
      self->status_ = p->status_code;
      self->keep_alive_ = llhttp_should_keep_alive(p) != 0;
      self->complete_ = true;
      return static_cast<int>(HPE_PAUSED);
    };
  }

  // Reads one answer from `fd`. Returns false with *error set when the
  // connection fails or the answer is malformed.
  bool Read(int fd, std::string* error) {
    llhttp_init(&parser_, HTTP_RESPONSE, &settings_);
    parser_.data = this;
    body_.clear();
    complete_ = false;
    while (!complete_) {
      ssize_t n = recv(fd, buffer_, sizeof(buffer_), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        *error = ErrnoText("reading the HTTP answer");
        return false;
      }
      llhttp_errno_t err = n == 0 ? llhttp_finish(&parser_)
                                  : llhttp_execute(&parser_, buffer_, static_cast<size_t>(n));
      if (complete_) return true;
      if (err != HPE_OK) {
        *error = std::string("malformed HTTP answer: ") + llhttp_errno_name(err);
        return false;
      }
      if (n == 0) {
        *error = "the server closed the connection before answering";
        return false;
      }
    }
    return true;
  }

  int status() const { return status_; }
  bool keep_alive() const { return keep_alive_; }
  const std::string& body() const { return body_; }

 private:
  static constexpr size_t kMaxBodyKept = 300;

  llhttp_settings_t settings_;
  llhttp_t parser_;
  char buffer_[16 << 10];
  std::string body_;
  int status_ = 0;
  bool keep_alive_ = false;
  bool complete_ = false;
};

// ---------------------------------------------------------------------------
// Senders: one thread per connection, each with its own payload.

struct SenderResult {
  uint64_t points = 0;
  uint64_t bytes = 0;
  uint64_t batches = 0;
  uint64_t errors = 0;  // HTTP answers other than 204
  std::string failure;  // a socket error that stopped the sender
  std::string first_http_error;
};

// Sends `payload` over `fd` (which it then owns and closes), paced to
// `rate` points per second when rate > 0, starting at `start`.
void RunSender(const Options& options, const Payload& payload, int fd, double rate,
               Clock::time_point start, SenderResult* result) {
  std::optional<HttpAnswerReader> reader;
  std::string host_header;
  if (options.transport == Transport::kHttp) {
    reader.emplace();
    host_header = "POST /write?db=" + std::string(kDatabase) + " HTTP/1.1\r\nHost: " +
                  options.address + "\r\nContent-Type: text/plain; charset=utf-8\r\n";
  }
  size_t begin = 0;
  for (size_t b = 0; b < payload.batch_ends.size(); ++b) {
    size_t end = payload.batch_ends[b];
    if (rate > 0) {
      std::this_thread::sleep_until(
          start + std::chrono::duration_cast<Clock::duration>(
                      std::chrono::duration<double>(static_cast<double>(result->points) / rate)));
    }
    char* body = const_cast<char*>(payload.bytes.data()) + begin;
    size_t body_len = end - begin;
    if (options.transport == Transport::kHttp) {
      if (fd < 0 && (fd = Connect(options, &result->failure)) < 0) return;
      std::string head = host_header;
      head += "Content-Length: ";
      AppendUnsigned(&head, body_len);
      head += "\r\n\r\n";
      iovec iov[2] = {{head.data(), head.size()}, {body, body_len}};
      if (!WriteAll(fd, iov, 2, &result->failure) || !reader->Read(fd, &result->failure)) {
        close(fd);
        return;
      }
      if (reader->status() != 204) {
        ++result->errors;
        if (result->first_http_error.empty()) {
          result->first_http_error =
              "HTTP " + std::to_string(reader->status()) + ": " + reader->body();
        }
      }
      if (!reader->keep_alive()) {
        close(fd);
        fd = -1;
      }
    } else if (IsDatagram(options.transport)) {
      ssize_t n;
      do {
        n = send(fd, body, body_len, MSG_NOSIGNAL);
      } while (n < 0 && errno == EINTR);
      if (n < 0) {
        result->failure = ErrnoText("send");
        close(fd);
        return;
      }
    } else {
      iovec iov[1] = {{body, body_len}};
      if (!WriteAll(fd, iov, 1, &result->failure)) {
        close(fd);
        return;
      }
    }
    result->points += payload.batch_points[b];
    result->bytes += body_len;
    ++result->batches;
    begin = end;
  }
  if (fd >= 0) close(fd);
}

const char* TransportName(Transport t) {
  switch (t) {
    case Transport::kUnixStream: return "unix_stream";
    case Transport::kUdp: return "udp";
    case Transport::kUnixDgram: return "unix_dgram";
    case Transport::kHttp: return "http";
  }
  return "?";
}

int Run(const Options& options) {
  size_t batch_bytes = options.batch_bytes != 0 ? options.batch_bytes
                       : IsDatagram(options.transport) ? kDefaultDatagramBatchBytes
                                                       : kDefaultStreamBatchBytes;
  const std::vector<std::string> series_keys = MakeSeriesKeys();
  unsigned k = options.connections;
  std::vector<Payload> payloads;
  payloads.reserve(k);
  for (unsigned s = 0; s < k; ++s) {
    uint64_t first = options.points * s / k;
    uint64_t last = options.points * (s + 1) / k;
    payloads.push_back(MakePayload(series_keys, first, last - first, batch_bytes, options.seed));
  }

  // Every connection is made before the clock starts, so a refused one
  // fails the run at once and connecting is not timed.
  std::vector<int> fds;
  for (unsigned s = 0; s < k; ++s) {
    std::string error;
    int fd = Connect(options, &error);
    if (fd < 0) {
      std::fprintf(stderr, "inflow_load: %s\n", error.c_str());
      for (int open_fd : fds) close(open_fd);
      return 1;
    }
    fds.push_back(fd);
  }

  std::vector<SenderResult> results(k);
  std::vector<std::thread> threads;
  Clock::time_point start = Clock::now();
  double started_at =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (unsigned s = 0; s < k; ++s) {
    double share = options.points == 0 ? 0
                                       : options.rate * static_cast<double>(payloads[s].points) /
                                             static_cast<double>(options.points);
    threads.emplace_back(RunSender, std::cref(options), std::cref(payloads[s]), fds[s], share,
                         start, &results[s]);
  }
  for (std::thread& t : threads) t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  SenderResult total;
  for (const SenderResult& r : results) {
    total.points += r.points;
    total.bytes += r.bytes;
    total.batches += r.batches;
    total.errors += r.errors;
    if (total.failure.empty()) total.failure = r.failure;
    if (total.first_http_error.empty()) total.first_http_error = r.first_http_error;
  }
  std::printf(
      "inflow_load: transport=%s connections=%u points=%llu bytes=%llu batches=%llu "
      "seconds=%.3f points_per_second=%.0f errors=%llu started_at=%.6f\n",
      TransportName(options.transport), k, static_cast<unsigned long long>(total.points),
      static_cast<unsigned long long>(total.bytes), static_cast<unsigned long long>(total.batches),
      seconds, seconds > 0 ? static_cast<double>(total.points) / seconds : 0.0,
      static_cast<unsigned long long>(total.errors), started_at);
  std::fflush(stdout);
  if (!total.failure.empty()) {
    std::fprintf(stderr, "inflow_load: %s (after %llu of %llu points)\n", total.failure.c_str(),
                 static_cast<unsigned long long>(total.points),
                 static_cast<unsigned long long>(options.points));
    return 1;
  }
  if (total.errors > 0) {
    std::fprintf(stderr, "inflow_load: %llu requests not answered 204; the first: %s\n",
                 static_cast<unsigned long long>(total.errors), total.first_http_error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Sends N points of realistic line protocol to an inflowd listener."};
  Options options;
  const std::map<std::string, Transport> transports = {{"unix_stream", Transport::kUnixStream},
                                                       {"udp", Transport::kUdp},
                                                       {"unix_dgram", Transport::kUnixDgram},
                                                       {"http", Transport::kHttp}};
  std::string transport = "unix_stream";
  app.add_option("--transport", transport, "unix_stream, udp, unix_dgram or http")
      ->check(CLI::IsMember({"unix_stream", "udp", "unix_dgram", "http"}))
      ->capture_default_str();
  app.add_option("--address", options.address, "host:port, for udp and http");
  app.add_option("--path", options.path, "the socket file, for unix_stream and unix_dgram");
  app.add_option("--points", options.points, "how many points to send")
      ->required()
      ->check(CLI::Range(uint64_t{1}, kMaxPoints));
  app.add_option("--connections", options.connections,
                 "connections (sockets) sending at once, the points split between them")
      ->check(CLI::Range(1u, 256u))
      ->capture_default_str();
  app.add_option("--batch-bytes", options.batch_bytes,
                 "bytes per write, datagram or HTTP body, in whole lines (default: 8192 for "
                 "datagrams, 65536 for streams)")
      ->check(CLI::Range(size_t{256}, size_t{64} << 20));
  app.add_option("--rate", options.rate, "points per second over all connections; 0: no pacing")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--seed", options.seed, "seed of the field values")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.transport = transports.at(transport);

  auto usage_error = [](const std::string& message) {
    std::fprintf(stderr, "inflow_load: %s\n", message.c_str());
    return 2;
  };
  bool inet = options.transport == Transport::kUdp || options.transport == Transport::kHttp;
  if (inet && options.address.empty()) {
    return usage_error(std::string("--address host:port is required for --transport ") +
                       TransportName(options.transport));
  }
  if (!inet && options.path.empty()) {
    return usage_error(std::string("--path is required for --transport ") +
                       TransportName(options.transport));
  }
  if (IsDatagram(options.transport) && options.batch_bytes > kMaxDatagramBytes) {
    return usage_error("--batch-bytes must be at most " + std::to_string(kMaxDatagramBytes) +
                       " for datagrams");
  }
  if (options.connections > options.points) {
    return usage_error("--connections must not exceed --points");
  }
  return Run(options);
}
