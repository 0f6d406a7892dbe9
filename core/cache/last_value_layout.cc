#include "inflow/last_value_layout.h"

#include <charconv>

namespace inflow {
namespace {

void AppendPart(std::string_view part, std::string* out) {
  out->append(std::to_string(part.size()));
  out->push_back(':');
  out->append(part);
  out->push_back(':');
}

std::string Key(std::string_view prefix, std::string_view kind, std::string_view database,
                std::string_view retention_policy, std::string_view last) {
  std::string key(prefix);
  key.append(kind);
  key.push_back(':');
  AppendPart(database, &key);
  AppendPart(retention_policy, &key);
  key.append(last);
  return key;
}

}  // namespace

LastValueKeys MakeLastValueKeys(std::string_view prefix, std::string_view database,
                                std::string_view retention_policy, std::string_view series_key,
                                std::string_view measurement) {
  return LastValueKeys{
      .series = Key(prefix, "series", database, retention_policy, series_key),
      .recent = Key(prefix, "recent", database, retention_policy, series_key),
      .index = Key(prefix, "index", database, retention_policy, measurement),
  };
}

void AppendTimeText(int64_t time_ns, std::string* out) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof(buf), time_ns);
  out->append(buf, r.ptr);
}

bool IsTimeText(std::string_view text) {
  std::string_view digits = text;
  if (!digits.empty() && digits.front() == '-') digits.remove_prefix(1);
  if (digits.empty()) return false;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
  }
  if (digits.front() == '0') return text == "0";  // no leading zeros, no "-0"
  return true;
}

int CompareTimeText(std::string_view a, std::string_view b) {
  bool a_negative = a.front() == '-';
  bool b_negative = b.front() == '-';
  if (a_negative != b_negative) return a_negative ? -1 : 1;
  int sign = a_negative ? -1 : 1;
  if (a.size() != b.size()) return a.size() < b.size() ? -sign : sign;
  int c = a.compare(b);
  return c < 0 ? -sign : (c > 0 ? sign : 0);
}

}  // namespace inflow
