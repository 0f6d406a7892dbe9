// Whole-file reads and writes for test fixtures (config files, server logs).

#ifndef INFLOW_TESTS_SUPPORT_FILES_H_
#define INFLOW_TESTS_SUPPORT_FILES_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow::test {

// Reads the file at `path` into *contents. Returns an error naming the path
// and the system's reason if it cannot be read; *contents is then unchanged.
Status ReadFile(const std::string& path, std::string* contents);

// Writes `contents` to the file at `path`, replacing it. Returns an error
// naming the path and the system's reason on failure.
Status WriteFile(const std::string& path, std::string_view contents);

// The last `max_bytes` bytes of the file at `path` (all of it if shorter),
// or a note in brackets saying why it could not be read. Meant for failure
// messages, so it never fails.
std::string ReadFileTail(const std::string& path, size_t max_bytes);

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_FILES_H_
