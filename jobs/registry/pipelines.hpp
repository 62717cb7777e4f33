// The one list of job kinds: which pipeline runs a spec. A new kind adds its
// room under jobs/ and one line in pipelines.cpp.
#pragma once

#include "jobs/pipeline.hpp"

namespace weir::jobs {

// The pipeline of the spec's kind: raw (spec with columns) or windowed.
// Jobs of runs (kinds.hpp) have no stream, hence no pipeline (an error says so).
expected<std::unique_ptr<const pipeline>> make_pipeline(const job_spec& spec);

// A partition's state shipped by its former owner, unpacked by the new
// owner's worker on arrival (before it may even run the job: the unpacking
// stays out of the moved partition's pause). Only kinds that move state ship it.
expected<std::unique_ptr<pipeline::partition>> unpack_shipped(std::string_view kind, partition_id p,
                                                              std::string_view bytes,
                                                              const std::string& what);

} // namespace weir::jobs
