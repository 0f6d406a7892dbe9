// The spool's file system edge: error values, the write loop, and
// PosixFileSystem on a temporary folder.

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "spool/file_system.h"
#include "unit/spool_test_util.h"

namespace inflow::daemon {
namespace {

using test::FaultyFileSystem;
using test::FileExists;
using test::ReadWholeFile;
using test::SpoolTempDir;
using test::WriteWholeFile;

TEST(SpoolFileSystemTest, ErrorsNamePathOperationAndReason) {
  const Status s = IoError("spool/autogen/0000000000000003.seg", "write", ENOSPC);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "spool/autogen/0000000000000003.seg: write: No space left on device");
}

TEST(SpoolFileSystemTest, TellsAFullDiskOrQuotaFromOtherErrors) {
  EXPECT_TRUE(IsNoSpace(IoError("a", "write", ENOSPC)));
  EXPECT_TRUE(IsNoSpace(IoError("a", "write", EDQUOT)));
  EXPECT_FALSE(IsNoSpace(IoError("a", "write", EIO)));
  EXPECT_FALSE(IsNoSpace(IoError("a", "open", ENOENT)));
  EXPECT_FALSE(IsNoSpace(Status::Ok()));
  EXPECT_TRUE(IsNotFound(IoError("a", "open", ENOENT)));
  EXPECT_FALSE(IsNotFound(IoError("a", "write", ENOSPC)));
  EXPECT_FALSE(IsNotFound(Status::Ok()));
}

TEST(SpoolFileSystemTest, ErrorsCarryTheErrnoOfTheCallThatFailed) {
  EXPECT_EQ(IoError("a", "write", ENOSPC).sys_errno(), ENOSPC);
  EXPECT_EQ(IoError("a", "fsync", EIO).sys_errno(), EIO);
  EXPECT_EQ(Status::Error("not a system call").sys_errno(), 0);
  EXPECT_EQ(Status::Error("x", EDQUOT).sys_errno(), EDQUOT);
  EXPECT_EQ(Status::Ok().sys_errno(), 0);
}

// Issue 9: a full disk was recognised by the words of the message, so any
// error whose text merely ended the same way (a path, a server's answer)
// counted as one, and a message worded otherwise did not.
TEST(SpoolFileSystemTest, AMessageThatReadsLikeAFullDiskIsNotOne) {
  EXPECT_FALSE(IsNoSpace(Status::Error("a: write: No space left on device")));
  EXPECT_FALSE(IsNoSpace(Status::Error("a: write: Disk quota exceeded")));
  EXPECT_FALSE(IsNotFound(Status::Error("a: open: No such file or directory")));
}

// A fault injected into one call (as the spool's and the dead letters' tests
// inject them) is told by its code, whatever the message around it.
TEST(SpoolFileSystemTest, AFullDiskInjectedIntoOneCallIsRecognisedByItsCode) {
  SpoolTempDir tmp;
  PosixFileSystem posix;
  FaultyFileSystem fs(&posix);
  std::unique_ptr<WritableFile> file;
  ASSERT_TRUE(fs.OpenWritable(tmp.File("f.seg"), &file).ok());
  fs.FailNextWrite(ENOSPC, 2);
  const Status full = file->Append("abcd");
  EXPECT_EQ(full.sys_errno(), ENOSPC);
  EXPECT_TRUE(IsNoSpace(full));
  EXPECT_FALSE(IsNotFound(full));
  fs.FailNextFileSync(EIO);
  const Status io = file->Sync();
  EXPECT_EQ(io.sys_errno(), EIO);
  EXPECT_FALSE(IsNoSpace(io));
  fs.FailNextOpenWritable(EDQUOT);
  EXPECT_TRUE(IsNoSpace(fs.OpenWritable(tmp.File("g.seg"), &file)));
  // The same words from elsewhere (say, a wrapped message) do not count.
  EXPECT_FALSE(IsNoSpace(Status::Error("wrapped: " + full.message())));
}

// The write(2) stand-in for WriteFully: it takes at most `per_call` bytes a
// call, fails every other call with EINTR, and fails with `error_after`'s
// errno once `limit` bytes were written.
struct FakeWrite {
  static inline std::string written;
  static inline size_t per_call = 1;
  static inline size_t limit = SIZE_MAX;
  static inline int error_after = 0;
  static inline int calls = 0;

  static void Reset(size_t bytes_per_call, size_t byte_limit, int error_number) {
    written.clear();
    per_call = bytes_per_call;
    limit = byte_limit;
    error_after = error_number;
    calls = 0;
  }

  static ssize_t Write(int, const void* data, size_t size) {
    if (++calls % 2 == 0) {
      errno = EINTR;
      return -1;
    }
    if (written.size() >= limit) {
      errno = error_after;
      return -1;
    }
    const size_t n = std::min({size, per_call, limit - written.size()});
    written.append(static_cast<const char*>(data), n);
    return static_cast<ssize_t>(n);
  }
};

TEST(SpoolFileSystemTest, WriteFullyGoesOnAfterShortWritesAndEintr) {
  FakeWrite::Reset(3, SIZE_MAX, 0);
  const std::string data = "cpu value=1 1\ncpu value=2 2\n";
  ASSERT_TRUE(WriteFully(7, data, "f.seg", FakeWrite::Write).ok());
  EXPECT_EQ(FakeWrite::written, data);
  EXPECT_GT(FakeWrite::calls, 10);
}

TEST(SpoolFileSystemTest, WriteFullyReturnsTheErrorAfterAPartialWrite) {
  FakeWrite::Reset(4, 10, ENOSPC);
  const Status s = WriteFully(7, std::string(100, 'x'), "dir/f.seg", FakeWrite::Write);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "dir/f.seg: write: No space left on device");
  EXPECT_TRUE(IsNoSpace(s));
  EXPECT_EQ(FakeWrite::written.size(), 10u);
}

