// sink.type clickhouse: window results into ClickHouse (clickhouse.hpp).
#pragma once

#include "sinks/final_rows.hpp"
#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_clickhouse_sink(const jobs::job_spec& spec, const context& ctx);

// The table merged rows of keys across partitions go to (sink.partials_url).
expected<std::unique_ptr<merged_rows_store>> open_clickhouse_merged(const jobs::job_spec& spec);

} // namespace weir::sinks
