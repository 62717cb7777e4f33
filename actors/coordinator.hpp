#pragma once

#include "actors/interfaces.hpp"
#include "jobs/spec.hpp"

#include <map>
#include <string>
#include <vector>

namespace weir {

struct coordinator_state {
  static inline const char* name = "coordinator";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  coordinator_state() = default;

  // -- membership ------------------------------------------------------------
  struct member {
    worker_actor handle;
    worker_info info;
  };
  std::map<std::string, member> workers; // by worker id
  std::uint64_t next_worker = 1;

  // -- jobs ------------------------------------------------------------------
  struct job {
    std::string spec_text;
    jobs::job_spec spec;
    std::vector<std::string> owners; // worker id per partition
  };
  std::map<std::string, job> jobs; // by job id (= spec name)
};

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self);

} // namespace weir
