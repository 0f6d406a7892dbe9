// The seed's context manager: a session commits when it goes out of scope.
#include "example_common.h"

int main(int argc, char** argv) {
  inflow::Client client(example::Url(argc, argv), example::Options());
  {
    auto session = client.session();
    session.write("temperature", {{"value", 23.1}}, 1475848864);
    session.write("temperature", {{"value", 25.0}}, 1475849823);
  }  // committed here; a failure goes to the error handler
  return example::failed ? 1 : 0;
}
