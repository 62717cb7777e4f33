// The one list of what a run of each job of runs does (jobs/registry/kinds.hpp).
// Adding a kind of runs: its room, one line in runs.cpp.
#pragma once

#include "jobs/registry/kinds.hpp"

#include <string>

namespace weir::sinks {

// Does run `run_id` of `spec`'s job, blocking (stores, S3): the worker runs
// it off its own thread (actors/blocking.hpp).
expected<jobs::run_result> run_once(const jobs::job_spec& spec, const std::string& run_id);

} // namespace weir::sinks
