#include "intake/intake.h"

#include "inflow/line_writer.h"

namespace inflow::daemon {

std::string_view AcceptedPoint::series_key() const {
  if (!key_made_) {
    key_buffer_->clear();
    AppendSeriesKey(point_, key_buffer_, routing_tag_);
    key_made_ = true;
  }
  return *key_buffer_;
}

namespace {

// The line without its newline, for messages. A carriage return before it
// stays, as InfluxDB quotes the line in its errors.
std::string_view WithoutLineEnding(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  return line;
}

}  // namespace

Intake::Intake(const Router* router, const ParserOptions& options, std::string_view listener,
               std::string_view default_rp)
    : router_(router), listener_(listener), default_rp_(default_rp) {
  parser_.emplace(options);
}

void Intake::Reset(const ParserOptions& options, std::string_view default_rp) {
  parser_.emplace(options);
  default_rp_.assign(default_rp);
}

size_t Intake::Feed(std::string_view data, bool final, int64_t received_ns, Pipeline* pipeline) {
  size_t used = 0;
  while (used < data.size()) {
    std::string_view rest = data.substr(used);
    size_t consumed = 0;
    size_t newlines = 0;
    ParseStatus status = parser_->Parse(rest, final, &consumed, &newlines);
    if (status == ParseStatus::kNeedMore) break;
    std::string_view line = rest.substr(0, consumed);
    used += consumed;
    switch (status) {
      case ParseStatus::kPoint: {
        line_.clear();
        const TagView* routing_tag = nullptr;
        std::optional<size_t> session = router_->Route(parser_->point(), default_rp_, received_ns,
                                                       &line_, &unknown_rp_, &routing_tag);
        if (session) {
          ++points_;
          pipeline->Accept(AcceptedPoint(*session, line_, parser_->point(), routing_tag,
                                         received_ns, &series_key_));
        } else {
          ++refused_;
          pipeline->Refuse({Refusal::Kind::kUnknownRetentionPolicy, listener_,
                        WithoutLineEnding(line), unknown_rp_, 0});
        }
        break;
      }
      case ParseStatus::kError:
        ++refused_;
        pipeline->Refuse({Refusal::Kind::kBadLine, listener_, WithoutLineEnding(line),
                      parser_->error().reason, parser_->error().offset});
        break;
      case ParseStatus::kSkip:
      case ParseStatus::kNeedMore:
        break;
    }
    if (consumed == 0) break;  // defensive: the parser always consumes on these results
  }
  return used;
}

}  // namespace inflow::daemon
