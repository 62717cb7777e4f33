#include "actors/coordinator/catalog.hpp"

#include "actors/coordinator/schedule.hpp"

#include <cstdio>
#include <random>
#include <set>

namespace weir::coordinator {

bool job_record::partitioned() const {
  return kind().form() == jobs::job_form::partitions;
}

const std::string& job_record::owner(partition_id p) const {
  static const std::string none;
  return p >= 0 && static_cast<size_t>(p) < data.owners.size() ? data.owners[static_cast<size_t>(p)]
                                                               : none;
}

std::vector<std::string> job_record::owners() const {
  std::set<std::string> names(data.owners.begin(), data.owners.end());
  names.erase("");
  return {names.begin(), names.end()};
}

std::vector<partition_checkpoint> job_record::partitions_of(const std::string& name) const {
  std::vector<partition_checkpoint> parts;
  if (stopped())
    return parts;
  for (size_t p = 0; p < data.owners.size(); ++p)
    if (data.owners[p] == name)
      parts.push_back(data.checkpoints[p]);
  return parts;
}

void job_record::grow(std::int32_t count) {
  const auto before = data.owners.size();
  data.owners.resize(static_cast<size_t>(count));
  data.checkpoints.resize(static_cast<size_t>(count));
  for (auto p = before; p < data.owners.size(); ++p)
    data.checkpoints[p].partition = static_cast<partition_id>(p);
}

job_record::start_failure job_record::failed_on(const std::string& name,
                                                const std::vector<partition_id>& parts,
                                                const std::string& why) {
  start_failure out;
  out.backoff = restart_backoff(failing[name]++);
  out.shown = "on " + name + ": " + why + " (assigned again in "
              + std::to_string(out.backoff.count()) + " s)";
  for (auto p : parts)
    if (owner(p) == name)
      failed[p] = out.shown;
  ++failed_starts;
  return out;
}

job_record make_record(jobs::job_spec spec, std::string text, std::int32_t count) {
  job_record job;
  job.spec = std::move(spec);
  job.data.spec_text = std::move(text);
  std::random_device rd;
  char id[33];
  std::snprintf(id, sizeof id, "%08x%08x%08x%08x", rd(), rd(), rd(), rd());
  job.data.commit_identity = id;
  job.data.owners.resize(static_cast<size_t>(count));
  job.data.checkpoints.resize(static_cast<size_t>(count));
  for (std::int32_t p = 0; p < count; ++p)
    job.data.checkpoints[static_cast<size_t>(p)].partition = p;
  return job;
}

metrics::snapshot coordinator_metrics::take() const {
  metrics::snapshot s;
  append(s, "joins", "worker registrations, joins and rejoins", joins);
  append(s, "workers_lost", "workers lost (their partitions recover elsewhere)", workers_lost);
  append(s, "refusals", "requests refused for the cluster secret", refusals);
  append(s, "rebalances", "assignment changes that moved partitions", rebalances);
  append(s, "checkpoint_rounds", "checkpoint rounds started", checkpoint_rounds);
  append(s, "checkpoint_reports", "partition checkpoints reported stored", checkpoint_reports);
  append(s, "partitions_failed", "partitions their owner reported stopped", partitions_failed);
  append(s, "job_failures", "times a worker could not run a job (it is assigned again)",
         job_failures);
  append(s, "checkpoints_completed", "checkpoint rounds every partition reported",
         checkpoints_completed);
  append(s, "checkpoints_failed", "checkpoint rounds not complete when the next one started",
         checkpoints_failed);
  append(s, "checkpoint_duration_seconds", "start of a round to its last partition's report",
         checkpoint_duration);
  append(s, "recoveries", "a lost worker's partitions reading again elsewhere", recoveries);
  append(s, "recovery_duration_seconds", "worker lost to the last of its partitions reading again",
         recovery_duration);
  append(s, "handoffs", "partitions moved between live workers", handoffs);
  append(s, "handoff_pause_seconds", "old owner stopped to new owner emitting", handoff_pause);
  append(s, "lake_commits", "snapshots committed to lake tables", lake_commits);
  append(s, "lake_commit_failures", "lake commits that failed (tried again)", lake_commit_failures);
  append(s, "lake_commit_duration_seconds", "one lake commit, listing to catalog swap",
         lake_commit_duration);
  append(s, "lake_files_committed", "data files committed to lake tables", lake_files);
  append(s, "lake_rows_committed", "rows committed to lake tables", lake_rows);
  append(s, "lake_files_expired", "files deleted once no snapshot reached them",
         lake_files_expired);
  append(s, "lake_files_aborted", "data files of rounds no checkpoint covers, deleted",
         lake_files_aborted);
  append(s, "lake_files_orphaned",
         "data files in no pending list nor snapshot, older than the window, deleted",
         lake_files_orphaned);
  append(s, "lake_orphan_sweeps", "sweeps for orphan data files (after failures)",
         lake_orphan_sweeps);
  append(s, "lake_compactions", "replace snapshots that compacted small files", lake_compactions);
  append(s, "lake_files_compacted", "small data files rewritten into larger ones",
         lake_files_compacted);
  return s;
}

} // namespace weir::coordinator
