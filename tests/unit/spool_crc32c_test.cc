// CRC-32C: the published check values, chaining, and the hardware path
// agreeing with the software one.

#include "spool/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace inflow::daemon {
namespace {

// RFC 3720 (iSCSI), appendix B.4, and the usual check value.
TEST(Crc32cTest, GivesThePublishedCheckValues) {
  EXPECT_EQ(Crc32c(0, "123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(0, std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(0, std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending += static_cast<char>(i);
  EXPECT_EQ(Crc32c(0, ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(0, ""), 0u);
  EXPECT_EQ(Crc32cSoftware(0, "123456789"), 0xE3069283u);
}

TEST(Crc32cTest, ContinuesFromTheCrcOfTheBytesBefore) {
  const std::string data = "cpu,host=a value=1 1700000000000000000\n";
  for (size_t cut = 0; cut <= data.size(); ++cut) {
    EXPECT_EQ(Crc32c(Crc32c(0, data.substr(0, cut)), data.substr(cut)), Crc32c(0, data))
        << "cut at " << cut;
  }
}

// Every length from 0 to 100 and each alignment: the 8-byte steps and the
// byte-wise tail of both versions.
TEST(Crc32cTest, HardwareAndSoftwareAgree) {
  std::mt19937 random(7);
  std::string data(4096 + 8, '\0');
  for (char& c : data) c = static_cast<char>(random());
  for (size_t offset = 0; offset < 8; ++offset) {
    for (size_t length = 0; length <= 100; ++length) {
      std::string_view piece = std::string_view(data).substr(offset, length);
      ASSERT_EQ(Crc32c(0, piece), Crc32cSoftware(0, piece)) << offset << " " << length;
    }
    std::string_view large = std::string_view(data).substr(offset, 4096);
    ASSERT_EQ(Crc32c(0x12345678, large), Crc32cSoftware(0x12345678, large));
  }
}

}  // namespace
}  // namespace inflow::daemon
