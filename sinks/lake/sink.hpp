// sink.type parquet: every event of a raw job as partitioned Parquet files on
// S3 (lake.hpp). Files are uploaded at checkpoint barriers and when they
// reach their size; a partition taken over first loses the files written
// after the checkpoint it resumes from.
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_lake_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
