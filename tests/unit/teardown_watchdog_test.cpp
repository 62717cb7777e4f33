// The watchdog ends a process, so each case runs in a child (a death test)
// and checks how that child exited: with the code the watchdog was armed
// with when the teardown stalls, with the child's own code otherwise.
#include "base/logging.hpp"
#include "runtime/system.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <unistd.h>

using namespace std::chrono_literals;

namespace {

// A child that would hang forever dies of SIGALRM instead: not an exit code.
constexpr unsigned child_limit_s = 5;
constexpr int own_code = 42; // the child's, never one a watchdog here is armed with

} // namespace

TEST(TeardownWatchdog, EndsAStalledTeardownWithTheExitCodeItWasArmedWith) {
  EXPECT_EXIT(
    {
      ::alarm(child_limit_s);
      weir::log::init("watchdog-test");
      weir::teardown_watchdog watchdog{50ms};
      watchdog.arm(3);
      std::this_thread::sleep_for(10s); // a teardown that never ends
      ::_exit(own_code);
    },
    ::testing::ExitedWithCode(3), "did not shut down within 50 ms");
}

TEST(TeardownWatchdog, LeavesATeardownThatEndsInTimeAlone) {
  EXPECT_EXIT(
    {
      ::alarm(child_limit_s);
      int armed = 0;
      {
        weir::teardown_watchdog watchdog{100ms};
        armed = watchdog.arm(7);
      }                                   // disarmed here
      std::this_thread::sleep_for(300ms); // past the limit: the child must still run
      ::_exit(armed == 7 ? own_code : 1);
    },
    ::testing::ExitedWithCode(own_code), "");
}

TEST(TeardownWatchdog, NeverArmedDoesNothing) {
  EXPECT_EXIT(
    {
      ::alarm(child_limit_s);
      {
        weir::teardown_watchdog watchdog{1ms};
        std::this_thread::sleep_for(20ms); // far past the limit
      }                                    // destroyed without ever being armed: returns at once
      ::_exit(own_code);
    },
    ::testing::ExitedWithCode(own_code), "");
}
