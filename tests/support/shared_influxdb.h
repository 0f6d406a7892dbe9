// SharedInfluxDb: one InfluxDbServer for all the tests of a GoogleTest suite.
//
// Starting influxd takes about a second, so a suite starts one server in
// SetUpTestSuite and stops it in TearDownTestSuite; its tests isolate
// themselves with a database each. A failed start is kept, not thrown, so
// that every test of the suite fails with the reason in SetUp:
//
//   static void SetUpTestSuite() { influxdb_.Start(); }
//   static void TearDownTestSuite() { influxdb_.Stop(); }
//   void SetUp() override {
//     ASSERT_TRUE(influxdb_.start_status().ok()) << influxdb_.start_status().message();
//   }
//   static SharedInfluxDb influxdb_;
//
// Thread: the test's main thread (see ChildProcess).

#ifndef INFLOW_TESTS_SUPPORT_SHARED_INFLUXDB_H_
#define INFLOW_TESTS_SUPPORT_SHARED_INFLUXDB_H_

#include <memory>

#include "inflow/status.h"
#include "support/influxdb_server.h"

namespace inflow::test {

class SharedInfluxDb {
 public:
  SharedInfluxDb() = default;
  SharedInfluxDb(const SharedInfluxDb&) = delete;
  SharedInfluxDb& operator=(const SharedInfluxDb&) = delete;

  // Stops and removes a server of an earlier Start, then starts a new one in
  // a new folder. start_status() tells how it went; server() is set either
  // way (not running after a failure).
  void Start();

  // Stops the server (SIGKILL if SIGTERM is not enough) and removes its
  // folder. No-op if there is none.
  void Stop();

  // OK after a successful Start; otherwise why there is no server.
  const Status& start_status() const { return start_status_; }

  // The server. REQUIRES: Start was called, and Stop was not since.
  InfluxDbServer* server() const { return server_.get(); }

 private:
  std::unique_ptr<InfluxDbServer> server_;
  Status start_status_ = Status::Error("SharedInfluxDb: Start was not called");
};

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_SHARED_INFLUXDB_H_
