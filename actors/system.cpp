#include "actors/system.hpp"

#include "actors/interfaces.hpp"
#include "runtime/wire.hpp"

#include <caf/io/middleman.hpp>

namespace weir {

node_config::node_config(const node_options& opts) {
  load<caf::io::middleman>();
  add_message_type<worker_info>("weir.worker_info");
  add_message_type<submit_reply>("weir.submit_reply");
  add_message_type<cancel_reply>("weir.cancel_reply");
  add_message_type<drain_reply>("weir.drain_reply");
  add_message_type<worker_status>("weir.worker_status");
  add_message_type<job_status>("weir.job_status");
  add_message_type<cluster_status>("weir.cluster_status");
  add_message_type<run_outcome>("weir.run_outcome");
  add_message_type<std::vector<std::int32_t>>("weir.partitions");
  add_message_type<partition_checkpoint>("weir.partition_checkpoint");
  add_message_type<std::vector<partition_checkpoint>>("weir.partition_checkpoints");
  add_message_type<std::vector<round_id>>("weir.rounds");
  add_message_type<worker_actor>("weir.worker_actor");
  add_message_type<auth_challenge>("weir.auth_challenge");
  add_message_type<partition_handoff>("weir.partition_handoff");
  add_message_type<std::vector<partition_handoff>>("weir.partition_handoffs");
  add_message_type<handoff_target>("weir.handoff_target");
  add_message_type<std::vector<handoff_target>>("weir.handoff_targets");
  // Work stealing spins idle cores; sharing keeps a quiet node quiet.
  set("scheduler.policy", caf::atom("sharing"));
  set("middleman.heartbeat-interval", caf::timespan{opts.heartbeat});
  set("middleman.connection-timeout", caf::timespan{opts.connection_timeout});
}

} // namespace weir
