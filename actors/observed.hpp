// What the coordinator shows its operator (web/: REST API, /metrics,
// dashboard): a copy of its state taken by one `observe` request, so the HTTP
// threads never touch the actor's state. Never leaves the process.
#pragma once

#include "base/metrics.hpp"
#include "runtime/report.hpp"
#include "runtime/wire.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

// What happened to the cluster; to_string gives the spelling of the REST
// API and the dashboard (docs/api.yaml, Event.kind).
enum class cluster_event_kind : std::uint8_t {
  join,              // a worker registered
  rejoin,            // a worker registered again before its loss was noticed
  lost,              // a worker's process or link went away
  drain,             // an operator began draining a worker
  drained,           // a drained worker holds nothing any more and leaves
  recovery,          // a lost worker's partitions read again elsewhere
  handoff,           // a partition moved between live workers
  refusal,           // a request from a process that has not proved the cluster secret
  partition_failed,  // a source stopped a partition
  job_failed,        // a worker could not run a job (assigned again after a backoff)
  checkpoint_failed, // a round not complete when the next one started
  partitions_added,  // a job's topic grew
  job_stopped,       // the coordinator stopped a job for good
  submit,
  cancel,
};

inline std::string_view to_string(cluster_event_kind k) {
  switch (k) {
    case cluster_event_kind::join: return "join";
    case cluster_event_kind::rejoin: return "rejoin";
    case cluster_event_kind::lost: return "lost";
    case cluster_event_kind::drain: return "drain";
    case cluster_event_kind::drained: return "drained";
    case cluster_event_kind::recovery: return "recovery";
    case cluster_event_kind::handoff: return "handoff";
    case cluster_event_kind::refusal: return "refusal";
    case cluster_event_kind::partition_failed: return "partition_failed";
    case cluster_event_kind::job_failed: return "job_failed";
    case cluster_event_kind::checkpoint_failed: return "checkpoint_failed";
    case cluster_event_kind::partitions_added: return "partitions_added";
    case cluster_event_kind::job_stopped: return "job_stopped";
    case cluster_event_kind::submit: return "submit";
    case cluster_event_kind::cancel: return "cancel";
  }
  return "?";
}

struct cluster_event {
  std::int64_t at_ms = 0; // wall clock
  cluster_event_kind kind = cluster_event_kind::join;
  std::string job;    // empty when not about one job
  std::string worker; // empty when not about one worker
  std::string message;
  std::int64_t duration_ms = -1; // recoveries and handoffs; -1: none
};

// How a checkpoint round ended.
enum class round_outcome : std::uint8_t {
  in_progress,
  completed, // every partition reported
  // not complete when the next round started (a store error, or a source
  // still waiting for its sink): its partitions resume from their previous round
  failed,
};

inline std::string_view to_string(round_outcome o) {
  switch (o) {
    case round_outcome::in_progress: return "in_progress";
    case round_outcome::completed: return "completed";
    case round_outcome::failed: return "failed";
  }
  return "?";
}

// A lake job's table, as its commits left it (sinks/lake/).
struct lake_table_stats {
  std::int64_t snapshots = 0;      // in the table after the last commit
  std::int64_t last_commit_ms = 0; // 0: none yet
  std::uint64_t commits = 0, commit_failures = 0, files = 0, rows = 0;
  std::uint64_t compactions = 0, files_compacted = 0, files_expired = 0, files_aborted = 0;
  std::uint64_t files_orphaned = 0, orphan_sweeps = 0;
};

// One checkpoint round of a job, as the coordinator saw its reports.
struct checkpoint_record {
  round_id id = 0;
  std::int64_t started_ms = 0;
  std::int64_t finished_ms = 0; // when the last partition reported; 0: not (yet)
  std::size_t partitions = 0;   // owned partitions when it started
  std::size_t reported = 0;
  std::uint64_t bytes = 0;
  round_outcome outcome = round_outcome::in_progress;
};

// Every 5 s, per job, for the dashboard's last 15 minutes.
struct job_sample {
  std::int64_t at_ms = 0;
  double records_per_second = 0;
  double lag_records = 0;      // summed over partitions
  double watermark_lag_ms = 0; // the largest over partitions not idle
};

struct observed_partition {
  std::string owner;  // "" if unowned
  std::string failed; // why it stopped; "" if it did not
  partition_checkpoint checkpoint;
  std::optional<partition_report> report; // from its owner's latest report
  double records_per_second = 0;          // between its last two reports
};

struct observed_job {
  std::string id, kind, topic, sink, spec_text;
  std::int64_t submitted_ms = 0; // 0: before this coordinator started (restored)
  std::vector<observed_partition> partitions;
  std::vector<checkpoint_record> rounds; // oldest first, the last 50
  std::uint64_t restarts = 0;            // recoveries after a worker was lost
  std::uint64_t checkpoints_failed = 0;
  std::vector<job_sample> history;      // oldest first
  bool runs = false;                    // a job of runs (jobs/registry/kinds.hpp): no partitions
  std::string last_run;                 // jobs of runs: the last run that finished
  std::string stopped;                  // why the coordinator stopped it for good; empty: it runs
  std::optional<lake_table_stats> lake; // jobs whose sink commits a table
  // Per worker running it: that worker's sources and sink, merged.
  std::vector<std::pair<std::string, metrics::snapshot>> source_metrics, sink_metrics;
};

struct observed_worker {
  std::string name;
  worker_info info;
  bool draining = false;
  std::int64_t last_report_ms = 0; // 0: none yet
  worker_report report;
  double cpu_percent = -1; // of one core, between its last two reports; -1: not yet
};

struct observed_cluster {
  std::int64_t now_ms = 0;
  bool secret = false; // the cluster has a secret: mutations need the token
  std::vector<observed_worker> workers;
  std::vector<observed_job> jobs;
  std::vector<cluster_event> events; // newest first
  metrics::snapshot coordinator;     // coordinator_metrics, plus recoveries and handoffs
};

using cluster_view = std::shared_ptr<const observed_cluster>;

} // namespace weir
