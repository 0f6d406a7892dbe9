// PrivateLoop: a uv_loop_t of one test's own, bounded in time.
//
// A loop test runs the component under test and its peers (a scripted
// server) on a PrivateLoop: RunUntil() runs the loop until a condition on
// the test's state holds, or until the watchdog (kWatchdog, 5 s) fails the
// test and stops the loop, so a test that waits for what never comes fails
// in seconds instead of hanging. The test ends, as libuv's own tests do, by
// closing every handle and asserting that Close() (uv_loop_close) returns 0:
// a handle left open or active is a leak, and fails the test with its type.
//
// Ownership: the loop and its own handles (the watchdog, the condition's
// prepare and check handles, the timers of After()). The destructor closes
// the loop if Close() was not called (a test that returned early on a failed
// ASSERT), closing whatever handles are left. Thread: the test's.

#ifndef INFLOW_TESTS_LOOP_PRIVATE_LOOP_H_
#define INFLOW_TESTS_LOOP_PRIVATE_LOOP_H_

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

namespace inflow::test {

class PrivateLoop {
 public:
  static constexpr std::chrono::milliseconds kWatchdog{5000};

  PrivateLoop();
  ~PrivateLoop();

  PrivateLoop(const PrivateLoop&) = delete;
  PrivateLoop& operator=(const PrivateLoop&) = delete;

  uv_loop_t* get() { return &loop_; }

  // The loop's time (uv_now), in milliseconds.
  uint64_t now() { return uv_now(&loop_); }

  // Runs the loop until `done` returns true, checked before and after each
  // wait for I/O (so after every callback a loop turn can run). Returns
  // true if `done` held; false, with a test failure naming `what`, if the
  // watchdog fired first.
  bool RunUntil(const std::function<bool()>& done, const std::string& what,
                std::chrono::milliseconds limit = kWatchdog);

  // Calls `action` once, from the loop, `delay` from now (loop time). The
  // timer is the loop's own: Close() closes it if it has not fired.
  void After(std::chrono::milliseconds delay, std::function<void()> action);

  // Ends the test's use of the loop. REQUIRES: the components' own Close()
  // was called. Runs the loop until their close callbacks have run,
  // bounded by the watchdog (which does not itself keep the loop running);
  // then closes the loop's own handles and returns uv_loop_close's result.
  // A handle the components left open or active is reported as a test
  // failure by type, then closed so that the process can go on; the
  // result is then UV_EBUSY. Later calls return the first call's result.
  int Close();

 private:
  struct Delayed;

  static void OnWatchdog(uv_timer_t* timer);
  static void OnTurn(uv_handle_t* handle);
  static void OnDelayed(uv_timer_t* timer);
  std::string OpenHandles();
  void CloseOwnHandles();
  void CloseEveryHandle();

  uv_loop_t loop_;
  uv_timer_t watchdog_;
  uv_prepare_t before_poll_;
  uv_check_t after_poll_;
  std::set<Delayed*> delayed_;  // timers of After() that have not fired
  const std::function<bool()>* done_ = nullptr;
  bool timed_out_ = false;
  bool closed_ = false;
  int close_result_ = 0;
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_LOOP_PRIVATE_LOOP_H_
