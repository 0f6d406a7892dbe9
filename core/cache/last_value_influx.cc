#include "inflow/last_value_influx.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <system_error>
#include <utility>

#include "cache/json_token.h"
#include "inflow/field_json.h"
#include "inflow/influx_protocol.h"
#include "inflow/line_writer.h"

namespace inflow {
namespace {

using Tags = std::vector<std::pair<std::string, std::string>>;

// One series of one statement's result, its cells as JSON tokens.
struct ResultSeries {
  Tags tags;  // sorted, without empty values (GROUP BY * names every key)
  std::vector<std::string> columns;
  std::vector<std::vector<std::string>> rows;
};

struct StatementResult {
  std::string error;
  std::vector<ResultSeries> series;
};

template <class T>
bool Ok(simdjson::simdjson_result<T>&& result, T* out) {
  return std::move(result).get(*out) == simdjson::SUCCESS;
}

bool ReadSeries(simdjson::ondemand::object object, ResultSeries* series) {
  for (auto member : object) {
    std::string_view key;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS) return false;
    if (key == "tags") {
      simdjson::ondemand::object tags;
      if (!Ok(member.value().get_object(), &tags)) return false;
      for (auto tag : tags) {
        std::string_view name;
        std::string_view value;
        if (tag.unescaped_key().get(name) != simdjson::SUCCESS) return false;
        if (!Ok(tag.value().get_string(), &value)) return false;
        if (!value.empty()) series->tags.emplace_back(std::string(name), std::string(value));
      }
    } else if (key == "columns") {
      simdjson::ondemand::array columns;
      if (!Ok(member.value().get_array(), &columns)) return false;
      for (auto column : columns) {
        std::string_view name;
        if (!Ok(column.get_string(), &name)) return false;
        series->columns.emplace_back(name);
      }
    } else if (key == "values") {
      simdjson::ondemand::array rows;
      if (!Ok(member.value().get_array(), &rows)) return false;
      for (auto row : rows) {
        simdjson::ondemand::array cells;
        if (!Ok(row.get_array(), &cells)) return false;
        std::vector<std::string>& out = series->rows.emplace_back();
        for (auto cell : cells) {
          std::string_view token;
          if (!Ok(cell.raw_json_token(), &token)) return false;
          out.emplace_back(WithoutTrailingSpace(token));
        }
      }
    }
  }
  std::sort(series->tags.begin(), series->tags.end());
  return true;
}

// InfluxDB's answer to /query: {"results":[{"statement_id":0,"series":[...]}
// or {"statement_id":0,"error":"..."}, ...]}, or {"error":"..."}.
Status ReadResults(simdjson::ondemand::parser* parser, std::string_view body,
                   std::vector<StatementResult>* results) {
  const Status bad = Status::Error("InfluxDB's answer is not in its form: " +
                                   std::string(body.substr(0, 200)));
  simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object top;
  if (parser->iterate(padded).get(doc) != simdjson::SUCCESS || !Ok(doc.get_object(), &top)) {
    return bad;
  }
  for (auto member : top) {
    std::string_view key;
    if (member.unescaped_key().get(key) != simdjson::SUCCESS) return bad;
    if (key == "error") {
      std::string_view error;
      if (!Ok(member.value().get_string(), &error)) return bad;
      return Status::Error(std::string(error));
    }
    if (key != "results") continue;
    simdjson::ondemand::array array;
    if (!Ok(member.value().get_array(), &array)) return bad;
    for (auto item : array) {
      simdjson::ondemand::object result;
      if (!Ok(item.get_object(), &result)) return bad;
      StatementResult& out = results->emplace_back();
      for (auto field : result) {
        std::string_view name;
        if (field.unescaped_key().get(name) != simdjson::SUCCESS) return bad;
        if (name == "error") {
          std::string_view error;
          if (!Ok(field.value().get_string(), &error)) return bad;
          out.error = error;
        } else if (name == "series") {
          simdjson::ondemand::array series;
          if (!Ok(field.value().get_array(), &series)) return bad;
          for (auto one : series) {
            simdjson::ondemand::object object;
            if (!Ok(one.get_object(), &object)) return bad;
            if (!ReadSeries(object, &out.series.emplace_back())) return bad;
          }
        }
      }
    }
  }
  return Status::Ok();
}

// A JSON string token's text; nullopt if it is not a string.
std::optional<std::string> StringOf(simdjson::ondemand::parser* parser, std::string_view token) {
  simdjson::padded_string padded(token);
  simdjson::ondemand::document doc;
  std::string_view text;
  if (parser->iterate(padded).get(doc) != simdjson::SUCCESS || !Ok(doc.get_string(), &text)) {
    return std::nullopt;
  }
  return std::string(text);
}

bool ReadTime(std::string_view token, int64_t* time_ns) {
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), *time_ns);
  return ec == std::errc() && end == token.data() + token.size();
}

