// InflowdProcess: the inflowd binary under test, run on a configuration file
// in a temporary folder, its output (spdlog, on stdout) in a log file there.
//
// The binary is $INFLOW_INFLOWD, which CMake sets for the integration tests
// to the inflowd it built. Thread: one thread at a time; start it from the
// test's main thread (see ChildProcess).

#ifndef INFLOW_TESTS_SUPPORT_INFLOWD_PROCESS_H_
#define INFLOW_TESTS_SUPPORT_INFLOWD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/status.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace inflow::test {

class InflowdProcess {
 public:
  // How long inflowd may take to bind its listeners and say "inflowd ready".
  static constexpr std::chrono::milliseconds kReadyTimeout{15'000};
  // How long it may take to exit after SIGTERM: its shutdown_timeout in the
  // tests' configs (10s at most) and some.
  static constexpr std::chrono::milliseconds kStopTimeout{20'000};

  // Creates the folder; does not start inflowd.
  InflowdProcess();
  // Kills inflowd if it still runs (SIGKILL); then removes the folder.
  ~InflowdProcess();

  InflowdProcess(const InflowdProcess&) = delete;
  InflowdProcess& operator=(const InflowdProcess&) = delete;

  // $INFLOW_INFLOWD, or empty if it is unset or empty.
  static std::string BinaryPath();

  // The folder, for the configuration's socket files and spool.
  const std::string& dir() const { return dir_.path(); }
  std::string File(std::string_view name) const { return dir_.File(name); }
  std::string config_path() const { return dir_.File("inflowd.yaml"); }
  std::string log_path() const { return dir_.File("inflowd.log"); }

  // Writes the YAML that `make_config` returns to config_path(), starts
  // `inflowd --config config_path()` followed by `extra_args`, and waits
  // until its log says "inflowd ready".
  //
  // Ports chosen with FreePort can be taken by another process before
  // inflowd binds them; when inflowd then exits saying an address is in
  // use, `make_config` is called again (up to three times in all) and
  // should choose new ports. On failure returns an error with how inflowd
  // ended and the end of its log, and inflowd is not left running.
  // REQUIRES: inflowd is not running.
  Status Start(const std::function<std::string()>& make_config,
               const std::vector<std::string>& extra_args = {});

  // Sends `signal_number` (SIGTERM, SIGINT) and waits up to `timeout` for
  // inflowd to exit. Returns OK once it has exited, however it did (see
  // exit_description()); if it has not exited by then, kills it and returns
  // an error with the end of its log.
  Status Signal(int signal_number, std::chrono::milliseconds timeout = kStopTimeout);

  // Waits up to `timeout` for inflowd to exit by itself; false if it still
  // runs then (it is left running).
  bool WaitForExit(std::chrono::milliseconds timeout);

  bool running() { return process_.running(); }
  pid_t pid() const { return process_.pid(); }

  // "exited with status N" or "was killed by signal N" once inflowd has
  // exited; empty while it runs.
  const std::string& exit_description() const { return process_.exit_description(); }

  // The whole log; a note in brackets if it cannot be read.
  std::string Log() const;
  // The end of the log, for failure messages.
  std::string LogTail(size_t max_bytes = 4096) const { return process_.LogTail(max_bytes); }
  // Whether the log contains `text` (ASCII case-insensitive).
  bool LogMentions(std::string_view text) const { return process_.LogMentions(text); }

 private:
  TempDir dir_;
  ChildProcess process_;
};

// The outcome of an inflowd that ran to its end (--check-config, a usage
// error, a failure to start).
struct InflowdRun {
  std::string exit_description;  // "exited with status N" or "was killed by signal N"
  std::string stdout_text;
  std::string stderr_text;
};

// Runs `binary` with `args` (not including the program) and waits up to
// `timeout` for it to exit, keeping its standard output and error apart.
// Returns an error if the binary cannot be run, or if it has not exited in
// time (it is then killed); *run is then unspecified.
Status RunProgram(const std::string& binary, const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout, InflowdRun* run);

// RunProgram of $INFLOW_INFLOWD; an error if the variable is not set.
Status RunInflowd(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                  InflowdRun* run);

// RunProgram of $INFLOW_CLI, the `inflow` tool; an error if it is not set.
Status RunInflowCli(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                    InflowdRun* run);

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_INFLOWD_PROCESS_H_
