#include "spool/record_format.h"

#include <cassert>

#include "spool/crc32c.h"

namespace inflow::daemon {
namespace {

void PutFixed32(uint32_t value, char* out) {
  for (int i = 0; i < 4; ++i) out[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
}

uint32_t GetFixed32(const char* in) {
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value |= uint32_t{static_cast<unsigned char>(in[i])} << (8 * i);
  return value;
}

// The CRC-32C of the encoded length field followed by the payload.
uint32_t RecordCrc(const char* encoded_length, std::string_view payload) {
  return Crc32c(Crc32c(0, std::string_view(encoded_length, 4)), payload);
}

}  // namespace

void AppendRecord(std::string_view payload, std::string* out) {
  assert(payload.size() <= kMaxRecordPayloadBytes);
  char header[kRecordHeaderBytes];
  PutFixed32(kRecordMagic, header);
  PutFixed32(static_cast<uint32_t>(payload.size()), header + 4);
  PutFixed32(RecordCrc(header + 4, payload), header + 8);
  out->reserve(out->size() + RecordBytes(payload.size()));
  out->append(header, sizeof header);
  out->append(payload);
}

RecordHeader DecodeRecordHeader(std::string_view bytes) {
  assert(bytes.size() >= kRecordHeaderBytes);
  RecordHeader header;
  header.magic = GetFixed32(bytes.data());
  header.length = GetFixed32(bytes.data() + 4);
  header.crc = GetFixed32(bytes.data() + 8);
  return header;
}

bool PlausibleRecordHeader(const RecordHeader& header) {
  return header.magic == kRecordMagic && header.length <= kMaxRecordPayloadBytes;
}

bool RecordChecksumMatches(const RecordHeader& header, std::string_view payload) {
  assert(payload.size() == header.length);
  char encoded_length[4];
  PutFixed32(header.length, encoded_length);
  return RecordCrc(encoded_length, payload) == header.crc;
}

}  // namespace inflow::daemon
