#include "inflow/batcher.h"

#include <utility>

namespace inflow {

Batcher::Batcher(BatchOptions options) : options_(std::move(options)) {}

void Batcher::Write(std::string_view line, MonoTime now) {
  if (pending_.points > 0 && pending_.body.size() + line.size() > options_.max_batch_bytes) {
    Close();
  }
  if (pending_.points == 0) first_pending_ = now;
  pending_.body.append(line);
  ++pending_.points;
  if (options_.autocommit_every > 0 && pending_.points >= options_.autocommit_every) Close();
}

void Batcher::Tick(MonoTime now) {
  std::optional<MonoTime> deadline = CommitDeadline();
  if (deadline && now >= *deadline) Close();
}

void Batcher::Commit() {
  if (pending_.points > 0) Close();
}

std::optional<MonoTime> Batcher::CommitDeadline() const {
  if (pending_.points == 0 || options_.commit_interval <= std::chrono::nanoseconds::zero()) {
    return std::nullopt;
  }
  return first_pending_ + options_.commit_interval;
}

Batch Batcher::TakeBatch() {
  Batch batch = std::move(closed_.front());
  closed_.pop_front();
  return batch;
}

void Batcher::Close() {
  closed_.push_back(std::move(pending_));
  pending_ = Batch{};
}

}  // namespace inflow
