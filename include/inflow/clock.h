// Clock: the one place time is read.
//
// The pure core never reads a clock: it takes `now` as an argument. The
// parts on the loop (sessions, listeners, the engine, dead letters) read
// time through a Clock they are given, so that a test can hand them one it
// sets itself. LoopClock (below) is the one inflowd and the library run on.

#ifndef INFLOW_CLOCK_H_
#define INFLOW_CLOCK_H_

#include <uv.h>

#include <cstdint>

#include "inflow/mono_time.h"

namespace inflow {

class Clock {
 public:
  virtual ~Clock() = default;

  // Monotonic time, for commit timers, retries and rate limits.
  virtual MonoTime Now() const = 0;

  // Wall-clock time, nanoseconds since the Unix epoch: the timestamp of a
  // point that came without one, and the time of a dead letter.
  virtual int64_t WallNanos() const = 0;
};

// The loop's clock: Now() is uv_now(), the loop's time cached at the start
// of each iteration (what its timers run on), in milliseconds; WallNanos()
// is CLOCK_REALTIME. Thread: the loop's.
class LoopClock final : public Clock {
 public:
  explicit LoopClock(uv_loop_t* loop) : loop_(loop) {}

  MonoTime Now() const override;
  int64_t WallNanos() const override;

 private:
  uv_loop_t* loop_;
};

// A clock a test sets by hand; it starts at the epoch of both scales.
class ManualClock final : public Clock {
 public:
  MonoTime Now() const override { return now_; }
  int64_t WallNanos() const override { return wall_ns_; }

  void Advance(std::chrono::nanoseconds by) {
    now_ += by;
    wall_ns_ += by.count();
  }
  void SetWallNanos(int64_t wall_ns) { wall_ns_ = wall_ns; }

 private:
  MonoTime now_{};
  int64_t wall_ns_ = 0;
};

}  // namespace inflow

#endif  // INFLOW_CLOCK_H_
