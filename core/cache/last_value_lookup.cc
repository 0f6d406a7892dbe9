#include "inflow/last_value_lookup.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <system_error>
#include <tuple>
#include <utility>

#include "cache/json_token.h"
#include "inflow/field_json.h"
#include "inflow/last_value_layout.h"

namespace inflow {
namespace {

// Members asked per SSCAN: Redis's work per call, and the reply's size.
constexpr int kScanCount = 1000;
// Series read per round of pipelined HGETALL (and LRANGE): bounds the
// commands and replies held at once.
constexpr size_t kSeriesPerRead = 500;

bool ReadTime(std::string_view text, int64_t* time_ns) {
  if (!IsTimeText(text)) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *time_ns);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string Quoted(std::string_view key) {
  std::string quoted = "'";
  quoted.append(key);
  quoted.push_back('\'');
  return quoted;
}

// Reads the tags JSON object of a series hash into *tags, sorted by key.
bool ReadTags(simdjson::ondemand::parser* parser, std::string_view json,
              std::vector<std::pair<std::string, std::string>>* tags) {
  simdjson::padded_string padded(json);
  simdjson::ondemand::document doc;
  if (parser->iterate(padded).get(doc) != simdjson::SUCCESS) return false;
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
  for (auto field : object) {
    std::string_view key;
    std::string_view value;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    if (field.value().get_string().get(value) != simdjson::SUCCESS) return false;
    tags->emplace_back(std::string(key), std::string(value));
  }
  std::sort(tags->begin(), tags->end());
  return true;
}

// A recent point `{"time":T,"fields":{...}}` with only the fields `wanted`
// names, the values' JSON as stored. False if the entry is not in that form;
// *out is empty when it holds none of them.
bool FilterRecent(simdjson::ondemand::parser* parser, std::string_view entry,
                  const std::vector<std::string>& wanted, std::string* out) {
  out->clear();
  simdjson::padded_string padded(entry);
  simdjson::ondemand::document doc;
  if (parser->iterate(padded).get(doc) != simdjson::SUCCESS) return false;
  simdjson::ondemand::object object;
  if (doc.get_object().get(object) != simdjson::SUCCESS) return false;
  std::string_view time;
  std::string kept;
  for (auto member : object) {
    std::string_view key;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    if (key == "time") {
      if (member.value().raw_json_token().get(time) != simdjson::SUCCESS) return false;
      time = WithoutTrailingSpace(time);
    } else if (key == "fields") {
      simdjson::ondemand::object fields;
      if (member.value().get_object().get(fields) != simdjson::SUCCESS) return false;
      for (auto field : fields) {
        std::string_view name;
        std::string_view raw;
        if (field.unescaped_key().get(name) != simdjson::SUCCESS) return false;
        // A field's value is one token (a string, a number, a boolean).
        if (field.value().raw_json_token().get(raw) != simdjson::SUCCESS) return false;
        raw = WithoutTrailingSpace(raw);
        if (std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
        if (!kept.empty()) kept.push_back(',');
        AppendJsonString(name, &kept);
        kept.push_back(':');
        kept.append(raw);
      }
    }
  }
  if (time.empty()) return false;
  if (kept.empty()) return true;
  out->append("{\"time\":");
  out->append(time);
  out->append(",\"fields\":{");
  out->append(kept);
  out->append("}}");
  return true;
}

}  // namespace

Status CheckLastValueQuery(const LastValueQuery& query) {
  if (query.measurement.empty()) return Status::Error("a measurement is required");
  if (query.last < 1 || query.last > LastValueQuery::kMaxLast) {
    return Status::Error("last must be 1.." + std::to_string(LastValueQuery::kMaxLast) +
                         ", not " + std::to_string(query.last));
  }
  for (const auto& [key, value] : query.tags) {
    if (key.empty()) return Status::Error("a tag needs a key (tag '=" + value + "')");
  }
  for (const std::string& field : query.fields) {
    if (field.empty()) return Status::Error("a field name cannot be empty");
  }
  return Status::Ok();
}

std::string FormatLastValueRecord(const LastValueRecord& record) {
  std::string out = "{\"measurement\":";
  AppendJsonString(record.measurement, &out);
  out.append(",\"tags\":{");
  for (size_t i = 0; i < record.tags.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(record.tags[i].first, &out);
    out.push_back(':');
    AppendJsonString(record.tags[i].second, &out);
  }
  out.append("},\"time\":");
  out.append(std::to_string(record.time_ns));
  out.append(",\"fields\":{");
  for (size_t i = 0; i < record.fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(record.fields[i].name, &out);
    out.push_back(':');
    out.append(record.fields[i].json);
  }
  out.append("},\"field_times\":{");
  for (size_t i = 0; i < record.fields.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(record.fields[i].name, &out);
    out.push_back(':');
    out.append(std::to_string(record.fields[i].time_ns));
  }
  out.push_back('}');
  if (!record.recent.empty()) {
    out.append(",\"recent\":[");
    for (size_t i = 0; i < record.recent.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append(record.recent[i]);
    }
    out.push_back(']');
  }
  out.append(",\"database\":");
  AppendJsonString(record.database, &out);
  out.append(",\"retention_policy\":");
  AppendJsonString(record.retention_policy, &out);
  out.push_back('}');
  return out;
}

// The lookup runs in phases, one or more rounds of pipelined commands each:
//   catalog  SMEMBERS of the catalog, unless the query names both the
//            database and the retention policy;
//   find     per database and retention policy, SINTER of the query's tag
//            sets, or SSCAN of the measurement's index to its end;
//   read     HGETALL (and LRANGE of the recent list) of each series found,
//            kSeriesPerRead at a time.
struct LastValueLookup::State {
  enum class Phase : uint8_t { kCatalog, kFind, kRead, kDone };
  enum class Kind : uint8_t { kCatalog, kScan, kInter, kHash, kRecent };

