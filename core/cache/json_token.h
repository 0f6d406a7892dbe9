// A JSON token as simdjson's raw_json_token() gives it, which runs to the
// next token: the white space after it cut off. Internal to core/cache.

#ifndef INFLOW_CORE_CACHE_JSON_TOKEN_H_
#define INFLOW_CORE_CACHE_JSON_TOKEN_H_

#include <string_view>

namespace inflow {

inline std::string_view WithoutTrailingSpace(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\t' ||
                            token.back() == '\n' || token.back() == '\r')) {
    token.remove_suffix(1);
  }
  return token;
}

}  // namespace inflow

#endif  // INFLOW_CORE_CACHE_JSON_TOKEN_H_
