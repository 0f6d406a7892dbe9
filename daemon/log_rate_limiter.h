// LogRateLimiter: so that a flood of bad input never floods the log.
//
// A token bucket: up to `burst` messages at once, then one per
// `refill_interval`. Refused messages are counted, and the next message
// allowed reports how many were left out, so no count is lost. Pure: the
// caller passes the time. One per kind of message.

#ifndef INFLOW_DAEMON_LOG_RATE_LIMITER_H_
#define INFLOW_DAEMON_LOG_RATE_LIMITER_H_

#include <chrono>
#include <cstddef>
#include <cstdint>

#include "inflow/mono_time.h"

namespace inflow::daemon {

class LogRateLimiter {
 public:
  // REQUIRES: burst >= 1, refill_interval > 0.
  LogRateLimiter(size_t burst, std::chrono::nanoseconds refill_interval);

  // Whether a message may be logged at `now`. When it may, *suppressed is
  // the number of messages refused since the last one allowed.
  bool Allow(MonoTime now, uint64_t* suppressed);

 private:
  size_t burst_;
  std::chrono::nanoseconds refill_interval_;
  size_t tokens_;
  MonoTime refilled_{};  // when tokens_ was last brought up to date
  bool started_ = false;
  uint64_t suppressed_ = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LOG_RATE_LIMITER_H_
