// Router: which session a point goes to, and the line that session sends.
//
// A point goes to the session of its listener's retention policy (for HTTP,
// the request's `rp`), unless routing.retention_policy_tag names a tag it
// carries: then to the session of that tag's value, and the tag is left out
// of the line written. A point for a retention policy no session has is
// refused, never written somewhere else. Pure: no I/O, no clock.

#ifndef INFLOW_DAEMON_INTAKE_ROUTER_H_
#define INFLOW_DAEMON_INTAKE_ROUTER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "inflow/point.h"

namespace inflow::daemon {

class Router {
 public:
  // `retention_policies` are the sessions' in order; `tag` may be empty (no
  // routing by tag).
  Router(std::vector<std::string> retention_policies, std::string_view tag);

  // Picks the session for `point`, whose listener or request names
  // `default_rp`, and appends the line to write (see AppendForwardLine) to
  // *line; *routing_tag is set to the tag of point.tags left out of it, or
  // null. Returns the session's index; nullopt, appending nothing, when the
  // retention policy picked has no session (*unknown_rp then names it).
  std::optional<size_t> Route(const PointView& point, std::string_view default_rp,
                              int64_t received_ns, std::string* line, std::string* unknown_rp,
                              const TagView** routing_tag) const;

  // The index of the session of `retention_policy`, or nullopt.
  std::optional<size_t> SessionOf(std::string_view retention_policy) const;

 private:
  std::vector<std::string> retention_policies_;
  std::string escaped_tag_;  // the tag key as written in a line
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_INTAKE_ROUTER_H_
