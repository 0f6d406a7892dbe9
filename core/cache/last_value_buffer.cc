#include "inflow/last_value_buffer.h"

#include <algorithm>
#include <utility>

#include "inflow/field_json.h"
#include "inflow/last_value_layout.h"

namespace inflow {
namespace {

// A name unescaped, without a copy when it has no backslash (the usual case).
std::string_view Unescaped(std::string_view escaped, std::string (*unescape)(std::string_view),
                           std::string* scratch) {
  if (escaped.find('\\') == std::string_view::npos) return escaped;
  *scratch = unescape(escaped);
  return *scratch;
}

template <class Field>
void AppendFieldsObject(const std::vector<Field>& fields, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJsonString(fields[i].name, out);
    out->push_back(':');
    fields[i].AppendJson(out);
  }
  out->push_back('}');
}

}  // namespace

Status CheckLastValueOptions(const LastValueOptions& options) {
  if (options.ttl_seconds < 0 || options.ttl_seconds > LastValueOptions::kMaxTtlSeconds) {
    return Status::Error("ttl_seconds must be 0.." +
                         std::to_string(LastValueOptions::kMaxTtlSeconds) + ", not " +
                         std::to_string(options.ttl_seconds));
  }
  if (options.keep_last < 1 || options.keep_last > LastValueOptions::kMaxKeepLast) {
    return Status::Error("keep_last must be 1..100, not " + std::to_string(options.keep_last));
  }
  if (options.max_pending_series < 1) return Status::Error("max_pending_series must be >= 1");
  return Status::Ok();
}

void LastValueBuffer::Field::AppendJson(std::string* out) const {
  AppendFieldJson(FieldView{.key = {}, .value = value, .type = type}, out);
}

LastValueBuffer::LastValueBuffer(LastValueOptions options) : options_(std::move(options)) {}

LastValueBuffer::AddResult LastValueBuffer::Add(const SeriesIdentity& series,
                                                std::span<const FieldView> fields,
                                                int64_t time_ns) {
  // The lookup key: the series' parts, length-prefixed as in the layout.
  scratch_.clear();
  for (std::string_view part : {series.database, series.retention_policy}) {
    scratch_.append(std::to_string(part.size()));
    scratch_.push_back(':');
    scratch_.append(part);
  }
  scratch_.push_back(':');
  scratch_.append(series.series_key);
  auto it = index_.find(scratch_);
  if (it == index_.end()) {
    if (pending_.size() >= options_.max_pending_series) {
      ++refused_points_;
      return AddResult::kRefused;
    }
    it = index_.emplace(scratch_, pending_.size()).first;
    pending_.push_back(NewSeries(series));
    pending_.back().time_ns = time_ns;
  }
  Series& s = pending_[it->second];
  s.time_ns = std::max(s.time_ns, time_ns);
  std::string name_scratch;
  for (const FieldView& field : fields) {
    std::string_view name = Unescaped(field.key, UnescapeFieldKey, &name_scratch);
    auto f = std::find_if(s.fields.begin(), s.fields.end(),
                          [&](const Field& p) { return p.name == name; });
    if (f == s.fields.end()) {
      s.fields.push_back(Field{std::string(name), {}, field.type, time_ns});
      f = s.fields.end() - 1;
    } else if (time_ns < f->time_ns) {
      continue;
    }
    f->time_ns = time_ns;
    f->value.assign(field.value);
    f->type = field.type;
  }
  if (options_.keep_last > 1) MergeRecent(&s, fields, time_ns);
  return AddResult::kTaken;
}

