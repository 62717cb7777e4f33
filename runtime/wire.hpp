// Types that cross actor boundaries, with their CAF inspect overloads. Every
// type sent between processes must also be registered in register_wire_types
// (runtime/system.cpp): CAF 0.17 compiles a missing registration and fails at
// run time.
#pragma once

#include "base/types.hpp"

#include <msgpack.hpp>

#include <caf/actor_control_block.hpp>
#include <caf/allowed_unsafe_message_type.hpp>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

// -- atoms (CAF 0.17: at most 10 characters) ---------------------------------
using register_atom = caf::atom_constant<caf::atom("register")>;
using submit_atom = caf::atom_constant<caf::atom("submit")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using assign_atom = caf::atom_constant<caf::atom("assign")>;
using poll_atom = caf::atom_constant<caf::atom("poll")>;
using write_atom = caf::atom_constant<caf::atom("write")>;
using ack_atom = caf::atom_constant<caf::atom("ack")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using checkpoint_atom = caf::atom_constant<caf::atom("checkpoint")>;
using checkpointed_atom = caf::atom_constant<caf::atom("ckpt_done")>;
using reconnect_atom = caf::atom_constant<caf::atom("reconnect")>;
using recovered_atom = caf::atom_constant<caf::atom("recovered")>;
using drain_atom = caf::atom_constant<caf::atom("drain")>;
using run_atom = caf::atom_constant<caf::atom("run")>;
using hello_atom = caf::atom_constant<caf::atom("hello")>;
using auth_atom = caf::atom_constant<caf::atom("auth")>;
using handoff_atom = caf::atom_constant<caf::atom("handoff")>;
using partition_failed_atom = caf::atom_constant<caf::atom("pfailed")>;
using report_atom = caf::atom_constant<caf::atom("report")>;
using observe_atom = caf::atom_constant<caf::atom("observe")>;
using tick_atom = caf::atom_constant<caf::atom("tick")>;
using job_failed_atom = caf::atom_constant<caf::atom("jfailed")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using probe_atom = caf::atom_constant<caf::atom("probe")>;
using commit_atom = caf::atom_constant<caf::atom("commit")>;

// -- cluster messages --------------------------------------------------------
struct worker_info {
  std::string name; // chosen by the operator, or host:pid
  std::string host;
  std::int32_t pid = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_info& x) {
  return f(caf::meta::type_name("weir.worker_info"), x.name, x.host, x.pid);
}

// The coordinator's answer to a process introducing itself (runtime/auth.hpp).
struct auth_challenge {
  bool required = false; // the cluster has a secret: prove it before anything else
  std::string nonce;     // what the process signs
  std::string proof;     // the coordinator's proof over the process's nonce
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, auth_challenge& x) {
  return f(caf::meta::type_name("weir.auth_challenge"), x.required, x.nonce, x.proof);
}

// Why the coordinator did not do what a request asked; the HTTP API maps it
// to a status code.
enum class refusal : std::uint8_t {
  none,         // done
  not_admitted, // the process has not proved the cluster secret
  invalid,      // the spec does not parse or validate, or its store refuses it
  conflict,     // a job of that name runs; the worker is the last one not draining
  not_found,    // no such job or worker
  unavailable,  // Kafka's metadata could not be had
};

