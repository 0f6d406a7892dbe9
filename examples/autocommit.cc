// The seed's autocommit: the fifth write commits.
#include "example_common.h"

int main(int argc, char** argv) {
  inflow::Client client(example::Url(argc, argv), example::Options());
  auto session = client.session({.autocommit_every = 5});

  session.write("temperature", {{"value", 23.1}}, 1475848864);
  session.write("temperature", {{"value", 25.0}}, 1475849823);
  session.write("temperature", {{"value", 22.9}}, 1475849825);
  session.write("temperature", {{"value", 28.2}}, 1475849912);

  // This next write call will trigger the autocommit.
  example::Show("autocommit", session.write("temperature", {{"value", 25.1}}, 1475849999));
  return example::failed ? 1 : 0;
}
