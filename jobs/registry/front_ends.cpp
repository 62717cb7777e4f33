#include "jobs/registry/front_ends.hpp"

#include "jobs/sql/front_end.hpp"

namespace weir::jobs {

job_language language_of(std::string_view text) {
  return sql::looks_like_sql(text) ? job_language::sql : job_language::yaml;
}

expected<job_spec> parse_job(std::string_view text, std::string_view origin) {
  return language_of(text) == job_language::sql ? sql::parse_sql(text, origin)
                                                : parse_spec(text, origin);
}

} // namespace weir::jobs
