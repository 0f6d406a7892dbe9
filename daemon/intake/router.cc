#include "intake/router.h"

#include <algorithm>

#include "inflow/line_writer.h"

namespace inflow::daemon {

Router::Router(std::vector<std::string> retention_policies, std::string_view tag)
    : retention_policies_(std::move(retention_policies)) {
  AppendEscapedTag(tag, &escaped_tag_);
}

std::optional<size_t> Router::SessionOf(std::string_view retention_policy) const {
  auto it = std::find(retention_policies_.begin(), retention_policies_.end(), retention_policy);
  if (it == retention_policies_.end()) return std::nullopt;
  return static_cast<size_t>(it - retention_policies_.begin());
}

std::optional<size_t> Router::Route(const PointView& point, std::string_view default_rp,
                                    int64_t received_ns, std::string* line,
                                    std::string* unknown_rp,
                                    const TagView** routing_tag) const {
  // Tag keys as written are canonical, so the escaped name compares as is.
  *routing_tag = nullptr;
  if (!escaped_tag_.empty()) {
    for (const TagView& tag : point.tags) {
      if (tag.key == escaped_tag_) {
        *routing_tag = &tag;
        break;
      }
    }
  }
  std::string tag_rp;
  std::string_view rp = default_rp;
  if (*routing_tag != nullptr) {
    tag_rp = UnescapeTag((*routing_tag)->value);
    rp = tag_rp;
  }
  std::optional<size_t> session = SessionOf(rp);
  if (!session) {
    unknown_rp->assign(rp);
    return std::nullopt;
  }
  AppendForwardLine(point, received_ns, line, *routing_tag);
  return session;
}

}  // namespace inflow::daemon
