// When the coordinator does what it does by itself: checkpoint rounds, the
// runs of scheduled jobs, the dashboard's samples and topic checks, and the
// backoff before a job that failed on a worker is assigned there again.
// Pure functions of time: the actor turns them into delayed messages.
#pragma once

#include "base/types.hpp"
#include "jobs/spec.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace weir::coordinator {

// The dashboard samples every job's rates and lags at every tick; every
// second tick, topics are checked for new partitions.
inline constexpr std::chrono::seconds tick_every{5};
inline constexpr std::uint64_t check_partitions_every = 2; // ticks
inline constexpr std::size_t samples_kept = 180;           // 15 minutes of ticks

// How long until the job's next checkpoint round; none without a store.
std::optional<std::chrono::milliseconds> checkpoint_delay(const jobs::job_spec& spec);

// A job run every `every` ms runs at each multiple of `every` since the
// epoch: the run due at `now_ms` (its id, the ISO-8601 time it was due, in
// whole seconds), and how long until the next one is due.
std::string due_run(jobs::millis every, std::int64_t now_ms);
std::chrono::milliseconds until_next_run(jobs::millis every, std::int64_t now_ms);
// How long a run may take before the coordinator stops waiting for it.
std::chrono::milliseconds run_timeout(jobs::millis every);

// A worker that could not run a job gets it again after 1 s, doubling with
// each consecutive failure up to 60 s.
std::chrono::seconds restart_backoff(int failures);

} // namespace weir::coordinator
