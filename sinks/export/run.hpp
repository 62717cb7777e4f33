// One run of an export job (jobs/registry/kinds.hpp: a job of runs), as the
// worker the coordinator picked does it: first any run that crashed before,
// then this one, each into files (exporter.hpp) or one snapshot of the
// sink's Iceberg table (into_lake.hpp). Blocking (PostgreSQL, S3); every
// step is idempotent, so repeating a run is safe.
#pragma once

#include "jobs/registry/kinds.hpp"

#include <string>

namespace weir::raw {

expected<jobs::run_result> run_export(const jobs::job_spec& spec, const std::string& run_id);

} // namespace weir::raw
