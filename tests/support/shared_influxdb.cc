#include "support/shared_influxdb.h"

namespace inflow::test {

void SharedInfluxDb::Start() {
  Stop();
  server_ = std::make_unique<InfluxDbServer>();
  start_status_ = server_->Start();
}

void SharedInfluxDb::Stop() {
  server_.reset();
  start_status_ = Status::Error("SharedInfluxDb: the server was stopped");
}

}  // namespace inflow::test
