#include "jobs/registry/pipelines.hpp"

#include "jobs/raw/pipeline.hpp"
#include "jobs/registry/kinds.hpp"
#include "jobs/windowed/pipeline.hpp"

namespace weir::jobs {

expected<std::unique_ptr<const pipeline>> make_pipeline(const job_spec& spec) {
  if (kind_of(spec).form() != job_form::partitions)
    return error{"job " + spec.name + ": an " + std::string{kind_of(spec).name()}
                 + " job runs on a schedule and has no stream to run"};
  if (is_raw(spec)) {
    auto raw = raw::raw_pipeline::make(spec);
    if (!raw)
      return raw.failure();
    return std::unique_ptr<const pipeline>{std::move(*raw)};
  }
  return std::unique_ptr<const pipeline>{std::make_unique<windowed_pipeline>(spec)};
}

expected<std::unique_ptr<pipeline::partition>> unpack_shipped(std::string_view kind, partition_id p,
                                                              std::string_view bytes,
                                                              const std::string& what) {
  if (kind == windowed_pipeline::name)
    return windowed_pipeline::unpack(p, bytes, what);
  return error{what + ": job kind '" + std::string{kind} + "' does not ship state"};
}

} // namespace weir::jobs
