#include "inflow/handle_set.h"

#include <cstdio>
#include <cstdlib>

namespace inflow {

namespace {

// Not assert(): the builds the tests run are NDEBUG, and a handle freed
// while libuv still holds it corrupts memory far from the cause.
[[noreturn]] void Die(const char* owner, const char* what, size_t handles, size_t requests) {
  std::fprintf(stderr,
               "inflow: %s %s (%zu handles open or closing, %zu requests outstanding); "
               "a libuv handle's memory may go only after its close callback\n",
               owner, what, handles, requests);
  std::fflush(stderr);
  std::abort();
}

}  // namespace

HandleSet::~HandleSet() {
  if (open_ != 0 || requests_ != 0) {
    Die(owner_, "destroyed before all its close callbacks ran", open_, requests_);
  }
}

void HandleSet::Closed() {
  if (open_ == 0) Die(owner_, "got a close callback for a handle it did not adopt", 0, requests_);
  --open_;
}

void HandleSet::RequestDone() {
  if (requests_ == 0) Die(owner_, "got a callback for a request never started", open_, 0);
  --requests_;
}

}  // namespace inflow
