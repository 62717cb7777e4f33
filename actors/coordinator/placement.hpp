// Which worker owns which partition, and the fencing of a move between live
// workers: the old owner is told first, releases the partition (its sink made
// all its output durable) and ships its state to the new owner, which is told
// to start it only then. A partition may move again before that; it waits
// for every release under way.
#pragma once

#include "actors/coordinator/catalog.hpp"
#include "actors/coordinator/membership.hpp"

#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace weir::coordinator {

// What one job's rebalance asks of its workers.
struct move_plan {
  // Live former owners and the partitions each gives up, to be told first;
  // each partition goes to its new owner (the job's owners now).
  std::map<std::string, std::vector<partition_id>> releases;
  // New owners that release nothing themselves, to tell at once: they start
  // what needs no release (its owner is gone); what a live worker releases
  // follows once it is released (placement::released).
  std::set<std::string> start_now;
  bool changed = false; // some partition has another owner (or none) now
};

class placement {
public:
  // Within the grace period after a restart, nothing moves: absent workers
  // may still come back.
  bool recovering = false;

  // Recomputes `job`'s owners over the placeable members (runtime/assignment:
  // balanced, deterministic, moves only what must move) and records the
  // releases the move needs. A stopped or unpartitioned job does not move.
  move_plan rebalance(const std::string& job_id, job_record& job, const membership& members);

  // The partitions of `job` that `name` may run now: those it owns, except
  // the ones another worker still releases (they follow once released).
  std::vector<partition_checkpoint> startable(const std::string& job_id, const job_record& job,
                                              const std::string& name) const;

  // `from` released `parts` of job `job_id` (or can no longer answer): the
  // owners that may start some of them now, `from` excluded. `job` is null
  // once the job is gone.
  std::set<std::string> released(const std::string& job_id, const job_record* job,
                                 const std::string& from, const std::vector<partition_id>& parts);

  // Whether `name` has releases under way.
  bool releasing(const std::string& name) const { return releasing_.count(name) > 0; }

  // Draining members that hold no partition of a running job and release
  // nothing: they may leave.
  std::vector<std::string> drained(const membership& members, const catalog& jobs) const;

  // The job was cancelled: no release of it is waited for any more.
  void forget(const std::string& job_id);

private:
  std::map<std::string, int> releasing_; // workers with releases under way, and how many
  // Per (job, partition): the workers still releasing it.
  std::map<std::pair<std::string, partition_id>, std::multiset<std::string>> in_release_;
};

} // namespace weir::coordinator
