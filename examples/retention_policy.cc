// The seed's session-wide retention policy. Session::write takes none: it
// is the session's.
#include <chrono>

#include "example_common.h"

int main(int argc, char** argv) {
  inflow::Client client(example::Url(argc, argv), example::Options());
  {
    auto session = client.session({.retention_policy = "rp_four_weeks"});
    // The seed writes 1475848864 (2016), which a four-week policy drops
    // today: this example writes an hour ago.
    session.write("temperature", {{"value", 23.1}},
                  std::chrono::system_clock::now() - std::chrono::hours(1));
  }
  return example::failed ? 1 : 0;
}
