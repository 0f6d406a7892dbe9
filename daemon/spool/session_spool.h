// SessionSpool: one session's points on their way through the disk.
//
// Every point a listener accepts for the session is staged (Stage), then
// appended with the rest of its listener read as one record of the
// session's SegmentLog (AppendStaged): only then does it count as accepted.
// The session's memory holds a prefix of the spool, never more: records are
// *loaded* into memory in order (LoadNext). While the session has room, the
// record just appended is loaded at once, from the staging buffer, without
// reading the disk; when it has none, the spool *lags*: later records wait
// on disk, and are read back with a cursor once the session has room again.
// On start, every record the spool holds is unloaded: it is replayed first,
// in order, before the points appended after it.
//
// The session reports the points InfluxDB has taken, in load order
// (Delivered); a record is acknowledged once all its points are, and a
// segment is deleted once all its records are (SegmentLog::Acknowledge).
//
// Pure: no libuv, no clock; the disk behind a FileSystem. Thread: the
// loop's.

#ifndef INFLOW_DAEMON_SPOOL_SESSION_SPOOL_H_
#define INFLOW_DAEMON_SPOOL_SESSION_SPOOL_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "inflow/status.h"
#include "spool/file_system.h"
#include "spool/point_record.h"
#include "spool/segment_log.h"

namespace inflow::daemon {

// What LoadNext read.
struct LoadedRecord {
  size_t points = 0;
  bool damaged = false;  // its payload did not decode to the end (points: those before)
};

// The folder of a session's spool under the spool directory's `sessions/`:
// "default" for the database's default retention policy (""), else "rp-"
// and the name, each byte other than a letter, digit, '_', '-' or '.' as %XX.
std::string SessionSpoolDirName(std::string_view retention_policy);

class SessionSpool {
 public:
  // Opens (or creates) the spool in `dir`; see SegmentLog::Open, whose
  // report it fills and whose failures it returns. Every record found is
  // unloaded.
  static Status Open(std::string dir, uint64_t segment_bytes, FileSystem* fs,
                     std::unique_ptr<SessionSpool>* spool, SpoolRecoveryReport* report);

  SessionSpool(const SessionSpool&) = delete;
  SessionSpool& operator=(const SessionSpool&) = delete;

  // Adds a line (one line of line protocol ending in '\n') to the record
  // being staged.
  void Stage(std::string_view line) { staged_.Add(line); }
  bool has_staged() const { return !staged_.empty(); }
  size_t staged_points() const { return staged_.lines(); }
  // The bytes the staged record would take on disk.
  uint64_t staged_bytes() const;
  void DiscardStaged() { staged_.Clear(); }

  // Appends the staged lines as one record, unloaded. On failure
  // (IsNoSpace for a full disk) the spool is as before and the lines stay
  // staged, to be appended later or discarded. REQUIRES: has_staged().
  Status AppendStaged();

  // Whether records wait on disk to be loaded.
  bool lagging() const { return !log_->IsAtEnd(next_); }

  // Loads the oldest unloaded record: calls on_line(line) for each of its
  // lines, in order, and sets *record. Sets *loaded false, calling nothing,
  // when no record is unloaded. On a read error returns it; the record
  // stays unloaded.
  template <typename OnLine>
  Status LoadNext(OnLine&& on_line, LoadedRecord* record, bool* loaded);

  // When every point is delivered and the spool holds at least this much,
  // Delivered deletes its segments, the newest too: a restart then replays
  // little that InfluxDB already has.
  static constexpr uint64_t kReclaimDeliveredBytes = 1 << 20;

  // InfluxDB took (or refused for good) the next `points` loaded points:
  // acknowledges the records they complete and deletes the segments
  // wholly acknowledged (all of them, past kReclaimDeliveredBytes, when
  // nothing is left undelivered). A failure to delete is returned; a later
  // call tries again.
  Status Delivered(uint64_t points);

  // Makes every record appended durable: SegmentLog::Sync, which does
  // nothing when nothing was appended since the last call.
  Status Sync();

  // For a full spool: deletes the segments that hold nothing undelivered,
  // the newest included (SegmentLog::Acknowledge keeps the newest). Returns
  // the bytes freed.
  uint64_t ReclaimDelivered();

  // For when_full: drop_oldest. Deletes the oldest segment, delivered or
  // not, and sets the bytes and records it held (the spool does not know
  // which of them were delivered: InfluxDB may have taken some, and the
  // points of loaded records still go to InfluxDB from memory).
  Status DropOldest(uint64_t* bytes, uint64_t* records);

  uint64_t bytes() const { return log_->bytes(); }
  const std::string& dir() const { return log_->dir(); }
  // Damage skipped while reading back (cursor) and payloads that did not
  // decode: lost, counted.
  uint64_t corrupt_records() const;
  uint64_t damaged_payloads() const { return damaged_payloads_; }

 private:
  explicit SessionSpool(std::unique_ptr<SegmentLog> log);

  // The record at next_ into read_buffer_; *found false at the end.
  Status ReadUnloaded(std::string_view* payload, SegmentLog::Position* end, bool* found);
  void RecordLoaded(SegmentLog::Position end, size_t points);
  // Acknowledges the loaded records whose points are all delivered.
  void PopDelivered();
  void ResetCursor();

  std::unique_ptr<SegmentLog> log_;
  PointRecordWriter staged_;
  // Where the oldest unloaded record starts, or the log's end.
  SegmentLog::Position next_;
  // The record AppendStaged wrote last, still in memory, and whether it is
  // the record at next_ (it was appended when nothing else was unloaded):
  // then it is loaded from here, without reading the disk.
  std::string appended_;
  SegmentLog::Position appended_end_;
  bool appended_is_next_ = false;
  // Reads unloaded records from disk; at next_ while set.
  std::optional<SegmentLog::Cursor> cursor_;
  std::string read_buffer_;
  // The loaded records not yet acknowledged: where each ends, and the
  // points loaded up to its end, counted from the first load.
  struct LoadedEnd {
    SegmentLog::Position end;
    uint64_t points;
  };
  std::deque<LoadedEnd> loaded_;
  SegmentLog::Position acknowledged_;  // the end of the last record acknowledged
  uint64_t points_loaded_ = 0;
  uint64_t points_delivered_ = 0;
  uint64_t damaged_payloads_ = 0;
  uint64_t cursor_corrupt_records_ = 0;  // of cursors since left
};

template <typename OnLine>
Status SessionSpool::LoadNext(OnLine&& on_line, LoadedRecord* record, bool* loaded) {
  *loaded = false;
  *record = LoadedRecord{};
  if (!lagging()) return Status::Ok();
  std::string_view payload;
  SegmentLog::Position end;
  if (appended_is_next_) {
    payload = appended_;
    end = appended_end_;
    appended_is_next_ = false;
    ResetCursor();
  } else {
    bool found = false;
    if (Status s = ReadUnloaded(&payload, &end, &found); !s.ok()) return s;
    if (!found) return Status::Ok();
  }
  PointRecordReader reader(payload);
  std::string_view line;
  while (reader.Next(&line)) {
    on_line(line);
    ++record->points;
  }
  record->damaged = reader.damaged();
  if (record->damaged) ++damaged_payloads_;
  RecordLoaded(end, record->points);
  *loaded = true;
  return Status::Ok();
}

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_SESSION_SPOOL_H_
