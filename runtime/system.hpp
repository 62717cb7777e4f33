// Process plumbing every weir process shares: endpoints, failure-detection
// timing, shutdown signals and the bounded teardown (actors/system.hpp builds
// the CAF configuration from these).
#pragma once

#include "base/expected.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

namespace weir {

struct endpoint {
  std::string host;
  std::uint16_t port = 0;
};

// "host:port" -> endpoint; the error names the text and what is wrong.
expected<endpoint> parse_endpoint(const std::string& text);

struct node_options {
  // Middleman heartbeats are off in CAF 0.17 by default; without them a frozen
  // peer is never noticed. connection_timeout is how long silence is tolerated.
  std::chrono::milliseconds heartbeat{250};
  std::chrono::milliseconds connection_timeout{1500};
};

// Routes SIGINT and SIGTERM to shutdown_requested().
void install_shutdown_handlers();

// True once SIGINT or SIGTERM arrived.
bool shutdown_requested();

// Installs the handlers and blocks until SIGINT or SIGTERM.
void wait_for_shutdown_signal();

// Bounds the teardown of an actor system whose actors have all ended. CAF
// 0.17's ~actor_system joins each detached actor's thread, and that thread
// waits until its actor object is destroyed; a reference left inside CAF (seen
// about once in ten runs after live handoffs) stalls the exit forever. Every
// actor has terminated by then and all that must be durable is written, so the
// process ends with its exit code instead. Declare the watchdog before the
// actor system (it must outlive it) and return through arm() once
// await_all_actors_done() returned.
class teardown_watchdog {
public:
  explicit teardown_watchdog(std::chrono::milliseconds limit) : limit_(limit) {}
  teardown_watchdog(const teardown_watchdog&) = delete;
  teardown_watchdog& operator=(const teardown_watchdog&) = delete;
  ~teardown_watchdog();

  // Starts the clock; returns exit_code for `return watchdog.arm(rc);`.
  int arm(int exit_code);

private:
  std::chrono::milliseconds limit_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

} // namespace weir
