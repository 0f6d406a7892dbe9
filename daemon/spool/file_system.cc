#include "spool/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace inflow::daemon {
namespace {

std::string ErrorText(int error_number) { return std::strerror(error_number); }

// The directory that holds `path` ("." for a bare name).
std::string ParentOf(std::string_view path) {
  while (path.size() > 1 && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) return ".";
  if (slash == 0) return "/";
  return std::string(path.substr(0, slash));
}

class PosixWritableFile : public WritableFile {
 public:
  PosixWritableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixWritableFile() override { ::close(fd_); }

  Status Append(std::string_view data) override { return WriteFully(fd_, data, path_, ::write); }

  Status Sync() override {
    if (::fdatasync(fd_) != 0) return IoError(path_, "fdatasync", errno);
    return Status::Ok();
  }

  Status Truncate(uint64_t size) override {
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return IoError(path_, "truncate", errno);
    return Status::Ok();
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

class PosixReadableFile : public ReadableFile {
 public:
  PosixReadableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixReadableFile() override { ::close(fd_); }

  Status Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) override {
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, dst + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        *bytes_read = done;
        return IoError(path_, "read", errno);
      }
      if (got == 0) break;
      done += static_cast<size_t>(got);
    }
    *bytes_read = done;
    return Status::Ok();
  }

  const std::string& path() const override { return path_; }

 private:
  std::string path_;
  int fd_;
};

}  // namespace

Status IoError(std::string_view path, std::string_view operation, int error_number) {
  std::string message(path);
  message += ": ";
  message += operation;
  message += ": ";
  message += ErrorText(error_number);
  return Status::Error(std::move(message), error_number);
}

bool IsNoSpace(const Status& status) {
  return !status.ok() && (status.sys_errno() == ENOSPC || status.sys_errno() == EDQUOT);
}

bool IsNotFound(const Status& status) { return !status.ok() && status.sys_errno() == ENOENT; }

Status WriteFully(int fd, std::string_view data, const std::string& path, WriteCall write_call) {
  while (!data.empty()) {
    const ssize_t written = write_call(fd, data.data(), data.size());
    if (written < 0) {
      if (errno == EINTR) continue;
      return IoError(path, "write", errno);
    }
    // write(2) returns 0 for a non-empty write only on odd devices; treat it
    // as the disk full it usually means rather than looping forever.
    if (written == 0) return IoError(path, "write", ENOSPC);
    data.remove_prefix(static_cast<size_t>(written));
  }
  return Status::Ok();
}

Status PosixFileSystem::ListDir(const std::string& dir, std::vector<std::string>* names) {
  names->clear();
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return IoError(dir, "opendir", errno);
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(d);
    if (entry == nullptr) break;
    const std::string_view name(entry->d_name);
    if (name != "." && name != "..") names->emplace_back(name);
  }
  const int error_number = errno;
  ::closedir(d);
  if (error_number != 0) return IoError(dir, "readdir", error_number);
  return Status::Ok();
}

Status PosixFileSystem::CreateDir(const std::string& dir) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return Status::Ok();
    return IoError(dir, "mkdir", ENOTDIR);
  }
  if (errno != ENOENT) return IoError(dir, "stat", errno);
  const std::string parent = ParentOf(dir);
  if (parent != dir) {
    if (Status s = CreateDir(parent); !s.ok()) return s;
  }
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return IoError(dir, "mkdir", errno);
  return SyncDir(parent);
}

Status PosixFileSystem::OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* file) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(path, "open", errno);
  *file = std::make_unique<PosixWritableFile>(path, fd);
  return Status::Ok();
}

Status PosixFileSystem::OpenReadable(const std::string& path, std::unique_ptr<ReadableFile>* file) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(path, "open", errno);
  *file = std::make_unique<PosixReadableFile>(path, fd);
  return Status::Ok();
}

Status PosixFileSystem::FileSize(const std::string& path, uint64_t* size) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return IoError(path, "stat", errno);
  *size = static_cast<uint64_t>(st.st_size);
  return Status::Ok();
}

Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  if (::truncate(path.c_str(), static_cast<off_t>(size)) != 0) {
    return IoError(path, "truncate", errno);
  }
  return Status::Ok();
}

Status PosixFileSystem::RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return IoError(path, "unlink", errno);
  return Status::Ok();
}

Status PosixFileSystem::RenameFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return IoError(from, "rename to " + to, errno);
  return Status::Ok();
}

Status PosixFileSystem::SyncDir(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError(dir, "open", errno);
  Status result;
  if (::fsync(fd) != 0) result = IoError(dir, "fsync", errno);
  ::close(fd);
  return result;
}

}  // namespace inflow::daemon
