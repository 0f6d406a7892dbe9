// TempDir: a fresh folder for one test's files, removed with everything in it
// when the TempDir is destroyed.
//
// Set the environment variable INFLOW_KEEP_TEST_DIRS (to anything) to keep
// the folders for a post-mortem; their paths are then printed to stderr.

#ifndef INFLOW_TESTS_SUPPORT_TEMP_DIR_H_
#define INFLOW_TESTS_SUPPORT_TEMP_DIR_H_

#include <string>
#include <string_view>

namespace inflow::test {

class TempDir {
 public:
  // Creates $TMPDIR/<prefix>-XXXXXX (/tmp if TMPDIR is unset or empty).
  // Aborts with a message on stderr if the folder cannot be created: no test
  // that needs one can run without it.
  explicit TempDir(std::string_view prefix = "inflow-test");
  ~TempDir();

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // The folder, absolute, without a trailing slash.
  const std::string& path() const { return path_; }

  // path() + "/" + name.
  std::string File(std::string_view name) const;

 private:
  std::string path_;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_TEMP_DIR_H_
