#include "client/influx_transport.h"

#include <uv.h>

#include <algorithm>
#include <optional>
#include <utility>

#include "inflow/batch_lines.h"
#include "inflow/batch_writer.h"
#include "inflow/clock.h"
#include "inflow/handle_set.h"
#include "inflow/rejection.h"

namespace inflow {
namespace {

// The error a verdict that kept a write from succeeding stands for.
WriteError ErrorOf(const WriteVerdict& verdict) {
  switch (verdict.outcome) {
    case WriteOutcome::kUnauthorized:
      return verdict.http_status == 403 ? WriteError::kForbidden : WriteError::kUnauthorized;
    case WriteOutcome::kDatabaseNotFound:
      return WriteError::kDatabaseNotFound;
    default:
      return WriteError::kFailed;
  }
}

// "InfluxDB answered 401: <error>", or "no answer from InfluxDB: <why>".
std::string Describe(const WriteVerdict& verdict) {
  std::string text;
  if (verdict.answered) {
    text = "InfluxDB answered ";
    text += std::to_string(verdict.http_status);
  } else {
    text = "no answer from InfluxDB";
  }
  if (!verdict.error.empty()) {
    text += ": ";
    text += verdict.error;
  }
  return text;
}

std::string_view WithoutNewline(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  return line;
}

// Every line of `body`, refused for `reason`.
void RefuseAll(std::string_view body, const std::string& reason, WriteResult* result) {
  for (std::string_view line : SplitPoints(body)) {
    result->refused_lines.push_back({std::string(WithoutNewline(line)), reason});
    ++result->refused_points;
  }
}

}  // namespace

class InfluxTransport::Channel {
 public:
  Channel(const InfluxEndpoint* endpoint, std::string retention_policy,
          const DeliveryOptions& options)
      : retention_policy_(std::move(retention_policy)) {
    uv_loop_init(&loop_);
    writer_.emplace(&loop_, &clock_, endpoint, retention_policy_, options);
    writer_->set_on_acknowledged([this](uint64_t points) { acknowledged_ += points; });
    writer_->set_on_dead_letter([this](const DeliveryAction& action) { OnDeadLetter(action); });
    writer_->set_on_event([this](const DeliveryAction& action) { OnEvent(action); });
    uv_timer_init(&loop_, &deadline_timer_.handle);
    deadline_timer_.handle.data = this;
    handles_.Adopt(&deadline_timer_);
  }

  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  ~Channel() {
    writer_->Close();
    handles_.Close(&deadline_timer_);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
  }

  const std::string& retention_policy() const { return retention_policy_; }

  // As Transport::Write. Returns whether the channel may be used again
  // (every batch was done with).
  bool Write(std::deque<Batch>* batches, Deadline deadline, WriteResult* result) {
    result_ = result;
    acknowledged_ = 0;
    stopped_ = false;
    stop_verdict_.reset();
    uv_update_time(&loop_);
    const auto left = std::max(deadline - std::chrono::steady_clock::now(),
                               std::chrono::steady_clock::duration::zero());
    loop_deadline_ = clock_.Now() + left;
    uv_timer_start(&deadline_timer_.handle, OnDeadline,
                   static_cast<uint64_t>(
                       std::chrono::ceil<std::chrono::milliseconds>(left).count()),
                   0);
    uint64_t pushed = 0;
    for (const Batch& batch : *batches) {
      writer_->Push(batch);  // a copy: what is not written goes back to the caller
      pushed += batch.points;
    }
    while (!stopped_ && !writer_->drained()) uv_run(&loop_, UV_RUN_ONCE);
    uv_timer_stop(&deadline_timer_.handle);
    const bool drained = !stopped_;
    const uint64_t done = drained ? pushed : stopped_acknowledged_;
    // The points done with (delivered or refused) lead, in push order.
    uint64_t left_to_drop = done;
    while (left_to_drop > 0 && !batches->empty()) {
      Batch& front = batches->front();
      if (front.points <= left_to_drop) {
        left_to_drop -= front.points;
        batches->pop_front();
      } else {
        front.body.erase(0, PrefixOfPoints(front.body, left_to_drop));
        front.points -= left_to_drop;
        left_to_drop = 0;
      }
    }
    result->written_points += done - refused_now_;
    refused_now_ = 0;
    if (!drained) {
      result->error = stop_verdict_ ? ErrorOf(*stop_verdict_) : WriteError::kFailed;
      result->message = stop_reason_;
    }
    result_ = nullptr;
    return drained;
  }

 private:
  void Stop(std::string reason) {
    if (stopped_) return;
    stopped_ = true;
    stopped_acknowledged_ = acknowledged_;
    stop_reason_ = std::move(reason);
    writer_->Close();
  }

