// Listener: where points come in. Each listener reads one socket on the
// engine's loop and gives what it reads to an Intake (parser → router), which
// hands the points to the engine (the Pipeline).
//
// Ownership: the engine owns its listeners. Close() stops reading and closes
// every handle, the clients' too; the listener must outlive the loop's run
// that follows (its handles are in a HandleSet, which aborts the process if
// the listener is destroyed before their close callbacks ran). Thread: the
// loop's.

#ifndef INFLOW_DAEMON_LISTENERS_LISTENER_H_
#define INFLOW_DAEMON_LISTENERS_LISTENER_H_

#include <string>

#include "config/config.h"
#include "inflow/clock.h"
#include "inflow/line_parser.h"
#include "inflow/status.h"
#include "intake/intake.h"
#include "intake/router.h"

namespace inflow::daemon {

class LastValueReader;

// What every listener needs from the engine.
struct ListenerContext {
  const Router* router = nullptr;
  Pipeline* pipeline = nullptr;
  ParserOptions parser_options;  // the listener's precision, the server's unsigned support
  std::string name;              // e.g. "unix_stream /run/inflowd/inflowd.sock", for logs
  std::string retention_policy;  // of its points, unless routed
  std::string database;          // the database written to (HTTP checks `db` against it)
  // The only time a listener reads: WallNanos() stamps the points that
  // arrive without a timestamp, Now() paces its rate-limited logs. Not
  // null; outlives the listener (the engine's LoopClock, a test's own).
  const Clock* clock = nullptr;
  // Reads the last-value cache (HTTP's GET /last); null when redis.url is
  // not set. Outlives the listener.
  LastValueReader* last_values = nullptr;
};

class Listener {
 public:
  virtual ~Listener() = default;

  // Binds the socket and starts reading. On failure returns an error naming
  // the listener and the cause, and holds no open handle but what Close()
  // closes.
  virtual Status Start() = 0;

  // Stops reading and closes the socket and every client connection. Lines
  // a stream client had sent in part are dropped.
  virtual void Close() = 0;

  // Backpressure from a full spool (when_full: block): Pause stops reading
  // from every client, new ones included, until Resume. Datagram sockets
  // cannot make their senders wait, and go on reading (the engine drops and
  // counts their points).
  virtual void Pause() = 0;
  virtual void Resume() = 0;

  virtual const std::string& name() const = 0;
};

}  // namespace inflow::daemon

#endif  // INFLOW_DAEMON_LISTENERS_LISTENER_H_
