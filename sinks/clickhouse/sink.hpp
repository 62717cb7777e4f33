// sink.type clickhouse: window results into ClickHouse (clickhouse.hpp),
// driven by the windowed sink.
#pragma once

#include "sinks/sink.hpp"
#include "sinks/windowed/stores.hpp"

namespace weir::sinks {

// Rows final per partition (source.partitioned_by): the store keeps the
// partitions' progress and the row of the highest version.
expected<std::unique_ptr<sink>> make_clickhouse_sink(const jobs::job_spec& spec,
                                                     const context& ctx);

// The store merged rows of keys across partitions go to (sink.partials_url);
// their progress and partials are another store's.
expected<std::shared_ptr<windowed::results_store>> open_clickhouse_results(
  const jobs::job_spec& spec);

} // namespace weir::sinks
