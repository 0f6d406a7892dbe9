#include "support/temp_dir.h"

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace inflow::test {

TempDir::TempDir(std::string_view prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  pattern += "/";
  pattern += prefix;
  pattern += "-XXXXXX";
  std::vector<char> buffer(pattern.begin(), pattern.end());
  buffer.push_back('\0');
  if (mkdtemp(buffer.data()) == nullptr) {
    std::fprintf(stderr, "TempDir: cannot create %s: %s\n", pattern.c_str(), std::strerror(errno));
    std::abort();
  }
  std::error_code error;
  std::filesystem::path absolute = std::filesystem::absolute(buffer.data(), error);
  path_ = error ? std::string(buffer.data()) : absolute.string();
}

TempDir::~TempDir() {
  if (std::getenv("INFLOW_KEEP_TEST_DIRS") != nullptr) {
    std::fprintf(stderr, "TempDir: kept %s\n", path_.c_str());
    return;
  }
  std::error_code error;
  std::filesystem::remove_all(path_, error);
  if (error) {
    std::fprintf(stderr, "TempDir: cannot remove %s: %s\n", path_.c_str(), error.message().c_str());
  }
}

std::string TempDir::File(std::string_view name) const {
  std::string file = path_;
  file += '/';
  file += name;
  return file;
}

}  // namespace inflow::test
