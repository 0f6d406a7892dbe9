#include "log_rate_limiter.h"

#include <algorithm>

namespace inflow::daemon {

LogRateLimiter::LogRateLimiter(size_t burst, std::chrono::nanoseconds refill_interval)
    : burst_(burst), refill_interval_(refill_interval), tokens_(burst) {}

bool LogRateLimiter::Allow(MonoTime now, uint64_t* suppressed) {
  if (!started_) {
    started_ = true;
    refilled_ = now;
  } else if (now > refilled_) {
    // Whole intervals only; the remainder counts towards the next token.
    auto intervals = static_cast<uint64_t>((now - refilled_) / refill_interval_);
    if (intervals > 0) {
      tokens_ = static_cast<size_t>(
          std::min<uint64_t>(burst_, tokens_ + std::min<uint64_t>(intervals, burst_)));
      refilled_ += refill_interval_ * static_cast<int64_t>(intervals);
    }
  }
  if (tokens_ == 0) {
    ++suppressed_;
    return false;
  }
  --tokens_;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

}  // namespace inflow::daemon
