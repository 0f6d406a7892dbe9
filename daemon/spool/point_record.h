// The payload of a spool record: the lines of one listener read for one
// session, each with its length, so that a line whose string field holds a
// newline is read back whole without parsing.
//
//   payload := version line*        version: one byte, kPointRecordVersion
//   line    := length bytes         length: unsigned LEB128, > 0
//
// Each line is one line of line protocol as the session writes it (ending in
// '\n', nanosecond timestamp). The record's checksum (record_format.h)
// covers the payload; a payload that still does not decode was written by
// another version or is a bug, and PointRecordReader says so.
//
// Pure: no I/O.

#ifndef INFLOW_DAEMON_SPOOL_POINT_RECORD_H_
#define INFLOW_DAEMON_SPOOL_POINT_RECORD_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace inflow::daemon {

inline constexpr uint8_t kPointRecordVersion = 1;

// Builds a payload one line at a time.
class PointRecordWriter {
 public:
  PointRecordWriter() { Clear(); }

  // REQUIRES: !line.empty().
  void Add(std::string_view line);

  // Forgets every line added.
  void Clear();

  // Moves the payload into *out and clears; the old contents of *out are
  // dropped, its memory reused for the next payload.
  void MovePayloadTo(std::string* out);

  bool empty() const { return lines_ == 0; }
  size_t lines() const { return lines_; }
  std::string_view payload() const { return payload_; }

 private:
  std::string payload_;
  size_t lines_ = 0;
};

// Reads the lines of a payload back, in order. The views point into the
// payload, which must outlive them.
class PointRecordReader {
 public:
  explicit PointRecordReader(std::string_view payload);

  // Sets *line to the next line and returns true; false at the end of the
  // payload, or at damage (then damaged() is true and the lines after it
  // are not read).
  bool Next(std::string_view* line);

  bool damaged() const { return damaged_; }

 private:
  std::string_view rest_;
  bool damaged_ = false;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_POINT_RECORD_H_
