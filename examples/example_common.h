// What the examples share: the URL from the command line, and a client
// whose error handler remembers that a commit at scope exit failed.

#ifndef INFLOW_EXAMPLES_EXAMPLE_COMMON_H_
#define INFLOW_EXAMPLES_EXAMPLE_COMMON_H_

#include <inflow/client.h>

#include <iostream>
#include <string>

namespace example {

inline bool failed = false;

inline std::string Url(int argc, char** argv) {
  return argc > 1 ? argv[1] : "http://username:pass@localhost:8086/databasename";
}

inline inflow::ClientOptions Options() {
  inflow::ClientOptions options;
  options.error_handler = [](const inflow::WriteResult& result) {
    std::cerr << "commit at scope exit failed: " << result.message << "\n";
    failed = true;
  };
  return options;
}

// Prints a commit's result; remembers a failure.
inline void Show(const char* what, const inflow::WriteResult& result) {
  if (result.ok()) {
    std::cout << what << ": " << result.written_points << " points written\n";
  } else {
    std::cerr << what << ": " << inflow::WriteErrorName(result.error) << ": " << result.message
              << "\n";
    failed = true;
  }
}

}  // namespace example

#endif  // INFLOW_EXAMPLES_EXAMPLE_COMMON_H_
