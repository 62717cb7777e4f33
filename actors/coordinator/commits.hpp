// When the coordinator commits a job whose sink commits at checkpoints (a
// lake table, sinks/registry/commits.hpp): decisions from events, no CAF, no
// clock. The actor feeds the events in and, when one answers true, starts a
// commit off its thread (run_blocking) and calls started(). At most one
// commit is in flight per job; a failed one is tried again after a backoff
// that doubles, and no round starts one meanwhile. A commit also sweeps
// orphan data files (sinks/lake/orphans.hpp) when one is due: only after a
// failure that may have left some, once they are older than the window, at
// most once per window, so the steady state never pays for a sweep.
#pragma once

#include "jobs/spec.hpp"

#include <chrono>
#include <cstdint>
#include <optional>

namespace weir::coordinator {

// What the job's spec asks for.
struct commit_policy {
  std::uint32_t every = 1; // rounds per commit (sink.commit_every)
  std::uint64_t bytes = 0; // also once this much is listed but not committed; 0: rounds only
  std::int64_t orphan_age_ms = 3'600'000; // sink.orphan_age
};
commit_policy commit_policy_of(const jobs::job_spec& spec);

struct commit_schedule {
  bool running = false;              // a commit is in flight
  std::uint32_t rounds = 0;          // rounds started since the last commit started
  bool moved = false;                // a checkpoint pointer moved since
  std::uint64_t pending_bytes = 0;   // data files the checkpoints since then cover
  std::uint64_t in_flight_bytes = 0; // what the running commit takes
  int failures = 0;                  // consecutive failed commits
  bool backing_off = false;          // after a failure, until the retry is due
  // Orphan sweeps (times: ms since the epoch).
  std::int64_t sweep_wanted_ms = 0;     // the earliest failure no sweep covered; 0: none
  std::int64_t last_failure_ms = 0;     // the latest failure
  std::int64_t last_sweep_ms = 0;       // when the last sweep ended; 0: none yet
  std::optional<std::int64_t> sweeping; // the running commit sweeps files older than this
};

// A round of the job started. Under load rounds may never complete while
// pointers move: once more than `every` rounds passed without a commit, or
// the bytes are reached, what the pointers cover is committed now.
bool on_round_started(commit_schedule& s, const commit_policy& p);

// Every partition of a round reported it stored: commit once `every`
// rounds passed, or the bytes are reached.
bool on_round_completed(commit_schedule& s, const commit_policy& p);

// A partition's pointer moved to a checkpoint whose barrier listed
// `listed_bytes` of data files (the lake sink's pending list).
void on_reported(commit_schedule& s, std::uint64_t listed_bytes);

// A failure may have left orphan data files: a partition's owner was lost
// or could not run the job, or the coordinator restarted (it does not know
// what happened meanwhile).
void on_failure(commit_schedule& s, std::int64_t now_ms);

// Whether the commit starting now sweeps orphans, and the time before which
// an unreferenced file counts as one: older than the window, and uploaded
// before `round_started_ms`, the start of the latest round every partition
// stored (its barriers listed whatever their owners uploaded before).
std::optional<std::int64_t> sweep_due(const commit_schedule& s, const commit_policy& p,
                                      std::int64_t now_ms, std::int64_t round_started_ms);

// The actor started a commit of everything the pointers cover, sweeping
// files older than `sweep_before_ms` when set.
void started(commit_schedule& s, std::optional<std::int64_t> sweep_before_ms = std::nullopt);

// The commit ended (`swept`: its sweep ran). After a failure: when to call
// on_retry_due (what it would have committed is pending again).
std::optional<std::chrono::milliseconds> on_finished(commit_schedule& s, bool ok,
                                                     bool swept = false, std::int64_t now_ms = 0);

// The backoff after a failure ended: commit now?
bool on_retry_due(commit_schedule& s);

// 1 s after the first failure, doubling up to 60 s.
std::chrono::milliseconds commit_backoff(int failures);

} // namespace weir::coordinator
