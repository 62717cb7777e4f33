// Every actor interface in weir, one line per message. Actors talk only through
// these; the data path (source -> sink) moves batches, never single events.
#pragma once

#include "actors/observed.hpp"
#include "jobs/pipeline.hpp"
#include "runtime/wire.hpp"

#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include <memory>

namespace weir {

// State a former owner shipped for a partition: the state after the offsets
// before `offset`. Events before `emit_from` were emitted by the former owner
// already: folding them again (a pre-copied state catching up) emits nothing.
struct incoming_state {
  partition_id partition = 0;
  offset_t offset = 0;
  offset_t emit_from = 0;
  std::int64_t released_at_ms = 0; // when the former owner stopped; 0: unknown
  // Restored from the shipped snapshot on arrival, so unpacking is not part
  // of the moved partition's pause.
  std::shared_ptr<jobs::pipeline::partition> state;
  std::string kind; // of the pipeline that made it
};

// What a worker tells one of its sources to own. Never leaves the process.
struct source_assignment {
  std::vector<partition_checkpoint> parts; // own exactly these
  std::vector<incoming_state> incoming;    // state shipped by former owners
  std::vector<handoff_target> outgoing;    // ship given-up partitions here
};

// Reads a job's assigned Kafka partitions, feeds each event to the job's
// pipeline (jobs/pipeline.hpp), sends what it emits to the sink. The same
// actor for every job kind. Detached: librdkafka polls block.
using source_actor = caf::typed_actor<
  // Own exactly these partitions from now on; new ones start from the state
  // their old owner shipped, else from their checkpoint. Replies once the
  // dropped ones are released (nothing more will be written for them) and
  // shipped to their new owners.
  caf::replies_to<assign_atom, source_assignment>::with<bool>,
  // Snapshot every partition as round `id`; once the sink has everything
  // emitted before the snapshot, store it and report the checkpoint to the
  // worker. Pruning keeps, per partition, the round the coordinator points to
  // (`pointed`, indexed by partition) and every later one.
  caf::reacts_to<checkpoint_atom, round_id, std::vector<round_id>>,
  // Self-sent: poll one batch, fold it into state, emit what the pipeline emits.
  caf::reacts_to<poll_atom>,
  // From the sink: batch `seq` is durable, with what its barrier listed for
  // a commit (the lake); frees its in-flight credit unless a credit did.
  caf::reacts_to<ack_atom, std::uint64_t, jobs::listed_bytes>,
  // From the sink: batch `seq` is taken but not durable yet (the lake, while
  // a barrier's files upload): frees its in-flight credit ahead of the ack.
  caf::reacts_to<credit_atom, std::uint64_t>>;

// Writes a job's output to its store through the job's sinks::sink
// (sinks/sink.hpp). The same actor for every sink. Detached: stores block.
using sink_actor = caf::typed_actor<
  // Write this batch durably, then ack `seq` to the source; retries with
  // backoff while the source waits. Pending batches are written together.
  caf::reacts_to<write_atom, jobs::sink_batch, source_actor>,
  // Self-sent: write the pending batches (again, after a failure).
  caf::reacts_to<retry_atom>>;

// One per worker process: runs the sources and sinks of the partitions it owns.
// Survives the loss of its coordinator: it keeps processing and reconnects.
using worker_actor = caf::typed_actor<
  // Own exactly these partitions of job `id`, each with its checkpoint
  // (validated spec text, the job's commit identity and the topic's
  // partition count included); ship the state of those given up to the
  // targets named. Replies once the partitions it gave up are released and
  // shipped.
  caf::replies_to<assign_atom, std::string, std::string, std::string, std::int32_t,
                  std::vector<partition_checkpoint>, std::vector<handoff_target>>::with<bool>,
  // From a former owner: state of partitions of job `id` this worker is about
  // to own; kept until the assignment that gives them arrives.
  caf::replies_to<handoff_atom, std::string, std::vector<partition_handoff>>::with<bool>,
  // Take checkpoint round `id` of job `job`; `pointed`: per partition, the
  // round the coordinator would restore it from (never pruned).
  caf::reacts_to<checkpoint_atom, std::string, std::uint64_t, std::vector<round_id>>,
  // From a local source: round `id` of job `job` is stored for these partitions.
  caf::reacts_to<checkpointed_atom, std::string, std::uint64_t, std::vector<partition_checkpoint>>,
  // Self-sent: try to reach the coordinator again.
  caf::reacts_to<reconnect_atom>,
  // Drained: owns nothing any more; stop and leave the cluster.
  caf::reacts_to<drain_atom>,
  // Do run `run_id` (its scheduled time) of job `id` (spec text), a job of
  // runs (jobs/registry/kinds.hpp), after finishing any run that crashed before.
  caf::replies_to<run_atom, std::string, std::string, std::string>::with<run_outcome>,
  // From a local source: partition `p` of job `job` stopped for `why`.
  caf::reacts_to<partition_failed_atom, std::string, partition_id, std::string>,
  // Before job `id` (spec text) is accepted: open its store with this
  // worker's secrets and check the tables there against the spec. Replies
  // the store's refusal of the spec, or "" (also when the store cannot be
  // reached now: the sink retries with backoff once the job runs).
  caf::replies_to<probe_atom, std::string, std::string>::with<std::string>,
  // From a local source or sink, every second: where its partitions stand and
  // its metrics (the latest per sender is kept).
  caf::reacts_to<report_atom, job_report>,
  // Self-sent every report interval: send the coordinator the worker_report.
  caf::reacts_to<report_atom>,
  // Stop job `id` here.
  caf::reacts_to<cancel_atom, std::string>>;

// One per cluster: membership, job catalog, partition assignment.
// With a cluster secret, every process first proves it holds the secret
// (hello, auth); anything else from a process that did not is refused.
using coordinator_actor = caf::typed_actor<
  // A process introduces itself with a nonce; replies the coordinator's nonce
  // and the coordinator's proof over the process's nonce.
  caf::replies_to<hello_atom, std::string>::with<auth_challenge>,
  // The process's proof over the coordinator's nonce; true: admitted.
  caf::replies_to<auth_atom, std::string>::with<bool>,
  // A worker joins (or rejoins) with its handle and description; replies its id
  // (its unique name).
  caf::replies_to<register_atom, worker_actor, worker_info>::with<std::string>,
  // Worker `name` stored round `id` of job `job` for these partitions.
  caf::reacts_to<checkpointed_atom, std::string, std::string, std::uint64_t,
                 std::vector<partition_checkpoint>>,
  // Worker `name`'s latest worker_report (msgpack, runtime/report.hpp).
  caf::reacts_to<report_atom, std::string, std::string>,
  // Worker `name` could not run job `job` (it could not start it, or one of its
  // sources or its sink died): these partitions stopped there for `why`. The
  // coordinator sends the assignment again after a backoff.
  caf::reacts_to<job_failed_atom, std::string, std::string, std::vector<partition_id>, std::string>,
  // Self-sent when that backoff ends: assign job `job` to worker `name` again.
  caf::reacts_to<restart_atom, std::string, std::string>,
  // Worker `name` stopped partition `p` of job `job` for `why` (shown by status).
  caf::reacts_to<partition_failed_atom, std::string, std::string, partition_id, std::string>,
  // Self-sent every checkpoint interval of job `job`.
  caf::reacts_to<checkpoint_atom, std::string>,
  // Self-sent when the backoff after a failed commit of job `job`'s lake table ends.
  caf::reacts_to<commit_atom, std::string>,
  // Self-sent when a run of job `job` (a job of runs) is due.
  caf::reacts_to<run_atom, std::string>,
  // Self-sent when the grace period after a restart ends: reassign what absent
  // workers held.
  caf::reacts_to<recovered_atom>,
  // Validate and start a job from spec text (origin names it in errors).
  caf::replies_to<submit_atom, std::string, std::string>::with<submit_reply>,
  // Stop a job everywhere.
  caf::replies_to<cancel_atom, std::string>::with<cancel_reply>,
  // Move every partition off worker `name`, then let it leave.
  caf::replies_to<drain_atom, std::string>::with<drain_reply>,
  // Workers, jobs and the partition assignment.
  caf::replies_to<status_atom>::with<cluster_status>,
  // Everything the operator's window shows (web/): from this process only.
  caf::replies_to<observe_atom>::with<cluster_view>,
  // Self-sent every 5 s: sample each job's rates and lags for the dashboard.
  caf::reacts_to<tick_atom>>;

} // namespace weir

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weir::source_assignment)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weir::job_report)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weir::cluster_view)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(weir::jobs::sink_batch)
