#pragma once

#include "actors/interfaces.hpp"
#include "runtime/system.hpp"

#include <map>
#include <string>

namespace weir {

struct worker_state {
  static inline const char* name = "worker";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  worker_state() = default;

  // -- membership ------------------------------------------------------------
  endpoint coordinator_at;
  coordinator_actor coordinator; // invalid while disconnected
  worker_info info;
  std::chrono::steady_clock::time_point lost_at{}; // when the coordinator went away
  std::uint32_t attempts = 0;
  bool connecting = false; // one connection attempt in flight at a time

  // -- jobs ------------------------------------------------------------------
  struct running {
    source_actor source;
    sink_actor sink;
  };
  std::map<std::string, running> jobs; // by job id
};

// Connects to the coordinator at `at` and registers as `info.name`; if the
// coordinator goes away, keeps processing and reconnects.
worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self, endpoint at,
                                   worker_info info);

} // namespace weir
