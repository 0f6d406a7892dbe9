#include "spool/session_spool.h"

#include <utility>

#include "inflow/percent_encoding.h"
#include "spool/record_format.h"

namespace inflow::daemon {

std::string SessionSpoolDirName(std::string_view retention_policy) {
  if (retention_policy.empty()) return "default";
  // Not RFC 3986's set: '~' was escaped from the start, and the names of
  // spools already on disk must not change.
  std::string name = "rp-";
  AppendPercentEncoded(retention_policy, &name, "_-.");
  return name;
}

Status SessionSpool::Open(std::string dir, uint64_t segment_bytes, FileSystem* fs,
                          std::unique_ptr<SessionSpool>* spool, SpoolRecoveryReport* report) {
  std::unique_ptr<SegmentLog> log;
  if (Status s = SegmentLog::Open(std::move(dir), segment_bytes, fs, &log, report); !s.ok()) {
    return s;
  }
  spool->reset(new SessionSpool(std::move(log)));
  return Status::Ok();
}

SessionSpool::SessionSpool(std::unique_ptr<SegmentLog> log) : log_(std::move(log)) {}

uint64_t SessionSpool::staged_bytes() const {
  return RecordBytes(staged_.payload().size());
}

Status SessionSpool::AppendStaged() {
  const bool was_lagging = lagging();
  SegmentLog::Position end;
  if (Status s = log_->Append(staged_.payload(), &end); !s.ok()) return s;
  if (!was_lagging) {
    // Where the record starts: the position before it in its segment.
    next_ = SegmentLog::Position{end.segment, end.offset - staged_bytes()};
    ResetCursor();
    staged_.MovePayloadTo(&appended_);
    appended_end_ = end;
    appended_is_next_ = true;
  } else {
    staged_.Clear();
  }
  // A new segment may leave the one before it wholly delivered. (The append
  // is done: a failure to delete is tried again at the next call.)
  (void)log_->Acknowledge(acknowledged_);
  return Status::Ok();
}

Status SessionSpool::ReadUnloaded(std::string_view* payload, SegmentLog::Position* end,
                                  bool* found) {
  if (!cursor_) cursor_.emplace(next_);
  bool at_end = false;
  if (Status s = log_->ReadNext(&*cursor_, &read_buffer_, &at_end); !s.ok()) return s;
  *found = !at_end;
  if (at_end) {
    next_ = cursor_->position();
    return Status::Ok();
  }
  *payload = read_buffer_;
  *end = cursor_->position();
  return Status::Ok();
}

void SessionSpool::RecordLoaded(SegmentLog::Position end, size_t points) {
  next_ = end;
  points_loaded_ += points;
  loaded_.push_back(LoadedEnd{end, points_loaded_});
  // A record without points (a damaged payload) is done once loaded.
  PopDelivered();
}

void SessionSpool::PopDelivered() {
  while (!loaded_.empty() && loaded_.front().points <= points_delivered_) {
    acknowledged_ = loaded_.front().end;
    loaded_.pop_front();
  }
}

Status SessionSpool::Delivered(uint64_t points) {
  points_delivered_ += points;
  PopDelivered();
  // Also when no record was completed: a deletion that failed before is
  // tried again. Cheap: it looks at the oldest segment only.
  Status status = log_->Acknowledge(acknowledged_);
  if (status.ok() && log_->bytes() >= kReclaimDeliveredBytes) ReclaimDelivered();
  return status;
}

Status SessionSpool::Sync() { return log_->Sync(); }

uint64_t SessionSpool::ReclaimDelivered() {
  if (!loaded_.empty() || lagging()) return 0;
  uint64_t freed = 0;
  while (log_->segment_count() > 0) {
    uint64_t bytes = 0;
    uint64_t records = 0;
    if (!log_->DropOldestSegment(&bytes, &records).ok()) break;
    freed += bytes;
  }
  appended_is_next_ = false;
  ResetCursor();
  next_ = log_->end();
  return freed;
}

Status SessionSpool::DropOldest(uint64_t* bytes, uint64_t* records) {
  if (Status s = log_->DropOldestSegment(bytes, records); !s.ok()) return s;
  // The record kept in memory may have been in it: read from disk again,
  // where a cursor at a deleted segment goes on at the oldest one left.
  appended_is_next_ = false;
  ResetCursor();
  return Status::Ok();
}

void SessionSpool::ResetCursor() {
  if (!cursor_) return;
  cursor_corrupt_records_ += cursor_->corrupt_records();
  cursor_.reset();
}

uint64_t SessionSpool::corrupt_records() const {
  return cursor_corrupt_records_ + (cursor_ ? cursor_->corrupt_records() : 0);
}

}  // namespace inflow::daemon
