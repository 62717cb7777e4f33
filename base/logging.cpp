#include "base/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <map>
#include <mutex>

namespace weir::log {

namespace {

struct registry {
  std::mutex mtx;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  std::string pattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [weir] [%n] %v";
  spdlog::level::level_enum fallback = spdlog::level::info;
  std::map<std::string, spdlog::level::level_enum, std::less<>> levels; // per module
  std::map<std::string, std::shared_ptr<spdlog::logger>, std::less<>> loggers;

  spdlog::level::level_enum level_of(std::string_view module) const {
    auto it = levels.find(module);
    return it == levels.end() ? fallback : it->second;
  }
};

registry& reg() {
  static registry r;
  return r;
}

expected<spdlog::level::level_enum> parse_level(std::string_view text) {
  auto level = spdlog::level::from_str(std::string{text});
  // from_str answers `off` for anything it does not know.
  if (level == spdlog::level::off && text != "off")
    return error{"log level '" + std::string{text}
                 + "' is not one of: trace, debug, info, warn, error, off"};
  return level;
}

struct parsed_levels {
  spdlog::level::level_enum fallback = spdlog::level::info;
  std::map<std::string, spdlog::level::level_enum, std::less<>> modules;
};

expected<parsed_levels> parse_levels(std::string_view text) {
  parsed_levels out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (item.empty())
      continue;
    auto eq = item.find('=');
    auto level = parse_level(eq == std::string_view::npos ? item : item.substr(eq + 1));
    if (!level)
      return level.failure();
    if (eq == std::string_view::npos)
      out.fallback = *level;
    else if (eq == 0)
      return error{"log level '" + std::string{item} + "' names no module (write module=level)"};
    else
      out.modules[std::string{item.substr(0, eq)}] = *level;
  }
  return out;
}

} // namespace

expected<void> check_levels(const std::string& levels) {
  auto parsed = parse_levels(levels);
  if (!parsed)
    return parsed.failure();
  return {};
}

expected<void> init(const std::string& component, const std::string& levels) {
  auto parsed = parse_levels(levels);
  if (!parsed)
    return parsed.failure();
  auto& r = reg();
  std::lock_guard<std::mutex> guard{r.mtx};
  r.pattern = "%Y-%m-%dT%H:%M:%S.%e %^%l%$ [" + component + "] [%n] %v";
  r.fallback = parsed->fallback;
  r.levels = std::move(parsed->modules);
  for (auto& [name, logger] : r.loggers) {
    logger->set_pattern(r.pattern);
    logger->set_level(r.level_of(name));
  }
  // Messages from libraries' own spdlog use (none today) keep the format.
  auto fallback = std::make_shared<spdlog::logger>("default", r.sink);
  fallback->set_pattern(r.pattern);
  fallback->set_level(r.fallback);
  spdlog::set_default_logger(fallback);
  spdlog::flush_every(std::chrono::seconds(1));
  return {};
}

std::shared_ptr<spdlog::logger> get(std::string_view module) {
  auto& r = reg();
  std::lock_guard<std::mutex> guard{r.mtx};
  if (auto it = r.loggers.find(module); it != r.loggers.end())
    return it->second;
  auto logger = std::make_shared<spdlog::logger>(std::string{module}, r.sink);
  logger->set_pattern(r.pattern);
  logger->set_level(r.level_of(module));
  logger->flush_on(spdlog::level::warn);
  r.loggers.emplace(std::string{module}, logger);
  spdlog::register_logger(logger); // so flush_every reaches it
  return logger;
}

} // namespace weir::log
