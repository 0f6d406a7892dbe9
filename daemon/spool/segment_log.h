// SegmentLog: one session's spool on disk, a directory of segment files.
//
// Records (record_format.h) are appended to the newest segment; a segment is
// named for its 64-bit sequence number (0000000000000007.seg, 16 hex
// digits, so names sort in order) and holds up to `segment_bytes` (a record
// larger than that gets a segment of its own). Readers follow with cursors,
// in append order, across segments. When InfluxDB has taken the records
// before a position, Acknowledge deletes the segments that lie wholly
// before it.
//
// Durability: Append writes at once but does not fsync; Sync does, for
// every segment written since the last Sync, and fsyncs the directory after
// a segment was created. Deletions are not fsynced: a deletion lost to a
// power loss only re-delivers records InfluxDB already has, and InfluxDB
// stores a point written twice once. The acknowledged position is not kept
// on disk either, so after a restart the records of the oldest segment left
// that were acknowledged before are replayed again (at most segment_bytes
// per session).
//
// Damage (a torn tail, flipped bits) is skipped and counted, never an error:
// see RecordScanner. Open truncates a segment's torn tail.
//
// No libuv, no clock. Thread: one thread at a time; cursors are used on the
// log's thread.

#ifndef INFLOW_DAEMON_SPOOL_SEGMENT_LOG_H_
#define INFLOW_DAEMON_SPOOL_SEGMENT_LOG_H_

#include <compare>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/status.h"
#include "spool/file_system.h"
#include "spool/record_scanner.h"

namespace inflow::daemon {

// What SegmentLog::Open found. Counts cover the segments kept.
struct SpoolRecoveryReport {
  uint64_t segments = 0;
  uint64_t records = 0;          // valid records, to be replayed
  uint64_t bytes = 0;            // the bytes of the segments kept
  uint64_t corrupt_records = 0;  // damaged stretches skipped (one per stretch)
  uint64_t corrupt_bytes = 0;
  uint64_t torn_bytes = 0;  // cut from segments' ends (in practice the last one's)
  // Segment files that could not be read, left on disk untouched and out of
  // the log; the next Open tries them again.
  uint64_t unreadable_segments = 0;
  std::vector<std::string> foreign_files;  // names in the directory that are not segments, sorted
  std::vector<std::string> errors;         // each I/O error met, naming the path and the reason
};

class SegmentLog {
 public:
  // A place in the log: before the record at `offset` of segment `segment`.
  // Positions compare in log order. (s, size of s) and (s + 1, 0) both
  // mean "after segment s".
  struct Position {
    uint64_t segment = 0;
    uint64_t offset = 0;
    friend auto operator<=>(const Position&, const Position&) = default;
  };

  // Where a reader is. Made from a position where a record starts, such as
  // Position{} (the oldest record held), end(), or a position an Append or
  // ReadNext returned; used with one log only. While it reads a segment it
  // keeps that file open, so the space of a segment deleted under it is
  // freed only once the cursor reads on (or is destroyed).
  class Cursor {
   public:
    Cursor();  // at Position{}
    explicit Cursor(Position from);
    ~Cursor();
    Cursor(Cursor&&) noexcept;
    Cursor& operator=(Cursor&&) noexcept;

    // After the last record read (or where the cursor started).
    Position position() const { return position_; }

    // Damage this cursor skipped. Damage Open reported is skipped (and
    // counted here) again when a cursor reads through it.
    uint64_t corrupt_records() const;
    uint64_t corrupt_bytes() const;

   private:
    friend class SegmentLog;

    // Leaves the segment being read, keeping its counts.
    void FinishSegment();

    Position position_;
    std::unique_ptr<ByteSource> source_;  // the segment position_.segment, once open
    std::unique_ptr<RecordScanner> scanner_;
    ScanCounts finished_;  // the counts of the segments read to the end
  };

  // Opens the spool in `dir`, creating the directory (and its parents) if
  // missing, and reads every segment through: it counts the records,
  // skips and counts damage, and truncates a torn tail. Files that are not
  // segments are left alone and listed in the report, for the caller to log.
  // A segment that cannot be read is left alone and out of the log, counted
  // and its error listed in report->errors.
  //
  // Never fails because of what the files hold. Fails only when the
  // directory cannot be created or listed; it then returns that error
  // (also in report->errors) and sets no log. `fs` must outlive the log.
  // REQUIRES: segment_bytes > 0.
  static Status Open(std::string dir, uint64_t segment_bytes, FileSystem* fs,
                     std::unique_ptr<SegmentLog>* log, SpoolRecoveryReport* report);

