// Which lines of a batch InfluxDB refused, and why, read from its answer.
//
// When InfluxDB 1.x answers a write with 400, it has stored the points it
// could and dropped the others, and its "error" text names the dropped ones
// only sometimes. FindRejectedLines reads that text against the batch that
// was sent and says which lines it names, and how many dropped points it
// leaves unnamed, so that they can be kept as dead letters and
// never retry them.
//
// The texts of InfluxDB 1.6 understood here (tests/reference's
// LineProtocolFactsTest pins each one), where N is InfluxDB's count of points
// its storage dropped:
//
//   unable to parse '<line>': <why>            (one per line, joined by '\n':
//                                               nothing was stored)
//   partial write: unable to parse '<line>': <why>\n... dropped=0
//   partial write: field type conflict: input field "<f>" on measurement
//       "<m>" is type <input type>, already exists as type <type> dropped=N
//   partial write: invalid tag key: input tag "time" on measurement "<m>"
//       is invalid dropped=N
//   partial write: invalid field name: input field "time" on measurement
//       "<m>" is invalid dropped=N
//   partial write: points beyond retention policy dropped=N
//
// Several clauses after "partial write: " may be joined by '\n'. Names are
// printed unescaped (as InfluxDB's Name() and FieldKey() give them) and
// unquoted, so a name may itself contain `"`: a clause is matched against
// the names the batch holds, never split on a guess.
//
// What the text cannot say, and so neither can this:
//  - InfluxDB 1.6 names only the first conflicting point of a request
//    (per shard), though it drops every one: the lines that clause names are
//    found (every line of that measurement whose field has that type), and
//    the rest of N is reported unidentified.
//  - When its storage drops points, InfluxDB does not report the lines it
//    could not parse in the same request (they are dropped without a word,
//    LineProtocolFactsTest.DroppedPointsHideTheParseErrorsOfTheSameRequest).
//    inflowd only sends lines its own parser accepts, so such lines come
//    only from differences between the two parsers.
//  - A batch spanning shards gets the answer of one shard only.
//  - Points older than the retention policy's duration are dropped without
//    a name. Which ones cannot be told from the points' times: inflowd does
//    not know the duration, and an old point is stored after all while the
//    shard group covering its time has not been deleted yet.
// So the dropped points the text does not name are reported with the lines
// they are among (unidentified_candidates), for the caller to keep.
// Anything else (another clause, a missing "dropped=N" after "partial
// write: ", a quoted line that is not in the batch, a bare "field type
// conflict") is not understood, and the result says so instead of guessing.
//
// Pure: no I/O, no clock. Thread-compatible.

#ifndef INFLOW_REJECTION_H_
#define INFLOW_REJECTION_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace inflow {

struct RejectedLine {
  // The line as sent, without its line ending (and without leading blanks):
  // a view into the batch body given to FindRejectedLines.
  std::string_view line;
  // Why InfluxDB refused it, in InfluxDB's words: the clause of its text
  // that names the line (without "partial write: " and " dropped=N"), or
  // "unable to parse: <why>" for a line it could not parse (the quote of
  // the line itself left out, since the line goes with the reason).
  std::string reason;
};

struct RejectedLines {
  // Whether the text was understood. If not, `lines` is empty and the whole
  // batch counts as refused, though some of it may be stored:
  // `unidentified_dropped` is N when InfluxDB gave one, else batch_lines,
  // and `unidentified_reason` is InfluxDB's whole text.
  bool understood = false;

  // The batch body (a view of FindRejectedLines' argument), so that the
  // whole batch can be dead-lettered when the text was not understood.
  std::string_view batch;
  uint64_t batch_lines = 0;  // lines in the batch (blank lines and comments not counted)

  // The lines the text names, in batch order, each once.
  std::vector<RejectedLine> lines;

  // InfluxDB's "dropped=N", when the text ends with one. Lines it could not
  // parse are not counted in N (it says "dropped=0" beside them).
  std::optional<uint64_t> dropped;

  // Dropped points the text does not name: N minus the lines found for the
  // clauses that count in N (type conflicts, `time` keys), when that is
  // positive. Not lines: they cannot be told apart from the stored ones.
  uint64_t unidentified_dropped = 0;
  // The clauses those points were dropped for, joined by "; ". Empty when
  // unidentified_dropped is 0.
  std::string unidentified_reason;

  // The lines those points are among: every line of the batch that `lines`
  // does not hold, in batch order, as `lines` gives them. Empty when
  // unidentified_dropped is 0, and when the text was not understood (then
  // the whole batch is the candidate).
  std::vector<std::string_view> unidentified_candidates;

  // Whether every candidate was dropped: true when there are no more of
  // them than unidentified_dropped. InfluxDB dropped N points, of which at
  // most those found for the clauses are in `lines` (found can only be too
  // many: another shard may have stored some), so at least
  // unidentified_dropped dropped points are outside `lines`, that is among
  // the candidates. (A line InfluxDB could not parse without saying so is
  // not stored either.) With more candidates, which were stored is unknown.
  bool AllCandidatesDropped() const {
    return unidentified_candidates.size() <= unidentified_dropped;
  }

  // How many more lines were found for those clauses than N says were
  // dropped, when that is positive (a batch spanning shards, where another
  // shard took the same type): that many of `lines` may be stored after all.
  uint64_t possibly_stored = 0;
};

// Reads `influx_error`, InfluxDB's "error" text from a 400 answer to a write
// of `batch_body`, against that body.
//
// REQUIRES: batch_body is line protocol with nanosecond timestamps, as
// inflowd writes it. Lines inflow's parser rejects are still matched against
// "unable to parse" quotes, and those it rejects for a `time` key (which
// InfluxDB parses, then drops) against the `time` clauses; never against a
// type conflict.
// The result holds views into batch_body, which must outlive it.
//
// Linear in the size of the body and the text (times the few clauses).
RejectedLines FindRejectedLines(std::string_view batch_body, std::string_view influx_error);

}  // namespace inflow

#endif  // INFLOW_REJECTION_H_
