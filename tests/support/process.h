// ChildProcess: a server binary run by a test, with its output in a log file.
//
// The child is started with fork and execve. Its stdin is /dev/null, its
// stdout and stderr are appended to a log file, it inherits no other file
// descriptor, and it is sent SIGKILL by the kernel when the thread that
// started it exits (PR_SET_PDEATHSIG), so a crashed or killed test leaves no
// server behind. Start servers from the test's main thread: a helper thread
// that starts one and then ends takes the server with it.
//
// Thread: a ChildProcess is used by one thread at a time.

#ifndef INFLOW_TESTS_SUPPORT_PROCESS_H_
#define INFLOW_TESTS_SUPPORT_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/status.h"

namespace inflow::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Kills the child with SIGKILL and reaps it, if it is still running.
  ~ChildProcess();

  // Runs argv[0] (a path, not searched in PATH) with `argv` and the
  // environment `env` ("NAME=value" entries), appending its output to
  // `log_path` (created if missing).
  //
  // On success the child has called execve successfully. On failure (a
  // child is still running, argv is empty, the log cannot be opened, fork
  // fails, or execve fails, e.g. for a missing binary) returns an error
  // naming the cause, and no new child is left running.
  Status Start(const std::vector<std::string>& argv, const std::vector<std::string>& env,
               const std::string& log_path);

  // Whether the child is still running. Reaps it if it has exited, so that
  // exit_description() tells how.
  bool running();

  // Sends SIGTERM and waits up to `timeout` for the child to exit, then
  // sends SIGKILL and waits for it. Returns OK if the child exited within
  // the timeout (with any exit status), or was not running; otherwise an
  // error saying it had to be killed.
  Status Stop(std::chrono::milliseconds timeout);

  // Sends SIGKILL and waits until the child is gone. No-op if not running.
  void Kill();

  // Polls `ready` about every 10 ms until it returns true, the child exits,
  // or `timeout` passes. Returns OK when ready; otherwise an error that
  // names `what`, how the child ended if it did, and the tail of its log.
  Status WaitUntil(const std::function<bool()>& ready, std::chrono::milliseconds timeout,
                   std::string_view what);

  // The process id of the last child started; -1 before the first Start.
  pid_t pid() const { return pid_; }

  const std::string& log_path() const { return log_path_; }

  // "exited with status N" or "was killed by signal N" once the child has
  // been reaped; empty while it runs or before it was started.
  const std::string& exit_description() const { return exit_description_; }

  // The last `max_bytes` bytes of the log (all of it if shorter), or a note
  // saying why the log could not be read.
  std::string LogTail(size_t max_bytes = 4096) const;

  // Whether the log contains `text` (ASCII case-insensitive); false if the
  // log cannot be read.
  bool LogMentions(std::string_view text) const;

 private:
  // Waits for the child until `deadline`; returns true once it was reaped.
  bool WaitForExit(std::chrono::steady_clock::time_point deadline);
  void Reaped(int wait_status);

  pid_t pid_ = -1;
  bool running_ = false;
  std::string log_path_;
  std::string exit_description_;
};

// The current environment without the variables whose names start with
// `prefix` (e.g. "INFLUXDB_", which would override a server's config file).
// An empty prefix removes nothing.
std::vector<std::string> EnvironmentWithout(std::string_view prefix);

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_PROCESS_H_
