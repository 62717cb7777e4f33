#include "base/logging.hpp"

#include <gtest/gtest.h>

WEIR_LOG_MODULE("logging-test");

TEST(Logging, LevelsPerModule) {
  ASSERT_TRUE(weir::log::init("test", "warn,logging-test=debug,other=error"));
  EXPECT_EQ(weir::log::get("logging-test")->level(), spdlog::level::debug);
  EXPECT_EQ(weir::log::get("other")->level(), spdlog::level::err);
  EXPECT_EQ(weir::log::get("unnamed")->level(), spdlog::level::warn);
  EXPECT_EQ(&weir_module_logger(), weir::log::get("logging-test").get());
  // Applying new levels reaches loggers made before.
  ASSERT_TRUE(weir::log::init("test", "info"));
  EXPECT_EQ(weir::log::get("logging-test")->level(), spdlog::level::info);
}

TEST(Logging, BadLevelsAreRefused) {
  auto bad = weir::log::check_levels("info,source=loud");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error_message(),
            "log level 'loud' is not one of: trace, debug, info, warn, error, off");
  EXPECT_FALSE(weir::log::check_levels("=debug"));
  EXPECT_TRUE(weir::log::check_levels("off"));
  EXPECT_TRUE(weir::log::check_levels("error,sink=trace"));
}
