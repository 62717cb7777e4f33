// SQL -> job_spec: weir's second front end (docs/sql.md). A job is a script of
// CREATE TABLE ... WITH (...) for its source and sink, SET for job settings,
// and one INSERT INTO sink SELECT ...; the model it becomes is checked by
// validate() (jobs/validate.hpp), as the YAML front end's is, so both accept
// exactly the same jobs.
#pragma once

#include "jobs/spec.hpp"

#include <string_view>

namespace weir::jobs::sql {

// True when the text's first word (after blanks and -- or /* */ comments) is
// CREATE, SET or INSERT: no YAML spec starts that way.
bool looks_like_sql(std::string_view text);

// Errors read "<origin>:<line>:<column>: <why>", then the line and a caret
// under the spot.
expected<job_spec> parse_sql(std::string_view text, std::string_view origin = "job.sql");

} // namespace weir::jobs::sql
