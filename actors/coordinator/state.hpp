// The coordinator actor's state: its parts, each without CAF, and what only
// the actor holds (worker handles, the snapshot writer).
#pragma once

#include "actors/coordinator.hpp"
#include "actors/coordinator/catalog.hpp"
#include "actors/coordinator/membership.hpp"
#include "actors/coordinator/observation.hpp"
#include "actors/coordinator/placement.hpp"
#include "actors/coordinator/rounds.hpp"

#include <caf/actor.hpp>

#include <functional>
#include <map>
#include <string>

namespace weir::coordinator {

struct coordinator_state {
  static inline const char* name = "coordinator";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  coordinator_state() = default;

  // -- the parts ---------------------------------------------------------------
  membership members;
  admission gate;
  catalog jobs;
  placement placing;
  checkpoint_rounds rounds;
  observation observed;
  coordinator_metrics metrics;

  // -- what only the actor holds ---------------------------------------------
  std::map<std::string, worker_actor> handles; // of the members, by name
  std::uint64_t next_runner = 0;               // round robin over workers for scheduled runs
  std::uint64_t ticks = 0;
  caf::actor state_writer; // detached: writes snapshots; absent without a state_url
  std::function<expected<std::int32_t>(const std::string&, const std::string&)> count_partitions;
  std::function<expected<lake::commit_outcome>(const jobs::job_spec&, const lake::commit_request&)>
    commit; // coordinator_config::commit
};

} // namespace weir::coordinator
