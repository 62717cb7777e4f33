// Logging helpers: the rest of weir logs through these, never spdlog directly,
// so the backend and format can change in one place.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace weir::log {

// Sets up the process-wide logger; `component` names the process in each line
// (coordinator, worker-2, ...), `level` is trace|debug|info|warn|error.
void init(const std::string& component, const std::string& level = "info");

} // namespace weir::log

#define WEIR_TRACE(...) SPDLOG_TRACE(__VA_ARGS__)
#define WEIR_DEBUG(...) ::spdlog::debug(__VA_ARGS__)
#define WEIR_INFO(...) ::spdlog::info(__VA_ARGS__)
#define WEIR_WARN(...) ::spdlog::warn(__VA_ARGS__)
#define WEIR_ERROR(...) ::spdlog::error(__VA_ARGS__)
