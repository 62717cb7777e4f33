// The one list of job front ends: YAML (jobs/spec_parser.cpp) and SQL
// (jobs/sql/). Everything that reads a job's text, from `weir validate` to a
// worker taking a partition, goes through parse_job, so a job submitted in
// either language runs the same everywhere.
#pragma once

#include "jobs/spec.hpp"

namespace weir::jobs {

enum class job_language { yaml, sql };

job_language language_of(std::string_view text);

expected<job_spec> parse_job(std::string_view text, std::string_view origin = "spec");

} // namespace weir::jobs
