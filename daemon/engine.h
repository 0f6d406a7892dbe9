// Engine: inflowd's pipeline on one libuv loop.
//
//   listeners → intake (parser → router) → session spools and queues
//             → batch writers (delivery) → InfluxDB connections
//             (and every other PointOutput: the last-value cache)
//
// The engine builds the pipeline from the config, owns every part of it,
// and is the Pipeline the listeners' intakes hand their points to: each
// point is staged in its session's spool, and handed to every other output
// (PointOutput: the last-value cache); each listener read ends with Admit,
// which appends what the read staged to the spools (one record per session)
// and, with spool.fsync: always, fsyncs them; only then are the points
// accepted. Each refusal is counted and logged, with a rate limit so that a
// flood of bad lines never floods the log. The lines InfluxDB refuses go to
// the dead-letter files (<spool>/rejected/).
//
// A full spool (spool.max_bytes, or ENOSPC) first gives back the segments
// InfluxDB has taken; then spool.when_full decides: block holds the read's
// points and pauses the stream and HTTP listeners until they fit (tried
// again every kHeldRetryInterval; once they fit, the listeners resume from a
// callback of their own, never from inside the engine's call that made the
// room), while datagrams are dropped and counted;
// drop_oldest deletes the oldest segments; drop_newest refuses the read's
// points. Every drop is counted and logged.
//
// With redis.url set, the engine also holds the LastValueReader the HTTP
// listeners answer GET /last with: started with the outputs, closed after
// the listeners.
//
// SIGTERM or SIGINT drains: the listeners stop reading, every session
// commits, and the engine waits for the writes in flight up to
// shutdown_timeout; what InfluxDB has not taken by then stays in the spool
// for the next start. Then it closes every handle, so that uv_run returns.
// A second signal stops at once. SIGHUP is logged and changes nothing (there
// is no reload yet).
//
// Ownership: the caller owns the loop and runs it; the engine must outlive
// that run. Thread: the loop's.

#ifndef INFLOW_DAEMON_ENGINE_H_
#define INFLOW_DAEMON_ENGINE_H_

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "cache/last_value_reader.h"
#include "config/config.h"
#include "inflow/clock.h"
#include "inflow/handle_set.h"
#include "spool/dead_letter.h"
#include "intake/intake.h"
#include "listeners/listener.h"
#include "log_rate_limiter.h"
#include "point_output.h"
#include "intake/router.h"
#include "sessions/session_queue.h"
#include "spool/file_system.h"
#include "spool/session_spool.h"

namespace inflow::daemon {

class Engine : public Pipeline {
 public:
  Engine(uv_loop_t* loop, const Config& config);
  ~Engine() override;

  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // How often points held for a full spool try to fit again.
  static constexpr uint64_t kHeldRetryIntervalMs = 100;

  // Adds a listener made elsewhere (a test's; next, one on a socket systemd
  // passed in) beside those of the config. REQUIRES: before Start.
  void AddListener(std::unique_ptr<Listener> listener) {
    listeners_.push_back(std::move(listener));
  }

  // Hands every accepted point to `output` too (see PointOutput); Start
  // starts it, the close after the drain stops it.
  // REQUIRES: before Start; `output` outlives the loop's run.
  void AddOutput(PointOutput* output) { outputs_.push_back(output); }

  // Opens every session's spool (replaying what it holds), then every
  // listener, installs the signal handlers, and logs "inflowd ready". On
  // failure returns the error; the engine has then closed what it opened,
  // and running the loop lets the handles close.
  Status Start();

  // Begins the drain described above.
  void Shutdown();

  // Pipeline. Admit is never called from inside the engine's own calls
  // (a listener resumed synchronously would do that): checked, and fatal.
  void Accept(const AcceptedPoint& point) override;
  void Refuse(const Refusal& refusal) override;
  Admission Admit(bool can_wait) override;

  uint64_t refused_lines() const { return refused_lines_; }
  uint64_t unrouted_points() const { return unrouted_points_; }

 private:
  enum class State { kIdle, kRunning, kDraining, kClosed };

  Status OpenSessions();
  // The loop's clock, for the rate limiters.
  MonoTime Now() const;
  std::unique_ptr<Listener> MakeListener(const ListenerConfig& config);
  void KeepDeadLetters(const SessionQueue& session, const Batch& batch,
                       const WriteVerdict& verdict, DeadLetterCause cause);
  // Appends the session's staged points, making room as when_full says;
  // returns the failure if they do not fit.
  Status AppendWithRoom(size_t session);
  uint64_t SpoolBytes() const;
  bool DropOldestSegment();
  void DropStaged(size_t session, const Status& why);
  void Hold(const Status& why);
  void RetryHeld();
  void ResumeListeners();
  Status SyncSpools();
  void LogSpoolFailure(const Status& status);
  void CheckDrained();
  void Close();
  static void OnSignal(uv_signal_t* handle, int signum);
  static void OnSighup(uv_signal_t* handle, int signum);
  static void OnShutdownTimer(uv_timer_t* timer);
  static void OnFsyncTimer(uv_timer_t* timer);
  static void OnHeldTimer(uv_timer_t* timer);
  static void OnResumeTimer(uv_timer_t* timer);

  uv_loop_t* loop_;
  LoopClock clock_;  // the one the sessions, the listeners and the rate limits read
  Config config_;
  Router router_;
  std::vector<std::unique_ptr<SessionQueue>> sessions_;
  // Before the listeners, which refer to it; null when redis.url is not set.
  std::unique_ptr<LastValueReader> last_values_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::vector<PointOutput*> outputs_;
  HandleSet handles_{"Engine"};
  TrackedHandle<uv_signal_t> sigterm_;
  TrackedHandle<uv_signal_t> sigint_;
  TrackedHandle<uv_signal_t> sighup_;
  TrackedHandle<uv_timer_t> shutdown_timer_;
  TrackedHandle<uv_timer_t> fsync_timer_;
  TrackedHandle<uv_timer_t> held_timer_;
  TrackedHandle<uv_timer_t> resume_timer_;  // resumes the listeners once held points fit
  // Set while Admit or RetryHeld runs, to catch a re-entry.
  bool in_admission_ = false;
  State state_ = State::kIdle;
  // The sessions with points staged by the current read, in first-staged
  // order, and a flag per session.
  std::vector<size_t> staged_;
  std::vector<bool> is_staged_;
  // While the spool is full under when_full: block: the sessions whose
  // staged points wait, since when, and the points dropped meanwhile by
  // the read under way (datagrams).
  std::vector<size_t> held_;
  MonoTime held_since_{};
  uint64_t dropped_in_read_ = 0;
  uint64_t points_dropped_full_ = 0;  // refused or deleted for a full spool
  uint64_t records_dropped_oldest_ = 0;
  PosixFileSystem file_system_;
  DeadLetterFile dead_letters_;
  bool dead_letters_open_ = false;
  LogRateLimiter dead_letter_log_;
  LogRateLimiter bad_line_log_;
  LogRateLimiter unrouted_log_;
  LogRateLimiter full_log_;
  uint64_t refused_lines_ = 0;
  uint64_t unrouted_points_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_ENGINE_H_