  ~SegmentLog();
  SegmentLog(const SegmentLog&) = delete;
  SegmentLog& operator=(const SegmentLog&) = delete;

  // Appends one record holding `payload` and sets *end to the position after
  // it. The record is written to the file at once (not fsynced: see Sync).
  // Starts a new segment when the record would take the current one past
  // segment_bytes.
  //
  // On failure (ENOSPC: IsNoSpace(status)) the log holds what it held before:
  // whatever part of the record reached the file is truncated away, or, if
  // that fails too, the log goes on in a new segment and no reader ever looks
  // past the last whole record. A later Append, once there is space, works.
  // A payload larger than kMaxRecordPayloadBytes is refused with an error.
  Status Append(std::string_view payload, Position* end);

  // Makes every record appended so far durable: fdatasyncs each segment
  // written since the last Sync, and fsyncs the directory if a segment was
  // created since. On failure returns the first error; the records since
  // the last successful Sync may then be lost in a power loss, and a Sync
  // that succeeds later does not save them (a failed fsync may have dropped
  // the pages). The segment whose fdatasync failed takes no more records;
  // the next Append starts a new one.
  Status Sync();

  // Reads the record at the cursor into *payload and moves the cursor past
  // it; *end true (payload untouched) when the cursor is after the last
  // record appended. Records appended later are read by later calls. A
  // cursor whose segment was deleted (Acknowledge, DropOldestSegment) goes on
  // at the oldest segment after it. On a read error returns it, the cursor
  // unmoved.
  Status ReadNext(Cursor* cursor, std::string* payload, bool* end);

  // InfluxDB has taken every record before `upto`: deletes each segment
  // wholly before it, oldest first, except the newest segment (appends may
  // still go there). On failure returns the error; the segments not deleted
  // stay in the log and a later call tries them again.
  Status Acknowledge(Position upto);

  // For when_full: drop_oldest. Deletes the oldest segment, acknowledged or
  // not, and sets what it held. If it is the newest, the next Append starts
  // a new segment. With no segment, does nothing and sets both to 0. On
  // failure returns the error and keeps the segment.
  Status DropOldestSegment(uint64_t* bytes_dropped, uint64_t* records_dropped);

  // The bytes and records the segments hold on disk (for spool.max_bytes).
  uint64_t bytes() const { return bytes_; }
  uint64_t records() const { return records_; }
  size_t segment_count() const { return segments_.size(); }

  // After the last record appended.
  Position end() const;

  // Whether no record lies at or after `position` (a position where a
  // record starts or ends, possibly in a segment since deleted).
  bool IsAtEnd(Position position) const;

  const std::string& dir() const { return dir_; }
  std::string SegmentPath(uint64_t sequence) const;

 private:
  struct Segment {
    uint64_t sequence;
    uint64_t bytes;
    uint64_t records;
  };

  SegmentLog(std::string dir, uint64_t segment_bytes, FileSystem* fs);

  void Recover(const std::vector<uint64_t>& sequences, SpoolRecoveryReport* report);
  Status PrepareSegmentFor(uint64_t record_bytes);
  void RetireWritable();
  Status RemoveOldest();
  // The segment with the least sequence >= `sequence`, or segments_.end().
  std::deque<Segment>::iterator SegmentAtOrAfter(uint64_t sequence);

  std::string dir_;
  uint64_t segment_bytes_;
  FileSystem* fs_;
  std::deque<Segment> segments_;  // oldest first
  uint64_t next_sequence_ = 1;
  // Whether Append may go on in segments_.back() (opening it if needed).
  bool last_appendable_ = false;
  std::unique_ptr<WritableFile> writable_;  // segments_.back(), while appending to it
  bool writable_dirty_ = false;             // written since its last Sync
  // Segments written to and left since the last Sync, still to be synced.
  std::vector<std::unique_ptr<WritableFile>> unsynced_;
  bool dir_dirty_ = false;  // a segment was created since the last Sync
  uint64_t bytes_ = 0;
  uint64_t records_ = 0;
  std::string record_;  // scratch for the record being appended
};

// "0000000000000007.seg" for 7.
std::string SegmentFileName(uint64_t sequence);

// Whether `name` is a segment's (16 lowercase hex digits, ".seg"); if so
// sets *sequence.
bool ParseSegmentFileName(std::string_view name, uint64_t* sequence);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_SEGMENT_LOG_H_
