// Backoff: how long to wait before retrying, after consecutive failures.
//
// Capped exponential backoff with full jitter: the delay before retry n
// (after the n-th consecutive failure) is uniform in
// [0, min(max_interval, initial_interval * 2^(n-1))], so that many clients
// failing together do not retry together. A server's Retry-After overrides
// the draw. Pure: it returns delays and never sleeps or reads a clock; its
// randomness comes from its own seeded generator, so tests are repeatable.
// Delivery owns one per session; not thread-safe.

#ifndef INFLOW_BACKOFF_H_
#define INFLOW_BACKOFF_H_

#include <chrono>
#include <cstdint>
#include <optional>

namespace inflow {

class Backoff {
 public:
  // REQUIRES: 0 < initial_interval <= max_interval. `seed` seeds the
  // generator; the same seed gives the same delays.
  Backoff(std::chrono::nanoseconds initial_interval, std::chrono::nanoseconds max_interval,
          uint64_t seed);

  // Counts one more failure and returns the delay before the next attempt.
  // With `retry_after` (the server said when), the delay is exactly that
  // (0 if negative), not capped by max_interval; it still counts as a
  // failure, so a later failure without one draws from a larger range.
  std::chrono::nanoseconds NextDelay(
      std::optional<std::chrono::nanoseconds> retry_after = std::nullopt);

  // After a success: the next failure draws from [0, initial_interval] again.
  void Reset() { failures_ = 0; }

  // Consecutive failures since construction or the last Reset.
  uint32_t failures() const { return failures_; }

  // The upper bound of the draw after the n-th consecutive failure,
  // n >= 1: min(max_interval, initial_interval * 2^(n-1)).
  std::chrono::nanoseconds Ceiling(uint32_t failures) const;

 private:
  uint64_t NextRandom();  // splitmix64

  std::chrono::nanoseconds initial_interval_;
  std::chrono::nanoseconds max_interval_;
  uint64_t state_;
  uint32_t failures_ = 0;
};

}  // namespace inflow

#endif  // INFLOW_BACKOFF_H_
