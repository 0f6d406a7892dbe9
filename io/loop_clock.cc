#include <time.h>

#include <chrono>

#include "inflow/clock.h"

namespace inflow {

MonoTime LoopClock::Now() const { return MonoTime(std::chrono::milliseconds(uv_now(loop_))); }

int64_t LoopClock::WallNanos() const {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
}

}  // namespace inflow
