// The inflow client library: writes to InfluxDB, at once or in sessions, as
// the seed's Python client offers them.
//
//   inflow::Client client("http://username:pass@localhost:8086/databasename");
//   auto session = client.session({.autocommit_every = 5,
//                                  .retention_policy = "rp_four_weeks"});
//   session.write("temperature", {{"value", 23.1}}, 1475848864);
//   inflow::WriteResult result = session.commit();   // one write
//   if (!result.ok()) std::cerr << result.message << "\n";
//
// Where writes go, by the URL's scheme:
//   http://[user[:pass]@]host[:port]/database   InfluxDB 1.x's HTTP API, directly
//   unix:///run/inflowd/inflowd.sock            an inflowd unix_stream listener
//   udp://127.0.0.1:8089                        an inflowd udp listener
// Through inflowd, inflowd owns durability: a write is done once inflowd
// has the lines, and what InfluxDB makes of them is inflowd's to handle
// (its spool, retries and dead letters). The listener must take
// nanosecond timestamps (its default `precision: ns`); a retention policy
// other than the listener's own needs inflowd's
// `routing.retention_policy_tag`, named in the URL:
// `unix:///run/inflowd/inflowd.sock?retention_policy_tag=rp`. https:// is
// refused until inflow speaks TLS.
//
// Errors are values: nothing here throws (but std::bad_alloc), and nothing
// is thrown from a destructor. A commit that fails keeps in the session the
// points it could not write, for the next commit; the lines InfluxDB
// refused are reported, never written again. A session that goes out of
// scope commits, and reports a failure through the client's error_handler.
//
// Every point is written with a timestamp: one given in the client's
// precision (or as a time_point), or else the time of the write() call, so
// that a batch written twice stores each point once, and points of one
// series in one commit do not overwrite each other.
//
// Threads: a Client may be shared by any number of threads (copies share
// one client); each write and commit runs its I/O on the calling thread,
// on a connection no other thread uses meanwhile. A Session belongs to one
// thread at a time. The error handler may be called from any thread that
// destroys a session.

#ifndef INFLOW_CLIENT_H_
#define INFLOW_CLIENT_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/line_writer.h"
#include "inflow/point.h"
#include "inflow/status.h"

namespace inflow {

// What kept a write or a commit from writing every point. As the seed's
// exceptions tell them apart, and a few more.
enum class WriteError : uint8_t {
  kNone,              // every point was written
  kInvalid,           // inflow refused a point before sending it (see message)
  kRejected,          // InfluxDB refused lines (400); the others are stored
  kUnauthorized,      // 401: no or wrong credentials
  kForbidden,         // 403: the user may not write to this database
  kDatabaseNotFound,  // 404: the database does not exist
  kFailed,            // InfluxDB or inflowd failed, or could not be reached, in time
};

// "none", "invalid", "rejected", "unauthorized", "forbidden", "database not
// found", "failed".
std::string_view WriteErrorName(WriteError error);

// A line InfluxDB (or inflow, for a point it cannot send) refused, and why.
struct RefusedLine {
  std::string line;    // as sent, without its newline
  std::string reason;  // in InfluxDB's words, when InfluxDB refused it
};

// What a write or a commit did. Points are counted three ways: written
// (stored by InfluxDB, or handed to inflowd), refused (never to be written:
// refused_lines says which, and why) and unwritten (kept in the session for
// its next commit; for Client::write, not written). Session::write's may be
// ignored, as the seed's examples do: a point it refused is the only loss.
struct WriteResult {
  WriteError error = WriteError::kNone;
  // What went wrong and where, for people; empty when ok().
  std::string message;
  uint64_t written_points = 0;
  uint64_t refused_points = 0;
  uint64_t unwritten_points = 0;
  // The refused lines InfluxDB's answer names. InfluxDB names only some of
  // the points it drops (see rejection.h); refused_points counts them all.
  std::vector<RefusedLine> refused_lines;

  bool ok() const { return error == WriteError::kNone; }
};

// A timestamp: none (the time of the write), an integer in the client's
// precision, or a time_point.
class Timestamp {
 public:
  Timestamp() = default;
  // `units` of the client's precision (ClientOptions::precision) since the
  // Unix epoch.
  Timestamp(int64_t units) : kind_(Kind::kUnits), value_(units) {}  // NOLINT: implicit
  template <typename Duration>
  Timestamp(std::chrono::time_point<std::chrono::system_clock, Duration> time)  // NOLINT
      : kind_(Kind::kNanoseconds),
        value_(std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch())
                   .count()) {}

