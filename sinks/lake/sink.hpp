// sink.type iceberg: every event of a raw job into an Apache Iceberg v2
// table on S3 (layout.hpp), exactly once. Per Kafka partition, data files
// are written as rows come (writer.hpp); at each checkpoint barrier the
// rest are written and a pending list names them with the offsets they
// cover. The coordinator commits the lists its stored checkpoints cover,
// one snapshot per table (commit.hpp). Nothing is visible before.
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_lake_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
