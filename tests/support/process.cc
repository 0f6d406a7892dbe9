#include "support/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <thread>

#include "support/files.h"

extern char** environ;

namespace inflow::test {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPollInterval{10};

std::string Errno(std::string_view what, int error) {
  return std::string(what) + ": " + std::strerror(error);
}

// Pointers into `strings`, null-terminated, as execve wants them.
std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  pointers.reserve(strings.size() + 1);
  for (std::string& s : strings) pointers.push_back(s.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs in the forked child: only async-signal-safe calls until execve.
[[noreturn]] void ExecChild(pid_t parent, int stdin_fd, int log_fd, int error_fd, char** argv,
                            char** envp) {
  // The parent may have died before prctl took effect; then nobody would
  // ever send the death signal.
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);
  if (dup2(stdin_fd, STDIN_FILENO) < 0 || dup2(log_fd, STDOUT_FILENO) < 0 ||
      dup2(log_fd, STDERR_FILENO) < 0) {
    int error = errno;
    (void)!write(error_fd, &error, sizeof error);
    _exit(127);
  }
  // Whatever else the test process has open must not leak into the server
  // (a listening socket would keep a port busy). Failure (a kernel without
  // close_range) leaves only descriptors opened without O_CLOEXEC.
  close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  // Ignored signals and the signal mask survive execve; start the server
  // with the defaults it expects.
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    sigaction(signal_number, &default_action, nullptr);
  }
  sigset_t empty;
  sigemptyset(&empty);
  sigprocmask(SIG_SETMASK, &empty, nullptr);

  execve(argv[0], argv, envp);
  int error = errno;
  (void)!write(error_fd, &error, sizeof error);
  _exit(127);
}

}  // namespace

ChildProcess::~ChildProcess() { Kill(); }

Status ChildProcess::Start(const std::vector<std::string>& argv,
                           const std::vector<std::string>& env, const std::string& log_path) {
  if (argv.empty()) return Status::Error("no program to start");
  if (running()) return Status::Error(argv[0] + " is already running as " + std::to_string(pid_));
  // Everything the child needs is prepared before fork: after it, the child
  // may only make async-signal-safe calls.
  std::vector<std::string> argv_copy = argv;
  std::vector<std::string> env_copy = env;
  std::vector<char*> c_argv = CStrings(argv_copy);
  std::vector<char*> c_env = CStrings(env_copy);

  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return Status::Error(Errno("cannot open log " + log_path, errno));
  int stdin_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  int error_pipe[2] = {-1, -1};
  if (stdin_fd < 0 || pipe2(error_pipe, O_CLOEXEC) != 0) {
    int error = errno;
    close(log_fd);
    if (stdin_fd >= 0) close(stdin_fd);
    return Status::Error(Errno("cannot prepare to start " + argv[0], error));
  }

  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    ExecChild(parent, stdin_fd, log_fd, error_pipe[1], c_argv.data(), c_env.data());
  }
  int fork_error = errno;
  close(log_fd);
  close(stdin_fd);
  close(error_pipe[1]);
  if (pid < 0) {
    close(error_pipe[0]);
    return Status::Error(Errno("cannot fork to start " + argv[0], fork_error));
  }

  // The pipe closes without data when execve succeeds (O_CLOEXEC).
  int exec_error = 0;
  ssize_t n;
  do {
    n = read(error_pipe[0], &exec_error, sizeof exec_error);
  } while (n < 0 && errno == EINTR);
  close(error_pipe[0]);

  pid_ = pid;
  running_ = true;
  log_path_ = log_path;
  exit_description_.clear();
  if (n > 0) {
    Kill();
    return Status::Error(Errno("cannot run " + argv[0], exec_error));
  }
  return Status::Ok();
}

bool ChildProcess::running() {
  if (!running_) return false;
  int wait_status = 0;
  if (waitpid(pid_, &wait_status, WNOHANG) == pid_) Reaped(wait_status);
  return running_;
}

Status ChildProcess::Stop(std::chrono::milliseconds timeout) {
  if (!running()) return Status::Ok();
  kill(pid_, SIGTERM);
  if (WaitForExit(Clock::now() + timeout)) return Status::Ok();
  Kill();
  return Status::Error("process " + std::to_string(pid_) + " did not exit within " +
                       std::to_string(timeout.count()) + " ms of SIGTERM; killed it");
}

void ChildProcess::Kill() {
  if (!running_) return;
  kill(pid_, SIGKILL);
  int wait_status = 0;
  pid_t result;
  do {
    result = waitpid(pid_, &wait_status, 0);
  } while (result < 0 && errno == EINTR);
  Reaped(wait_status);
}

Status ChildProcess::WaitUntil(const std::function<bool()>& ready,
                               std::chrono::milliseconds timeout, std::string_view what) {
  const Clock::time_point deadline = Clock::now() + timeout;
  while (true) {
    if (!running()) {
      return Status::Error(std::string(what) + ": the process " + exit_description_ +
                           " before it was ready; end of " + log_path_ + ":\n" + LogTail());
    }
    if (ready()) return Status::Ok();
    if (Clock::now() >= deadline) {
      return Status::Error(std::string(what) + ": not ready after " +
                           std::to_string(timeout.count()) + " ms; end of " + log_path_ + ":\n" +
                           LogTail());
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

std::string ChildProcess::LogTail(size_t max_bytes) const {
  return ReadFileTail(log_path_, max_bytes);
}

bool ChildProcess::LogMentions(std::string_view text) const {
  std::string log;
  if (!ReadFile(log_path_, &log).ok()) return false;
  auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
  auto found = std::search(log.begin(), log.end(), text.begin(), text.end(),
                           [&](char a, char b) { return lower(a) == lower(b); });
  return found != log.end();
}

bool ChildProcess::WaitForExit(Clock::time_point deadline) {
  while (running()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(kPollInterval);
  }
  return true;
}

void ChildProcess::Reaped(int wait_status) {
  running_ = false;
  if (WIFSIGNALED(wait_status)) {
    exit_description_ = "was killed by signal " + std::to_string(WTERMSIG(wait_status));
  } else {
    exit_description_ = "exited with status " + std::to_string(WEXITSTATUS(wait_status));
  }
}

std::vector<std::string> EnvironmentWithout(std::string_view prefix) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view variable(*entry);
    if (prefix.empty() || !variable.starts_with(prefix)) env.emplace_back(variable);
  }
  return env;
}

}  // namespace inflow::test
