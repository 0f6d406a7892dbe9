#include "engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>

#include "listeners/datagram_listener.h"
#include "listeners/http_listener.h"
#include "listeners/stream_listener.h"
#include "inflow/rejection.h"

namespace inflow::daemon {

namespace {

std::vector<std::string> RetentionPolicies(const Config& config) {
  std::vector<std::string> names;
  for (const BatchOptions& session : config.sessions) names.push_back(session.retention_policy);
  return names;
}

std::string ListenerName(const ListenerConfig& config) {
  switch (config.type) {
    case ListenerType::kUdp:
      return "udp " + config.address;
    case ListenerType::kHttp:
      return "http " + config.address;
    case ListenerType::kUnixDgram:
      return "unix_dgram " + config.path;
    case ListenerType::kUnixStream:
      return "unix_stream " + config.path;
  }
  return "listener";
}

// A line as a log shows it: control bytes escaped, and cut short.
std::string Printable(std::string_view line) {
  constexpr size_t kMaxBytes = 256;
  std::string out;
  for (size_t i = 0; i < line.size() && i < kMaxBytes; ++i) {
    auto c = static_cast<unsigned char>(line[i]);
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (line.size() > kMaxBytes) out += fmt::format("... ({} bytes)", line.size());
  return out;
}

std::string Suppressed(uint64_t count) {
  return count == 0 ? std::string() : fmt::format(" ({} more since the last message)", count);
}

// Sets a flag for as long as it lives.
class ScopedFlag {
 public:
  explicit ScopedFlag(bool* flag) : flag_(flag) { *flag_ = true; }
  ~ScopedFlag() { *flag_ = false; }
  ScopedFlag(const ScopedFlag&) = delete;
  ScopedFlag& operator=(const ScopedFlag&) = delete;

 private:
  bool* flag_;
};

uint64_t Milliseconds(std::chrono::nanoseconds duration) {
  return static_cast<uint64_t>(std::chrono::ceil<std::chrono::milliseconds>(duration).count());
}

}  // namespace

Engine::Engine(uv_loop_t* loop, const Config& config)
    : loop_(loop),
      clock_(loop),
      config_(config),
      router_(RetentionPolicies(config_), config_.retention_policy_tag),
      dead_letter_log_(10, std::chrono::seconds(1)),
      bad_line_log_(10, std::chrono::seconds(1)),
      unrouted_log_(10, std::chrono::seconds(1)),
      full_log_(5, std::chrono::seconds(10)) {
  if (config_.redis.enabled) last_values_ = std::make_unique<LastValueReader>(loop_, config_);
  for (const ListenerConfig& listener : config_.listeners) {
    listeners_.push_back(MakeListener(listener));
  }
  uv_signal_init(loop_, &sigterm_.handle);
  uv_signal_init(loop_, &sigint_.handle);
  uv_signal_init(loop_, &sighup_.handle);
  uv_timer_init(loop_, &shutdown_timer_.handle);
  uv_timer_init(loop_, &fsync_timer_.handle);
  uv_timer_init(loop_, &held_timer_.handle);
  uv_timer_init(loop_, &resume_timer_.handle);
  for (auto* signal : {&sigterm_, &sigint_, &sighup_}) handles_.Adopt(signal);
  for (auto* timer : {&shutdown_timer_, &fsync_timer_, &held_timer_, &resume_timer_}) {
    handles_.Adopt(timer);
  }
  sigterm_.handle.data = this;
  sigint_.handle.data = this;
  shutdown_timer_.handle.data = this;
  fsync_timer_.handle.data = this;
  held_timer_.handle.data = this;
  resume_timer_.handle.data = this;
}

Engine::~Engine() = default;

std::unique_ptr<Listener> Engine::MakeListener(const ListenerConfig& config) {
  ListenerContext context;
  context.router = &router_;
  context.pipeline = this;
  context.parser_options.precision = config.precision;
  context.parser_options.allow_unsigned = config_.influxdb.unsigned_fields;
  context.name = ListenerName(config);
  context.retention_policy = config.retention_policy.empty()
                                 ? config_.sessions.front().retention_policy
                                 : config.retention_policy;
  context.database = config_.influxdb.database;
  context.clock = &clock_;
  context.last_values = last_values_.get();
  switch (config.type) {
    case ListenerType::kUdp:
    case ListenerType::kUnixDgram:
      return std::make_unique<DatagramListener>(loop_, config, std::move(context));
    case ListenerType::kUnixStream:
      return std::make_unique<StreamListener>(loop_, config, std::move(context));
    case ListenerType::kHttp:
      return std::make_unique<HttpListener>(loop_, config, std::move(context));
  }
  return nullptr;
}

// Each session's spool, in <spool>/sessions/<name>/, and its queue. What a
// spool holds from before is replayed first; damage in it is counted and
// skipped, never a reason not to start.
Status Engine::OpenSessions() {
  RetryOptions retry;
  retry.initial_interval = config_.influxdb.retry_initial_interval;
  retry.max_interval = config_.influxdb.retry_max_interval;
  retry.unauthorized_interval = std::max(retry.unauthorized_interval, retry.initial_interval);
  std::random_device entropy;
  for (const SessionConfig& options : config_.sessions) {
    const std::string dir = config_.spool.directory + "/sessions/" +
                            SessionSpoolDirName(options.retention_policy);
    std::unique_ptr<SessionSpool> spool;
    SpoolRecoveryReport report;
    Status status =
        SessionSpool::Open(dir, config_.spool.segment_bytes, &file_system_, &spool, &report);
    for (const std::string& error : report.errors) spdlog::error("spool {}: {}", dir, error);
    if (!status.ok()) {
      return Status::Error("the spool of session " + std::string(options.retention_policy) +
                           ": " + status.message());
    }
    const std::string& rp = options.retention_policy;
    if (report.records > 0) {
      spdlog::info("session {}: the spool holds {} records ({} bytes) not known to be "
                   "delivered; replaying them before new points",
                   rp, report.records, report.bytes);
    }
    if (report.corrupt_records > 0 || report.torn_bytes > 0) {
      spdlog::warn("session {}: spool damage in {}: {} corrupt stretches ({} bytes) skipped, "
                   "{} bytes of a torn tail cut; every other record is replayed",
                   rp, dir, report.corrupt_records, report.corrupt_bytes, report.torn_bytes);
    }
    if (report.unreadable_segments > 0) {
      spdlog::error("session {}: {} spool segments in {} cannot be read; left there, and tried "
                    "again at the next start",
                    rp, report.unreadable_segments, dir);
    }
    for (const std::string& name : report.foreign_files) {
      spdlog::warn("session {}: {}/{} is not a spool segment; left alone", rp, dir, name);
    }
    uint64_t seed = (static_cast<uint64_t>(entropy()) << 32) | entropy();
    sessions_.push_back(std::make_unique<SessionQueue>(loop_, &clock_, options, &config_.influxdb,
                                                       retry, seed, std::move(spool)));
  }
  is_staged_.assign(sessions_.size(), false);
  return Status::Ok();
}

Status Engine::Start() {
  state_ = State::kRunning;
  if (Status status = OpenSessions(); !status.ok()) {
    Close();
    return status;
  }
  for (const auto& listener : listeners_) {
    Status status = listener->Start();
    if (!status.ok()) {
      Close();
      return status;
    }
    spdlog::info("listening: {}", listener->name());
  }
  for (PointOutput* output : outputs_) output->Start();
  if (last_values_) last_values_->Start();
  uv_signal_start(&sigterm_.handle, OnSignal, SIGTERM);
  uv_signal_start(&sigint_.handle, OnSignal, SIGINT);
  uv_signal_start(&sighup_.handle, OnSighup, SIGHUP);
  for (const auto& session : sessions_) {
    SessionQueue* queue = session.get();
    session->set_on_drained([this] { CheckDrained(); });
    session->set_on_dead_letters(
        [this, queue](const Batch& batch, const WriteVerdict& verdict, DeadLetterCause cause) {
          KeepDeadLetters(*queue, batch, verdict, cause);
        });
    session->Start();
  }
  if (config_.spool.fsync == FsyncPolicy::kInterval) {
    const uint64_t interval = Milliseconds(config_.spool.fsync_interval);
    uv_timer_start(&fsync_timer_.handle, OnFsyncTimer, interval, interval);
  }
  spdlog::info("inflowd ready: {} listeners, {} sessions, writing to {} database {}",
               listeners_.size(), sessions_.size(), config_.influxdb.url.Redacted(),
               config_.influxdb.database);
  return Status::Ok();
}

// The lines InfluxDB refused, each with its reason, or a whole batch given
// up, into the day's dead-letter file. The folder is made at the first
// dead letter, so that a spool directory nobody can write fails loudly
// then, not at start.
void Engine::KeepDeadLetters(const SessionQueue& session, const Batch& batch,
                             const WriteVerdict& verdict, DeadLetterCause cause) {
  Status status;
  if (!dead_letters_open_) {
    status = dead_letters_.Open(config_.spool.directory, &file_system_);
    dead_letters_open_ = status.ok();
  }
  RejectedLines rejected;
  std::string reason;
  if (cause == DeadLetterCause::kRejected) {
    rejected = FindRejectedLines(batch.body, verdict.error);
  } else {
    reason = std::string(DeadLetterCauseName(cause)) + ": " + verdict.error;
  }
  if (status.ok()) {
    status = cause == DeadLetterCause::kRejected
                 ? dead_letters_.Write(clock_.WallNanos(), session.retention_policy(), rejected)
                 : dead_letters_.WriteBatch(clock_.WallNanos(), session.retention_policy(), reason,
                                            batch.body);
  }
  uint64_t suppressed = 0;
  if (!status.ok()) {
    spdlog::error(
        "session {}: a batch of {} points InfluxDB would not take ({}: {}) could not be kept "
        "as dead letters, and is lost: {}",
        session.retention_policy(), batch.points, DeadLetterCauseName(cause), verdict.error,
        status.message());
  } else if (cause != DeadLetterCause::kRejected) {
    spdlog::error("session {}: a batch of {} points is kept as dead letters in {}: {}",
                  session.retention_policy(), batch.points, dead_letters_.current_path(),
                  Printable(reason));
  } else if (dead_letter_log_.Allow(Now(), &suppressed)) {
    spdlog::warn("session {}: {}: {}{}", session.retention_policy(),
                 DescribeRejectedLines(rejected, dead_letters_.current_path()),
                 Printable(verdict.error), Suppressed(suppressed));
  }
}

MonoTime Engine::Now() const { return clock_.Now(); }

void Engine::Accept(const AcceptedPoint& point) {
  // While points are held for a full spool only datagrams are read, and
  // theirs cannot wait.
  if (!held_.empty()) {
    ++dropped_in_read_;
    return;
  }
  const size_t session = point.session();
  sessions_[session]->Stage(point.line());
  for (PointOutput* output : outputs_) output->Stage(point);
  if (!is_staged_[session]) {
    is_staged_[session] = true;
    staged_.push_back(session);
  }
}

// Resuming a listener synchronously lets it hand the engine the input it
// kept (an HTTP client's next pipelined request) from inside the engine's
// own loop over its sessions; listeners are resumed from a callback of their
// own (ResumeListeners) instead, and this check keeps it so.
Admission Engine::Admit(bool can_wait) {
  if (in_admission_) {
    std::fputs("inflowd: internal error: Engine::Admit re-entered from inside the engine\n",
               stderr);
    std::abort();
  }
  ScopedFlag admitting(&in_admission_);
  if (!held_.empty()) {
    if (dropped_in_read_ == 0) return Admission::kAccepted;
    const uint64_t dropped = std::exchange(dropped_in_read_, 0);
    points_dropped_full_ += dropped;
    uint64_t suppressed = 0;
    if (full_log_.Allow(Now(), &suppressed)) {
      spdlog::warn("spool full: {} points of datagrams dropped ({} points dropped so far)",
                   dropped, points_dropped_full_);
    }
    return Admission::kDropped;
  }
  Admission admission = Admission::kAccepted;
  bool appended = false;
  Status full;
  for (size_t index : staged_) {
    is_staged_[index] = false;
    Status status = AppendWithRoom(index);
    if (status.ok()) {
      appended = true;
    } else if (config_.spool.when_full == WhenFull::kBlock && can_wait) {
      held_.push_back(index);
      full = status;
    } else {
      DropStaged(index, status);
      admission = Admission::kDropped;
    }
  }
  staged_.clear();
  if (!held_.empty()) {
    Hold(full);
    return Admission::kHeld;
  }
  if (appended && config_.spool.fsync == FsyncPolicy::kAlways) {
    if (Status status = SyncSpools(); !status.ok()) {
      LogSpoolFailure(status);
      if (admission == Admission::kAccepted) admission = Admission::kNotSynced;
    }
  }
  return admission;
}

uint64_t Engine::SpoolBytes() const {
  uint64_t bytes = 0;
  for (const auto& session : sessions_) bytes += session->spool_bytes();
  return bytes;
}

// On success the outputs are told the session's points are admitted.
Status Engine::AppendWithRoom(size_t index) {
  SessionQueue* session = sessions_[index].get();
  const uint64_t max_bytes = config_.spool.max_bytes;
  const uint64_t need = session->staged_bytes();
  if (need > max_bytes) {
    return Status::Error("a read of " + std::to_string(need) +
                         " bytes is larger than spool.max_bytes");
  }
  for (;;) {
    Status status;
    if (SpoolBytes() + need > max_bytes) {
      status = Status::Error("spool.max_bytes (" + std::to_string(max_bytes) + ") reached");
    } else {
      status = session->AppendStaged();
      if (status.ok()) {
        for (PointOutput* output : outputs_) output->Admitted(index);
        return status;
      }
      if (!IsNoSpace(status)) return status;
    }
    // Make room: first what InfluxDB has taken, then, if allowed, the
    // oldest points.
    uint64_t freed = 0;
    for (const auto& each : sessions_) freed += each->ReclaimDelivered();
    if (freed > 0) continue;
    if (config_.spool.when_full == WhenFull::kDropOldest && DropOldestSegment()) continue;
    return status;
  }
}

// For when_full: drop_oldest: the oldest segment of the largest spool.
bool Engine::DropOldestSegment() {
  SessionQueue* largest = nullptr;
  for (const auto& session : sessions_) {
    if (largest == nullptr || session->spool_bytes() > largest->spool_bytes()) {
      largest = session.get();
    }
  }
  if (largest == nullptr || largest->spool_bytes() == 0) return false;
  uint64_t bytes = 0;
  uint64_t records = 0;
  if (Status status = largest->DropOldest(&bytes, &records); !status.ok()) {
    LogSpoolFailure(status);
    return false;
  }
  records_dropped_oldest_ += records;
  uint64_t suppressed = 0;
  if (full_log_.Allow(Now(), &suppressed)) {
    spdlog::warn("spool full: deleted the oldest segment of session {} ({} records, {} bytes; "
                 "{} records so far) (when_full: drop_oldest){}",
                 largest->retention_policy(), records, bytes, records_dropped_oldest_,
                 Suppressed(suppressed));
  }
  return bytes > 0;
}

void Engine::DropStaged(size_t index, const Status& why) {
  SessionQueue* session = sessions_[index].get();
  const size_t points = session->staged_points();
  session->DiscardStaged();
  for (PointOutput* output : outputs_) output->Discarded(index);
  points_dropped_full_ += points;
  uint64_t suppressed = 0;
  if (full_log_.Allow(Now(), &suppressed)) {
    spdlog::warn("spool full ({}): {} points for session {} dropped ({} so far){}",
                 why.message(), points, session->retention_policy(), points_dropped_full_,
                 Suppressed(suppressed));
  }
}

// when_full: block. The readers that can wait stop until the held points
// fit; RetryHeld tries again on a timer, since room comes from InfluxDB
// taking points, or from someone freeing the disk.
void Engine::Hold(const Status& why) {
  held_since_ = Now();
  spdlog::warn("spool full ({}): pausing stream and HTTP clients until there is room; datagrams "
               "are dropped meanwhile (when_full: block)",
               why.message());
  for (const auto& listener : listeners_) listener->Pause();
  uv_timer_start(&held_timer_.handle, OnHeldTimer, kHeldRetryIntervalMs, kHeldRetryIntervalMs);
}

void Engine::OnHeldTimer(uv_timer_t* timer) { static_cast<Engine*>(timer->data)->RetryHeld(); }

void Engine::RetryHeld() {
  ScopedFlag admitting(&in_admission_);
  while (!held_.empty()) {
    if (!AppendWithRoom(held_.front()).ok()) return;
    held_.erase(held_.begin());
  }
  uv_timer_stop(&held_timer_.handle);
  if (config_.spool.fsync == FsyncPolicy::kAlways) {
    if (Status status = SyncSpools(); !status.ok()) LogSpoolFailure(status);
  }
  const auto waited = Now() - held_since_;
  spdlog::info("the spool has room again after {} ms: resuming stream and HTTP clients",
               std::chrono::duration_cast<std::chrono::milliseconds>(waited).count());
  if (state_ != State::kRunning) return;
  uv_timer_start(&resume_timer_.handle, OnResumeTimer, 0, 0);
}

void Engine::OnResumeTimer(uv_timer_t* timer) {
  static_cast<Engine*>(timer->data)->ResumeListeners();
}

// From the loop, after the held points fit. A listener resumed here may
// hand the engine input it kept, which may fill the spool again: Hold then
// pauses every listener, and those not yet resumed stay paused.
void Engine::ResumeListeners() {
  if (state_ != State::kRunning) return;
  for (const auto& listener : listeners_) {
    if (!held_.empty()) return;
    listener->Resume();
  }
}

Status Engine::SyncSpools() {
  Status first;
  for (const auto& session : sessions_) {
    Status status = session->SyncSpool();
    if (!status.ok() && first.ok()) first = status;
  }
  return first;
}

void Engine::OnFsyncTimer(uv_timer_t* timer) {
  auto* self = static_cast<Engine*>(timer->data);
  if (Status status = self->SyncSpools(); !status.ok()) self->LogSpoolFailure(status);
}

void Engine::LogSpoolFailure(const Status& status) {
  uint64_t suppressed = 0;
  if (full_log_.Allow(Now(), &suppressed)) {
    spdlog::error("spool: {}{}", status.message(), Suppressed(suppressed));
  }
}

void Engine::Refuse(const Refusal& refusal) {
  uint64_t suppressed = 0;
  MonoTime now = Now();
  if (refusal.kind == Refusal::Kind::kBadLine) {
    ++refused_lines_;
    if (bad_line_log_.Allow(now, &suppressed)) {
      spdlog::warn("{}: bad line refused: {} (byte {}): {}{}", refusal.listener, refusal.reason,
                   refusal.offset + 1, Printable(refusal.line), Suppressed(suppressed));
    }
  } else {
    ++unrouted_points_;
    if (unrouted_log_.Allow(now, &suppressed)) {
      spdlog::warn("{}: point refused: no session for retention policy \"{}\": {}{}",
                   refusal.listener, Printable(refusal.reason), Printable(refusal.line),
                   Suppressed(suppressed));
    }
  }
}

void Engine::OnSignal(uv_signal_t* handle, int signum) {
  auto* self = static_cast<Engine*>(handle->data);
  if (self->state_ == State::kDraining) {
    spdlog::warn("signal {} again: stopping without waiting for InfluxDB", signum);
    self->Close();
    return;
  }
  spdlog::info("signal {}: stopping", signum);
  self->Shutdown();
}

// Without a handler, SIGHUP's default action would end inflowd at once,
// without the drain: a `systemctl reload` must not do that.
void Engine::OnSighup(uv_signal_t*, int) {
  spdlog::warn("SIGHUP: reloading the configuration is not built yet; inflowd goes on with the "
               "one it started with (a restart takes a changed file)");
}

void Engine::Shutdown() {
  if (state_ != State::kRunning) return;
  state_ = State::kDraining;
  for (const auto& listener : listeners_) listener->Close();
  if (!held_.empty()) RetryHeld();
  if (!held_.empty()) {
    // No client was told these points were taken: HTTP clients get no
    // answer, and the connections close.
    for (size_t index : held_) DropStaged(index, Status::Error("stopping with a full spool"));
    held_.clear();
    uv_timer_stop(&held_timer_.handle);
  }
  uint64_t points = 0;
  for (const auto& session : sessions_) {
    session->Commit();
    points += session->undelivered_points();
  }
  spdlog::info("committed every session; waiting up to {} ms for InfluxDB to take {} points",
               Milliseconds(config_.shutdown_timeout), points);
  uv_timer_start(&shutdown_timer_.handle, OnShutdownTimer, Milliseconds(config_.shutdown_timeout), 0);
  CheckDrained();
}

void Engine::OnShutdownTimer(uv_timer_t* timer) {
  auto* self = static_cast<Engine*>(timer->data);
  spdlog::error("shutdown_timeout ran out");
  self->Close();
}

void Engine::CheckDrained() {
  if (state_ != State::kDraining) return;
  for (const auto& session : sessions_) {
    if (!session->drained()) return;
  }
  Close();
}

void Engine::Close() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  for (const auto& listener : listeners_) listener->Close();
  if (Status status = SyncSpools(); !status.ok()) LogSpoolFailure(status);
  for (const auto& session : sessions_) {
    const SessionStats stats = session->stats();
    spdlog::info(
        "session {}: {} points accepted, {} delivered in {} writes, {} in writes InfluxDB "
        "refused in part (the lines it refused kept as dead letters), {} in whole batches kept "
        "as dead letters, {} failed writes",
        session->retention_policy(), stats.points_accepted, stats.points_delivered,
        stats.batches_delivered, stats.points_rejected, stats.points_dead_lettered,
        stats.write_failures);
    if (session->undelivered_points() > 0 || session->lagging()) {
      spdlog::warn("session {}: {} points{} not yet delivered stay in the spool ({} bytes) for "
                   "the next start",
                   session->retention_policy(), session->undelivered_points(),
                   session->lagging() ? " and more on disk" : "", session->spool_bytes());
    }
    session->Close();
  }
  // Every output is stopped, started or not: each holds handles from its
  // construction, which must be closed for the loop's run to end.
  for (PointOutput* output : outputs_) output->Stop();
  // After the listeners: the lookups it ends find their clients closing.
  if (last_values_) last_values_->Close();
  if (points_dropped_full_ + records_dropped_oldest_ > 0) {
    spdlog::warn("the spool was full: {} points dropped, {} records of oldest segments deleted",
                 points_dropped_full_, records_dropped_oldest_);
  }
  if (refused_lines_ + unrouted_points_ > 0) {
    spdlog::info("{} bad lines and {} points without a session were refused", refused_lines_,
                 unrouted_points_);
  }
  handles_.Close(&sigterm_);
  handles_.Close(&sigint_);
  handles_.Close(&sighup_);
  handles_.Close(&shutdown_timer_);
  handles_.Close(&fsync_timer_);
  handles_.Close(&held_timer_);
  handles_.Close(&resume_timer_);
  spdlog::info("inflowd stopped");
}

}  // namespace inflow::daemon
