#include "spool/segment_log.h"

#include <algorithm>
#include <cassert>
#include <cstdio>
#include <utility>

#include "spool/record_format.h"

namespace inflow::daemon {
namespace {

constexpr std::string_view kSegmentSuffix = ".seg";
constexpr size_t kSequenceDigits = 16;

// A segment file as a RecordScanner's source.
class FileSource : public ByteSource {
 public:
  explicit FileSource(std::unique_ptr<ReadableFile> file) : file_(std::move(file)) {}
  Status Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) override {
    return file_->Read(offset, n, dst, bytes_read);
  }

 private:
  std::unique_ptr<ReadableFile> file_;
};

void Add(const ScanCounts& counts, ScanCounts* total) {
  total->records += counts.records;
  total->corrupt_records += counts.corrupt_records;
  total->corrupt_bytes += counts.corrupt_bytes;
  total->torn_bytes += counts.torn_bytes;
}

}  // namespace

std::string SegmentFileName(uint64_t sequence) {
  char name[kSequenceDigits + kSegmentSuffix.size() + 1];
  std::snprintf(name, sizeof name, "%016llx.seg", static_cast<unsigned long long>(sequence));
  return name;
}

bool ParseSegmentFileName(std::string_view name, uint64_t* sequence) {
  if (name.size() != kSequenceDigits + kSegmentSuffix.size() ||
      name.substr(kSequenceDigits) != kSegmentSuffix) {
    return false;
  }
  uint64_t value = 0;
  for (size_t i = 0; i < kSequenceDigits; ++i) {
    const char c = name[i];
    uint64_t digit = 0;
    if (c >= '0' && c <= '9') {
      digit = static_cast<uint64_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      digit = static_cast<uint64_t>(c - 'a' + 10);
    } else {
      return false;
    }
    value = value << 4 | digit;
  }
  *sequence = value;
  return true;
}

// --- Cursor ---

SegmentLog::Cursor::Cursor() = default;
SegmentLog::Cursor::Cursor(Position from) : position_(from) {}
SegmentLog::Cursor::~Cursor() = default;
SegmentLog::Cursor::Cursor(Cursor&&) noexcept = default;
SegmentLog::Cursor& SegmentLog::Cursor::operator=(Cursor&&) noexcept = default;

uint64_t SegmentLog::Cursor::corrupt_records() const {
  return finished_.corrupt_records + (scanner_ ? scanner_->counts().corrupt_records : 0);
}

uint64_t SegmentLog::Cursor::corrupt_bytes() const {
  return finished_.corrupt_bytes + (scanner_ ? scanner_->counts().corrupt_bytes : 0);
}

void SegmentLog::Cursor::FinishSegment() {
  if (scanner_ != nullptr) Add(scanner_->counts(), &finished_);
  scanner_.reset();
  source_.reset();
}

// --- Opening ---

SegmentLog::SegmentLog(std::string dir, uint64_t segment_bytes, FileSystem* fs)
    : dir_(std::move(dir)), segment_bytes_(segment_bytes), fs_(fs) {}

SegmentLog::~SegmentLog() = default;

Status SegmentLog::Open(std::string dir, uint64_t segment_bytes, FileSystem* fs,
                        std::unique_ptr<SegmentLog>* log, SpoolRecoveryReport* report) {
  assert(segment_bytes > 0);
  *report = SpoolRecoveryReport();
  std::vector<std::string> names;
  Status s = fs->CreateDir(dir);
  if (s.ok()) s = fs->ListDir(dir, &names);
  if (!s.ok()) {
    report->errors.push_back(s.message());
    return s;
  }
  std::vector<uint64_t> sequences;
  for (const std::string& name : names) {
    uint64_t sequence = 0;
    if (ParseSegmentFileName(name, &sequence)) {
      sequences.push_back(sequence);
    } else {
      report->foreign_files.push_back(name);
    }
  }
  std::sort(sequences.begin(), sequences.end());
  std::sort(report->foreign_files.begin(), report->foreign_files.end());
  std::unique_ptr<SegmentLog> opened(new SegmentLog(std::move(dir), segment_bytes, fs));
  opened->Recover(sequences, report);
  *log = std::move(opened);
  return Status::Ok();
}

