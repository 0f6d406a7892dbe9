#include "inflow/batch_lines.h"

#include "inflow/line_parser.h"

namespace inflow {
namespace {

// Calls on_point(offset, bytes) for each of the first `limit` points of
// `body`; returns the offset after the last.
template <typename OnPoint>
size_t ForEachPoint(std::string_view body, uint64_t limit, OnPoint on_point) {
  ParserOptions options;
  options.max_line_bytes = body.size();
  LineParser parser(options);
  size_t offset = 0;
  for (uint64_t points = 0; points < limit && offset < body.size();) {
    size_t consumed = 0;
    size_t newlines = 0;
    if (parser.Parse(body.substr(offset), true, &consumed, &newlines) == ParseStatus::kPoint) {
      on_point(offset, consumed);
      ++points;
    }
    if (consumed == 0) break;
    offset += consumed;
  }
  return offset;
}

}  // namespace

size_t PrefixOfPoints(std::string_view body, uint64_t points) {
  return ForEachPoint(body, points, [](size_t, size_t) {});
}

std::vector<std::string_view> SplitPoints(std::string_view body) {
  std::vector<std::string_view> lines;
  ForEachPoint(body, UINT64_MAX, [&](size_t offset, size_t bytes) {
    lines.push_back(body.substr(offset, bytes));
  });
  return lines;
}

}  // namespace inflow
