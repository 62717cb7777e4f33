#pragma once

#include "actors/interfaces.hpp"
#include "base/metrics.hpp"
#include "jobs/spec.hpp"
#include "runtime/checkpoint_store.hpp"

#include <caf/node_id.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace weir {

// What the coordinator persists (msgpack) so a restarted coordinator resumes
// every job where it was.
struct coordinator_snapshot {
  struct job {
    std::string spec_text;
    std::vector<std::string> owners;               // worker name per partition
    std::vector<partition_checkpoint> checkpoints; // latest stored, per partition
    std::string last_export;                       // export jobs: the last run that finished
    // Why the coordinator stopped the job for good (its results could no
    // longer be exact); empty while it runs. A stopped job runs nowhere
    // until it is cancelled.
    std::string stopped;
    MSGPACK_DEFINE(spec_text, owners, checkpoints, last_export, stopped)
  };
  std::uint64_t next_checkpoint = 1;
  std::map<std::string, job> jobs;
  MSGPACK_DEFINE(next_checkpoint, jobs)
};

struct coordinator_config {
  // Where the snapshot lives (file:///dir or s3://bucket/prefix); empty: memory only.
  std::string state_url;
  // After a restart, how long workers have to reconnect before what they held
  // is reassigned.
  std::chrono::milliseconds rejoin_grace{3000};
  // Cluster secret every process must prove (runtime/auth.hpp); empty: none.
  std::string secret;
};

// What the coordinator counts; exported as a snapshot (base/metrics.hpp).
struct coordinator_metrics {
  metrics::counter joins;             // worker registrations (joins and rejoins)
  metrics::counter workers_lost;      // down_msg from a worker: its partitions recover elsewhere
  metrics::counter refusals;          // requests or proofs refused for the cluster secret
  metrics::counter rebalances;        // assignment recomputations that moved partitions
  metrics::counter checkpoint_rounds; // rounds started
  metrics::counter checkpoint_reports;// partitions reported stored
  metrics::counter partitions_failed; // partitions their owner reported stopped
  metrics::counter job_failures;      // a worker could not run a job (start, or a child died)
  metrics::counter checkpoints_completed; // rounds every partition reported
  metrics::counter checkpoints_failed;    // rounds not complete when the next one started
  metrics::histogram checkpoint_duration; // start of a round to its last report
  metrics::counter recoveries;            // a lost worker's partitions reading again elsewhere
  metrics::histogram recovery_duration;   // loss to the last of them reading again
  metrics::counter handoffs;              // partitions moved between live workers
  metrics::histogram handoff_pause;       // old owner stopped -> new owner emits

  metrics::snapshot take() const;
};

struct coordinator_state {
  static inline const char* name = "coordinator";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  coordinator_state() = default;

  // -- membership ------------------------------------------------------------
  struct member {
    worker_actor handle;
    worker_info info;
    bool draining = false; // gets no partitions; leaves once it holds none
    std::int64_t last_report_ms = 0; // wall clock; 0: none yet
    worker_report report;            // its latest (runtime/report.hpp)
    double cpu_percent = -1;         // between its last two reports; -1: not yet
  };
  std::map<std::string, member> workers; // live, by name
  bool recovering = false;               // within the grace period after a restart
  std::map<std::string, int> releasing;  // workers with partition releases under way
  // Per (job, partition): the workers still releasing it. Its new owner is
  // told to start it only once none is left.
  std::map<std::pair<std::string, std::int32_t>, std::multiset<std::string>> in_release;

  // -- jobs ------------------------------------------------------------------
  struct job {
    jobs::job_spec spec;
    coordinator_snapshot::job data;
    // Partitions their owner stopped, and why; cleared when one reads again
    // (a later checkpoint further on).
    std::map<partition_id, std::string> failed;
    // What the operator's window shows (web/), none of it persisted.
    std::int64_t submitted_ms = 0;
    std::deque<checkpoint_record> rounds; // the last 50
    std::uint64_t restarts = 0;
    std::uint64_t checkpoints_failed = 0;
    std::uint64_t failed_starts = 0; // job_failed reports
    std::deque<job_sample> history; // every 5 s, the last 15 minutes
    struct rate {
      std::uint64_t events = 0;
      std::int64_t at_ms = 0;
      double per_second = 0;
    };
    std::map<partition_id, rate> rates; // from consecutive reports of the owner
    // Workers that could not run the job, with their consecutive failures:
    // the backoff before assigning it to them again doubles with each.
    std::map<std::string, int> failing;
  };
  std::map<std::string, job> jobs; // by job id (= spec name)
  std::uint64_t next_exporter = 0; // round robin over workers for export runs
  std::uint64_t next_checkpoint = 1;
  std::uint64_t ticks = 0; // every 5 s (tick)

  // -- admission (with a cluster secret) ------------------------------------------
  std::string secret;
  std::map<caf::node_id, std::string> challenges; // nonce handed to each process
  // Processes that proved the secret, until when: members while registered,
  // clients for a minute (enough for their one request).
  std::map<caf::node_id, std::chrono::steady_clock::time_point> admitted;

  // -- persistence -------------------------------------------------------------
  caf::actor state_writer; // detached: writes snapshots; absent without state_url

  // -- observation (web/) ----------------------------------------------------------
  std::deque<cluster_event> events; // newest first, bounded
  // A lost worker's partitions, until each reads again on its new owner.
  struct recovery {
    std::string job, worker;
    std::int64_t lost_ms = 0;
    std::set<partition_id> waiting;
    std::size_t partitions = 0;
    std::int64_t last_ms = 0; // the latest new owner's start so far
  };
  std::vector<recovery> recoveries;

  // -- metrics ---------------------------------------------------------------------
  coordinator_metrics metrics;
};

// Reads the last snapshot at `state_url` (empty snapshot if none).
expected<coordinator_snapshot> load_coordinator_snapshot(const std::string& state_url);

coordinator_actor::behavior_type
coordinator(coordinator_actor::stateful_pointer<coordinator_state> self, coordinator_config cfg,
            coordinator_snapshot restored);

} // namespace weir
