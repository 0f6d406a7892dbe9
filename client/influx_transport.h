// InfluxTransport: a Client's batches written to InfluxDB over HTTP, with
// the daemon's own writer (BatchWriter), hence its delivery rules.
//
// Each write runs on a channel: a private libuv loop with one BatchWriter
// for one retention policy, run by the calling thread until its batches are
// done with or the deadline. Idle channels are kept (at most
// kMaxIdleChannels), so that their keep-alive connections serve the next
// write; a thread takes one no other thread holds. A channel whose batches
// were not all done with is closed, abandoning its request.
//
// Thread-safe.

#ifndef INFLOW_CLIENT_INFLUX_TRANSPORT_H_
#define INFLOW_CLIENT_INFLUX_TRANSPORT_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "client/transport.h"
#include "inflow/delivery.h"
#include "inflow/influx_protocol.h"

namespace inflow {

class InfluxTransport final : public Transport {
 public:
  static constexpr size_t kMaxIdleChannels = 16;

  InfluxTransport(InfluxEndpoint endpoint, const ClientOptions& options);
  ~InfluxTransport() override;

  void Write(const std::string& retention_policy, std::deque<Batch>* batches,
             Deadline deadline, WriteResult* result) override;
  const std::string& retention_policy_tag() const override { return no_tag_; }
  bool writes_retention_policy() const override { return true; }

 private:
  class Channel;

  std::unique_ptr<Channel> Take(const std::string& retention_policy);
  void GiveBack(std::unique_ptr<Channel> channel);

  const InfluxEndpoint endpoint_;
  DeliveryOptions delivery_options_;
  const std::string no_tag_;
  std::mutex mutex_;
  std::multimap<std::string, std::unique_ptr<Channel>> idle_;  // by retention policy
};

}  // namespace inflow

#endif  // INFLOW_CLIENT_INFLUX_TRANSPORT_H_
