// Sinks that commit what checkpoints cover (a table format: sinks/lake/):
// the coordinator asks the job's sink room to commit once partitions'
// checkpoints are stored.
#pragma once

#include "jobs/spec.hpp"
#include "sinks/lake/commit.hpp"

namespace weir::sinks {

bool commits_at_checkpoints(const jobs::job_spec& spec);

// One commit (blocking): what the stored checkpoints cover, in one snapshot.
expected<lake::commit_outcome> commit_checkpoints(const jobs::job_spec& spec,
                                                  const lake::commit_request& request);

} // namespace weir::sinks
