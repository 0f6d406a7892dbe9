// Parse throughput of the line protocol core on realistic lines: a
// measurement, three tags, two to four fields of mixed types and a
// timestamp, as sensor hosts send them.
//
//   build/tests/inflow_bench                       run the benchmarks
//   build/tests/inflow_bench --write-corpus FILE   write the corpus, for the
//                                                  reference parser's benchmark

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "inflow/line_parser.h"
#include "inflow/line_writer.h"

namespace {

constexpr size_t kCorpusLines = 20000;

std::string MakeCorpus() {
  std::mt19937_64 rng(42);
  const char* measurements[] = {"temperature", "humidity", "power", "disk_io", "net"};
  const char* regions[] = {"eu-west", "us-east", "ap-south"};
  std::string corpus;
  int64_t ts = 1700000000000000000;
  char line[512];
  for (size_t i = 0; i < kCorpusLines; ++i) {
    const char* m = measurements[rng() % 5];
    unsigned host = static_cast<unsigned>(rng() % 500);
    unsigned sensor = static_cast<unsigned>(rng() % 16);
    double v = static_cast<double>(rng() % 100000) / 1000.0;
    long long count = static_cast<long long>(rng() % 1000000);
    ts += static_cast<int64_t>(rng() % 1000000);
    int n = 0;
    switch (rng() % 3) {
      case 0:
        n = std::snprintf(line, sizeof(line),
                          "%s,host=sensor-%03u,region=%s,sensor=s%u value=%.3f,count=%lldi %lld\n",
                          m, host, regions[host % 3], sensor, v, count,
                          static_cast<long long>(ts));
        break;
      case 1:
        n = std::snprintf(line, sizeof(line),
                          "%s,host=sensor-%03u,region=%s,sensor=s%u value=%.3f,count=%lldi,"
                          "ok=true %lld\n",
                          m, host, regions[host % 3], sensor, v, count,
                          static_cast<long long>(ts));
        break;
      default:
        n = std::snprintf(line, sizeof(line),
                          "%s,host=sensor-%03u,region=%s,sensor=s%u value=%.3f,count=%lldi,"
                          "ok=false,status=\"nominal\" %lld\n",
                          m, host, regions[host % 3], sensor, v, count,
                          static_cast<long long>(ts));
        break;
    }
    corpus.append(line, static_cast<size_t>(n));
  }
  return corpus;
}

const std::string& Corpus() {
  static const std::string corpus = MakeCorpus();
  return corpus;
}

void BM_ParseLines(benchmark::State& state) {
  const std::string& corpus = Corpus();
  inflow::LineParser parser;
  size_t points = 0;
  for (auto _ : state) {
    std::string_view rest(corpus);
    size_t consumed, newlines;
    while (!rest.empty()) {
      inflow::ParseStatus status = parser.Parse(rest, true, &consumed, &newlines);
      if (status != inflow::ParseStatus::kPoint) state.SkipWithError("corpus line rejected");
      benchmark::DoNotOptimize(parser.point().timestamp_ns);
      rest.remove_prefix(consumed);
      ++points;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.size()));
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseLines);

// Parsing plus the series key, as the last-value cache will need per point.
void BM_ParseLinesAndSeriesKey(benchmark::State& state) {
  const std::string& corpus = Corpus();
  inflow::LineParser parser;
  std::string key;
  size_t points = 0;
  for (auto _ : state) {
    std::string_view rest(corpus);
    size_t consumed, newlines;
    while (!rest.empty()) {
      parser.Parse(rest, true, &consumed, &newlines);
      key.clear();
      inflow::AppendSeriesKey(parser.point(), &key);
      benchmark::DoNotOptimize(key.data());
      rest.remove_prefix(consumed);
      ++points;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.size()));
  state.counters["points/s"] =
      benchmark::Counter(static_cast<double>(points), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseLinesAndSeriesKey);

void BM_Canonical(benchmark::State& state) {
  const std::string& corpus = Corpus();
  inflow::LineParser parser;
  std::string out;
  for (auto _ : state) {
    std::string_view rest(corpus);
    size_t consumed, newlines;
    out.clear();
    while (!rest.empty()) {
      parser.Parse(rest, true, &consumed, &newlines);
      inflow::AppendCanonical(parser.point(), &out);
      rest.remove_prefix(consumed);
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus.size()));
}
BENCHMARK(BM_Canonical);

}  // namespace

int main(int argc, char** argv) {
  if (argc == 3 && std::strcmp(argv[1], "--write-corpus") == 0) {
    std::FILE* f = std::fopen(argv[2], "wb");
    if (f == nullptr) return 2;
    const std::string& corpus = Corpus();
    bool ok = std::fwrite(corpus.data(), 1, corpus.size(), f) == corpus.size();
    return std::fclose(f) == 0 && ok ? 0 : 1;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
