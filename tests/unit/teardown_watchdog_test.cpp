#include "base/logging.hpp"
#include "runtime/system.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <thread>

using namespace std::chrono_literals;

TEST(TeardownWatchdog, EndsAStalledTeardownWithTheExitCodeItWasArmedWith) {
  EXPECT_EXIT(
    {
      weir::log::init("watchdog-test");
      weir::teardown_watchdog watchdog{50ms};
      watchdog.arm(3);
      std::this_thread::sleep_for(10s); // a teardown that never ends
      std::exit(0);
    },
    ::testing::ExitedWithCode(3), "did not shut down within 50 ms");
}

TEST(TeardownWatchdog, LeavesATeardownThatEndsInTimeAlone) {
  {
    weir::teardown_watchdog watchdog{100ms};
    EXPECT_EQ(watchdog.arm(7), 7);
  } // disarmed here
  std::this_thread::sleep_for(300ms); // past the limit: still running
  SUCCEED();
}

TEST(TeardownWatchdog, NeverArmedDoesNothing) {
  weir::teardown_watchdog watchdog{1ms};
  std::this_thread::sleep_for(20ms);
}
