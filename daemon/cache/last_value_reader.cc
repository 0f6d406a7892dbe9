#include "cache/last_value_reader.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "cache/connection_options.h"

namespace inflow::daemon {

// One lookup under way: while it is in runs_, some of its commands are in
// flight (awaited > 0), so every callback that names it finds it there.
struct LastValueReader::Run {
  Run(std::string prefix, LastValueQuery query, Done on_done)
      : lookup(std::move(prefix), std::move(query)), done(std::move(on_done)) {}
  // On a kept catalog: `query` is kept too, to look again with the catalog
  // read afresh if nothing is found (the series may be in a place new to
  // the cache).
  Run(std::string prefix, LastValueQuery query, const LastValueCatalog& catalog, Done on_done)
      : lookup(std::move(prefix), query, catalog),
        done(std::move(on_done)),
        again(std::move(query)) {}

  LastValueLookup lookup;
  Done done;
  std::vector<RedisValue> replies;  // of the round in flight, in order
  size_t awaited = 0;
  Status failure;  // the first command of the round that got no answer
  std::optional<LastValueQuery> again;
};

LastValueReader::LastValueReader(uv_loop_t* loop, const Config& config)
    : loop_(loop),
      clock_(loop),
      key_prefix_(config.redis.cache.key_prefix),
      connection_(loop, ConnectionOptions(config.redis),
                  [this](bool up, const Status& why) { OnState(up, why); }),
      down_why_(Status::Error("Redis " + config.redis.address.Name() + ": not connected yet")),
      state_log_(3, std::chrono::seconds(10)) {
  uv_timer_init(loop_, &later_timer_.handle);
  later_timer_.handle.data = this;
  handles_.Adopt(&later_timer_);
}

LastValueReader::~LastValueReader() {
  for (Run* run : runs_) delete run;
}

void LastValueReader::Start() { connection_.Start(); }

void LastValueReader::Lookup(LastValueQuery query, Done done) {
  if (closed_) {
    // Not reached from the engine, which closes the listeners first; the
    // caller is closing too, and nothing could call `done` from the loop.
    spdlog::error("internal error: a last-value lookup after the reader closed");
    return;
  }
  if (Status status = CheckLastValueQuery(query); !status.ok()) {
    Later(std::move(done), std::move(status));
    return;
  }
  if (runs_.size() >= kMaxLookups) {
    Later(std::move(done),
          Status::Error("too many lookups: " + std::to_string(kMaxLookups) +
                        " are running, the most at once; try again"));
    return;
  }
  if (!connection_.up()) {
    Later(std::move(done), NotConnected());
    return;
  }
  const bool catalog_fresh =
      catalog_read_at_ && uv_now(loop_) - *catalog_read_at_ < kCatalogLifetimeMs;
  auto* run = catalog_fresh ? new Run(key_prefix_, std::move(query), catalog_, std::move(done))
                            : new Run(key_prefix_, std::move(query), std::move(done));
  runs_.insert(run);
  SendRound(run);
}

// A lookup is done before its first round only on a kept catalog with no
// place for it; Finish then looks again, reading the catalog, so `done` is
// still never called from Lookup.
void LastValueReader::SendRound(Run* run) {
  if (run->lookup.done()) {
    Finish(run, Status::Ok());
    return;
  }
  if (!connection_.up()) {
    Finish(run, NotConnected());
    return;
  }
  std::vector<std::vector<std::string>> commands = run->lookup.Commands();
  if (commands.empty()) {  // not reached: a lookup not done has commands to send
    Finish(run, Status::Error("internal error: a last-value lookup with nothing to send"));
    return;
  }
  run->replies.assign(commands.size(), RedisValue{});
  run->awaited = commands.size();
  run->failure = Status::Ok();
  for (size_t i = 0; i < commands.size(); ++i) {
    connection_.Send(commands[i], [this, run, i](const Status& status, const RedisValue& reply) {
      OnReply(run, i, status, reply);
    });
  }
}

void LastValueReader::OnReply(Run* run, size_t index, const Status& status,
                              const RedisValue& reply) {
  if (!status.ok()) {
    if (run->failure.ok()) run->failure = status;
  } else {
    run->replies[index] = reply;
  }
  if (--run->awaited > 0) return;
  if (!run->failure.ok()) {
    Finish(run, run->failure);
    return;
  }
  if (Status s = run->lookup.OnReplies(run->replies); !s.ok()) {
    std::string message = "Redis ";
    message.append(connection_.name());
    message.append(": ");
    message.append(s.message());
    Finish(run, Status::Error(std::move(message)));
    return;
  }
  run->replies.clear();
  SendRound(run);
}

void LastValueReader::Finish(Run* run, Status status) {
  runs_.erase(run);
  std::unique_ptr<Run> owned(run);
  std::vector<LastValueRecord> records;
  if (status.ok()) {
    records = run->lookup.TakeRecords();
    if (records.empty() && run->again && !closed_) {
      // Nothing in the places the kept catalog knew: once more, reading it.
      auto* fresh = new Run(key_prefix_, std::move(*run->again), std::move(run->done));
      owned.reset();
      runs_.insert(fresh);
      SendRound(fresh);
      return;
    }
    if (run->lookup.catalog_read()) {
      catalog_ = *run->lookup.catalog_read();
      catalog_read_at_ = uv_now(loop_);
    }
  }
  Done done = std::move(run->done);
  owned.reset();
  done(std::move(status), std::move(records));
}

// The connection can be down before on_state said so (a timeout drops it
// first, and tells later).
Status LastValueReader::NotConnected() const {
  if (!down_why_.ok()) return down_why_;
  std::string message = "Redis ";
  message.append(connection_.name());
  message.append(": connection lost");
  return Status::Error(std::move(message));
}

void LastValueReader::Later(Done done, Status status) {
  later_.emplace_back(std::move(done), std::move(status));
  if (!uv_is_active(later_timer_.base())) {
    uv_timer_start(&later_timer_.handle, OnLaterTimer, 0, 0);
  }
}

// Only those waiting when the timer ran: a `done` that looks up again (the
// listener serving a client's next pipelined request) waits for the next.
void LastValueReader::OnLaterTimer(uv_timer_t* timer) {
  auto* self = static_cast<LastValueReader*>(timer->data);
  for (size_t n = self->later_.size(); n > 0 && !self->later_.empty(); --n) {
    auto [done, status] = std::move(self->later_.front());
    self->later_.pop_front();
    done(std::move(status), {});
  }
}

void LastValueReader::OnState(bool up, const Status& why) {
  if (up) {
    down_why_ = Status::Ok();
    spdlog::info("last-value reads (GET /last): connected to Redis {}", connection_.name());
    return;
  }
  down_why_ = why;
  uint64_t suppressed = 0;
  if (state_log_.Allow(clock_.Now(), &suppressed)) {
    spdlog::warn("last-value reads (GET /last): {}; connecting again, answering 503 meanwhile{}",
                 why.message(),
                 suppressed > 0 ? fmt::format(" ({} messages left out)", suppressed) : "");
  }
}

void LastValueReader::Close() {
  if (closed_) return;
  closed_ = true;
  // The commands in flight are done now, with an error: so are their runs.
  connection_.Close([] {});
  while (!runs_.empty()) {
    Finish(*runs_.begin(), Status::Error("inflowd is stopping"));
  }
  std::deque<std::pair<Done, Status>> later = std::move(later_);
  later_.clear();
  for (auto& [done, status] : later) done(std::move(status), {});
  handles_.Close(&later_timer_);
}

}  // namespace inflow::daemon
