// sink.type postgres_raw: every event of a raw job into a PostgreSQL table
// (postgres_raw.hpp).
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_postgres_raw_sink(const jobs::job_spec& spec,
                                                       const context& ctx);

} // namespace weir::sinks
