// Intake: the parser → router step of the pipeline, shared by every listener.
//
// A listener hands its bytes to an Intake; the Intake splits them into lines,
// parses each with LineParser, routes each point with the Router, and hands
// each point it takes, as an AcceptedPoint, to the Pipeline (the engine,
// which gives it to its outputs: the session's spool, and next the
// last-value cache). Lines it cannot take are given to the pipeline as
// refusals, so that they are counted and logged, and an HTTP listener can
// name them in its answer. Pure: no I/O, no clock; the caller passes the
// receive time.
//
// One Intake per stream (connection, datagram socket or HTTP request): the
// parser keeps state across calls only for a line too long to keep.

#ifndef INFLOW_DAEMON_INTAKE_INTAKE_H_
#define INFLOW_DAEMON_INTAKE_INTAKE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "inflow/line_parser.h"
#include "intake/router.h"

namespace inflow::daemon {

// Why a line was not taken.
struct Refusal {
  enum class Kind : uint8_t {
    kBadLine,                 // not valid line protocol; `reason` says why
    kUnknownRetentionPolicy,  // routed to a retention policy no session has
  };
  Kind kind = Kind::kBadLine;
  std::string_view listener;  // the listener's name, for logs
  std::string_view line;      // the line as received, without its newline
  std::string_view reason;    // kBadLine: the parser's reason; else the retention policy
  size_t offset = 0;          // kBadLine: of the offending byte, in the line
};

// A point an Intake took, as each output of the pipeline sees it. Its views
// are valid only during the call that hands it over (Pipeline::Accept).
class AcceptedPoint {
 public:
  // `line` and `point` as for the accessors; `routing_tag` is one of
  // point.tags or null; `key_buffer` holds the series key once made.
  AcceptedPoint(size_t session, std::string_view line, const PointView& point,
                const TagView* routing_tag, int64_t received_ns, std::string* key_buffer)
      : session_(session),
        line_(line),
        point_(point),
        routing_tag_(routing_tag),
        received_ns_(received_ns),
        key_buffer_(key_buffer) {}

  // The index of its session.
  size_t session() const { return session_; }

  // The line its session writes: one line ending in '\n', with a
  // nanosecond timestamp, the routing tag left out (Router::Route).
  std::string_view line() const { return line_; }

  // The point as parsed: as it came, with its routing tag if it had one,
  // its timestamp in the listener's precision.
  const PointView& point() const { return point_; }

  // The tag of point() that routed it (left out of its line and its series
  // key), or null.
  const TagView* routing_tag() const { return routing_tag_; }

  // Its time in nanoseconds since the epoch: its own, or when it was received.
  int64_t timestamp_ns() const { return point_.timestamp_ns.value_or(received_ns_); }

  // Its series key as InfluxDB stores it: the measurement and the tags
  // sorted by key, canonical, the routing tag left out (AppendSeriesKey).
  // Made at the first call, so that a pipeline whose outputs need no key
  // pays nothing for it.
  std::string_view series_key() const;

 private:
  size_t session_;
  std::string_view line_;
  const PointView& point_;
  const TagView* routing_tag_;
  int64_t received_ns_;
  std::string* key_buffer_;
  mutable bool key_made_ = false;
};

// What became of the points of one listener read (Pipeline::Admit).
enum class Admission : uint8_t {
  kAccepted,   // in the spool (and fsynced, when spool.fsync is always)
  kHeld,       // the spool is full and when_full is block: the engine holds
               // the points and pauses every listener that can wait; its
               // Resume() means they are accepted
  kDropped,    // the spool is full: not taken; the engine counted them
  kNotSynced,  // in the spool, but the fsync spool.fsync: always asks failed
};

// Where an Intake's points go: the rest of the pipeline (the engine).
class Pipeline {
 public:
  virtual ~Pipeline() = default;

  // A point taken, for its session (point.session()).
  virtual void Accept(const AcceptedPoint& point) = 0;

  // A line was refused; the views are valid only during the call.
  virtual void Refuse(const Refusal& refusal) = 0;

  // Ends one read: the lines accepted since the last call go to the spool
  // together, and only now count as accepted. `can_wait`: the listener can
  // stop reading (a stream or HTTP client), so a full spool under
  // when_full: block holds its points (kHeld) instead of dropping them.
  virtual Admission Admit(bool can_wait) = 0;
};

class Intake {
 public:
  // `listener` names the source in refusals; `default_rp` is the retention
  // policy of points the routing tag does not route. Both are copied.
  Intake(const Router* router, const ParserOptions& options, std::string_view listener,
         std::string_view default_rp);

  Intake(const Intake&) = delete;
  Intake& operator=(const Intake&) = delete;

  // Takes the complete lines at the start of `data` (all of it when
  // `final`: the end of data ends the last line) and returns the bytes
  // used; the rest is the start of a line, to be given again with what
  // follows. Points without a timestamp get `received_ns`.
  size_t Feed(std::string_view data, bool final, int64_t received_ns, Pipeline* pipeline);

  // For a connection that carries requests with different parameters
  // (HTTP): the retention policy and parser options of the next Feed.
  void Reset(const ParserOptions& options, std::string_view default_rp);

  uint64_t points() const { return points_; }
  uint64_t refused() const { return refused_; }

 private:
  const Router* router_;
  std::optional<LineParser> parser_;  // always set; re-made by Reset
  std::string listener_;
  std::string default_rp_;
  std::string line_;        // the routed line, reused
  std::string series_key_;  // reused
  std::string unknown_rp_;  // reused
  uint64_t points_ = 0;
  uint64_t refused_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_INTAKE_INTAKE_H_
