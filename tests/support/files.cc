#include "support/files.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace inflow::test {
namespace {

struct FileCloser {
  void operator()(std::FILE* file) const { std::fclose(file); }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

Status SystemError(std::string_view what, const std::string& path, int error) {
  return Status::Error(std::string(what) + " " + path + ": " + std::strerror(error));
}

}  // namespace

Status ReadFile(const std::string& path, std::string* contents) {
  File file(std::fopen(path.c_str(), "rb"));
  if (!file) return SystemError("cannot open", path, errno);
  std::string data;
  char buffer[1 << 16];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) data.append(buffer, n);
  if (std::ferror(file.get())) return SystemError("cannot read", path, errno);
  *contents = std::move(data);
  return Status::Ok();
}

Status WriteFile(const std::string& path, std::string_view contents) {
  File file(std::fopen(path.c_str(), "wb"));
  if (!file) return SystemError("cannot create", path, errno);
  if (std::fwrite(contents.data(), 1, contents.size(), file.get()) != contents.size()) {
    return SystemError("cannot write", path, errno);
  }
  if (std::fclose(file.release()) != 0) return SystemError("cannot write", path, errno);
  return Status::Ok();
}

std::string ReadFileTail(const std::string& path, size_t max_bytes) {
  std::string contents;
  if (Status status = ReadFile(path, &contents); !status.ok()) {
    return "[" + status.message() + "]";
  }
  if (contents.size() > max_bytes) contents.erase(0, contents.size() - max_bytes);
  return contents;
}

}  // namespace inflow::test
