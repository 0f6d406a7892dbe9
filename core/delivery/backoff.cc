#include "inflow/backoff.h"

#include <algorithm>
#include <limits>

namespace inflow {

Backoff::Backoff(std::chrono::nanoseconds initial_interval, std::chrono::nanoseconds max_interval,
                 uint64_t seed)
    : initial_interval_(initial_interval), max_interval_(max_interval), state_(seed) {}

uint64_t Backoff::NextRandom() {
  // splitmix64 (Steele, Lea and Flood): small, fast, and every seed is good.
  uint64_t z = (state_ += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  return z ^ (z >> 31);
}

std::chrono::nanoseconds Backoff::Ceiling(uint32_t failures) const {
  uint32_t doublings = failures > 0 ? failures - 1 : 0;
  // initial * 2^doublings <= max exactly when initial <= max / 2^doublings;
  // asking it this way never overflows, however many the failures.
  if (doublings >= 63 || initial_interval_.count() > (max_interval_.count() >> doublings)) {
    return max_interval_;
  }
  return initial_interval_ * (int64_t{1} << doublings);
}

std::chrono::nanoseconds Backoff::NextDelay(std::optional<std::chrono::nanoseconds> retry_after) {
  if (failures_ < std::numeric_limits<uint32_t>::max()) ++failures_;
  if (retry_after.has_value()) return std::max(*retry_after, std::chrono::nanoseconds(0));
  // Uniform in [0, ceiling]: reject the few draws that would make the
  // modulo favour small values.
  uint64_t bound = static_cast<uint64_t>(Ceiling(failures_).count()) + 1;
  uint64_t threshold = (0 - bound) % bound;
  uint64_t r = NextRandom();
  while (r < threshold) r = NextRandom();
  return std::chrono::nanoseconds(static_cast<int64_t>(r % bound));
}

}  // namespace inflow
