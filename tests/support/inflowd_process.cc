#include "support/inflowd_process.h"

#include <signal.h>

#include <cstdlib>
#include <thread>

#include "support/files.h"

namespace inflow::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kStartAttempts = 3;
constexpr std::chrono::milliseconds kPollInterval{10};

const char kUnsetMessage[] =
    "INFLOW_INFLOWD is not set: run the integration tests through ctest, which sets it to the "
    "inflowd it built, or set it to the path of an inflowd binary";

// Polls `process` until it has exited or `deadline` has passed.
bool AwaitExit(ChildProcess* process, Clock::time_point deadline) {
  while (process->running()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

}  // namespace

InflowdProcess::InflowdProcess() : dir_("inflow-inflowd") {}

InflowdProcess::~InflowdProcess() { process_.Kill(); }

std::string InflowdProcess::BinaryPath() {
  const char* path = std::getenv("INFLOW_INFLOWD");
  return (path != nullptr && *path != '\0') ? path : "";
}

Status InflowdProcess::Start(const std::function<std::string()>& make_config,
                             const std::vector<std::string>& extra_args) {
  std::string binary = BinaryPath();
  if (binary.empty()) return Status::Error(kUnsetMessage);
  if (process_.running()) return Status::Error("inflowd already runs as " + std::to_string(pid()));
  std::vector<std::string> argv = {binary, "--config", config_path()};
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  for (int attempt = 1;; ++attempt) {
    // A fresh log, so that what it mentions is this attempt's.
    if (Status status = WriteFile(log_path(), ""); !status.ok()) return status;
    if (Status status = WriteFile(config_path(), make_config()); !status.ok()) return status;
    if (Status status = process_.Start(argv, EnvironmentWithout(""), log_path()); !status.ok()) {
      return status;
    }
    Status ready = process_.WaitUntil([this] { return process_.LogMentions("inflowd ready"); },
                                      kReadyTimeout, "inflowd");
    if (ready.ok()) return ready;
    process_.Kill();
    if (attempt == kStartAttempts || !process_.LogMentions("in use")) {
      std::string config;
      (void)ReadFile(config_path(), &config);
      return Status::Error(ready.message() + "\nits configuration:\n" + config);
    }
  }
}

Status InflowdProcess::Signal(int signal_number, std::chrono::milliseconds timeout) {
  if (!process_.running()) {
    return Status::Error("inflowd " + process_.exit_description() + " before signal " +
                         std::to_string(signal_number) + "; end of its log:\n" + LogTail());
  }
  kill(process_.pid(), signal_number);
  if (AwaitExit(&process_, Clock::now() + timeout)) return Status::Ok();
  process_.Kill();
  return Status::Error("inflowd did not exit within " + std::to_string(timeout.count()) +
                       " ms of signal " + std::to_string(signal_number) +
                       "; killed it. End of its log:\n" + LogTail());
}

bool InflowdProcess::WaitForExit(std::chrono::milliseconds timeout) {
  return AwaitExit(&process_, Clock::now() + timeout);
}

std::string InflowdProcess::Log() const {
  std::string log;
  if (Status status = ReadFile(log_path(), &log); !status.ok()) return "[" + status.message() + "]";
  return log;
}

Status RunInflowd(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                  InflowdRun* run) {
  std::string binary = InflowdProcess::BinaryPath();
  if (binary.empty()) return Status::Error(kUnsetMessage);
  return RunProgram(binary, args, timeout, run);
}

Status RunInflowCli(const std::vector<std::string>& args, std::chrono::milliseconds timeout,
                    InflowdRun* run) {
  const char* binary = std::getenv("INFLOW_CLI");
  if (binary == nullptr || *binary == '\0') {
    return Status::Error("INFLOW_CLI is not set: run the tests through ctest, which names the "
                         "inflow binary");
  }
  return RunProgram(binary, args, timeout, run);
}

Status RunProgram(const std::string& binary, const std::vector<std::string>& args,
                  std::chrono::milliseconds timeout, InflowdRun* run) {
  TempDir dir("inflow-run");
  const std::string stdout_path = dir.File("stdout");
  const std::string stderr_path = dir.File("stderr");
  // ChildProcess sends stdout and stderr to one file; the shell parts them
  // and then becomes inflowd (exec), so the exit status is inflowd's.
  std::vector<std::string> argv = {"/bin/sh", "-c", "e=$1; shift; exec \"$@\" 2>\"$e\"", "sh",
                                   stderr_path, binary};
  argv.insert(argv.end(), args.begin(), args.end());
  ChildProcess process;
  if (Status status = process.Start(argv, EnvironmentWithout(""), stdout_path); !status.ok()) {
    return status;
  }
  if (!AwaitExit(&process, Clock::now() + timeout)) {
    process.Kill();
    return Status::Error(binary + " did not exit within " + std::to_string(timeout.count()) +
                         " ms; killed it. Its output:\n" + ReadFileTail(stdout_path, 4096) +
                         ReadFileTail(stderr_path, 4096));
  }
  run->exit_description = process.exit_description();
  run->stdout_text.clear();
  run->stderr_text.clear();
  (void)ReadFile(stdout_path, &run->stdout_text);
  (void)ReadFile(stderr_path, &run->stderr_text);
  return Status::Ok();
}

}  // namespace inflow::test