// The answer to submit.
struct submit_reply {
  std::string job_id; // when accepted
  std::string error;  // when not
  refusal why = refusal::none;
  bool accepted() const { return why == refusal::none; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, submit_reply& x) {
  return f(caf::meta::type_name("weir.submit_reply"), x.job_id, x.error, x.why);
}

// The answer to cancel.
struct cancel_reply {
  std::string job_id;
  std::string error; // when not cancelled
  refusal why = refusal::none;
  bool cancelled() const { return why == refusal::none; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cancel_reply& x) {
  return f(caf::meta::type_name("weir.cancel_reply"), x.job_id, x.error, x.why);
}

// The answer to drain.
struct drain_reply {
  std::string worker;
  std::string error; // when it does not drain
  refusal why = refusal::none;
  bool draining() const { return why == refusal::none; }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, drain_reply& x) {
  return f(caf::meta::type_name("weir.drain_reply"), x.worker, x.error, x.why);
}

struct worker_status {
  std::string id;
  worker_info info;
  bool draining = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, worker_status& x) {
  return f(caf::meta::type_name("weir.worker_status"), x.id, x.info, x.draining);
}

// Where a partition stands, as `weir status` shows it.
enum class partition_phase : std::uint8_t {
  unassigned, // no live owner
  assigned,   // its worker has reported nothing yet
  restoring,  // assigned, not reading yet: its state loads or its old owner still releases it
  reading,
  idle,    // reading, silent past the idle timeout
  failed,  // stopped on its worker (see `failed`)
  stopped, // the whole job, for good
};

inline std::string_view to_string(partition_phase s) {
  switch (s) {
    case partition_phase::unassigned: return "unassigned";
    case partition_phase::assigned: return "assigned";
    case partition_phase::restoring: return "restoring";
    case partition_phase::reading: return "reading";
    case partition_phase::idle: return "idle";
    case partition_phase::failed: return "failed";
    case partition_phase::stopped: return "stopped";
  }
  return "?";
}

struct partition_status {
  std::string owner;  // worker id, "" if unowned
  std::string failed; // why it stopped; "" if it did not
  partition_phase phase = partition_phase::unassigned;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_status& x) {
  return f(caf::meta::type_name("weir.partition_status"), x.owner, x.failed, x.phase);
}

struct job_status {
  std::string id;
  std::string topic;
  std::string sink;
  std::vector<partition_status> partitions;
  std::uint64_t restarts = 0; // recoveries after worker losses, and failed starts, since submit
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, job_status& x) {
  return f(caf::meta::type_name("weir.job_status"), x.id, x.topic, x.sink, x.partitions,
           x.restarts);
}

struct cluster_status {
  std::vector<worker_status> workers;
  std::vector<job_status> jobs;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, cluster_status& x) {
  return f(caf::meta::type_name("weir.cluster_status"), x.workers, x.jobs);
}

// Where a partition's state can be restored from: the checkpoint `key` in the
// job's checkpoint store, holding the state up to `offset`. Empty key: no
// checkpoint, read from the start.
struct partition_checkpoint {
  partition_id partition = 0;
  offset_t offset = 0;
  std::string key;
  round_id id = 0;         // checkpoint round; later rounds supersede earlier
  std::uint64_t bytes = 0; // the snapshot's size
  // Data files the sink listed for a commit since the previous checkpoint
  // (the lake's pending lists), in bytes: the coordinator commits by them.
  std::uint64_t listed = 0;
  MSGPACK_DEFINE(partition, offset, key, id, bytes, listed)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_checkpoint& x) {
  return f(caf::meta::type_name("weir.partition_checkpoint"), x.partition, x.offset, x.key, x.id,
           x.bytes, x.listed);
}

// A moved partition's state, shipped by its old owner straight to its new
// one: the operator state (msgpack) after exactly the offsets before `offset`.
// Two kinds: a pre-copy (`state` set, `released_at_ms` 0: the old owner still
// reads the partition) and a release (the old owner stopped at `offset` and
// its sink made everything before durable; `state` is empty when a pre-copy
// went before, which the new owner then catches up from).
struct partition_handoff {
  partition_id partition = 0;
  offset_t offset = 0;
  std::string state;
  std::int64_t released_at_ms = 0; // wall clock when the old owner stopped reading
  std::string proof;               // auth::handoff_proof by the sender; empty in an open cluster
  std::string kind;                // the job kind whose state this is (jobs/registry/)
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_handoff& x) {
  return f(caf::meta::type_name("weir.partition_handoff"), x.partition, x.offset, x.state,
           x.released_at_ms, x.proof, x.kind);
}

// Where a partition given up goes: its new owner's worker actor (a
// worker_actor handle; untyped here because worker_actor's own interface
// carries this type).
struct handoff_target {
  partition_id partition = 0;
  caf::strong_actor_ptr to;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, handoff_target& x) {
  return f(caf::meta::type_name("weir.handoff_target"), x.partition, x.to);
}

// How one run of a job of runs went (jobs/registry/kinds.hpp).
struct run_outcome {
  bool ok = false;
  std::string error;
  std::string summary;                // what it wrote, and where
  std::vector<std::string> recovered; // unfinished earlier runs completed first
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_outcome& x) {
  return f(caf::meta::type_name("weir.run_outcome"), x.ok, x.error, x.summary, x.recovered);
}

} // namespace weir
