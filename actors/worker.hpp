#pragma once

#include "actors/interfaces.hpp"

#include <map>
#include <string>

namespace weir {

struct worker_state {
  static inline const char* name = "worker";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  worker_state() = default;

  coordinator_actor coordinator;
  worker_info info;
  std::string id; // assigned by the coordinator

  struct running {
    source_actor source;
    sink_actor sink;
  };
  std::map<std::string, running> jobs; // by job id
};

worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self,
                                   coordinator_actor coordinator, worker_info info);

} // namespace weir
