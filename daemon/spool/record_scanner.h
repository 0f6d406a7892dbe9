// RecordScanner: reads back the records of one segment (record_format.h),
// in order, skipping damage.
//
// It reads through a ByteSource in chunks, so a segment is never in memory
// whole: it holds one chunk, or one record when a record is larger. (A
// string_view over the whole file would be simpler, but replaying a large
// spool would then cost a segment's size of memory per session, and reading
// a segment up to the last record appended needs a re-read anyway.)
//
// What it does with damage:
// - A record that fails a check (the magic, a length beyond the maximum or
//   beyond the data, the crc) is skipped: the scanner looks forward for the
//   next magic that starts a record which passes every check, and goes on
//   from there. So a flipped byte costs the record it is in, not the rest
//   of the segment. Each stretch skipped counts as one corrupt record (how
//   many records it held cannot be known) and its bytes as corrupt bytes.
// - When no valid record follows, the bytes from the end of the last valid
//   record to the limit are the torn tail: a record cut short by a crash,
//   or a last record whose write never reached the disk whole. The caller
//   truncates the file at position().
// The search costs a pass over the damaged stretch, plus a crc over the
// claimed length of each look-alike header met in it (bounded by the data
// and kMaxRecordPayloadBytes).
//
// Pure apart from the ByteSource it is given. Not thread-safe.

#ifndef INFLOW_DAEMON_SPOOL_RECORD_SCANNER_H_
#define INFLOW_DAEMON_SPOOL_RECORD_SCANNER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow::daemon {

// Where a RecordScanner reads from: a segment file, or memory in tests.
class ByteSource {
 public:
  virtual ~ByteSource() = default;

  // Reads up to `n` bytes at `offset` into dst[0, n) and sets *bytes_read;
  // fewer than `n` only where the data ends. On failure returns an error
  // naming the source, and dst's contents are unspecified.
  virtual Status Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) = 0;
};

// A ByteSource over bytes in memory, which must outlive it.
class StringByteSource : public ByteSource {
 public:
  explicit StringByteSource(std::string_view bytes) : bytes_(bytes) {}
  Status Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) override;

 private:
  std::string_view bytes_;
};

// What a scan met. Counts add up over the scanner's life.
struct ScanCounts {
  uint64_t records = 0;          // valid records returned
  uint64_t corrupt_records = 0;  // damaged stretches skipped, one per stretch
  uint64_t corrupt_bytes = 0;    // the bytes of those stretches
  // The bytes from position() to the limit when Next last reported the end:
  // the torn tail. 0 while records remain, and after a clean end.
  uint64_t torn_bytes = 0;
};

class RecordScanner {
 public:
  static constexpr size_t kDefaultChunkBytes = size_t{256} << 10;

  // Scans the bytes of `source` in [start, limit). `start` must be where a
  // record starts (or where the data ends). `source` must outlive the
  // scanner. REQUIRES: start <= limit, chunk_bytes >= kRecordHeaderBytes.
  RecordScanner(ByteSource* source, uint64_t start, uint64_t limit,
                size_t chunk_bytes = kDefaultChunkBytes);

  RecordScanner(const RecordScanner&) = delete;
  RecordScanner& operator=(const RecordScanner&) = delete;

  // Reads the next valid record. With *end false, *offset is where the
  // record starts and *payload views its payload, valid until the next call
  // or the scanner's end. With *end true there is no valid record before the
  // limit: position() is where the valid data ends and counts().torn_bytes
  // how much follows it. Called again after the end, it looks again (there
  // may be more once the limit was raised).
  //
  // If the source shows fewer bytes than the limit, the data ends where the
  // source does (the limit is lowered to it). On a read error returns it;
  // the scanner is then where it was before the call, so the call may be
  // repeated.
  Status Next(uint64_t* offset, std::string_view* payload, bool* end);

  // Raises the limit, for a segment that has grown by whole records since.
  // REQUIRES: limit >= limit().
  void ExtendLimit(uint64_t limit);

  // Where the next record is looked for: the end of the last record
  // returned, or the start.
  uint64_t position() const { return position_; }
  uint64_t limit() const { return limit_; }
  const ScanCounts& counts() const { return counts_; }

 private:
  // Makes bytes [at, at + n) available in the buffer. *available is false
  // when the data ends before at + n (the limit then becomes the end).
  Status Fill(uint64_t at, uint64_t n, bool* available);
  std::string_view Buffered(uint64_t at, size_t n) const;
  // Whether a valid record starts at `at`; if so, its payload's length and
  // its bytes are in the buffer.
  Status CheckRecordAt(uint64_t at, bool* valid, uint32_t* length);
  // Finds the first valid record that starts after `after`.
  Status FindNextRecord(uint64_t after, bool* found, uint64_t* at, uint32_t* length);

  ByteSource* source_;
  uint64_t position_;
  uint64_t limit_;
  size_t chunk_bytes_;
  std::string buffer_;          // capacity; bytes [0, buffered_) are valid
  uint64_t buffer_offset_ = 0;  // the source offset of buffer_[0]
  size_t buffered_ = 0;
  ScanCounts counts_;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_RECORD_SCANNER_H_
