// HandleSet: an owner's libuv handles, and the proof that all of them have
// closed before the owner goes.
//
// libuv may touch a handle's memory until its close callback has run, so an
// owner of handles must outlive every close callback it asked for. A
// HandleSet, a member of the owner, makes that checked: the owner keeps
// each handle in a TrackedHandle<H>, Adopt()s it once uv_*_init succeeded,
// and closes it with Close(), never uv_close. The set counts the handles it
// adopted whose close callback has not yet run; its destructor, run with
// the owner's, aborts the process with a message naming the owner when that
// count is not 0 (a handle never closed, or closed but its callback not yet
// run: memory libuv still holds would be freed). The check holds in every
// build, NDEBUG or not.
//
// Requests (uv_getaddrinfo_t, ...) hold their owner's memory the same way
// until their callback: RequestStarted() after a call that will call back,
// RequestDone() in that callback count them too.
//
// A handle's memory may be freed in the callback given to Close() (which
// runs after the set has stopped counting the handle, so it may free the
// owner, set included), and never before.
//
// Usage:
//   struct Client { inflow::TrackedHandle<uv_tcp_t> tcp; ... };
//   uv_tcp_init(loop, &client->tcp.handle);
//   client->tcp.handle.data = client;
//   handles_.Adopt(&client->tcp);
//   ...
//   handles_.Close(&client->tcp, [](uv_tcp_t* tcp) { delete static_cast<Client*>(tcp->data); });
//
// Thread: the loop's (the thread that runs the loop the handles are on).

#ifndef INFLOW_HANDLE_SET_H_
#define INFLOW_HANDLE_SET_H_

#include <uv.h>

#include <cstddef>
#include <type_traits>

namespace inflow {

class HandleSet;

// A libuv handle of type H (uv_timer_t, uv_tcp_t, ...) kept by a HandleSet.
// The handle is the first member, so that the close callback, which libuv
// gives the handle alone, finds the rest; `handle.data` stays the owner's.
template <typename H>
struct TrackedHandle {
  H handle;
  HandleSet* set = nullptr;             // set by Adopt
  void (*on_closed)(H*) = nullptr;      // set by Close
  uv_handle_t* base() { return reinterpret_cast<uv_handle_t*>(&handle); }
};

class HandleSet {
 public:
  // `owner` names the owner in the message the destructor prints, e.g.
  // "InfluxConnection". It must outlive the set (a string literal).
  explicit HandleSet(const char* owner) : owner_(owner) {}

  // Aborts, printing the owner's name and the count to stderr, unless every
  // adopted handle's close callback and every started request's callback
  // have run.
  ~HandleSet();

  HandleSet(const HandleSet&) = delete;
  HandleSet& operator=(const HandleSet&) = delete;

  // Counts `tracked` as open from now on. REQUIRES: its uv_*_init returned
  // 0; it was not adopted before (by any set) or its close callback ran.
  template <typename H>
  void Adopt(TrackedHandle<H>* tracked) {
    static_assert(std::is_standard_layout_v<TrackedHandle<H>>);
    tracked->set = this;
    tracked->on_closed = nullptr;
    ++open_;
  }

  // Closes `tracked` unless it is closing already (then does nothing, and
  // the first Close's callback stands). After libuv's close callback the
  // set stops counting it, then calls `on_closed` (if any) with the handle,
  // which may free the handle's memory. REQUIRES: adopted by this set.
  // (`on_closed` takes a lambda without captures: H is deduced from
  // `tracked` alone.)
  template <typename H>
  void Close(TrackedHandle<H>* tracked,
             std::type_identity_t<void (*)(H*)> on_closed = nullptr) {
    if (uv_is_closing(tracked->base())) return;
    tracked->on_closed = on_closed;
    uv_close(tracked->base(), &OnClosed<H>);
  }

  // A request whose callback is to come (uv_getaddrinfo returned 0), and
  // that callback, run.
  void RequestStarted() { ++requests_; }
  void RequestDone();

  // Handles adopted whose close callback has not run, and requests started
  // whose callback has not run.
  size_t open() const { return open_; }
  size_t requests() const { return requests_; }

 private:
  template <typename H>
  static void OnClosed(uv_handle_t* handle) {
    auto* tracked = reinterpret_cast<TrackedHandle<H>*>(handle);
    // Read before the callback, which may free the handle and the set.
    HandleSet* set = tracked->set;
    void (*on_closed)(H*) = tracked->on_closed;
    set->Closed();
    if (on_closed != nullptr) on_closed(&tracked->handle);
  }

  void Closed();

  const char* owner_;
  size_t open_ = 0;
  size_t requests_ = 0;
};

}  // namespace inflow

#endif  // INFLOW_HANDLE_SET_H_
