// inflow: the command-line tool of the inflow project.

#include <CLI/CLI.hpp>

#include "check_command.h"
#include "last_command.h"
#include "redis_command.h"

int main(int argc, char** argv) {
  CLI::App app{"inflow: line protocol tools for InfluxDB, last values, and JSON values in Redis"};
  app.require_subcommand(1);
  int exit_code = 0;
  inflow::cli::AddCheckCommand(&app, &exit_code);
  inflow::cli::AddLastCommand(&app, &exit_code);
  inflow::cli::AddRedisCommand(&app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    // Help is a success; every other parse error is a usage error.
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
