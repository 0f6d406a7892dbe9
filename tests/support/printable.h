// Printable: bytes made readable in test failure messages.

#ifndef INFLOW_TESTS_SUPPORT_PRINTABLE_H_
#define INFLOW_TESTS_SUPPORT_PRINTABLE_H_

#include <cstdio>
#include <string>
#include <string_view>

namespace inflow::test {

// `bytes` in double quotes, with C escapes for quotes, backslashes and bytes
// that are not printable ASCII; a long text shows its start, its length and
// its end.
inline std::string Printable(std::string_view bytes) {
  constexpr size_t kMaxShown = 160;
  std::string out;
  auto append = [&out](std::string_view part) {
    for (char c : part) {
      auto byte = static_cast<unsigned char>(c);
      if (c == '\\' || c == '"') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\r') {
        out += "\\r";
      } else if (c == '\t') {
        out += "\\t";
      } else if (byte < 0x20 || byte == 0x7F) {
        char buffer[8];
        std::snprintf(buffer, sizeof buffer, "\\x%02X", byte);
        out += buffer;
      } else {
        out += c;
      }
    }
  };
  out += '"';
  if (bytes.size() <= kMaxShown) {
    append(bytes);
  } else {
    append(bytes.substr(0, kMaxShown / 2));
    out += "\"...(" + std::to_string(bytes.size()) + " bytes in all)...\"";
    append(bytes.substr(bytes.size() - kMaxShown / 2));
  }
  out += '"';
  return out;
}

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_PRINTABLE_H_
