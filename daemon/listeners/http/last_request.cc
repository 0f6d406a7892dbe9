#include "listeners/http/last_request.h"

#include <charconv>
#include <system_error>

namespace inflow::daemon {
namespace {

// `"text"`, built by append: GCC 12 at -O3 reports a false -Wrestrict in
// `"\"" + std::string(...)`.
std::string Quoted(std::string_view text) {
  std::string quoted = "\"";
  quoted.append(text);
  quoted.push_back('"');
  return quoted;
}

Status Error(std::string_view parameter, std::string_view value, std::string_view what) {
  std::string message(parameter);
  message.push_back('=');
  message.append(value);
  message.append(": ");
  message.append(what);
  return Status::Error(std::move(message));
}

}  // namespace

Status ParseLastRequest(const std::vector<std::pair<std::string, std::string>>& params,
                        std::string_view default_database, LastValueQuery* query) {
  *query = LastValueQuery{};
  bool measurement = false;
  bool last = false;
  for (const auto& [key, value] : params) {
    if (key == "measurement") {
      if (measurement) return Error(key, value, "given twice");
      measurement = true;
      query->measurement = value;
    } else if (key == "tag") {
      size_t colon = value.find(':');
      if (colon == std::string::npos) {
        return Error(key, value, "a tag is asked for as KEY:VALUE");
      }
      query->tags.emplace_back(value.substr(0, colon), value.substr(colon + 1));
    } else if (key == "field") {
      query->fields.push_back(value);
    } else if (key == "db" || key == "rp") {
      std::optional<std::string>& place = key == "db" ? query->database : query->retention_policy;
      if (place) return Error(key, value, "given twice");
      if (!value.empty()) place = value;
    } else if (key == "last") {
      if (last) return Error(key, value, "given twice");
      last = true;
      int n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc() || end != value.data() + value.size() || n < 1 ||
          n > LastValueQuery::kMaxLast) {
        return Error(key, value,
                     "last is a whole number from 1 to " +
                         std::to_string(LastValueQuery::kMaxLast));
      }
      query->last = n;
    } else {
      return Error(key, value,
                   "unknown parameter (GET /last takes measurement, tag, field, db, rp and "
                   "last)");
    }
  }
  if (!measurement) return Status::Error("measurement= is required");
  if (!query->database) query->database = std::string(default_database);
  return CheckLastValueQuery(*query);
}

std::string DescribeLastQuery(const LastValueQuery& query) {
  std::string out = "measurement ";
  out.append(Quoted(query.measurement));
  if (!query.tags.empty()) {
    out.append(" with tags ");
    for (size_t i = 0; i < query.tags.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append(query.tags[i].first);
      out.push_back(':');
      out.append(query.tags[i].second);
    }
  }
  if (!query.fields.empty()) {
    out.append(query.tags.empty() ? " with fields " : "; fields ");
    for (size_t i = 0; i < query.fields.size(); ++i) {
      if (i > 0) out.append(", ");
      out.append(query.fields[i]);
    }
  }
  out.append(", in database ");
  out.append(query.database ? Quoted(*query.database) : std::string("(any)"));
  if (query.retention_policy) {
    out.append(", retention policy ");
    out.append(Quoted(*query.retention_policy));
  } else {
    out.append(", any retention policy");
  }
  return out;
}

std::string FormatLastValueLines(const std::vector<LastValueRecord>& records) {
  std::string body;
  for (const LastValueRecord& record : records) {
    body.append(FormatLastValueRecord(record));
    body.push_back('\n');
  }
  return body;
}

}  // namespace inflow::daemon
