#include "spool/point_record.h"

namespace inflow::daemon {

void PointRecordWriter::Add(std::string_view line) {
  uint64_t length = line.size();
  while (length >= 0x80) {
    payload_.push_back(static_cast<char>((length & 0x7f) | 0x80));
    length >>= 7;
  }
  payload_.push_back(static_cast<char>(length));
  payload_.append(line);
  ++lines_;
}

void PointRecordWriter::Clear() {
  payload_.assign(1, static_cast<char>(kPointRecordVersion));
  lines_ = 0;
}

void PointRecordWriter::MovePayloadTo(std::string* out) {
  out->swap(payload_);
  Clear();
}

PointRecordReader::PointRecordReader(std::string_view payload) : rest_(payload) {
  if (rest_.empty() || static_cast<uint8_t>(rest_[0]) != kPointRecordVersion) {
    damaged_ = true;
    rest_ = {};
    return;
  }
  rest_.remove_prefix(1);
}

bool PointRecordReader::Next(std::string_view* line) {
  if (rest_.empty()) return false;
  uint64_t length = 0;
  size_t used = 0;
  for (unsigned shift = 0;; shift += 7) {
    // Ten bytes carry 64 bits; a line is never longer than a payload.
    if (used == rest_.size() || shift > 63) {
      damaged_ = true;
      rest_ = {};
      return false;
    }
    auto byte = static_cast<uint8_t>(rest_[used++]);
    length |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) break;
  }
  if (length == 0 || length > rest_.size() - used) {
    damaged_ = true;
    rest_ = {};
    return false;
  }
  *line = rest_.substr(used, static_cast<size_t>(length));
  rest_.remove_prefix(used + static_cast<size_t>(length));
  return true;
}

}  // namespace inflow::daemon