void SegmentLog::Recover(const std::vector<uint64_t>& sequences, SpoolRecoveryReport* report) {
  for (const uint64_t sequence : sequences) {
    const std::string path = SegmentPath(sequence);
    uint64_t size = 0;
    std::unique_ptr<ReadableFile> file;
    Status s = fs_->FileSize(path, &size);
    if (s.ok()) s = fs_->OpenReadable(path, &file);
    ScanCounts counts;
    uint64_t valid_end = 0;
    if (s.ok()) {
      FileSource source(std::move(file));
      RecordScanner scanner(&source, 0, size);
      for (bool end = false; s.ok() && !end;) {
        uint64_t offset = 0;
        std::string_view payload;
        s = scanner.Next(&offset, &payload, &end);
      }
      counts = scanner.counts();
      valid_end = scanner.position();
    }
    if (!s.ok()) {
      ++report->unreadable_segments;
      report->errors.push_back(s.message());
      // A newer segment left out of the log: appends must not go on in an
      // older one, or the order on disk would differ from the order written.
      last_appendable_ = false;
      continue;
    }
    last_appendable_ = true;
    if (counts.torn_bytes > 0) {
      if (Status t = fs_->Truncate(path, valid_end); !t.ok()) {
        // The tail stays on disk, but the log never reads past valid_end,
        // and appends go to a new segment.
        report->errors.push_back(t.message());
        last_appendable_ = false;
      }
    }
    segments_.push_back(Segment{sequence, valid_end, counts.records});
    bytes_ += valid_end;
    records_ += counts.records;
    ++report->segments;
    report->records += counts.records;
    report->bytes += valid_end;
    report->corrupt_records += counts.corrupt_records;
    report->corrupt_bytes += counts.corrupt_bytes;
    report->torn_bytes += counts.torn_bytes;
  }
  if (!sequences.empty()) next_sequence_ = sequences.back() + 1;
}

// --- Appending ---

Status SegmentLog::Append(std::string_view payload, Position* end) {
  if (payload.size() > kMaxRecordPayloadBytes) {
    return Status::Error(dir_ + ": a spool record of " + std::to_string(payload.size()) +
                         " bytes exceeds the maximum of " + std::to_string(kMaxRecordPayloadBytes));
  }
  record_.clear();
  AppendRecord(payload, &record_);
  if (Status s = PrepareSegmentFor(record_.size()); !s.ok()) return s;
  Segment& segment = segments_.back();
  writable_dirty_ = true;
  if (Status s = writable_->Append(record_); !s.ok()) {
    // Take back what part of the record reached the file, so that no half
    // record lies before the records appended later.
    if (!writable_->Truncate(segment.bytes).ok()) RetireWritable();
    return s;
  }
  segment.bytes += record_.size();
  ++segment.records;
  bytes_ += record_.size();
  ++records_;
  *end = Position{segment.sequence, segment.bytes};
  return Status::Ok();
}

Status SegmentLog::PrepareSegmentFor(uint64_t record_bytes) {
  const auto fits = [&](const Segment& segment) {
    return segment.bytes == 0 || segment.bytes + record_bytes <= segment_bytes_;
  };
  if (writable_ != nullptr && !fits(segments_.back())) RetireWritable();
  if (writable_ != nullptr) return Status::Ok();
  if (last_appendable_ && !segments_.empty() && fits(segments_.back())) {
    if (Status s = fs_->OpenWritable(SegmentPath(segments_.back().sequence), &writable_); !s.ok()) {
      last_appendable_ = false;
      return s;
    }
    return Status::Ok();
  }
  if (Status s = fs_->OpenWritable(SegmentPath(next_sequence_), &writable_); !s.ok()) return s;
  segments_.push_back(Segment{next_sequence_, 0, 0});
  ++next_sequence_;
  last_appendable_ = true;
  dir_dirty_ = true;
  return Status::Ok();
}

void SegmentLog::RetireWritable() {
  if (writable_ != nullptr && writable_dirty_) unsynced_.push_back(std::move(writable_));
  writable_.reset();
  writable_dirty_ = false;
  last_appendable_ = false;
}

Status SegmentLog::Sync() {
  Status result;
  // Not kept for another try when they fail: a second fsync may succeed
  // without the data being on disk.
  for (const std::unique_ptr<WritableFile>& file : unsynced_) {
    if (Status s = file->Sync(); !s.ok() && result.ok()) result = s;
  }
  unsynced_.clear();
  if (writable_ != nullptr && writable_dirty_) {
    if (Status s = writable_->Sync(); !s.ok()) {
      if (result.ok()) result = s;
      writable_.reset();
      last_appendable_ = false;
    }
    writable_dirty_ = false;
  }
  if (dir_dirty_) {
    if (Status s = fs_->SyncDir(dir_); !s.ok()) {
      if (result.ok()) result = s;
    } else {
      dir_dirty_ = false;
    }
  }
  return result;
}

