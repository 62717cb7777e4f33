#include "sinks/registry/commits.hpp"

namespace weir::sinks {

bool commits_at_checkpoints(const jobs::job_spec& spec) {
  return spec.sink.type == "iceberg";
}

expected<lake::commit_outcome> commit_checkpoints(const jobs::job_spec& spec,
                                                  const lake::commit_request& request) {
  return lake::commit_once(spec, request);
}

} // namespace weir::sinks
