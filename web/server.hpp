// The coordinator's HTTP port (--http): REST API, /metrics and the dashboard.
// Handlers run on cpp-httplib's threads and reach the coordinator only by
// messages (observe, submit, cancel, drain), never by touching its state.
#pragma once

#include "actors/interfaces.hpp"
#include "base/expected.hpp"
#include "runtime/system.hpp"

#include <caf/actor_system.hpp>

#include <memory>
#include <string>

namespace weir::web {

struct http_options {
  endpoint listen{"127.0.0.1", 8081};
  std::string secret;       // the cluster secret; with one, mutations need its token
  bool guard_reads = false; // reads need the token too
  // A PostgreSQL URL: its Iceberg SQL catalog is served read-only under
  // /iceberg (web/iceberg_rest.hpp); empty: not served.
  std::string iceberg_catalog;
};

// Serves until the returned handle is destroyed.
expected<std::shared_ptr<void>> serve(const http_options& opts, caf::actor_system& sys,
                                      coordinator_actor coordinator);

} // namespace weir::web
