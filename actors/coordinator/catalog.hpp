// What the coordinator knows of each job: the persisted part (spec text,
// owner and checkpoint per partition) and what only this run of it keeps.
// The parts of the coordinator (membership, placement, rounds, observation)
// read and update these records; none of them holds CAF types.
#pragma once

#include "actors/coordinator.hpp"
#include "actors/coordinator/commits.hpp"
#include "actors/observed.hpp"
#include "base/metrics.hpp"
#include "jobs/registry/kinds.hpp"
#include "jobs/spec.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace weir::coordinator {

struct job_record {
  jobs::job_spec spec;
  coordinator_snapshot::persisted_job data;
  // Partitions their owner stopped, and why; cleared when one reads again
  // (a later checkpoint further on, or a report of it reading).
  std::map<partition_id, std::string> failed;
  // Workers that could not run the job, with their consecutive failures:
  // the backoff before assigning it to them again doubles with each.
  std::map<std::string, int> failing;
  // What the operator's window shows (web/), none of it persisted.
  std::int64_t submitted_ms = 0;        // 0: restored
  std::deque<checkpoint_record> rounds; // the last 50
  std::uint64_t restarts = 0;
  std::uint64_t checkpoints_failed = 0;
  std::uint64_t failed_starts = 0; // job_failed reports
  std::deque<job_sample> history;  // every 5 s, the last 15 minutes
  struct rate {
    std::uint64_t events = 0;
    std::int64_t at_ms = 0;
    double per_second = 0;
  };
  std::map<partition_id, rate> rates; // from consecutive reports of the owner
  // Sinks that commit at checkpoints (sinks/registry/commits.hpp): when
  // the next commit is due (actors/coordinator/commits.hpp).
  commit_schedule commits;
  lake_table_stats lake;

  const jobs::job_kind& kind() const { return jobs::kind_of(spec); }
  // A job of partitions, not of runs (jobs/registry/kinds.hpp).
  bool partitioned() const;
  // Stopped for good: nothing of it runs until it is cancelled.
  bool stopped() const { return !data.stopped.empty(); }
  std::size_t partition_count() const { return data.owners.size(); }
  // The owner of partition p, "" if none (or p out of range).
  const std::string& owner(partition_id p) const;
  // The workers that own some partition.
  std::vector<std::string> owners() const;
  // The partitions `name` owns, with their checkpoints (none once stopped).
  std::vector<partition_checkpoint> partitions_of(const std::string& name) const;

  // The topic has `count` partitions now, more than before: the new ones
  // have no owner yet and no checkpoint (they are read from their start).
  void grow(std::int32_t count);

  // Worker `name` could not run the job (`why`): its partitions there show
  // failed until they read again, and it gets them again after a backoff.
  struct start_failure {
    std::string shown; // what its partitions show
    std::chrono::seconds backoff{0};
  };
  start_failure failed_on(const std::string& name, const std::vector<partition_id>& parts,
                          const std::string& why);
};

using catalog = std::map<std::string, job_record>; // by job id (= spec name)

// A new record for `spec` with `count` partitions, each without owner or checkpoint.
job_record make_record(jobs::job_spec spec, std::string text, std::int32_t count);

// What the coordinator counts; exported as a snapshot (base/metrics.hpp).
struct coordinator_metrics {
  metrics::counter joins;              // worker registrations (joins and rejoins)
  metrics::counter workers_lost;       // down_msg from a worker: its partitions recover elsewhere
  metrics::counter refusals;           // requests or proofs refused for the cluster secret
  metrics::counter rebalances;         // assignment recomputations that moved partitions
  metrics::counter checkpoint_rounds;  // rounds started
  metrics::counter checkpoint_reports; // partitions reported stored
  metrics::counter partitions_failed;  // partitions their owner reported stopped
  metrics::counter job_failures;       // a worker could not run a job (start, or a child died)
  metrics::counter checkpoints_completed; // rounds every partition reported
  metrics::counter checkpoints_failed;    // rounds not complete when the next one started
  metrics::histogram checkpoint_duration; // start of a round to its last report
  metrics::counter recoveries;            // a lost worker's partitions reading again elsewhere
  metrics::histogram recovery_duration;   // loss to the last of them reading again
  metrics::counter handoffs;              // partitions moved between live workers
  metrics::histogram handoff_pause;       // old owner stopped -> new owner emits
  metrics::counter lake_commits;          // snapshots committed to lake tables
  metrics::counter lake_commit_failures;  // commits that failed (retried next round)
  metrics::histogram lake_commit_duration;
  metrics::counter lake_files;           // data files committed
  metrics::counter lake_rows;            // rows committed
  metrics::counter lake_files_expired;   // unreachable after snapshot expiry, deleted
  metrics::counter lake_files_aborted;   // of rounds no checkpoint covers, deleted
  metrics::counter lake_files_orphaned;  // in no list nor snapshot, past the window, deleted
  metrics::counter lake_orphan_sweeps;   // sweeps for them (after failures, once per window)
  metrics::counter lake_compactions;     // replace snapshots of compacted files
  metrics::counter lake_files_compacted; // small files rewritten into larger ones

  metrics::snapshot take() const;
};

} // namespace weir::coordinator
