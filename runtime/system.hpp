// The actor system every weir process runs: middleman loaded, wire types
// registered, failure-detection timing set.
#pragma once

#include "runtime/expected.hpp"

#include <caf/actor_system_config.hpp>

#include <chrono>
#include <cstdint>
#include <string>

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

class node_config : public caf::actor_system_config {
public:
  explicit node_config(const node_options& opts = {});
};

// Routes SIGINT and SIGTERM to shutdown_requested().
void install_shutdown_handlers();

// True once SIGINT or SIGTERM arrived.
bool shutdown_requested();

// Installs the handlers and blocks until SIGINT or SIGTERM.
void wait_for_shutdown_signal();

} // namespace weir