TEST(SpoolFileSystemTest, CreateDirMakesMissingParentsAndAcceptsAnExistingDir) {
  SpoolTempDir tmp;
  PosixFileSystem fs;
  const std::string dir = tmp.File("spool/autogen");
  ASSERT_TRUE(fs.CreateDir(dir).ok());
  struct stat st;
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  EXPECT_TRUE(fs.CreateDir(dir).ok());
  EXPECT_TRUE(fs.CreateDir(dir + "/").ok());
}

TEST(SpoolFileSystemTest, CreateDirFailsWhereAFileIsInTheWay) {
  SpoolTempDir tmp;
  PosixFileSystem fs;
  WriteWholeFile(tmp.File("file"), "x");
  Status s = fs.CreateDir(tmp.File("file"));
  EXPECT_EQ(s.message(), tmp.File("file") + ": mkdir: Not a directory");
  s = fs.CreateDir(tmp.File("file/sub"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(tmp.File("file/sub")), std::string::npos) << s.message();
}

TEST(SpoolFileSystemTest, WritableFilesAppendSyncAndTruncate) {
  SpoolTempDir tmp;
  PosixFileSystem fs;
  const std::string path = tmp.File("a.seg");
  {
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs.OpenWritable(path, &file).ok());
    EXPECT_EQ(file->path(), path);
    ASSERT_TRUE(file->Append("hello ").ok());
    ASSERT_TRUE(file->Append("world").ok());
    ASSERT_TRUE(file->Sync().ok());
  }
  {
    // Opening again appends, and a truncated file is appended to at its new end.
    std::unique_ptr<WritableFile> file;
    ASSERT_TRUE(fs.OpenWritable(path, &file).ok());
    ASSERT_TRUE(file->Append("!!").ok());
    EXPECT_EQ(ReadWholeFile(path), "hello world!!");
    ASSERT_TRUE(file->Truncate(5).ok());
    ASSERT_TRUE(file->Append(", you").ok());
  }
  EXPECT_EQ(ReadWholeFile(path), "hello, you");
  uint64_t size = 0;
  ASSERT_TRUE(fs.FileSize(path, &size).ok());
  EXPECT_EQ(size, 10u);
  ASSERT_TRUE(fs.Truncate(path, 4).ok());
  EXPECT_EQ(ReadWholeFile(path), "hell");
  ASSERT_TRUE(fs.SyncDir(tmp.path()).ok());
}

TEST(SpoolFileSystemTest, ReadableFilesReadRangesAndStopAtTheEnd) {
  SpoolTempDir tmp;
  PosixFileSystem fs;
  const std::string path = tmp.File("r.seg");
  WriteWholeFile(path, "0123456789");
  std::unique_ptr<ReadableFile> file;
  ASSERT_TRUE(fs.OpenReadable(path, &file).ok());
  char buffer[16];
  size_t read = 0;
  ASSERT_TRUE(file->Read(3, 4, buffer, &read).ok());
  EXPECT_EQ(std::string(buffer, read), "3456");
  ASSERT_TRUE(file->Read(8, 16, buffer, &read).ok());
  EXPECT_EQ(std::string(buffer, read), "89");
  ASSERT_TRUE(file->Read(20, 16, buffer, &read).ok());
  EXPECT_EQ(read, 0u);
}

TEST(SpoolFileSystemTest, ListsRenamesAndRemoves) {
  SpoolTempDir tmp;
  PosixFileSystem fs;
  WriteWholeFile(tmp.File("a"), "1");
  WriteWholeFile(tmp.File("b"), "2");
  std::vector<std::string> names;
  ASSERT_TRUE(fs.ListDir(tmp.path(), &names).ok());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
  ASSERT_TRUE(fs.RenameFile(tmp.File("a"), tmp.File("b")).ok());
  EXPECT_EQ(ReadWholeFile(tmp.File("b")), "1");
  ASSERT_TRUE(fs.RemoveFile(tmp.File("b")).ok());
  ASSERT_TRUE(fs.ListDir(tmp.path(), &names).ok());
  EXPECT_TRUE(names.empty());
}

TEST(SpoolFileSystemTest, MissingPathsAreNotFoundErrorsNamingThePath) {
  SpoolTempDir tmp;
  PosixFileSystem fs;
  const std::string missing = tmp.File("missing.seg");
  std::unique_ptr<ReadableFile> file;
  Status s = fs.OpenReadable(missing, &file);
  EXPECT_EQ(s.message(), missing + ": open: No such file or directory");
  EXPECT_TRUE(IsNotFound(s));
  uint64_t size = 0;
  EXPECT_TRUE(IsNotFound(fs.FileSize(missing, &size)));
  EXPECT_TRUE(IsNotFound(fs.RemoveFile(missing)));
  EXPECT_TRUE(IsNotFound(fs.Truncate(missing, 0)));
  std::vector<std::string> names;
  EXPECT_TRUE(IsNotFound(fs.ListDir(tmp.File("nodir"), &names)));
  EXPECT_TRUE(IsNotFound(fs.SyncDir(tmp.File("nodir"))));
  EXPECT_FALSE(FileExists(missing));
}

}  // namespace
}  // namespace inflow::daemon
