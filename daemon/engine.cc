#include "engine.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "listeners/datagram_listener.h"
#include "listeners/http_listener.h"
#include "listeners/stream_listener.h"
#include "rejection.h"

namespace inflow::daemon {

namespace {

std::vector<std::string> RetentionPolicies(const Config& config) {
  std::vector<std::string> names;
  for (const SessionOptions& session : config.sessions) names.push_back(session.retention_policy);
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

uint64_t Milliseconds(std::chrono::nanoseconds duration) {
  return static_cast<uint64_t>(std::chrono::ceil<std::chrono::milliseconds>(duration).count());
}

}  // namespace

Engine::Engine(uv_loop_t* loop, const Config& config)
    : loop_(loop),
      config_(config),
      router_(RetentionPolicies(config_), config_.retention_policy_tag),
      dead_letter_log_(10, std::chrono::seconds(1)),
      bad_line_log_(10, std::chrono::seconds(1)),
      unrouted_log_(10, std::chrono::seconds(1)) {
  RetryOptions retry;
  retry.initial_interval = config_.influxdb.retry_initial_interval;
  retry.max_interval = config_.influxdb.retry_max_interval;
  retry.unauthorized_interval = std::max(retry.unauthorized_interval, retry.initial_interval);
  std::random_device entropy;
  for (const SessionOptions& options : config_.sessions) {
    uint64_t seed = (static_cast<uint64_t>(entropy()) << 32) | entropy();
    sessions_.push_back(
        std::make_unique<SessionQueue>(loop_, options, &config_.influxdb, retry, seed));
  }
  for (const ListenerConfig& listener : config_.listeners) {
    listeners_.push_back(MakeListener(listener));
  }
  uv_signal_init(loop_, &sigterm_);
  uv_signal_init(loop_, &sigint_);
  uv_timer_init(loop_, &shutdown_timer_);
  sigterm_.data = this;
  sigint_.data = this;
  shutdown_timer_.data = this;
}

Engine::~Engine() = default;

std::unique_ptr<Listener> Engine::MakeListener(const ListenerConfig& config) {
  ListenerContext context;
  context.router = &router_;
  context.sink = this;
  context.parser_options.precision = config.precision;
  context.parser_options.allow_unsigned = config_.influxdb.unsigned_fields;
  context.name = ListenerName(config);
  context.retention_policy = config.retention_policy.empty()
                                 ? config_.sessions.front().retention_policy
                                 : config.retention_policy;
  context.database = config_.influxdb.database;
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

Status Engine::Start() {
  state_ = State::kRunning;
  for (const auto& listener : listeners_) {
    Status status = listener->Start();
    if (!status.ok()) {
      Close();
      return status;
    }
    spdlog::info("listening: {}", listener->name());
  }
  uv_signal_start(&sigterm_, OnSignal, SIGTERM);
  uv_signal_start(&sigint_, OnSignal, SIGINT);
  for (const auto& session : sessions_) {
    SessionQueue* queue = session.get();
    session->set_on_drained([this] { CheckDrained(); });
    session->set_on_rejected([this, queue](const Batch& batch, const WriteVerdict& verdict) {
      KeepDeadLetters(*queue, batch, verdict);
    });
  }
  spdlog::info("inflowd ready: {} listeners, {} sessions, writing to {} database {}",
               listeners_.size(), sessions_.size(), config_.influxdb.url.Redacted(),
               config_.influxdb.database);
  return Status::Ok();
}

// The lines InfluxDB refused, each with its reason, into the day's
// dead-letter file. The folder is made at the first refusal, so that a
// spool directory nobody can write fails loudly then, not at start.
void Engine::KeepDeadLetters(const SessionQueue& session, const Batch& batch,
                             const WriteVerdict& verdict) {
  RejectedLines rejected = FindRejectedLines(batch.body, verdict.error);
  Status status;
  if (!dead_letters_open_) {
    status = dead_letters_.Open(config_.spool.directory, &file_system_);
    dead_letters_open_ = status.ok();
  }
  if (status.ok()) {
    status = dead_letters_.Write(ReceivedNowNs(), session.retention_policy(), rejected);
  }
  uint64_t suppressed = 0;
  if (!status.ok()) {
    spdlog::error(
        "session {}: InfluxDB refused lines of a batch of {} points ({}), and they "
        "could not be kept as dead letters: {}",
        session.retention_policy(), batch.points, verdict.error, status.message());
  } else if (dead_letter_log_.Allow(MonoTime(std::chrono::milliseconds(uv_now(loop_))),
                                    &suppressed)) {
    spdlog::warn(
        "session {}: InfluxDB refused {} lines of a batch of {} points{}; kept in {}: {}{}",
        session.retention_policy(),
        rejected.understood ? rejected.lines.size() + rejected.unidentified_dropped : batch.points,
        batch.points, rejected.understood ? "" : " (the whole batch kept)",
        dead_letters_.current_path(), Printable(verdict.error), Suppressed(suppressed));
  }
}

void Engine::Accept(size_t session, std::string_view line) { sessions_[session]->Write(line); }

void Engine::Refuse(const Refusal& refusal) {
  uint64_t suppressed = 0;
  MonoTime now(std::chrono::milliseconds(uv_now(loop_)));
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

void Engine::Shutdown() {
  if (state_ != State::kRunning) return;
  state_ = State::kDraining;
  for (const auto& listener : listeners_) listener->Close();
  uint64_t points = 0;
  for (const auto& session : sessions_) {
    session->Commit();
    points += session->undelivered_points();
  }
  spdlog::info("committed every session; waiting up to {} ms for InfluxDB to take {} points",
               Milliseconds(config_.shutdown_timeout), points);
  uv_timer_start(&shutdown_timer_, OnShutdownTimer, Milliseconds(config_.shutdown_timeout), 0);
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
  uint64_t lost = 0;
  for (const auto& session : sessions_) {
    const SessionStats& stats = session->stats();
    spdlog::info(
        "session {}: {} points accepted, {} delivered in {} writes, {} in writes InfluxDB "
        "refused in part, {} failed writes",
        session->retention_policy(), stats.points_accepted, stats.points_delivered,
        stats.batches_delivered, stats.points_rejected, stats.write_failures);
    lost += session->undelivered_points();
    session->Close();
  }
  if (lost > 0) spdlog::error("{} points were not delivered to InfluxDB and are lost", lost);
  if (refused_lines_ + unrouted_points_ > 0) {
    spdlog::info("{} bad lines and {} points without a session were refused", refused_lines_,
                 unrouted_points_);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
  spdlog::info("inflowd stopped");
}

}  // namespace inflow::daemon
