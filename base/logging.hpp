// Per-module logging. Every .cpp that logs names its module once, after its
// includes:
//
//   WEIR_LOG_MODULE("source");
//
// and then logs with WEIR_INFO(...) etc. Each module is a named spdlog
// logger sharing the process's sink, so a line reads
//   2026-01-01T00:00:00.000 info [worker-w1] [source] job bets: ...
// and levels are set per module from the command line
// (`--log-level info,source=debug`). Nothing else includes spdlog directly,
// so the backend and format can change in one place.
#pragma once

#include "base/expected.hpp"

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

namespace weir::log {

// Sets up the process's logging: `component` names the process in each line
// (coordinator, worker-w1, ...); `levels` is a default level and optional
// per-module overrides, "info" or "warn,source=debug,sink=trace". Levels:
// trace, debug, info, warn, error, off.
expected<void> init(const std::string& component, const std::string& levels = "info");

// Checks a levels string without applying it (the CLI validates first).
expected<void> check_levels(const std::string& levels);

// The logger of `module`, created on first use with the level init() gave it.
std::shared_ptr<spdlog::logger> get(std::string_view module);

} // namespace weir::log

// Defines this file's module logger (one per translation unit).
#define WEIR_LOG_MODULE(name)                               \
  namespace {                                               \
  [[maybe_unused]] ::spdlog::logger& weir_module_logger() { \
    static const auto logger = ::weir::log::get(name);      \
    return *logger;                                         \
  }                                                         \
  }                                                         \
  static_assert(true, "")

#define WEIR_TRACE(...) weir_module_logger().trace(__VA_ARGS__)
#define WEIR_DEBUG(...) weir_module_logger().debug(__VA_ARGS__)
#define WEIR_INFO(...) weir_module_logger().info(__VA_ARGS__)
#define WEIR_WARN(...) weir_module_logger().warn(__VA_ARGS__)
#define WEIR_ERROR(...) weir_module_logger().error(__VA_ARGS__)
