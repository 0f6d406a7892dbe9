// Helpers shared by the spool's unit tests: a temporary folder, whole-file
// reads and writes, and a FileSystem that fails the calls a test asks it to.

#ifndef INFLOW_TESTS_UNIT_SPOOL_TEST_UTIL_H_
#define INFLOW_TESTS_UNIT_SPOOL_TEST_UTIL_H_

#include <ftw.h>
#include <gtest/gtest.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "spool/file_system.h"

namespace inflow::daemon::test {

// A fresh folder under /tmp (mkdtemp), removed with its contents when the
// object is destroyed.
class SpoolTempDir {
 public:
  SpoolTempDir() {
    char path[] = "/tmp/inflow-spool-test-XXXXXX";
    if (::mkdtemp(path) == nullptr) {
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
      return;
    }
    path_ = path;
  }
  ~SpoolTempDir() {
    if (path_.empty()) return;
    ::nftw(
        path_.c_str(),
        [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }
  SpoolTempDir(const SpoolTempDir&) = delete;
  SpoolTempDir& operator=(const SpoolTempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void WriteWholeFile(const std::string& path, std::string_view contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
  EXPECT_TRUE(out.good()) << path;
}

inline bool FileExists(const std::string& path) { return ::access(path.c_str(), F_OK) == 0; }

// A FileSystem over another that fails what it is told to. Each fault is
// armed for one call unless said otherwise, and counts how often calls ran.
class FaultyFileSystem : public FileSystemWrapper {
 public:
  explicit FaultyFileSystem(FileSystem* target) : FileSystemWrapper(target) {}

  // The next WritableFile::Append writes `bytes_first` bytes of its data
  // (a short write), then fails with `error_number`.
  void FailNextWrite(int error_number, size_t bytes_first = 0) {
    write_error_ = error_number;
    write_prefix_ = bytes_first;
  }
  void FailNextFileSync(int error_number) { file_sync_error_ = error_number; }
  void FailNextFileTruncate(int error_number) { file_truncate_error_ = error_number; }
  void FailNextOpenWritable(int error_number) { open_writable_error_ = error_number; }
  // Every OpenReadable of `path` fails, until cleared with an empty path.
  void FailOpenReadable(std::string path, int error_number) {
    open_readable_path_ = std::move(path);
    open_readable_error_ = error_number;
  }
  void FailNextRemove(int error_number) { remove_error_ = error_number; }

  int file_syncs() const { return file_syncs_; }
  int dir_syncs() const { return dir_syncs_; }

  Status OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    if (open_writable_error_ != 0)
      return IoError(path, "open", std::exchange(open_writable_error_, 0));
    std::unique_ptr<WritableFile> real;
    if (Status s = target()->OpenWritable(path, &real); !s.ok()) return s;
    *file = std::make_unique<File>(this, std::move(real));
    return Status::Ok();
  }

  Status OpenReadable(const std::string& path, std::unique_ptr<ReadableFile>* file) override {
    if (!open_readable_path_.empty() && path == open_readable_path_) {
      return IoError(path, "open", open_readable_error_);
    }
    return target()->OpenReadable(path, file);
  }

  Status RemoveFile(const std::string& path) override {
    if (remove_error_ != 0) return IoError(path, "unlink", std::exchange(remove_error_, 0));
    return target()->RemoveFile(path);
  }

  Status SyncDir(const std::string& dir) override {
    ++dir_syncs_;
    return target()->SyncDir(dir);
  }

 private:
  class File : public WritableFile {
   public:
    File(FaultyFileSystem* fs, std::unique_ptr<WritableFile> real)
        : fs_(fs), real_(std::move(real)) {}

    Status Append(std::string_view data) override {
      if (fs_->write_error_ != 0) {
        const int error_number = std::exchange(fs_->write_error_, 0);
        const size_t prefix = std::min(fs_->write_prefix_, data.size());
        if (prefix > 0) {
          if (Status s = real_->Append(data.substr(0, prefix)); !s.ok()) return s;
        }
        return IoError(path(), "write", error_number);
      }
      return real_->Append(data);
    }
    Status Sync() override {
      ++fs_->file_syncs_;
      if (fs_->file_sync_error_ != 0) {
        return IoError(path(), "fdatasync", std::exchange(fs_->file_sync_error_, 0));
      }
      return real_->Sync();
    }
    Status Truncate(uint64_t size) override {
      if (fs_->file_truncate_error_ != 0) {
        return IoError(path(), "truncate", std::exchange(fs_->file_truncate_error_, 0));
      }
      return real_->Truncate(size);
    }
    const std::string& path() const override { return real_->path(); }

   private:
    FaultyFileSystem* fs_;
    std::unique_ptr<WritableFile> real_;
  };

  int write_error_ = 0;
  size_t write_prefix_ = 0;
  int file_sync_error_ = 0;
  int file_truncate_error_ = 0;
  int open_writable_error_ = 0;
  std::string open_readable_path_;
  int open_readable_error_ = 0;
  int remove_error_ = 0;
  int file_syncs_ = 0;
  int dir_syncs_ = 0;
};

}  // namespace inflow::daemon::test

#endif  // INFLOW_TESTS_UNIT_SPOOL_TEST_UTIL_H_
