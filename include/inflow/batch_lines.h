// The lines of a batch body, found with the parser: a string field may hold
// a newline, so a line does not end at every newline.
//
// Pure; thread-compatible. REQUIRES (of every function): `body` is whole
// lines of line protocol, as a Batch holds them.

#ifndef INFLOW_BATCH_LINES_H_
#define INFLOW_BATCH_LINES_H_

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace inflow {

// The bytes of the first `points` points of `body`, their line endings
// included (all of `body` when it holds fewer).
size_t PrefixOfPoints(std::string_view body, uint64_t points);

// The lines of `body`, each with its line ending, in order. Blank lines and
// comments are left out.
std::vector<std::string_view> SplitPoints(std::string_view body);

}  // namespace inflow

#endif  // INFLOW_BATCH_LINES_H_
