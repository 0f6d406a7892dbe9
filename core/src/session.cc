#include "inflow/session.h"

#include <utility>

namespace inflow {

Session::Session(SessionOptions options) : options_(std::move(options)) {}

void Session::Write(std::string_view line, MonoTime now) {
  if (pending_.points > 0 && pending_.body.size() + line.size() > options_.max_batch_bytes) {
    Close();
  }
  if (pending_.points == 0) first_pending_ = now;
  pending_.body.append(line);
  ++pending_.points;
  if (options_.autocommit_every > 0 && pending_.points >= options_.autocommit_every) Close();
}

void Session::Tick(MonoTime now) {
  std::optional<MonoTime> deadline = CommitDeadline();
  if (deadline && now >= *deadline) Close();
}

void Session::Commit() {
  if (pending_.points > 0) Close();
}

std::optional<MonoTime> Session::CommitDeadline() const {
  if (pending_.points == 0 || options_.commit_interval <= std::chrono::nanoseconds::zero()) {
    return std::nullopt;
  }
  return first_pending_ + options_.commit_interval;
}

Batch Session::TakeBatch() {
  Batch batch = std::move(closed_.front());
  closed_.pop_front();
  return batch;
}

void Session::Close() {
  closed_.push_back(std::move(pending_));
  pending_ = Batch{};
}

}  // namespace inflow
