#include "private_loop.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>

namespace inflow::test {

struct PrivateLoop::Delayed {
  uv_timer_t timer;
  PrivateLoop* owner;
  std::function<void()> action;
};

namespace {

struct Walk {
  const std::set<const uv_handle_t*>* own;
  std::string* names;
};

}  // namespace

PrivateLoop::PrivateLoop() {
  // Nothing in a loop test can go on without its loop.
  if (uv_loop_init(&loop_) != 0) std::abort();
  uv_timer_init(&loop_, &watchdog_);
  watchdog_.data = this;
  uv_prepare_init(&loop_, &before_poll_);
  before_poll_.data = this;
  uv_check_init(&loop_, &after_poll_);
  after_poll_.data = this;
}

PrivateLoop::~PrivateLoop() {
  if (!closed_) Close();
}

bool PrivateLoop::RunUntil(const std::function<bool()>& done, const std::string& what,
                           std::chrono::milliseconds limit) {
  if (done()) return true;
  done_ = &done;
  timed_out_ = false;
  uv_timer_start(&watchdog_, OnWatchdog, static_cast<uint64_t>(limit.count()), 0);
  // Prepare runs after the timers and the deferred callbacks, check after
  // the I/O callbacks: between them they see every change a turn makes.
  uv_prepare_start(&before_poll_,
                   [](uv_prepare_t* h) { OnTurn(reinterpret_cast<uv_handle_t*>(h)); });
  uv_check_start(&after_poll_, [](uv_check_t* h) { OnTurn(reinterpret_cast<uv_handle_t*>(h)); });
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_prepare_stop(&before_poll_);
  uv_check_stop(&after_poll_);
  uv_timer_stop(&watchdog_);
  done_ = nullptr;
  if (done()) return true;
  ADD_FAILURE() << "timed out: " << what << " did not happen within " << limit.count() << " ms";
  return false;
}

void PrivateLoop::OnTurn(uv_handle_t* handle) {
  auto* self = static_cast<PrivateLoop*>(handle->data);
  if (self->done_ != nullptr && (*self->done_)()) uv_stop(&self->loop_);
}

void PrivateLoop::OnWatchdog(uv_timer_t* timer) {
  auto* self = static_cast<PrivateLoop*>(timer->data);
  self->timed_out_ = true;
  uv_stop(&self->loop_);
}

void PrivateLoop::After(std::chrono::milliseconds delay, std::function<void()> action) {
  auto* delayed = new Delayed{};
  delayed->owner = this;
  delayed->action = std::move(action);
  uv_timer_init(&loop_, &delayed->timer);
  delayed->timer.data = delayed;
  uv_timer_start(&delayed->timer, OnDelayed, static_cast<uint64_t>(delay.count()), 0);
  delayed_.insert(delayed);
}

void PrivateLoop::OnDelayed(uv_timer_t* timer) {
  auto* delayed = static_cast<Delayed*>(timer->data);
  delayed->owner->delayed_.erase(delayed);
  std::function<void()> action = std::move(delayed->action);
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* h) { delete static_cast<Delayed*>(h->data); });
  action();
}

int PrivateLoop::Close() {
  if (closed_) return close_result_;
  closed_ = true;
  for (Delayed* delayed : delayed_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&delayed->timer),
             [](uv_handle_t* h) { delete static_cast<Delayed*>(h->data); });
  }
  delayed_.clear();

  // Runs the components' close callbacks. The watchdog, unreferenced, does
  // not keep the loop running but ends a run that a leaked active handle
  // (a timer still started, a socket still reading) would keep going.
  timed_out_ = false;
  uv_timer_start(&watchdog_, OnWatchdog, static_cast<uint64_t>(kWatchdog.count()), 0);
  uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog_));
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_timer_stop(&watchdog_);

  std::string open = OpenHandles();
  if (!open.empty()) {
    ADD_FAILURE() << "handles left open when the test ended: " << open;
    CloseEveryHandle();
  }
  CloseOwnHandles();
  uv_run(&loop_, UV_RUN_DEFAULT);
  int result = uv_loop_close(&loop_);
  close_result_ = open.empty() ? result : UV_EBUSY;
  return close_result_;
}

// The handles that are not the loop's own and not closing, by type, with
// "(active)" for those that would keep the loop running.
std::string PrivateLoop::OpenHandles() {
  std::set<const uv_handle_t*> own = {reinterpret_cast<const uv_handle_t*>(&watchdog_),
                                      reinterpret_cast<const uv_handle_t*>(&before_poll_),
                                      reinterpret_cast<const uv_handle_t*>(&after_poll_)};
  std::string names;
  Walk walk{&own, &names};
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void* arg) {
        auto* w = static_cast<Walk*>(arg);
        if (w->own->contains(handle) || uv_is_closing(handle)) return;
        if (!w->names->empty()) w->names->append(", ");
        w->names->append(uv_handle_type_name(uv_handle_get_type(handle)));
        if (uv_is_active(handle)) w->names->append(" (active)");
      },
      &walk);
  return names;
}

void PrivateLoop::CloseOwnHandles() {
  for (uv_handle_t* handle :
       {reinterpret_cast<uv_handle_t*>(&watchdog_), reinterpret_cast<uv_handle_t*>(&before_poll_),
        reinterpret_cast<uv_handle_t*>(&after_poll_)}) {
    if (!uv_is_closing(handle)) uv_close(handle, nullptr);
  }
}

// After a leak has been reported: closes what is left without its owner's
// close callback, so that the loop can be closed and the tests go on.
void PrivateLoop::CloseEveryHandle() {
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) uv_close(handle, nullptr);
      },
      nullptr);
}

}  // namespace inflow::test
