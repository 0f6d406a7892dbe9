#include "inflow/percent_encoding.h"

namespace inflow {

namespace {

bool IsAsciiAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

void AppendPercentEncoded(std::string_view text, std::string* out,
                          std::string_view bare_punctuation) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->reserve(out->size() + text.size());
  for (char c : text) {
    // A NUL is never bare, though bare_punctuation (a view) could hold one.
    if (IsAsciiAlphanumeric(c) ||
        (c != '\0' && bare_punctuation.find(c) != std::string_view::npos)) {
      out->push_back(c);
      continue;
    }
    const auto byte = static_cast<unsigned char>(c);
    out->push_back('%');
    out->push_back(kHex[byte >> 4]);
    out->push_back(kHex[byte & 0xf]);
  }
}

std::string PercentEncoded(std::string_view text, std::string_view bare_punctuation) {
  std::string out;
  AppendPercentEncoded(text, &out, bare_punctuation);
  return out;
}

bool PercentDecode(std::string_view text, PlusSign plus, std::string* out, size_t* error_at) {
  out->clear();
  out->reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plus == PlusSign::kSpace) {
      out->push_back(' ');
    } else if (c != '%') {
      out->push_back(c);
    } else {
      const int high = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
      const int low = i + 2 < text.size() ? HexValue(text[i + 2]) : -1;
      if (high < 0 || low < 0) {
        if (error_at != nullptr) *error_at = i;
        return false;
      }
      out->push_back(static_cast<char>(high * 16 + low));
      i += 2;
    }
  }
  return true;
}

}  // namespace inflow
