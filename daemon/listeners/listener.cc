#include "listeners/listener.h"

#include <ctime>

namespace inflow::daemon {

int64_t ReceivedNowNs() {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  return static_cast<int64_t>(now.tv_sec) * 1'000'000'000 + now.tv_nsec;
}

}  // namespace inflow::daemon
