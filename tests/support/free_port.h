// FreePort: a TCP port on 127.0.0.1 that nothing listens on right now.

#ifndef INFLOW_TESTS_SUPPORT_FREE_PORT_H_
#define INFLOW_TESTS_SUPPORT_FREE_PORT_H_

#include <cstdint>

#include "inflow/status.h"

namespace inflow::test {

// Binds a TCP socket to 127.0.0.1:0, reads back the port the kernel chose,
// and closes the socket. Another process may take the port before the caller
// binds it; servers started on it should retry with a new port when they
// fail with "address already in use".
//
// On success sets *port (never 0); on failure returns an error naming the
// system call and leaves *port unchanged.
Status FreePort(uint16_t* port);

}  // namespace inflow::test

#endif  // INFLOW_TESTS_SUPPORT_FREE_PORT_H_
