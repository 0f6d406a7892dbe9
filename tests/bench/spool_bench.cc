// The spool's per-byte costs: the record checksum, hardware and software,
// and framing a read's lines into a record.

#include <benchmark/benchmark.h>

#include <random>
#include <string>

#include "spool/crc32c.h"
#include "spool/point_record.h"
#include "spool/record_format.h"

namespace inflow::daemon {
namespace {

std::string RandomBytes(size_t n) {
  std::mt19937 random(1);
  std::string data(n, '\0');
  for (char& c : data) c = static_cast<char>(random());
  return data;
}

void BM_Crc32c(benchmark::State& state) {
  const std::string data = RandomBytes(64 << 10);
  for (auto _ : state) benchmark::DoNotOptimize(Crc32c(0, data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Crc32c);

void BM_Crc32cSoftware(benchmark::State& state) {
  const std::string data = RandomBytes(64 << 10);
  for (auto _ : state) benchmark::DoNotOptimize(Crc32cSoftware(0, data));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_Crc32cSoftware);

// 600 lines of ~110 bytes: what one 64 KiB stream read gives a session.
void BM_FramePointRecord(benchmark::State& state) {
  const std::string line =
      "cpu,host=server-042,region=eu-west,rack=r17 usage_user=23.5,usage_system=4.25,"
      "idle=72i 1700000000000000000\n";
  PointRecordWriter writer;
  std::string record;
  for (auto _ : state) {
    writer.Clear();
    for (int i = 0; i < 600; ++i) writer.Add(line);
    record.clear();
    AppendRecord(writer.payload(), &record);
    benchmark::DoNotOptimize(record.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 600 * line.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 600));
}
BENCHMARK(BM_FramePointRecord);

}  // namespace
}  // namespace inflow::daemon
