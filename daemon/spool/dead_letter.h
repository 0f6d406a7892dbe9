// DeadLetterFile: where the lines InfluxDB refused go, never to be retried.
//
// Files `<spool directory>/rejected/YYYY-MM-DD.lp`, one per UTC day, that
// stay line protocol a person can read, fix and send again (`inflow check`
// accepts them; so does InfluxDB's own line splitter). Each entry is a
// comment line, then the lines it is about:
//
//   # 2026-11-22T00:31:07.123Z session=autogen reason="field type conflict: ..."
//   m,host=a f=1i 1700000000000000000
//
//  - A line InfluxDB refused: the comment, then the line as sent (a string
//    field may hold raw newlines: it is still one line of line protocol).
//  - Dropped points InfluxDB did not name (older than the retention
//    policy's duration; type conflicts after the first it names): one
//    comment with ` unidentified_points=N lines=M`, then the M lines of the
//    batch they are among (RejectedLines::unidentified_candidates: every
//    line it did not name). When M > N some of those lines were stored, and
//    which cannot be told, so the comment adds
//    ` possibly_partly_stored=true`; sending them all again stores each
//    point once (InfluxDB keeps one point per series and time). When the
//    batch holds no such line, the comment alone, without ` lines=`.
//  - A whole batch (WriteBatch, or an answer FindRejectedLines did not
//    understand): one comment with ` lines=N` (and, for an answer not
//    understood, ` possibly_partly_stored=true`), then the batch as it was.
//
// The time is RFC 3339 UTC with milliseconds. The session (the retention
// policy) is written bare when it is made of letters, digits and `_.:-`,
// else in double quotes; the reason always in double quotes. Inside quotes,
// `"` and `\` are escaped with a backslash, and newline, carriage return,
// tab and other control bytes are written `\n`, `\r`, `\t`, `\xHH`, so the
// comment stays one line. A reason longer than kMaxReasonBytes is cut there
// and says how much was left out.
//
// Durability: each Write is one append and one fdatasync (dead letters are
// rare; losing one is losing data). A day's file, when created, is made
// durable by an fsync of the folder.
//
// The clock stays outside: every call is given the time. No libuv.
// Thread: one thread at a time.

#ifndef INFLOW_DAEMON_SPOOL_DEAD_LETTER_H_
#define INFLOW_DAEMON_SPOOL_DEAD_LETTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "inflow/status.h"
#include "inflow/rejection.h"
#include "spool/file_system.h"

namespace inflow::daemon {

inline constexpr size_t kMaxReasonBytes = 8192;

// Pure formatting: what DeadLetterFile appends. The Format*Rejected*
// functions return whole lines, each ending with '\n', and nothing when
// there is nothing to write.

// "2026-11-22T00:31:07.123Z" (milliseconds rounded down).
std::string FormatRfc3339Millis(int64_t unix_ns);

// "2026-11-22.lp": the file for the UTC day of `unix_ns`.
std::string DeadLetterFileName(int64_t unix_ns);

// The entries for `rejected`: one per line found, one for the unidentified
// points if any (with their candidate lines); or, if the answer was not
// understood, the whole batch (rejected.batch) under one comment.
std::string FormatRejectedLines(int64_t unix_ns, std::string_view session,
                                const RejectedLines& rejected);

// For the log, what the entries of `rejected` say once written to `path`:
// how many of the batch's points InfluxDB refused, how many of those it did
// not name, and how many lines were kept and whether some may be stored,
// as in "InfluxDB refused 3 of a batch of 5 points, 3 without naming them
// (5 lines kept in <path>, 5 of them marked possibly_partly_stored)".
std::string DescribeRejectedLines(const RejectedLines& rejected, std::string_view path);

// One comment for the whole of `batch_body`, then the body (a final newline
// added if it has none). Empty if the body holds no line. Sets *lines to the
// number of lines in it (blank lines and comments not counted).
std::string FormatRejectedBatch(int64_t unix_ns, std::string_view session, std::string_view reason,
                                std::string_view batch_body, bool possibly_partly_stored,
                                uint64_t* lines);

class DeadLetterFile {
 public:
  DeadLetterFile() = default;
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  // Creates `<spool_dir>/rejected` if missing (durably). On failure, Write
  // fails until an Open succeeds. No day file is opened until a Write.
  // REQUIRES: fs outlives this object.
  Status Open(std::string spool_dir, FileSystem* fs);

  // Appends the entries for `rejected` (FormatRejectedLines) to the file of
  // the UTC day of `unix_ns`, opening (or creating) it if that is not the
  // file written last, and fdatasyncs it. A call with nothing to write
  // writes nothing and succeeds.
  //
  // On failure (IsNoSpace() for a full disk) nothing is counted and nothing
  // crashes: what part of the entries reached the file was cut away again
  // if possible; if not, or if the fdatasync failed, the file is closed and
  // the next Write reopens it and starts on a fresh line, so each entry
  // that succeeds is whole. The caller keeps nothing to retry: it counts
  // the lines as lost and logs the Status.
  Status Write(int64_t unix_ns, std::string_view session, const RejectedLines& rejected);

  // As Write, for a whole batch refused for one `reason` (say, quarantined
  // after too many attempts): FormatRejectedBatch.
  Status WriteBatch(int64_t unix_ns, std::string_view session, std::string_view reason,
                    std::string_view batch_body);

  // Counts of what succeeded since construction.
  uint64_t lines_written() const { return lines_written_; }  // lines of line protocol
  uint64_t unidentified_points_written() const { return unidentified_written_; }
  uint64_t bytes_written() const { return bytes_written_; }  // comments included

  // `<spool_dir>/rejected`, once opened.
  const std::string& dir() const { return dir_; }
  // The day file written last, empty if none is open.
  const std::string& current_path() const { return path_; }

 private:
  Status Append(int64_t unix_ns, std::string_view entries);
  Status OpenDayFile(const std::string& path);
  void CloseFile();

  FileSystem* fs_ = nullptr;
  std::string dir_;
  std::unique_ptr<WritableFile> file_;
  std::string path_;            // of file_
  uint64_t size_ = 0;           // of file_, as far as this object wrote it
  bool needs_newline_ = false;  // file_ ends inside a line (an earlier failure)

  uint64_t lines_written_ = 0;
  uint64_t unidentified_written_ = 0;
  uint64_t bytes_written_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_DEAD_LETTER_H_
