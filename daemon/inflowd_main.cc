// inflowd: the inflow daemon. Reads line protocol from local sockets and
// commits it to InfluxDB, one session per retention policy.
//
// Exit status: 0 after a signal stopped it (or --check-config found the
// config good); 1 when it could not start (a listener cannot bind); 2 for a
// bad config or bad arguments.

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <uv.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>

#include "cache/last_value_cache.h"
#include "config/config.h"
#include "engine.h"

namespace {

constexpr const char* kVersion = "0.1.0";

void SetUpLogging(const std::string& level) {
  auto logger = spdlog::stdout_logger_mt("inflowd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %l %v");
  spdlog::set_level(spdlog::level::from_str(level));
  // Messages are few (the noisy ones are rate-limited) and must survive a
  // crash: each one is written at once.
  spdlog::flush_on(spdlog::level::trace);
}

int Run(const inflow::daemon::Config& config) {
  uv_loop_t loop;
  if (int rc = uv_loop_init(&loop); rc < 0) {
    spdlog::critical("cannot start the event loop: {}", uv_strerror(rc));
    return 1;
  }
  int exit_code = 0;
  {
    // Declared before the engine, which refers to it until the loop's run ends.
    std::unique_ptr<inflow::daemon::LastValueCache> cache;
    inflow::daemon::Engine engine(&loop, config);
    if (config.redis.enabled) {
      cache = std::make_unique<inflow::daemon::LastValueCache>(&loop, config);
      engine.AddOutput(cache.get());
    }
    inflow::Status status = engine.Start();
    if (!status.ok()) {
      spdlog::critical("cannot start: {}", status.message());
      exit_code = 1;
    }
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  if (int rc = uv_loop_close(&loop); rc != 0) {
    spdlog::error("the event loop closed with handles still open: {}", uv_strerror(rc));
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"inflowd: takes InfluxDB line protocol from local sockets and commits it to "
               "InfluxDB, one session per retention policy"};
  std::string config_path;
  bool check_config = false;
  std::string log_level;
  app.add_option("-c,--config", config_path, "The YAML config file")->required();
  app.add_flag("--check-config", check_config, "Check the config file and exit");
  app.add_option("--log-level", log_level, "Overrides log.level")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
  app.set_version_flag("--version", std::string("inflowd ") + kVersion);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  inflow::daemon::Config config;
  inflow::Status status = inflow::daemon::LoadConfig(config_path, &config);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.message().c_str());
    return 2;
  }
  if (check_config) {
    std::printf("%s: ok\n", config_path.c_str());
    return 0;
  }
  // A client that goes away mid-answer must not end the daemon.
  std::signal(SIGPIPE, SIG_IGN);
  SetUpLogging(log_level.empty() ? config.log_level : log_level);
  spdlog::info("inflowd {} starting with {}", kVersion, config_path);
  return Run(config);
}
