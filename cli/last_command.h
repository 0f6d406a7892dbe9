// `inflow last`: the last values of a measurement's series, from the
// last-value cache in Redis, or from InfluxDB when the cache has none.

#ifndef INFLOW_CLI_LAST_COMMAND_H_
#define INFLOW_CLI_LAST_COMMAND_H_

#include <CLI/CLI.hpp>

namespace inflow::cli {

// Adds the `last` subcommand to `app`:
//
//   inflow last MEASUREMENT [--tag KEY=VALUE]... [--field NAME]... [--db DB]
//               [--rp RP] [--last N] [--config FILE] [--url REDIS_URL]
//               [--influxdb URL] [--prefix PREFIX]
//
// It prints one JSON object per matching series, one per line
// (FormatLastValueRecord). Redis is --url, else the config's redis.url
// (--config, inflowd's file), else the environment's; InfluxDB, for the
// fallback, is --influxdb, else the config's influxdb.url. When the cache
// holds no matching series (or Redis cannot be reached), the same query
// goes to InfluxDB, and standard error says so. When it runs, it sets
// *exit_code: 0 when something was printed; 3 when nothing was found
// anywhere; 2 for a usage error (a bad tag, URL or config file); 1 when a
// server failed and nothing was found.
void AddLastCommand(CLI::App* app, int* exit_code);

}  // namespace inflow::cli

#endif  // INFLOW_CLI_LAST_COMMAND_H_
