#pragma once

#include "actors/interfaces.hpp"
#include "base/metrics.hpp"
#include "runtime/spec_file.hpp"
#include "runtime/system.hpp"
#include "sinks/sink.hpp"

#include <functional>
#include <map>
#include <string>

namespace weir {

// What a worker counts; exported as a snapshot (base/metrics.hpp).
struct worker_metrics {
  metrics::counter assignments; // received
  metrics::counter jobs_started;
  metrics::counter handoffs_received; // partitions' state shipped here and unpacked
  metrics::counter handoffs_refused;  // proof did not match the cluster secret
  metrics::counter reconnects;        // registrations after losing the coordinator

  metrics::snapshot take() const;
};

// The actors that run one job on a worker: its sink, and its sources sharing it.
struct job_actors {
  sink_actor sink;
  std::vector<source_actor> sources;
};

// Starts the actors of job `spec` (its secrets filled in) on a worker, for a
// topic of `ctx.partitions` partitions; `parent` is the worker. Tests put
// actors of their own here.
using job_starter =
  std::function<expected<job_actors>(caf::actor_system& sys, const jobs::job_spec& spec,
                                     const sinks::context& ctx, worker_actor parent)>;

// The job kind's pipeline in up to `threads` detached Kafka sources, sharing
// the spec's sink in a detached sink actor; `secret` signs the state they hand over.
// `report_interval`: the worker's, which its sources' status follows (at most
// a second apart).
job_starter kafka_jobs(std::uint32_t threads, std::string secret,
                       std::chrono::milliseconds report_interval = std::chrono::seconds(1));

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
  bool connecting = false;  // one connection attempt in flight at a time
  std::string secret;       // cluster secret; empty: the cluster has none
  coordinator_actor direct; // reached without the middleman (tests); invalid: by coordinator_at
  secret_map spec_secrets;  // what ${secret:NAME} in a spec becomes here

  // -- jobs ------------------------------------------------------------------
  // Each job's partitions are spread over up to `threads` sources sharing one
  // sink: a worker uses as many cores as it has partitions, up to `threads`.
  // Placement is sticky (a partition keeps its source while it stays here)
  // and new partitions go to the least loaded source.
  std::uint32_t threads = 1;
  job_starter start;
  struct running {
    std::vector<source_actor> sources;
    sink_actor sink;
    std::map<partition_id, size_t> placement; // partition -> index in sources
    std::uint64_t latest_assignment = 0;      // only the latest may stop the job
    std::int32_t partition_count = 0;         // the topic's, as the sink was built for
    // The latest report of each source and of the sink, by sender; handoff
    // pauses accumulate until sent.
    std::map<caf::actor_id, job_report> reports;
    std::vector<handoff_pause> handoffs;
  };
  std::map<job_id, running> jobs;
  std::uint64_t assignments = 0; // received, over all jobs
  // State shipped by former owners, by job and partition, until the
  // assignment that gives the partitions here arrives.
  std::map<job_id, std::map<partition_id, incoming_state>> handoffs;

  // -- metrics ---------------------------------------------------------------
  worker_metrics metrics;
  std::chrono::milliseconds report_interval{1000}; // to the coordinator; 0: never
};

struct worker_config {
  endpoint coordinator_at;
  worker_info info;                                // info.name: unique in the cluster
  std::uint32_t threads = 1;                       // sources per job
  std::string secret;                              // the cluster secret; empty: none
  secret_map spec_secrets;                         // what ${secret:NAME} in a spec becomes here
  std::chrono::milliseconds report_interval{1000}; // to the coordinator; 0: never
  job_starter start;                               // empty: kafka_jobs(threads, secret)
  coordinator_actor coordinator; // set: reach it directly, not at coordinator_at (tests)
};

// Connects to the coordinator and registers as `cfg.info.name`; if the
// coordinator goes away, keeps processing and reconnects.
worker_actor::behavior_type worker(worker_actor::stateful_pointer<worker_state> self,
                                   worker_config cfg);

} // namespace weir
