#include "runtime/system.hpp"

#include "base/logging.hpp"
#include "runtime/wire.hpp"

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <thread>

WEIR_LOG_MODULE("system");

namespace weir {

expected<endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return error{"'" + text + "' is not HOST:PORT"};
  endpoint ep;
  ep.host = text.substr(0, colon);
  unsigned port = 0;
  auto tail = std::string_view{text}.substr(colon + 1);
  auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), port);
  if (ec != std::errc{} || end != tail.data() + tail.size() || port == 0 || port > 65535)
    return error{"'" + text + "': port must be a number from 1 to 65535"};
  ep.port = static_cast<std::uint16_t>(port);
  return ep;
}

namespace {
std::atomic<bool> shutdown_flag{false};
extern "C" void on_signal(int) {
  shutdown_flag = true;
}
} // namespace

bool shutdown_requested() {
  return shutdown_flag;
}

void install_shutdown_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

teardown_watchdog::~teardown_watchdog() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int teardown_watchdog::arm(int exit_code) {
  thread_ = std::thread{[this, exit_code] {
    std::unique_lock<std::mutex> guard{mtx_};
    if (cv_.wait_for(guard, limit_, [this] { return done_; }))
      return;
    WEIR_WARN("every actor ended but the actor system did not shut down within {} ms (a "
              "reference left inside CAF); exiting with status {}",
              limit_.count(), exit_code);
    spdlog::shutdown();
    std::_Exit(exit_code);
  }};
  return exit_code;
}

void wait_for_shutdown_signal() {
  install_shutdown_handlers();
  while (!shutdown_flag)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

} // namespace weir