  struct Place {
    std::string database;
    std::string retention_policy;
    std::string cursor = "0";  // SSCAN's
    bool found = false;        // its series are all known
    std::set<std::string> series_keys = {};
  };
  // What one command of the last round asked.
  struct Sent {
    Kind kind;
    size_t index;     // into places (catalog, find) or reads (read)
    std::string key;  // for errors
  };
  struct Read {
    size_t place;
    std::string series_key;
  };

  std::string prefix;
  LastValueQuery query;
  Phase phase = Phase::kCatalog;
  std::optional<LastValueCatalog> catalog_read;
  std::vector<Place> places;
  std::vector<Read> reads;
  size_t next_read = 0;
  std::vector<Sent> sent;
  // Records with the key they sort by (database, retention policy, series
  // key), to sort once at the end.
  std::vector<std::pair<std::tuple<std::string, std::string, std::string>, LastValueRecord>>
      records;
  simdjson::ondemand::parser parser;

  Status Fail(Status status) {
    phase = Phase::kDone;
    records.clear();
    return status;
  }

  // Moves from find to read once every place's series are known.
  void AfterFind() {
    for (const Place& place : places) {
      if (!place.found) return;
    }
    for (size_t p = 0; p < places.size(); ++p) {
      for (const std::string& key : places[p].series_keys) reads.push_back(Read{p, key});
      places[p].series_keys.clear();
    }
    phase = reads.empty() ? Phase::kDone : Phase::kRead;
  }

  Status OnCatalog(const RedisValue& reply) {
    if (reply.kind != RedisValue::Kind::kArray) return Status::Error("not an array");
    LastValueCatalog read;
    for (const RedisValue& member : reply.elements) {
      std::string database;
      std::string retention_policy;
      // A member of another form is not the cache's: passed over.
      if (member.kind != RedisValue::Kind::kString ||
          !ParseLastValueCatalogMember(member.text, &database, &retention_policy)) {
        continue;
      }
      read.emplace_back(std::move(database), std::move(retention_policy));
    }
    std::sort(read.begin(), read.end());
    UseCatalog(read);
    catalog_read = std::move(read);
    return Status::Ok();
  }

  // The places of `catalog` the query asks for; then the find phase.
  void UseCatalog(const LastValueCatalog& catalog) {
    for (const auto& [database, retention_policy] : catalog) {
      if (query.database && *query.database != database) continue;
      if (query.retention_policy && *query.retention_policy != retention_policy) continue;
      places.push_back(Place{.database = database, .retention_policy = retention_policy});
    }
    phase = places.empty() ? Phase::kDone : Phase::kFind;
  }

  static Status AddMembers(const RedisValue& members, std::set<std::string>* keys) {
    if (members.kind != RedisValue::Kind::kArray) return Status::Error("not an array");
    for (const RedisValue& member : members.elements) {
      if (member.kind != RedisValue::Kind::kString) return Status::Error("a member not a string");
      keys->insert(member.text);
    }
    return Status::Ok();
  }

  Status OnScan(Place* place, const RedisValue& reply) {
    if (reply.kind != RedisValue::Kind::kArray || reply.elements.size() != 2 ||
        reply.elements[0].kind != RedisValue::Kind::kString) {
      return Status::Error("not a cursor and members");
    }
    if (Status status = AddMembers(reply.elements[1], &place->series_keys); !status.ok()) {
      return status;
    }
    place->cursor = reply.elements[0].text;
    place->found = place->cursor == "0";
    return Status::Ok();
  }