LastValueBuffer::Series LastValueBuffer::NewSeries(const SeriesIdentity& series) const {
  std::string measurement = UnescapeMeasurement(series.measurement);
  LastValueTags tags;
  for (const TagView& tag : series.tags) {
    if (&tag == series.left_out) continue;
    tags.emplace_back(UnescapeTag(tag.key), UnescapeTag(tag.value));
  }
  std::sort(tags.begin(), tags.end());
  LastValueKeys keys = MakeLastValueKeys(options_.key_prefix, series.database,
                                         series.retention_policy, series.series_key,
                                         measurement, tags);
  Series s;
  s.keys.reserve(4 + keys.tag_indexes.size());
  s.keys.push_back(std::move(keys.series));
  s.keys.push_back(std::move(keys.recent));
  s.keys.push_back(std::move(keys.catalog));
  s.keys.push_back(std::move(keys.index));
  for (std::string& key : keys.tag_indexes) s.keys.push_back(std::move(key));
  s.series_key = std::string(series.series_key);
  s.catalog_member = LastValueCatalogMember(series.database, series.retention_policy);
  AppendJsonString(measurement, &s.measurement_json);
  s.tags_json.push_back('{');
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) s.tags_json.push_back(',');
    AppendJsonString(tags[i].first, &s.tags_json);
    s.tags_json.push_back(':');
    AppendJsonString(tags[i].second, &s.tags_json);
  }
  s.tags_json.push_back('}');
  return s;
}

void LastValueBuffer::MergeRecent(Series* series, std::span<const FieldView> fields,
                                  int64_t time_ns) {
  auto& recent = series->recent;
  auto pos = std::find_if(recent.begin(), recent.end(),
                          [&](const RecentPoint& p) { return p.time_ns <= time_ns; });
  auto keep = static_cast<size_t>(options_.keep_last);
  if (pos == recent.end() || pos->time_ns != time_ns) {
    if (static_cast<size_t>(pos - recent.begin()) >= keep) return;  // older than all kept
    pos = recent.insert(pos, RecentPoint{time_ns, {}});
  }
  std::string name_scratch;
  for (const FieldView& field : fields) {
    std::string_view name = Unescaped(field.key, UnescapeFieldKey, &name_scratch);
    auto f = std::find_if(pos->fields.begin(), pos->fields.end(),
                          [&](const Field& p) { return p.name == name; });
    if (f == pos->fields.end()) {
      pos->fields.push_back(Field{std::string(name), {}, field.type, time_ns});
      f = pos->fields.end() - 1;
    }
    f->value.assign(field.value);
    f->type = field.type;
  }
  if (recent.size() > keep) recent.pop_back();
}

LastValueUpdate LastValueBuffer::MakeUpdate(Series* s) const {
  LastValueUpdate update;
  update.keys = std::move(s->keys);
  auto& args = update.args;
  args.reserve(8 + 3 * s->fields.size() + s->recent.size());
  args.push_back(std::to_string(options_.ttl_seconds));
  args.push_back(std::to_string(options_.keep_last));
  args.push_back(std::move(s->series_key));
  args.push_back(std::move(s->measurement_json));
  args.push_back(std::move(s->tags_json));
  args.emplace_back();
  AppendTimeText(s->time_ns, &args.back());
  args.push_back(std::move(s->catalog_member));
  args.push_back(std::to_string(s->fields.size()));
  for (Field& f : s->fields) {
    args.push_back(std::move(f.name));
    args.emplace_back();
    f.AppendJson(&args.back());
    args.emplace_back();
    AppendTimeText(f.time_ns, &args.back());
  }
  for (RecentPoint& p : s->recent) {
    // Fields by name, in whatever order the points had them.
    std::sort(p.fields.begin(), p.fields.end(),
              [](const Field& a, const Field& b) { return a.name < b.name; });
    std::string entry = "{\"time\":";
    AppendTimeText(p.time_ns, &entry);
    entry.append(",\"fields\":");
    AppendFieldsObject(p.fields, &entry);
    entry.push_back('}');
    args.push_back(std::move(entry));
  }
  return update;
}

std::vector<LastValueUpdate> LastValueBuffer::Take() {
  std::vector<LastValueUpdate> updates;
  updates.reserve(pending_.size());
  for (Series& s : pending_) updates.push_back(MakeUpdate(&s));
  pending_.clear();
  index_.clear();
  return updates;
}

}  // namespace inflow
