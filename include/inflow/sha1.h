// SHA-1 (FIPS 180-4), for the name Redis gives a Lua script (EVALSHA), and
// nothing that needs a secure hash. Pure; small inputs (a script) only.

#ifndef INFLOW_SHA1_H_
#define INFLOW_SHA1_H_

#include <string>
#include <string_view>

namespace inflow {

// The SHA-1 of `data` as 40 lowercase hexadecimal digits, as Redis's
// SCRIPT LOAD answers it.
std::string Sha1Hex(std::string_view data);

}  // namespace inflow

#endif  // INFLOW_SHA1_H_