  // A series hash read into a record; false (and no record) if the hash is
  // gone (expired since it was found) or holds none of the fields asked for.
  Status OnHash(const Read& read, const RedisValue& reply, bool* kept) {
    *kept = false;
    if (reply.kind != RedisValue::Kind::kArray || reply.elements.size() % 2 != 0) {
      return Status::Error("not a hash");
    }
    if (reply.elements.empty()) return Status::Ok();
    LastValueRecord record;
    record.database = places[read.place].database;
    record.retention_policy = places[read.place].retention_policy;
    record.measurement = query.measurement;
    std::map<std::string, LastValueField, std::less<>> fields;
    bool has_time = false;
    for (size_t i = 0; i < reply.elements.size(); i += 2) {
      const RedisValue& name = reply.elements[i];
      const RedisValue& value = reply.elements[i + 1];
      if (name.kind != RedisValue::Kind::kString || value.kind != RedisValue::Kind::kString) {
        return Status::Error("a hash field not a string");
      }
      std::string_view n = name.text;
      if (n == "time") {
        if (!ReadTime(value.text, &record.time_ns)) return Status::Error("a bad time");
        has_time = true;
      } else if (n == "tags") {
        if (!ReadTags(&parser, value.text, &record.tags)) return Status::Error("bad tags");
      } else if (n.starts_with("v:") || n.starts_with("t:")) {
        std::string_view field = n.substr(2);
        if (!query.fields.empty() &&
            std::find(query.fields.begin(), query.fields.end(), field) == query.fields.end()) {
          continue;
        }
        auto it = fields.find(field);
        if (it == fields.end()) {
          it = fields.emplace(std::string(field), LastValueField{std::string(field), "", 0})
                   .first;
        }
        if (n[0] == 'v') {
          it->second.json = value.text;
        } else if (!ReadTime(value.text, &it->second.time_ns)) {
          return Status::Error("a bad time for field " + std::string(field));
        }
      }
    }
    if (!has_time) return Status::Error("no time");
    int64_t latest = std::numeric_limits<int64_t>::min();
    for (auto& [name, field] : fields) {
      if (field.json.empty()) return Status::Error("no value for field " + name);
      latest = std::max(latest, field.time_ns);
      record.fields.push_back(std::move(field));
    }
    if (record.fields.empty()) return Status::Ok();
    // Asked for some fields: the time is theirs, as InfluxDB's last() gives.
    if (!query.fields.empty()) record.time_ns = latest;
    records.emplace_back(std::make_tuple(record.database, record.retention_policy,
                                         read.series_key),
                         std::move(record));
    *kept = true;
    return Status::Ok();
  }

