// Checkpoint rounds: the coordinator starts one per job every checkpoint
// interval, counts the partitions its current owners report stored, and
// keeps per partition the pointer to its latest stored round, which a
// partition restores from and which the snapshot persists.
#pragma once

#include "actors/coordinator/catalog.hpp"
#include "actors/coordinator/events.hpp"
#include "actors/coordinator/membership.hpp"

#include <optional>
#include <string>
#include <vector>

namespace weir::coordinator {

// What the owners of a job are asked when a round starts.
struct round_start {
  round_id id = 0;
  std::vector<round_id> pointed;   // per partition: the round it restores from (never pruned)
  std::vector<std::string> owners; // the live owners, each asked once
};

class checkpoint_rounds {
public:
  static constexpr std::size_t kept = 50; // rounds per job, for the operator's window

  explicit checkpoint_rounds(round_id next = 1) : next_(next) {}
  round_id next_id() const { return next_; }

  // Starts the next round of `job`. Rounds of it still in progress failed:
  // they were not complete when this one started. Nothing for a stopped job.
  std::optional<round_start> start(const std::string& job_id, job_record& job,
                                   const membership& members, std::int64_t now_ms,
                                   coordinator_metrics& metrics, event_log& events);

  // Worker `name` stored round `id` of `job` for `parts`. Only the current
  // owner's newer checkpoints count: a former owner may report a round it
  // finished after losing the partition. True: the pointers changed (persist).
  bool report(job_record& job, const std::string& name, round_id id,
              const std::vector<partition_checkpoint>& parts, std::int64_t now_ms,
              coordinator_metrics& metrics);

  // What a restarted coordinator resumes from.
  coordinator_snapshot snapshot(const catalog& jobs) const;

private:
  round_id next_;
};

} // namespace weir::coordinator