  bool given() const { return kind_ != Kind::kNone; }
  // Nanoseconds since the epoch, `units` read in `precision`. Fails, naming
  // the value, when it is outside InfluxDB's range (1677 to 2262).
  Status ToNanoseconds(Precision precision, int64_t* out) const;

 private:
  enum class Kind : uint8_t { kNone, kUnits, kNanoseconds };
  Kind kind_ = Kind::kNone;
  int64_t value_ = 0;
};

struct ClientOptions {
  // The unit of integer timestamps. The seed's default: seconds.
  Precision precision = Precision::kSeconds;
  // Where Client::write and sessions write without a retention policy of
  // their own; empty: the database's default.
  std::string retention_policy{};
  // How long one write or commit may take, its retries included. Failures
  // are retried as inflowd retries them (the delivery table: backoff,
  // Retry-After, a slow retry after 401/403) while the next attempt can
  // start before this runs out; then the write fails with the last answer.
  std::chrono::milliseconds timeout{10000};
  // On 404 "database not found": create the database and write again
  // (true), or fail with kDatabaseNotFound (false, the seed's behaviour).
  bool create_database = false;
  // Bytes of line protocol in one HTTP write (a commit of more is several
  // writes), and in one datagram over udp://.
  size_t max_batch_bytes = 1 << 20;
  size_t max_datagram_bytes = 65000;
  // Called when a session's commit at scope exit fails, with its result
  // (its unwritten points are then lost). May be called from any thread
  // that destroys a session; must not throw. Default (empty): one line on
  // standard error.
  std::function<void(const WriteResult&)> error_handler{};
};

struct SessionOptions {
  // Commits on every Nth write (the Nth, 2Nth, ...); 0: only on commit()
  // and at scope exit.
  size_t autocommit_every = 0;
  // The session's retention policy, for all its writes; empty: the
  // client's (ClientOptions::retention_policy).
  std::string retention_policy{};
};

class Session;

class Client {
 public:
  // A client writing where `url` says (see the top of this file). A URL
  // that cannot be used does not throw: status() says why, and every write
  // fails with kInvalid and that message.
  explicit Client(std::string_view url, ClientOptions options = {});

  // The URL's problem, if any.
  const Status& status() const;

  // Writes one point at once. `timestamp` is in the client's precision
  // (or a time_point; none: now); tags are written sorted by key; an empty
  // `retention_policy` is the client's.
  [[nodiscard]] WriteResult write(std::string_view measurement,
                                  const std::vector<Field>& fields, Timestamp timestamp = {},
                                  const std::vector<Tag>& tags = {},
                                  std::string_view retention_policy = {}) const;

  // A session: writes accumulated, written on commit().
  Session session(SessionOptions options = {}) const;

 private:
  friend class Session;
  struct Core;
  std::shared_ptr<Core> core_;
};

// Writes accumulated and written as one write (or one per max_batch_bytes)
// on commit(), every autocommit_every writes, and when it goes out of
// scope. Sessions only write: there is no query here, and no retention
// policy per write (it is the session's). Movable, not copyable; one thread
// at a time. It keeps its client's connections alive: it may outlive the
// Client it came from.
class Session {
 public:
  Session(Session&& other) noexcept;
  Session& operator=(Session&& other) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Commits what is pending; a failure goes to the client's error_handler.
  // Never throws.
  ~Session();

  // Adds one point. A point inflow cannot write (an empty measurement, a
  // NaN, a timestamp out of range, ...) is refused at once: kInvalid,
  // naming what and where, and nothing else changes. On the
  // autocommit_every-th write, returns that commit's result; otherwise an
  // ok result that wrote nothing.
  WriteResult write(std::string_view measurement, const std::vector<Field>& fields,
                    Timestamp timestamp = {}, const std::vector<Tag>& tags = {});

  // Writes every pending point; with nothing pending, sends nothing. The
  // points it could not write stay pending, ahead of later writes.
  [[nodiscard]] WriteResult commit();

  // Points written and not yet committed (or kept by a failed commit).
  size_t pending_points() const;
  const std::string& retention_policy() const;

 private:
  friend class Client;
  struct State;
  explicit Session(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace inflow

#endif  // INFLOW_CLIENT_H_
