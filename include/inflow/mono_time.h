// MonoTime: the monotonic time that the pure core takes as an argument
// (sessions' commit timers, rate limits), never reading a clock itself.

#ifndef INFLOW_MONO_TIME_H_
#define INFLOW_MONO_TIME_H_

#include <chrono>

namespace inflow {

using MonoTime = std::chrono::steady_clock::time_point;

}  // namespace inflow

#endif  // INFLOW_MONO_TIME_H_
