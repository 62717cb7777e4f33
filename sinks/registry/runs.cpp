#include "sinks/registry/runs.hpp"

#include "sinks/export/run.hpp"

#include <string_view>

namespace weir::sinks {

namespace {

struct runner {
  std::string_view kind;
  expected<jobs::run_result> (*run)(const jobs::job_spec&, const std::string&);
};

constexpr runner runners[] = {
  {"export", raw::run_export}, // a raw table's new rows to Parquet on S3 (sinks/export/)
};

} // namespace

expected<jobs::run_result> run_once(const jobs::job_spec& spec, const std::string& run_id) {
  const auto& kind = jobs::kind_of(spec);
  for (const auto& r : runners)
    if (r.kind == kind.name())
      return r.run(spec, run_id);
  return error{"job " + spec.name + ": a " + std::string{kind.name()} + " job has no runs"};
}

} // namespace weir::sinks
