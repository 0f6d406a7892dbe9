// Crc32c: the CRC-32C (Castagnoli) that spool records carry.
//
// CRC-32C rather than zlib's CRC-32: x86-64 computes it in hardware
// (SSE 4.2), several times faster, and every point passes through it on its
// way into the spool. Where the instruction is missing, a table-driven
// software version gives the same values.
//
// Pure: no I/O. Thread-safe.

#ifndef INFLOW_DAEMON_SPOOL_CRC32C_H_
#define INFLOW_DAEMON_SPOOL_CRC32C_H_

#include <cstdint>
#include <string_view>

namespace inflow::daemon {

// The CRC-32C of `data`, continuing `crc` (the CRC-32C of the bytes before
// it, 0 for none): Crc32c(Crc32c(0, a), b) == Crc32c(0, a + b).
uint32_t Crc32c(uint32_t crc, std::string_view data);

// The same, never with the hardware instruction (for tests).
uint32_t Crc32cSoftware(uint32_t crc, std::string_view data);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_CRC32C_H_
