// The spool's record format: how one payload is framed in a segment file.
//
// A segment file is a sequence of records, each
//
//   [magic u32][payload length u32][crc u32][payload: length bytes]
//
// with the integers little-endian. The crc is the CRC-32C (spool/crc32c.h)
// of the four bytes of the length field followed by the payload, so a
// damaged length is caught as surely as a damaged payload.
// Payloads are opaque here (the daemon stores lines of line protocol).
//
// The magic's bytes on disk, FE F5 C1 F7, can never occur in UTF-8 text,
// which line protocol is. So when a reader resynchronizes after damage by
// looking for the next magic, it meets real record starts, not look-alikes
// inside payloads (and a look-alike must still pass the crc). A future
// format should get a new magic and a new file suffix: SegmentLog leaves
// files with other names alone, so an older inflowd would not take a newer
// format's segments for damage.
//
// Pure: no I/O. RecordScanner (record_scanner.h) reads records back.

#ifndef INFLOW_DAEMON_SPOOL_RECORD_FORMAT_H_
#define INFLOW_DAEMON_SPOOL_RECORD_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace inflow::daemon {

inline constexpr uint32_t kRecordMagic = 0xF7C1F5FE;
inline constexpr size_t kRecordHeaderBytes = 12;

// The largest payload a record may carry. A reader refuses a longer length
// as damage, so a corrupt length field never makes it allocate or read
// gigabytes.
inline constexpr size_t kMaxRecordPayloadBytes = size_t{64} << 20;

// The bytes a record of `payload_bytes` takes on disk.
constexpr uint64_t RecordBytes(size_t payload_bytes) {
  return kRecordHeaderBytes + uint64_t{payload_bytes};
}

// Appends the record framing `payload` to *out.
// REQUIRES: payload.size() <= kMaxRecordPayloadBytes.
void AppendRecord(std::string_view payload, std::string* out);

// A record header as read, not yet checked.
struct RecordHeader {
  uint32_t magic = 0;
  uint32_t length = 0;
  uint32_t crc = 0;
};

// Decodes the first kRecordHeaderBytes of `bytes`.
// REQUIRES: bytes.size() >= kRecordHeaderBytes.
RecordHeader DecodeRecordHeader(std::string_view bytes);

// Whether the header has the magic and a length within the maximum: the
// checks that need no payload.
bool PlausibleRecordHeader(const RecordHeader& header);

// Whether `payload` (header.length bytes) matches the header's crc.
bool RecordChecksumMatches(const RecordHeader& header, std::string_view payload);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_RECORD_FORMAT_H_
