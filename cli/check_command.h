// `inflow check`: validates line protocol files and prints their canonical form.

#ifndef INFLOW_CLI_CHECK_COMMAND_H_
#define INFLOW_CLI_CHECK_COMMAND_H_

#include <CLI/CLI.hpp>

namespace inflow::cli {

// Adds the `check` subcommand to `app`. When it runs, it sets *exit_code:
// 0 when every line is valid, 1 when any is invalid, 2 when a file cannot
// be read.
void AddCheckCommand(CLI::App* app, int* exit_code);

}  // namespace inflow::cli

#endif  // INFLOW_CLI_CHECK_COMMAND_H_
