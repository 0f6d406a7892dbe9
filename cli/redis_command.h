// `inflow redis get|set`: JSON values in Redis from the command line, on
// the library's RedisClient.

#ifndef INFLOW_CLI_REDIS_COMMAND_H_
#define INFLOW_CLI_REDIS_COMMAND_H_

#include <CLI/CLI.hpp>

namespace inflow::cli {

// Adds the `redis` subcommand (with `get KEY` and `set KEY JSON [--expire
// SECONDS]`, each taking `--url URL`, else the environment as
// RedisAddressFromEnvironment reads it) to `app`. When one runs, it sets
// *exit_code: 0 on success (get prints the JSON and a newline); 3 when get
// finds no such key (nothing on stdout, a line on stderr); 2 for a bad URL
// or environment and for a value that is not JSON; 1 when the server cannot
// be reached or answers with an error. Usage errors CLI11 finds are the
// caller's (exit 2 in inflow_main.cc).
void AddRedisCommand(CLI::App* app, int* exit_code);

}  // namespace inflow::cli

#endif  // INFLOW_CLI_REDIS_COMMAND_H_
