// Transport: where a Client's batches go (InfluxDB over HTTP, or inflowd
// over a socket), behind one interface the client and its sessions use.
//
// Thread-safe: the threads sharing a Client share its transport; each call
// does its I/O on the calling thread.

#ifndef INFLOW_CLIENT_TRANSPORT_H_
#define INFLOW_CLIENT_TRANSPORT_H_

#include <chrono>
#include <deque>
#include <string>

#include "inflow/batcher.h"
#include "inflow/client.h"

namespace inflow {

using Deadline = std::chrono::steady_clock::time_point;

class Transport {
 public:
  virtual ~Transport() = default;

  // Writes `*batches`, oldest first, into `retention_policy` (empty: the
  // database's default, or the listener's), trying until `deadline`.
  // Removes from the front of *batches the points written or refused,
  // counting them in *result (written_points, refused_points,
  // refused_lines); what is left was not written, in order, and
  // result->error and message say why. REQUIRES: *result is ok.
  virtual void Write(const std::string& retention_policy, std::deque<Batch>* batches,
                     Deadline deadline, WriteResult* result) = 0;

  // The tag that carries a point's retention policy to inflowd (its
  // routing.retention_policy_tag), for a transport through inflowd that
  // was given one; empty otherwise.
  virtual const std::string& retention_policy_tag() const = 0;

  // Whether the retention policy goes with each write (InfluxDB's `rp`):
  // false for a transport through inflowd.
  virtual bool writes_retention_policy() const = 0;
};

}  // namespace inflow

#endif  // INFLOW_CLIENT_TRANSPORT_H_
