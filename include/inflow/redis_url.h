// RedisAddress: where a Redis server is and how to log in, from a URL
// (redis://[[user]:password@]host[:port][/db], unix://[[user]:password@]/path)
// or from the environment (INFLOW_REDIS_URL, else REDIS_HOST, REDIS_PORT and
// REDIS_PASSWORD), the settings the seed's RedisClient takes.
//
// Pure: no I/O; the environment is read through a callback, so that tests
// need not change the process's. Thread-compatible.

#ifndef INFLOW_REDIS_URL_H_
#define INFLOW_REDIS_URL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "inflow/status.h"

namespace inflow {

struct RedisAddress {
  std::string host = "127.0.0.1";  // a name or an address; IPv6 without brackets
  uint16_t port = 6379;
  std::string unix_socket;         // when not empty, the server is here, not at host:port
  std::string username;            // for AUTH with an ACL user; empty: the default user
  std::string password;            // empty: no AUTH; never logged
  int db = 0;                      // SELECTed when not 0

  // The server, for error messages: "host:port" ("[v6]:port"), or the
  // socket's path. Never the password.
  std::string Name() const;
};

// Parses `text` into *address (replacing its contents; what the URL leaves
// out keeps RedisAddress's defaults). Accepts:
//   redis://[[user]:password@]host[:port][/db]   (IPv6 host as [addr])
//   unix://[[user]:password@]/path/to/redis.sock[?db=N]
// User info is percent-encoded; a single word (no colon) is the password,
// as redis-cli reads it. rediss:// (TLS) is refused: hiredis here is
// built without TLS. On failure returns an error naming what is wrong
// (never the password), and *address is unspecified.
Status ParseRedisUrl(std::string_view text, RedisAddress* address);

// Looks up an environment variable: the value, or nullptr when it is not
// set; std::getenv's signature.
using GetEnvironment = std::function<const char*(const char*)>;

// The address the environment names: INFLOW_REDIS_URL when set and not
// empty (parsed as ParseRedisUrl does); else REDIS_HOST (default
// 127.0.0.1), REDIS_PORT (default 6379) and REDIS_PASSWORD (default none),
// each used when set and not empty. On failure (a malformed URL or port)
// returns an error naming the variable, and *address is unspecified.
Status RedisAddressFromEnvironment(const GetEnvironment& getenv, RedisAddress* address);

}  // namespace inflow

#endif  // INFLOW_REDIS_URL_H_
