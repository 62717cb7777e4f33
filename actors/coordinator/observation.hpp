// What the coordinator shows: `status` (the CLI), `observe` (web/: a copy of
// everything, never a reference into the actor's state), the event log, and
// what the workers' reports tell (rates, recoveries finished, handoffs).
// Nothing of it is persisted and nothing on the data path waits for it.
#pragma once

#include "actors/coordinator/catalog.hpp"
#include "actors/coordinator/events.hpp"
#include "actors/coordinator/membership.hpp"

#include <set>
#include <string>
#include <vector>

namespace weir::coordinator {

class observation {
public:
  event_log events;

  // Worker `name` is lost: its partitions of each job are watched until all
  // of them read again on their new owners (a recovery, with its duration).
  void worker_lost(const std::string& name, const catalog& jobs, std::int64_t now_ms);
  void job_cancelled(const std::string& job_id);

  // Worker `name`'s latest report: per-partition rates, partitions reading
  // again, handoff pauses, recoveries it shows finished, its CPU share.
  void take_report(catalog& jobs, membership& members, const std::string& name,
                   worker_report report, std::int64_t now_ms, coordinator_metrics& metrics);

  // One dashboard sample of every job of partitions (every tick).
  void sample(catalog& jobs, const membership& members, std::int64_t now_ms) const;

  // The CLI's `status`: workers, and per job its owners, failures and the
  // state of each partition.
  cluster_status status(const catalog& jobs, const membership& members) const;

  // Everything the operator's window shows, as a copy.
  cluster_view observe(const catalog& jobs, const membership& members,
                       const coordinator_metrics& metrics, bool secret, std::int64_t now_ms) const;

  std::size_t recoveries_under_way() const { return recoveries_.size(); }

private:
  // A lost worker's partitions of one job, until each reads again elsewhere.
  struct recovery {
    std::string job, worker;
    std::int64_t lost_ms = 0;
    std::set<partition_id> waiting;
    std::size_t partitions = 0;
    std::int64_t last_ms = 0; // the latest new owner's start so far
  };
  static constexpr std::size_t max_recoveries = 100;

  void reading(const std::string& job_id, const std::string& name, const partition_report& pr);
  void finish_recoveries(catalog& jobs, coordinator_metrics& metrics, std::int64_t now_ms);

  std::vector<recovery> recoveries_;
};

// The latest report of partition `p` of `job` by its current owner, or null.
const partition_report* latest(const membership& members, const std::string& job_id,
                               const job_record& job, partition_id p);

} // namespace weir::coordinator
