// RedisValue: one Redis reply, decoded, for code that must not depend on
// hiredis (the pure lookup in last_value_lookup.h). The drivers (the
// synchronous RedisClient, inflowd's async connection) turn hiredis's
// redisReply into it.
//
// Pure: no I/O.

#ifndef INFLOW_REDIS_VALUE_H_
#define INFLOW_REDIS_VALUE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace inflow {

struct RedisValue {
  enum class Kind : uint8_t { kNil, kString, kStatus, kInteger, kArray, kError };
  Kind kind = Kind::kNil;
  std::string text;                 // kString, kStatus, kError
  int64_t integer = 0;              // kInteger
  std::vector<RedisValue> elements;  // kArray
};

}  // namespace inflow

#endif  // INFLOW_REDIS_VALUE_H_
