// Engine: inflowd's pipeline on one libuv loop.
//
//   listeners → intake (parser → router) → session queues → InfluxDB writers
//
// The engine builds the pipeline from the config, owns every part of it,
// and is the PointSink the listeners' intakes hand their lines to: each line
// goes to its session's queue; each refusal is counted and logged, with a
// rate limit so that a flood of bad lines never floods the log. The lines
// InfluxDB refuses go to the dead-letter files (<spool>/rejected/).
//
// SIGTERM or SIGINT drains: the listeners stop reading, every session
// commits, and the engine waits for the writes in flight up to
// shutdown_timeout; then it closes every handle, so that uv_run returns. A
// second signal stops at once.
//
// Ownership: the caller owns the loop and runs it; the engine must outlive
// that run. Thread: the loop's.

#ifndef INFLOW_DAEMON_ENGINE_H_
#define INFLOW_DAEMON_ENGINE_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "config.h"
#include "dead_letter.h"
#include "intake.h"
#include "listeners/listener.h"
#include "log_rate_limiter.h"
#include "router.h"
#include "session_queue.h"
#include "spool/file_system.h"

namespace inflow::daemon {

class Engine : public PointSink {
 public:
  Engine(uv_loop_t* loop, const Config& config);
  ~Engine() override;

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Opens every listener and installs the signal handlers, then logs
  // "inflowd ready". On failure returns the error; the engine has then
  // closed what it opened, and running the loop lets the handles close.
  Status Start();

  // Begins the drain described above.
  void Shutdown();

  // PointSink.
  void Accept(size_t session, std::string_view line) override;
  void Refuse(const Refusal& refusal) override;

  uint64_t refused_lines() const { return refused_lines_; }
  uint64_t unrouted_points() const { return unrouted_points_; }

 private:
  enum class State { kIdle, kRunning, kDraining, kClosed };

  std::unique_ptr<Listener> MakeListener(const ListenerConfig& config);
  void KeepDeadLetters(const SessionQueue& session, const Batch& batch,
                       const WriteVerdict& verdict);
  void CheckDrained();
  void Close();
  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnShutdownTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  Config config_;
  Router router_;
  std::vector<std::unique_ptr<SessionQueue>> sessions_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  uv_signal_t sigterm_;
  uv_signal_t sigint_;
  uv_timer_t shutdown_timer_;
  State state_ = State::kIdle;
  PosixFileSystem file_system_;
  DeadLetterFile dead_letters_;
  bool dead_letters_open_ = false;
  LogRateLimiter dead_letter_log_;
  LogRateLimiter bad_line_log_;
  LogRateLimiter unrouted_log_;
  uint64_t refused_lines_ = 0;
  uint64_t unrouted_points_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_ENGINE_H_
