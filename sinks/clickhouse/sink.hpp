// sink.type clickhouse: window results into ClickHouse (clickhouse.hpp).
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_clickhouse_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
