// FileSystem: the spool's only way to files, so tests can inject faults.
//
// An interface in the manner of leveldb's Env: PosixFileSystem does the real
// work; FileSystemWrapper forwards every call to another FileSystem, and a
// test subclasses it to fail the call it wants (ENOSPC on a write, EIO on an
// fsync, a write that stops half-way).
//
// Every error is a Status whose message names the path, the operation and
// the system's reason, as in
//   "spool/autogen/0000000000000003.seg: write: No space left on device",
// and that carries the failed call's errno (Status::sys_errno). IsNoSpace()
// tells a full disk or quota (ENOSPC, EDQUOT) from other failures by that
// number: the engine treats it as "spool full", not as a fault.
//
// Thread: the implementations keep no shared state of their own; a file
// object is used by one thread at a time.

#ifndef INFLOW_DAEMON_SPOOL_FILE_SYSTEM_H_
#define INFLOW_DAEMON_SPOOL_FILE_SYSTEM_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/status.h"

namespace inflow::daemon {

// The error "<path>: <operation>: <strerror(error_number)>", with
// sys_errno() == error_number.
Status IoError(std::string_view path, std::string_view operation, int error_number);

// Whether `status` failed for ENOSPC or EDQUOT (its sys_errno), as an
// IoError does for a full disk or quota. The message is never read: an
// error that only says "No space left on device" is not one.
bool IsNoSpace(const Status& status);

// Whether `status` failed for ENOENT (its sys_errno).
bool IsNotFound(const Status& status);

// A file open for appending. Closed when destroyed.
class WritableFile {
 public:
  virtual ~WritableFile() = default;

  // Writes all of `data` at the end of the file, resuming after short writes
  // and EINTR. On failure some prefix of `data` may have been written; the
  // caller truncates it away if it must.
  virtual Status Append(std::string_view data) = 0;

  // fdatasync: the data written, and the size, are on disk when it returns
  // OK. After a failure, whether the data since the last successful Sync is
  // on disk is unknown, and a later Sync that succeeds does not make it so
  // (Linux may have dropped the dirty pages).
  virtual Status Sync() = 0;

  // Cuts the file to `size` bytes. REQUIRES: size <= the file's size.
  virtual Status Truncate(uint64_t size) = 0;

  virtual const std::string& path() const = 0;
};

// A file open for reading at any offset. Closed when destroyed.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;

  // Reads up to `n` bytes at `offset` into dst[0, n) and sets *bytes_read;
  // fewer than `n` only at the end of the file. Resumes after short reads
  // and EINTR.
  virtual Status Read(uint64_t offset, size_t n, char* dst, size_t* bytes_read) = 0;

  virtual const std::string& path() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Sets *names to the names in `dir` (not "." and ".."), in no order.
  virtual Status ListDir(const std::string& dir, std::vector<std::string>* names) = 0;

  // Creates `dir` and its missing parents, each made durable (its parent
  // fsynced) before this returns. OK if `dir` exists already.
  virtual Status CreateDir(const std::string& dir) = 0;

  // Opens `path` for appending (O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
  // mode 0644), creating it if missing. A file created here survives a
  // power loss only after SyncDir of its directory.
  virtual Status OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* file) = 0;

  virtual Status OpenReadable(const std::string& path, std::unique_ptr<ReadableFile>* file) = 0;

  virtual Status FileSize(const std::string& path, uint64_t* size) = 0;
  virtual Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual Status RemoveFile(const std::string& path) = 0;

  // Replaces `to` with `from` atomically (rename(2)).
  virtual Status RenameFile(const std::string& from, const std::string& to) = 0;

  // fsync of a directory, so that files created, removed or renamed in it
  // stay so after a power loss.
  virtual Status SyncDir(const std::string& dir) = 0;
};

// The real file system.
class PosixFileSystem : public FileSystem {
 public:
  Status ListDir(const std::string& dir, std::vector<std::string>* names) override;
  Status CreateDir(const std::string& dir) override;
  Status OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* file) override;
  Status OpenReadable(const std::string& path, std::unique_ptr<ReadableFile>* file) override;
  Status FileSize(const std::string& path, uint64_t* size) override;
  Status Truncate(const std::string& path, uint64_t size) override;
  Status RemoveFile(const std::string& path) override;
  Status RenameFile(const std::string& from, const std::string& to) override;
  Status SyncDir(const std::string& dir) override;
};

// Forwards every call to `target`, which must outlive it. Tests override
// the calls they want to fail.
class FileSystemWrapper : public FileSystem {
 public:
  explicit FileSystemWrapper(FileSystem* target) : target_(target) {}

  FileSystem* target() const { return target_; }

  Status ListDir(const std::string& dir, std::vector<std::string>* names) override {
    return target_->ListDir(dir, names);
  }
  Status CreateDir(const std::string& dir) override { return target_->CreateDir(dir); }
  Status OpenWritable(const std::string& path, std::unique_ptr<WritableFile>* file) override {
    return target_->OpenWritable(path, file);
  }
  Status OpenReadable(const std::string& path, std::unique_ptr<ReadableFile>* file) override {
    return target_->OpenReadable(path, file);
  }
  Status FileSize(const std::string& path, uint64_t* size) override {
    return target_->FileSize(path, size);
  }
  Status Truncate(const std::string& path, uint64_t size) override {
    return target_->Truncate(path, size);
  }
  Status RemoveFile(const std::string& path) override { return target_->RemoveFile(path); }
  Status RenameFile(const std::string& from, const std::string& to) override {
    return target_->RenameFile(from, to);
  }
  Status SyncDir(const std::string& dir) override { return target_->SyncDir(dir); }

 private:
  FileSystem* target_;
};

// The loop PosixFileSystem's files write with: writes all of `data` to `fd`
// by calls to `write_call` (write(2) in production), going on after short
// writes and EINTR. Errors name `path`. Declared here so tests can drive it
// with a write_call that writes a byte at a time or fails.
using WriteCall = ssize_t (*)(int fd, const void* data, size_t size);
Status WriteFully(int fd, std::string_view data, const std::string& path, WriteCall write_call);

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_SPOOL_FILE_SYSTEM_H_