int ColumnOf(const ResultSeries& series, std::string_view name) {
  for (size_t i = 0; i < series.columns.size(); ++i) {
    if (series.columns[i] == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace

struct InfluxLastValueLookup::State {
  enum class Phase : uint8_t { kPolicies, kFields, kRead, kDone };

  LastValueQuery query;
  Phase phase = Phase::kPolicies;
  std::string retention_policy;  // the query's, or the database's default
  std::vector<std::string> fields;
  std::string absent;
  std::map<Tags, LastValueRecord> records;
  simdjson::ondemand::parser parser;

  // FROM "rp"."measurement" WHERE "k"='v' AND ...
  std::string FromWhere() const {
    std::string out = " FROM ";
    AppendInfluxIdentifier(retention_policy, &out);
    out.push_back('.');
    AppendInfluxIdentifier(query.measurement, &out);
    for (size_t i = 0; i < query.tags.size(); ++i) {
      out.append(i == 0 ? " WHERE " : " AND ");
      AppendInfluxIdentifier(query.tags[i].first, &out);
      out.push_back('=');
      AppendInfluxString(query.tags[i].second, &out);
    }
    return out;
  }

  std::string ReadStatements() const {
    std::string out;
    const std::string from_where = FromWhere();
    for (const std::string& field : fields) {
      if (!out.empty()) out.push_back(';');
      out.append("SELECT last(");
      AppendInfluxIdentifier(field, &out);
      out.push_back(')');
      out.append(from_where);
      out.append(" GROUP BY *");
    }
    if (query.last > 1) {
      out.append(";SELECT ");
      for (size_t i = 0; i < fields.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendInfluxIdentifier(fields[i], &out);
      }
      out.append(from_where);
      out.append(" GROUP BY * ORDER BY time DESC LIMIT ");
      out.append(std::to_string(query.last));
    }
    return out;
  }

  std::string Statements() const {
    std::string out;
    switch (phase) {
      case Phase::kPolicies:
        out.append("SHOW RETENTION POLICIES ON ");
        AppendInfluxIdentifier(*query.database, &out);
        break;
      case Phase::kFields:
        out.append("SHOW FIELD KEYS FROM ");
        AppendInfluxIdentifier(retention_policy, &out);
        out.push_back('.');
        AppendInfluxIdentifier(query.measurement, &out);
        break;
      case Phase::kRead:
        out = ReadStatements();
        break;
      case Phase::kDone:
        break;
    }
    return out;
  }

  size_t StatementCount() const {
    return phase == Phase::kRead ? fields.size() + (query.last > 1 ? 1 : 0) : 1;
  }

  void AfterPolicies() {
    if (query.fields.empty()) {
      phase = Phase::kFields;
      return;
    }
    // A field named twice is asked for once, as the cache gives it once.
    for (const std::string& field : query.fields) {
      if (std::find(fields.begin(), fields.end(), field) == fields.end()) fields.push_back(field);
    }
    phase = Phase::kRead;
  }

  Status OnPolicies(const StatementResult& result) {
    bool found = false;
    std::string default_policy;
    for (const ResultSeries& series : result.series) {
      int name = ColumnOf(series, "name");
      int is_default = ColumnOf(series, "default");
      if (name < 0 || is_default < 0) return Status::Error("SHOW RETENTION POLICIES: no columns");
      for (const auto& row : series.rows) {
        if (row.size() != series.columns.size()) return Status::Error("a short row");
        std::optional<std::string> text = StringOf(&parser, row[static_cast<size_t>(name)]);
        if (!text) return Status::Error("a retention policy's name not a string");
        if (row[static_cast<size_t>(is_default)] == "true") default_policy = *text;
        if (query.retention_policy && *text == *query.retention_policy) found = true;
      }
    }
    if (query.retention_policy) {
      if (!found) {
        absent = "retention policy not found: " + *query.retention_policy;
        phase = Phase::kDone;
        return Status::Ok();
      }
      retention_policy = *query.retention_policy;
    } else if (default_policy.empty()) {
      return Status::Error("the database " + *query.database +
                           " has no default retention policy: name one");
    } else {
      retention_policy = default_policy;
    }
    AfterPolicies();
    return Status::Ok();
  }

  Status OnFields(const StatementResult& result) {
    for (const ResultSeries& series : result.series) {
      int key = ColumnOf(series, "fieldKey");
      if (key < 0) return Status::Error("SHOW FIELD KEYS: no fieldKey column");
      for (const auto& row : series.rows) {
        if (row.size() != series.columns.size()) return Status::Error("a short row");
        std::optional<std::string> name = StringOf(&parser, row[static_cast<size_t>(key)]);
        if (!name) return Status::Error("a field key not a string");
        fields.push_back(std::move(*name));
      }
    }
    phase = fields.empty() ? Phase::kDone : Phase::kRead;
    return Status::Ok();
  }

  Status OnRead(const std::vector<StatementResult>& results) {
    for (size_t f = 0; f < fields.size(); ++f) {
      for (const ResultSeries& series : results[f].series) {
        if (series.columns.size() != 2 || series.columns[0] != "time") {
          return Status::Error("SELECT last: not time and a value");
        }
        for (const auto& row : series.rows) {
          if (row.size() != 2) return Status::Error("a short row");
          if (row[1] == "null") continue;
          int64_t time_ns = 0;
          if (!ReadTime(row[0], &time_ns)) return Status::Error("a time not in ns");
          LastValueRecord& record = RecordOf(series.tags);
          record.fields.push_back(LastValueField{fields[f], CellJson(row[1]), time_ns});
          record.time_ns = std::max(record.time_ns, time_ns);
        }
      }
    }
    if (query.last > 1) {
      for (const ResultSeries& series : results[fields.size()].series) {
        auto it = records.find(series.tags);
        if (it == records.end()) continue;
        for (const auto& row : series.rows) {
          if (row.size() != series.columns.size() || row.empty()) {
            return Status::Error("a short row");
          }
          // Fields by name, as the cache writes them.
          std::vector<std::pair<std::string_view, std::string>> cells;
          for (size_t c = 1; c < row.size(); ++c) {
            if (row[c] == "null") continue;
            cells.emplace_back(series.columns[c], CellJson(row[c]));
          }
          if (cells.empty()) continue;
          std::sort(cells.begin(), cells.end());
          std::string entry = "{\"time\":";
          entry.append(row[0]);
          entry.append(",\"fields\":{");
          for (size_t c = 0; c < cells.size(); ++c) {
            if (c > 0) entry.push_back(',');
            AppendJsonString(cells[c].first, &entry);
            entry.push_back(':');
            entry.append(cells[c].second);
          }
          entry.append("}}");
          it->second.recent.push_back(std::move(entry));
        }
      }
    }
    phase = Phase::kDone;
    return Status::Ok();
  }

  // A value as the cache writes it: InfluxDB escapes strings its own way
  // (`<` as \u003c, a tab as \t), so a string is decoded and written again;
  // its numbers are already in the cache's form (AppendJsonFloat).
  std::string CellJson(const std::string& token) {
    if (token.empty() || token[0] != '"') return token;
    std::optional<std::string> text = StringOf(&parser, token);
    if (!text) return token;
    std::string json;
    AppendJsonString(*text, &json);
    return json;
  }

  LastValueRecord& RecordOf(const Tags& tags) {
    auto it = records.find(tags);
    if (it != records.end()) return it->second;
    LastValueRecord& record = records[tags];
    record.database = *query.database;
    record.retention_policy = retention_policy;
    record.measurement = query.measurement;
    record.tags = tags;
    record.time_ns = std::numeric_limits<int64_t>::min();
    return record;
  }
};

InfluxLastValueLookup::InfluxLastValueLookup(LastValueQuery query)
    : state_(std::make_unique<State>()) {
  state_->query = std::move(query);
}

InfluxLastValueLookup::~InfluxLastValueLookup() = default;

std::string InfluxLastValueLookup::Statements() { return state_->Statements(); }

Status InfluxLastValueLookup::OnAnswer(std::string_view body) {
  State& s = *state_;
  std::vector<StatementResult> results;
  Status status = ReadResults(&s.parser, body, &results);
  for (const StatementResult& result : results) {
    if (!status.ok() || result.error.empty()) continue;
    // The one statement of the first round names the database.
    if (s.phase == State::Phase::kPolicies && result.error.starts_with("database not found")) {
      s.absent = result.error;
      s.phase = State::Phase::kDone;
      return Status::Ok();
    }
    status = Status::Error(result.error);
  }
  if (status.ok() && results.size() != s.StatementCount()) {
    status = Status::Error("InfluxDB answered " + std::to_string(results.size()) +
                           " statements of " + std::to_string(s.StatementCount()));
  }
  if (status.ok()) {
    switch (s.phase) {
      case State::Phase::kPolicies:
        status = s.OnPolicies(results[0]);
        break;
      case State::Phase::kFields:
        status = s.OnFields(results[0]);
        break;
      case State::Phase::kRead:
        status = s.OnRead(results);
        break;
      case State::Phase::kDone:
        break;
    }
  }
  if (!status.ok()) {
    s.phase = State::Phase::kDone;
    s.records.clear();
  }
  return status;
}

const std::string& InfluxLastValueLookup::absent() const { return state_->absent; }

bool InfluxLastValueLookup::done() const { return state_->phase == State::Phase::kDone; }

std::vector<LastValueRecord> InfluxLastValueLookup::TakeRecords() {
  // Sorted by series key, as the cache's records are.
  std::vector<std::pair<std::string, LastValueRecord>> keyed;
  keyed.reserve(state_->records.size());
  for (auto& [tags, record] : state_->records) {
    std::sort(record.fields.begin(), record.fields.end(),
              [](const LastValueField& a, const LastValueField& b) { return a.name < b.name; });
    std::string key;
    AppendEscapedMeasurement(record.measurement, &key);
    for (const auto& [tag_key, tag_value] : record.tags) {
      key.push_back(',');
      AppendEscapedTag(tag_key, &key);
      key.push_back('=');
      AppendEscapedTag(tag_value, &key);
    }
    keyed.emplace_back(std::move(key), std::move(record));
  }
  state_->records.clear();
  std::sort(keyed.begin(), keyed.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<LastValueRecord> out;
  out.reserve(keyed.size());
  for (auto& [key, record] : keyed) out.push_back(std::move(record));
  return out;
}

}  // namespace inflow
