// When the coordinator commits a job whose sink commits at checkpoints (a
// lake table, sinks/registry/commits.hpp): decisions from events, no CAF, no
// clock. The actor feeds the events in and, when one answers true, starts a
// commit off its thread (run_blocking) and calls started(). At most one
// commit is in flight per job; a failed one is tried again after a backoff
// that doubles, and no round starts one meanwhile.
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

// The actor started a commit of everything the pointers cover.
void started(commit_schedule& s);

// The commit ended. After a failure: when to call on_retry_due (what it
// would have committed is pending again).
std::optional<std::chrono::milliseconds> on_finished(commit_schedule& s, bool ok);

// The backoff after a failure ended: commit now?
bool on_retry_due(commit_schedule& s);

// 1 s after the first failure, doubling up to 60 s.
std::chrono::milliseconds commit_backoff(int failures);

} // namespace weir::coordinator
