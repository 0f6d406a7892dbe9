#include "inflow/batch_writer.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace inflow {

BatchWriter::BatchWriter(uv_loop_t* loop, const Clock* clock, const InfluxEndpoint* endpoint,
                         std::string retention_policy, const DeliveryOptions& options)
    : clock_(clock),
      retention_policy_(std::move(retention_policy)),
      delivery_(options),
      connection_(loop, endpoint) {
  uv_timer_init(loop, &retry_timer_.handle);
  retry_timer_.handle.data = this;
  handles_.Adopt(&retry_timer_);
}

void BatchWriter::Push(Batch batch) {
  delivery_.Push(std::move(batch));
  // While the timer runs, Delivery would only say to wait for it again.
  if (!waiting_) Pump();
}

void BatchWriter::Pump() {
  if (pumping_ || closed_) return;
  pumping_ = true;
  while (!closed_) {
    const MonoTime now = clock_->Now();
    DeliveryAction action = delivery_.Next(now);
    switch (action.kind) {
      case DeliveryActionKind::kNone:
        pumping_ = false;
        if (std::exchange(heard_verdict_, false) && delivery_.drained() && on_drained_) {
          on_drained_();
        }
        return;
      case DeliveryActionKind::kWait: {
        // A libuv timer fires no earlier than its whole milliseconds after
        // the loop time it was started at, which is what the clock says.
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(action.until - now);
        waiting_ = true;
        uv_timer_start(&retry_timer_.handle, OnRetryTimer,
                       static_cast<uint64_t>(std::max<int64_t>(wait.count(), 0)), 0);
        pumping_ = false;
        heard_verdict_ = false;
        return;
      }
      case DeliveryActionKind::kWrite:
        connection_.Write(retention_policy_, action.body,
                          [this](const WriteVerdict& verdict) { OnVerdict(verdict); });
        break;
      case DeliveryActionKind::kCreateDatabase:
        if (on_event_) on_event_(action);
        if (closed_) break;
        connection_.CreateDatabase([this](const WriteVerdict& verdict) { OnVerdict(verdict); });
        break;
      case DeliveryActionKind::kAcknowledge:
        if (on_acknowledged_) on_acknowledged_(action.points);
        break;
      case DeliveryActionKind::kDeadLetter:
        if (on_dead_letter_) on_dead_letter_(action);
        break;
      case DeliveryActionKind::kRetryLater:
      case DeliveryActionKind::kSplit:
      case DeliveryActionKind::kSetAside:
      case DeliveryActionKind::kSuspectBack:
      case DeliveryActionKind::kSuspectAgain:
      case DeliveryActionKind::kDatabaseCreated:
        if (on_event_) on_event_(action);
        break;
    }
    // A request sent waits for its verdict, which the connection gives from
    // the loop, never from inside Write.
    if (delivery_.in_flight()) {
      pumping_ = false;
      heard_verdict_ = false;
      return;
    }
  }
  pumping_ = false;
}

void BatchWriter::OnVerdict(const WriteVerdict& verdict) {
  delivery_.OnVerdict(verdict, clock_->Now());
  heard_verdict_ = true;
  Pump();
}

void BatchWriter::OnRetryTimer(uv_timer_t* timer) {
  auto* self = static_cast<BatchWriter*>(timer->data);
  self->waiting_ = false;
  self->Pump();
}

void BatchWriter::Close() {
  if (closed_) return;
  closed_ = true;
  connection_.Close();
  handles_.Close(&retry_timer_);
}

}  // namespace inflow
