// PointOutput: an output of the pipeline beside the spool, fed with every
// point inflowd accepts (the last-value cache: cache/last_value_cache.h).
//
// The spool decides what is accepted: the points of one listener read are
// staged, then appended to their sessions' spools together (Engine::Admit),
// and only then accepted. An output follows the same steps: Stage for each
// point of a read as the intake takes it; then, for each session the read
// staged points for, Admitted (they are in the spool: accepted) or
// Discarded (refused for a full spool, and nobody was told they were
// taken). Points held for a full spool (when_full: block) are Admitted
// later, when they fit, or Discarded if inflowd stops first. An output
// never refuses a point and never makes a listener wait: what it cannot
// keep up with is its own to bound and count.
//
// Ownership: the engine holds outputs it is given, and each must outlive
// it. Thread: the loop's.

#ifndef INFLOW_DAEMON_POINT_OUTPUT_H_
#define INFLOW_DAEMON_POINT_OUTPUT_H_

#include <cstddef>

#include "intake/intake.h"

namespace inflow::daemon {

class PointOutput {
 public:
  virtual ~PointOutput() = default;

  // Called by Engine::Start, before any point.
  virtual void Start() {}

  // Called when the engine closes, after the last point, and also when
  // Engine::Start failed before Start was called: the output ends its work
  // (what it still holds, within bounds of its own) and closes its handles,
  // so that the loop's run ends.
  virtual void Stop() {}

  // A point of the read under way; its views are valid only during the call.
  virtual void Stage(const AcceptedPoint& point) = 0;

  // The points staged for `session` since its last Admitted or Discarded
  // are accepted.
  virtual void Admitted(size_t session) = 0;

  // The points staged for `session` since its last Admitted or Discarded
  // were not accepted.
  virtual void Discarded(size_t session) = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_POINT_OUTPUT_H_