  Status OnRecent(const RedisValue& reply, LastValueRecord* record) {
    if (reply.kind != RedisValue::Kind::kArray) return Status::Error("not a list");
    std::string filtered;
    for (const RedisValue& entry : reply.elements) {
      if (entry.kind != RedisValue::Kind::kString) return Status::Error("an entry not a string");
      if (query.fields.empty()) {
        record->recent.push_back(entry.text);
        continue;
      }
      if (!FilterRecent(&parser, entry.text, query.fields, &filtered)) {
        return Status::Error("a bad entry");
      }
      if (!filtered.empty()) record->recent.push_back(std::move(filtered));
      if (record->recent.size() == static_cast<size_t>(query.last)) break;
    }
    return Status::Ok();
  }
};

LastValueLookup::LastValueLookup(std::string key_prefix, LastValueQuery query)
    : state_(std::make_unique<State>()) {
  state_->prefix = std::move(key_prefix);
  state_->query = std::move(query);
  if (state_->query.database && state_->query.retention_policy) {
    state_->places.push_back(State::Place{.database = *state_->query.database,
                                          .retention_policy = *state_->query.retention_policy});
    state_->phase = State::Phase::kFind;
  }
}

LastValueLookup::LastValueLookup(std::string key_prefix, LastValueQuery query,
                                 const LastValueCatalog& catalog)
    : LastValueLookup(std::move(key_prefix), std::move(query)) {
  if (state_->phase == State::Phase::kCatalog) state_->UseCatalog(catalog);
}

LastValueLookup::~LastValueLookup() = default;

const std::optional<LastValueCatalog>& LastValueLookup::catalog_read() const {
  return state_->catalog_read;
}

std::vector<std::vector<std::string>> LastValueLookup::Commands() {
  State& s = *state_;
  s.sent.clear();
  std::vector<std::vector<std::string>> commands;
  switch (s.phase) {
    case State::Phase::kCatalog: {
      std::string key = LastValueCatalogKey(s.prefix);
      commands.push_back({"SMEMBERS", key});
      s.sent.push_back({State::Kind::kCatalog, 0, std::move(key)});
      break;
    }
    case State::Phase::kFind:
      for (size_t p = 0; p < s.places.size(); ++p) {
        const State::Place& place = s.places[p];
        if (place.found) continue;
        if (s.query.tags.empty()) {
          std::string key = LastValueIndexKey(s.prefix, place.database, place.retention_policy,
                                              s.query.measurement);
          commands.push_back({"SSCAN", key, place.cursor, "COUNT", std::to_string(kScanCount)});
          s.sent.push_back({State::Kind::kScan, p, std::move(key)});
        } else {
          std::vector<std::string> command = {"SINTER"};
          for (const auto& [tag_key, tag_value] : s.query.tags) {
            command.push_back(LastValueTagIndexKey(s.prefix, place.database,
                                                   place.retention_policy, s.query.measurement,
                                                   tag_key, tag_value));
          }
          s.sent.push_back({State::Kind::kInter, p, command[1]});
          commands.push_back(std::move(command));
        }
      }
      break;
    case State::Phase::kRead: {
      size_t end = std::min(s.reads.size(), s.next_read + kSeriesPerRead);
      for (size_t r = s.next_read; r < end; ++r) {
        const State::Place& place = s.places[s.reads[r].place];
        std::string key = LastValueSeriesKey(s.prefix, place.database, place.retention_policy,
                                             s.reads[r].series_key);
        commands.push_back({"HGETALL", key});
        s.sent.push_back({State::Kind::kHash, r, std::move(key)});
        if (s.query.last > 1) {
          std::string recent = LastValueRecentKey(s.prefix, place.database,
                                                  place.retention_policy, s.reads[r].series_key);
          // With a field filter the list is read whole (keep_last, at most
          // 100 entries): its newest points may lack the fields asked for.
          const int entries = s.query.fields.empty() ? s.query.last : LastValueQuery::kMaxLast;
          commands.push_back({"LRANGE", recent, "0", std::to_string(entries - 1)});
          s.sent.push_back({State::Kind::kRecent, r, std::move(recent)});
        }
      }
      break;
    }
    case State::Phase::kDone:
      break;
  }
  return commands;
}

Status LastValueLookup::OnReplies(std::span<const RedisValue> replies) {
  State& s = *state_;
  if (replies.size() != s.sent.size()) {
    return s.Fail(Status::Error(std::to_string(replies.size()) + " replies to " +
                                std::to_string(s.sent.size()) + " commands"));
  }
  bool kept = false;  // the last HGETALL made a record (its LRANGE follows)
  for (size_t i = 0; i < replies.size(); ++i) {
    const State::Sent& sent = s.sent[i];
    const RedisValue& reply = replies[i];
    static constexpr const char* kNames[] = {"SMEMBERS", "SSCAN", "SINTER", "HGETALL", "LRANGE"};
    const std::string what = kNames[static_cast<size_t>(sent.kind)] + std::string(" ") +
                             Quoted(sent.key);
    if (reply.kind == RedisValue::Kind::kError) {
      return s.Fail(Status::Error(what + ": " + reply.text));
    }
    Status status = Status::Ok();
    switch (sent.kind) {
      case State::Kind::kCatalog:
        status = s.OnCatalog(reply);
        break;
      case State::Kind::kScan:
        status = s.OnScan(&s.places[sent.index], reply);
        break;
      case State::Kind::kInter:
        status = State::AddMembers(reply, &s.places[sent.index].series_keys);
        s.places[sent.index].found = true;
        break;
      case State::Kind::kHash:
        status = s.OnHash(s.reads[sent.index], reply, &kept);
        break;
      case State::Kind::kRecent:
        if (kept) status = s.OnRecent(reply, &s.records.back().second);
        break;
    }
    if (!status.ok()) {
      return s.Fail(Status::Error(what + ": the cache's layout was not found there: " +
                                  status.message()));
    }
  }
  if (s.phase == State::Phase::kFind) {
    s.AfterFind();
  } else if (s.phase == State::Phase::kRead) {
    s.next_read = std::min(s.reads.size(), s.next_read + kSeriesPerRead);
    if (s.next_read == s.reads.size()) s.phase = State::Phase::kDone;
  }
  return Status::Ok();
}

bool LastValueLookup::done() const { return state_->phase == State::Phase::kDone; }

std::vector<LastValueRecord> LastValueLookup::TakeRecords() {
  auto& records = state_->records;
  std::sort(records.begin(), records.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LastValueRecord> out;
  out.reserve(records.size());
  for (auto& [key, record] : records) out.push_back(std::move(record));
  records.clear();
  return out;
}

}  // namespace inflow
