// The seed's first example: a session, two writes, one commit.
#include "example_common.h"

int main(int argc, char** argv) {
  inflow::Client client(example::Url(argc, argv), example::Options());
  auto session = client.session();

  session.write("temperature", {{"value", 23.1}}, 1475848864);
  session.write("temperature", {{"value", 25.0}}, 1475849823);

  example::Show("commit", session.commit());  // one write to InfluxDB
  return example::failed ? 1 : 0;
}
