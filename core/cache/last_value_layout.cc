#include "inflow/last_value_layout.h"

#include <charconv>
#include <system_error>

namespace inflow {
namespace {

void AppendPart(std::string_view part, std::string* out) {
  out->append(std::to_string(part.size()));
  out->push_back(':');
  out->append(part);
  out->push_back(':');
}

// <prefix><kind>:<len(db)>:<db>:<len(rp)>:<rp>:
std::string KeyStart(std::string_view prefix, std::string_view kind, std::string_view database,
                     std::string_view retention_policy) {
  std::string key(prefix);
  key.append(kind);
  key.push_back(':');
  AppendPart(database, &key);
  AppendPart(retention_policy, &key);
  return key;
}

std::string Key(std::string_view prefix, std::string_view kind, std::string_view database,
                std::string_view retention_policy, std::string_view last) {
  std::string key = KeyStart(prefix, kind, database, retention_policy);
  key.append(last);
  return key;
}

// Reads `<len>:<part>:` off the start of *text; false if it is not there.
bool ReadPart(std::string_view* text, std::string_view* part) {
  size_t colon = text->find(':');
  if (colon == 0 || colon == std::string_view::npos || colon > 10) return false;
  size_t length = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + colon, length);
  if (ec != std::errc() || end != text->data() + colon) return false;
  if (text->size() - colon - 1 <= length || (*text)[colon + 1 + length] != ':') return false;
  *part = text->substr(colon + 1, length);
  text->remove_prefix(colon + 2 + length);
  return true;
}

}  // namespace

LastValueKeys MakeLastValueKeys(std::string_view prefix, std::string_view database,
                                std::string_view retention_policy, std::string_view series_key,
                                std::string_view measurement, const LastValueTags& tags) {
  LastValueKeys keys{
      .series = LastValueSeriesKey(prefix, database, retention_policy, series_key),
      .recent = LastValueRecentKey(prefix, database, retention_policy, series_key),
      .catalog = LastValueCatalogKey(prefix),
      .index = LastValueIndexKey(prefix, database, retention_policy, measurement),
      .tag_indexes = {},
  };
  keys.tag_indexes.reserve(tags.size());
  for (const auto& [key, value] : tags) {
    keys.tag_indexes.push_back(
        LastValueTagIndexKey(prefix, database, retention_policy, measurement, key, value));
  }
  return keys;
}

std::string LastValueSeriesKey(std::string_view prefix, std::string_view database,
                               std::string_view retention_policy, std::string_view series_key) {
  return Key(prefix, "series", database, retention_policy, series_key);
}

std::string LastValueRecentKey(std::string_view prefix, std::string_view database,
                               std::string_view retention_policy, std::string_view series_key) {
  return Key(prefix, "recent", database, retention_policy, series_key);
}

std::string LastValueIndexKey(std::string_view prefix, std::string_view database,
                              std::string_view retention_policy, std::string_view measurement) {
  return Key(prefix, "index", database, retention_policy, measurement);
}

std::string LastValueTagIndexKey(std::string_view prefix, std::string_view database,
                                 std::string_view retention_policy,
                                 std::string_view measurement, std::string_view tag_key,
                                 std::string_view tag_value) {
  std::string key = KeyStart(prefix, "tag", database, retention_policy);
  AppendPart(measurement, &key);
  AppendPart(tag_key, &key);
  key.append(tag_value);
  return key;
}

std::string LastValueCatalogKey(std::string_view prefix) {
  std::string key(prefix);
  key.append("catalog");
  return key;
}

std::string LastValueCatalogMember(std::string_view database, std::string_view retention_policy) {
  std::string member;
  AppendPart(database, &member);
  AppendPart(retention_policy, &member);
  member.pop_back();  // the last part's ':'
  return member;
}

bool ParseLastValueCatalogMember(std::string_view member, std::string* database,
                                 std::string* retention_policy) {
  std::string with_end(member);
  with_end.push_back(':');
  std::string_view text = with_end;
  std::string_view db;
  std::string_view rp;
  if (!ReadPart(&text, &db) || !ReadPart(&text, &rp) || !text.empty()) return false;
  database->assign(db);
  retention_policy->assign(rp);
  return true;
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
