// The Redis connection options of inflowd's cache and its reader, from the
// redis section of the configuration.

#ifndef INFLOW_DAEMON_CACHE_CONNECTION_OPTIONS_H_
#define INFLOW_DAEMON_CACHE_CONNECTION_OPTIONS_H_

#include <chrono>

#include "config/config.h"
#include "inflow/redis_connection.h"

namespace inflow::daemon {

inline RedisConnectionOptions ConnectionOptions(const RedisConfig& config) {
  RedisConnectionOptions options;
  options.address = config.address;
  options.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(config.timeout);
  // A timeout under 1 ms (the config takes any duration above 0) waits 1 ms.
  if (options.timeout.count() == 0) options.timeout = std::chrono::milliseconds(1);
  return options;
}

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_CACHE_CONNECTION_OPTIONS_H_