  void OnDeadLetter(const DeliveryAction& action) {
    const uint64_t before = result_->refused_points;
    switch (action.cause) {
      case DeadLetterCause::kRejected: {
        RejectedLines rejected = FindRejectedLines(action.batch.body, action.verdict.error);
        if (!rejected.understood) {
          RefuseAll(action.batch.body, "refused by InfluxDB: " + action.verdict.error, result_);
          break;
        }
        for (const RejectedLine& line : rejected.lines) {
          result_->refused_lines.push_back({std::string(WithoutNewline(line.line)), line.reason});
        }
        result_->refused_points += rejected.lines.size() + rejected.unidentified_dropped;
        if (rejected.unidentified_dropped > 0) {
          // InfluxDB dropped points it does not name: which of these
          // lines were stored cannot be told.
          std::string reason = "one of " + std::to_string(rejected.unidentified_candidates.size()) +
                               " lines among which InfluxDB dropped " +
                               std::to_string(rejected.unidentified_dropped) +
                               " points without naming them: " + rejected.unidentified_reason;
          for (std::string_view line : rejected.unidentified_candidates) {
            result_->refused_lines.push_back({std::string(WithoutNewline(line)), reason});
          }
        }
        break;
      }
      case DeadLetterCause::kTooLarge:
        RefuseAll(action.batch.body, "too large for InfluxDB: " + Describe(action.verdict),
                  result_);
        break;
      case DeadLetterCause::kDatabaseNotFound:
        stop_verdict_ = action.verdict;
        Stop(Describe(action.verdict));
        return;
      case DeadLetterCause::kQuarantined:
      case DeadLetterCause::kGaveUp:
        RefuseAll(action.batch.body,
                  std::string(DeadLetterCauseName(action.cause)) + " after " +
                      std::to_string(action.attempts) +
                      " failed attempts while later writes were stored: " +
                      Describe(action.verdict),
                  result_);
        break;
    }
    refused_now_ += result_->refused_points - before;
  }

  void OnEvent(const DeliveryAction& action) {
    if (action.kind != DeliveryActionKind::kRetryLater) return;
    stop_verdict_ = action.verdict;
    if (action.until > loop_deadline_) {
      // The next attempt would start after the deadline: give up now, on
      // the answer that failed.
      Stop(Describe(action.verdict) + " (" + std::to_string(action.attempts) +
           (action.attempts == 1 ? " attempt" : " attempts") +
           "; the next one would start after the client's timeout)");
    }
  }

  static void OnDeadline(uv_timer_t* timer) {
    auto* self = static_cast<Channel*>(timer->data);
    std::string reason = "timed out";
    if (self->stop_verdict_) reason += " after " + Describe(*self->stop_verdict_);
    self->Stop(std::move(reason));
  }

  uv_loop_t loop_;
  LoopClock clock_{&loop_};
  const std::string retention_policy_;
  HandleSet handles_{"InfluxTransport::Channel"};
  TrackedHandle<uv_timer_t> deadline_timer_;
  std::optional<BatchWriter> writer_;
  // The write in progress.
  WriteResult* result_ = nullptr;
  MonoTime loop_deadline_{};
  uint64_t acknowledged_ = 0;
  uint64_t refused_now_ = 0;
  bool stopped_ = false;
  uint64_t stopped_acknowledged_ = 0;
  std::string stop_reason_;
  std::optional<WriteVerdict> stop_verdict_;  // the last failure heard
};

InfluxTransport::InfluxTransport(InfluxEndpoint endpoint, const ClientOptions& options)
    : endpoint_(std::move(endpoint)) {
  delivery_options_.create_database = options.create_database;
  // A write is bounded by the client's timeout, not by a count of attempts
  // or a time of its own.
  delivery_options_.retry_max_elapsed = std::chrono::nanoseconds(0);
}

InfluxTransport::~InfluxTransport() = default;

std::unique_ptr<InfluxTransport::Channel> InfluxTransport::Take(
    const std::string& retention_policy) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = idle_.find(retention_policy);
    if (it != idle_.end()) {
      std::unique_ptr<Channel> channel = std::move(it->second);
      idle_.erase(it);
      return channel;
    }
  }
  return std::make_unique<Channel>(&endpoint_, retention_policy, delivery_options_);
}

void InfluxTransport::GiveBack(std::unique_ptr<Channel> channel) {
  std::unique_ptr<Channel> closing;  // closed outside the lock
  std::lock_guard<std::mutex> lock(mutex_);
  if (idle_.size() >= kMaxIdleChannels) {
    closing = std::move(channel);
  } else {
    const std::string& key = channel->retention_policy();
    idle_.emplace(key, std::move(channel));
  }
}

void InfluxTransport::Write(const std::string& retention_policy, std::deque<Batch>* batches,
                            Deadline deadline, WriteResult* result) {
  if (batches->empty()) return;
  std::unique_ptr<Channel> channel = Take(retention_policy);
  if (channel->Write(batches, deadline, result)) GiveBack(std::move(channel));
}

}  // namespace inflow
