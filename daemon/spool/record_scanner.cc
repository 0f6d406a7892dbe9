#include "spool/record_scanner.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "spool/record_format.h"

namespace inflow::daemon {
namespace {

// The magic as it lies on disk, to search for.
constexpr char kMagicBytes[4] = {
    static_cast<char>(kRecordMagic & 0xFF), static_cast<char>((kRecordMagic >> 8) & 0xFF),
    static_cast<char>((kRecordMagic >> 16) & 0xFF), static_cast<char>((kRecordMagic >> 24) & 0xFF)};
constexpr std::string_view kMagic(kMagicBytes, sizeof kMagicBytes);

}  // namespace

Status StringByteSource::Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) {
  *bytes_read = 0;
  if (offset >= bytes_.size()) return Status::Ok();
  *bytes_read = std::min(n, bytes_.size() - static_cast<size_t>(offset));
  std::memcpy(dst, bytes_.data() + offset, *bytes_read);
  return Status::Ok();
}

RecordScanner::RecordScanner(ByteSource* source, uint64_t start, uint64_t limit, size_t chunk_bytes)
    : source_(source), position_(start), limit_(limit), chunk_bytes_(chunk_bytes) {
  assert(start <= limit);
  assert(chunk_bytes >= kRecordHeaderBytes);
}

void RecordScanner::ExtendLimit(uint64_t limit) {
  assert(limit >= limit_);
  limit_ = limit;
}

Status RecordScanner::Next(uint64_t* offset, std::string_view* payload, bool* end) {
  *end = false;
  counts_.torn_bytes = 0;
  if (position_ >= limit_) {
    *end = true;
    return Status::Ok();
  }
  bool valid = false;
  uint32_t length = 0;
  if (Status s = CheckRecordAt(position_, &valid, &length); !s.ok()) return s;
  uint64_t at = position_;
  if (!valid) {
    bool found = false;
    if (Status s = FindNextRecord(position_, &found, &at, &length); !s.ok()) return s;
    if (!found) {
      // CheckRecordAt may have lowered the limit to where the data ends.
      counts_.torn_bytes = limit_ > position_ ? limit_ - position_ : 0;
      *end = true;
      return Status::Ok();
    }
    ++counts_.corrupt_records;
    counts_.corrupt_bytes += at - position_;
  }
  *offset = at;
  *payload = Buffered(at + kRecordHeaderBytes, length);
  position_ = at + RecordBytes(length);
  ++counts_.records;
  return Status::Ok();
}

Status RecordScanner::CheckRecordAt(uint64_t at, bool* valid, uint32_t* length) {
  *valid = false;
  bool available = false;
  if (Status s = Fill(at, kRecordHeaderBytes, &available); !s.ok() || !available) return s;
  const RecordHeader header = DecodeRecordHeader(Buffered(at, kRecordHeaderBytes));
  if (!PlausibleRecordHeader(header)) return Status::Ok();
  // Checked against the limit before reading, so a damaged length costs no
  // read beyond the segment.
  if (RecordBytes(header.length) > limit_ - at) return Status::Ok();
  if (Status s = Fill(at, RecordBytes(header.length), &available); !s.ok() || !available) {
    return s;
  }
  if (!RecordChecksumMatches(header, Buffered(at + kRecordHeaderBytes, header.length))) {
    return Status::Ok();
  }
  *valid = true;
  *length = header.length;
  return Status::Ok();
}

Status RecordScanner::FindNextRecord(uint64_t after, bool* found, uint64_t* at, uint32_t* length) {
  *found = false;
  uint64_t from = after + 1;
  while (from < limit_ && limit_ - from >= kRecordHeaderBytes) {
    bool available = false;
    const uint64_t window = std::min<uint64_t>(chunk_bytes_, limit_ - from);
    if (Status s = Fill(from, window, &available); !s.ok()) return s;
    // Fill lowered the limit if the data ended early; search what there is.
    const size_t size = static_cast<size_t>(std::min<uint64_t>(window, limit_ - from));
    const size_t hit = Buffered(from, size).find(kMagic);
    if (hit == std::string_view::npos) {
      // The windows overlap by three bytes, so a magic across their border
      // is still found.
      from += size > kMagic.size() ? size - (kMagic.size() - 1) : 1;
      continue;
    }
    const uint64_t candidate = from + hit;
    bool valid = false;
    if (Status s = CheckRecordAt(candidate, &valid, length); !s.ok()) return s;
    if (valid) {
      *found = true;
      *at = candidate;
      return Status::Ok();
    }
    from = candidate + 1;
  }
  return Status::Ok();
}

Status RecordScanner::Fill(uint64_t at, uint64_t n, bool* available) {
  *available = false;
  if (n > limit_ - at) return Status::Ok();
  if (at >= buffer_offset_ && at + n <= buffer_offset_ + buffered_) {
    *available = true;
    return Status::Ok();
  }
  // Keep what is buffered from `at` on, and read the rest: at least n
  // bytes, and a chunk ahead when the limit allows.
  size_t keep = 0;
  if (at >= buffer_offset_ && at < buffer_offset_ + buffered_) {
    keep = static_cast<size_t>(buffer_offset_ + buffered_ - at);
  }
  const size_t want =
      static_cast<size_t>(std::max<uint64_t>(n, std::min<uint64_t>(chunk_bytes_, limit_ - at)));
  if (want > buffer_.size()) {
    std::string grown(want, '\0');
    if (keep > 0) std::memcpy(grown.data(), buffer_.data() + (at - buffer_offset_), keep);
    buffer_.swap(grown);
  } else {
    if (keep > 0) std::memmove(buffer_.data(), buffer_.data() + (at - buffer_offset_), keep);
    if (buffer_.size() > 4 * chunk_bytes_ && want <= chunk_bytes_) {
      // After a large record, give the memory back.
      buffer_.resize(chunk_bytes_);
      buffer_.shrink_to_fit();
    }
  }
  buffer_offset_ = at;
  buffered_ = keep;
  size_t read = 0;
  // On failure the buffer keeps the bytes it had, still valid.
  if (Status s = source_->Read(at + keep, want - keep, buffer_.data() + keep, &read); !s.ok()) {
    return s;
  }
  buffered_ += read;
  if (buffered_ < want) limit_ = at + buffered_;  // the data ends before the limit
  *available = buffered_ >= n;
  return Status::Ok();
}

std::string_view RecordScanner::Buffered(uint64_t at, size_t n) const {
  assert(at >= buffer_offset_ && at + n <= buffer_offset_ + buffered_);
  return std::string_view(buffer_.data() + (at - buffer_offset_), n);
}

}  // namespace inflow::daemon
