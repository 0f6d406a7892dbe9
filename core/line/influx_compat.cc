#include "line/influx_compat.h"

namespace inflow {

size_t FindUnreadableMeasurementEscape(std::string_view m) {
  size_t run = 0;  // backslashes directly before m[j]
  for (size_t j = 0; j < m.size(); ++j) {
    char ch = m[j];
    if (ch == '\\') {
      ++run;
      continue;
    }
    // Reading drops one backslash before these; any other left before them
    // stays in the name.
    if (run >= 2 && (ch == ',' || ch == ' ' || ch == '=' || ch == '"')) return j - run;
    run = 0;
  }
  return kNotFound;
}

size_t ScanLine(std::string_view text, size_t* open_quote) {
  bool quoted = false, fields = false;
  size_t equals = 0, commas = 0, opened = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    char ch = text[i];
    if (ch == '\\' && i + 1 < text.size()) {
      ++i;
      continue;
    }
    if (ch == ' ') fields = true;
    if (fields) {
      if (!quoted && ch == '=') {
        ++equals;
        continue;
      }
      if (!quoted && ch == ',') {
        ++commas;
        continue;
      }
      if (ch == '"' && equals > commas) {
        quoted = !quoted;
        opened = i;
        continue;
      }
    }
    if (ch == '\n' && !quoted) return i;
  }
  *open_quote = quoted ? opened : kNotFound;
  return kNotFound;
}

size_t FindSplitDisagreement(std::string_view line) {
  size_t open_quote = kNotFound;
  size_t newline = ScanLine(line, &open_quote);
  return newline != kNotFound ? newline : open_quote;
}

}  // namespace inflow