SegmentLog::Position SegmentLog::end() const {
  if (segments_.empty()) return Position{next_sequence_, 0};
  return Position{segments_.back().sequence, segments_.back().bytes};
}

bool SegmentLog::IsAtEnd(Position position) const {
  auto segment = std::lower_bound(
      segments_.begin(), segments_.end(), position.segment,
      [](const Segment& s, uint64_t wanted) { return s.sequence < wanted; });
  for (; segment != segments_.end(); ++segment) {
    uint64_t from = segment->sequence == position.segment ? position.offset : 0;
    if (segment->bytes > from) return false;
  }
  return true;
}

std::string SegmentLog::SegmentPath(uint64_t sequence) const {
  return dir_ + "/" + SegmentFileName(sequence);
}

// --- Reading ---

std::deque<SegmentLog::Segment>::iterator SegmentLog::SegmentAtOrAfter(uint64_t sequence) {
  return std::lower_bound(
      segments_.begin(), segments_.end(), sequence,
      [](const Segment& segment, uint64_t wanted) { return segment.sequence < wanted; });
}

Status SegmentLog::ReadNext(Cursor* cursor, std::string* payload, bool* end) {
  *end = false;
  for (;;) {
    auto segment = SegmentAtOrAfter(cursor->position_.segment);
    if (segment == segments_.end()) {
      *end = true;
      return Status::Ok();
    }
    if (segment->sequence != cursor->position_.segment) {
      // The cursor's segment is gone (deleted, or read to its end).
      cursor->FinishSegment();
      cursor->position_ = Position{segment->sequence, 0};
    }
    const bool last = segment + 1 == segments_.end();
    if (cursor->scanner_ == nullptr) {
      std::unique_ptr<ReadableFile> file;
      if (Status s = fs_->OpenReadable(SegmentPath(segment->sequence), &file); !s.ok()) {
        if (!IsNotFound(s) || last) return s;
        // Removed behind the log's back: as if dropped.
        bytes_ -= segment->bytes;
        records_ -= segment->records;
        segments_.erase(segment);
        continue;
      }
      cursor->source_ = std::make_unique<FileSource>(std::move(file));
      cursor->scanner_ =
          std::make_unique<RecordScanner>(cursor->source_.get(), cursor->position_.offset,
                                          std::max(cursor->position_.offset, segment->bytes));
    } else if (cursor->scanner_->limit() < segment->bytes) {
      cursor->scanner_->ExtendLimit(segment->bytes);
    }
    uint64_t offset = 0;
    std::string_view record;
    bool segment_end = false;
    if (Status s = cursor->scanner_->Next(&offset, &record, &segment_end); !s.ok()) return s;
    if (!segment_end) {
      payload->assign(record);
      cursor->position_.offset = cursor->scanner_->position();
      return Status::Ok();
    }
    if (last) {
      // Keep the scanner: the segment may grow.
      *end = true;
      return Status::Ok();
    }
    cursor->FinishSegment();
    cursor->position_ = Position{segment->sequence + 1, 0};
  }
}

// --- Deleting ---

Status SegmentLog::Acknowledge(Position upto) {
  while (segments_.size() > 1) {
    const Segment& oldest = segments_.front();
    const bool delivered = oldest.sequence < upto.segment ||
                           (oldest.sequence == upto.segment && upto.offset >= oldest.bytes);
    if (!delivered) break;
    if (Status s = RemoveOldest(); !s.ok()) return s;
  }
  return Status::Ok();
}

Status SegmentLog::DropOldestSegment(uint64_t* bytes_dropped, uint64_t* records_dropped) {
  *bytes_dropped = 0;
  *records_dropped = 0;
  if (segments_.empty()) return Status::Ok();
  const Segment oldest = segments_.front();
  if (segments_.size() == 1) {
    // The segment appended to: the next Append starts a new one.
    writable_.reset();
    writable_dirty_ = false;
    last_appendable_ = false;
  }
  if (Status s = RemoveOldest(); !s.ok()) return s;
  *bytes_dropped = oldest.bytes;
  *records_dropped = oldest.records;
  return Status::Ok();
}

Status SegmentLog::RemoveOldest() {
  const Segment& oldest = segments_.front();
  if (Status s = fs_->RemoveFile(SegmentPath(oldest.sequence)); !s.ok() && !IsNotFound(s)) {
    return s;
  }
  bytes_ -= oldest.bytes;
  records_ -= oldest.records;
  segments_.pop_front();
  return Status::Ok();
}

}  // namespace inflow::daemon
