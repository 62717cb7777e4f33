// sink.type postgres: window results into PostgreSQL (results.hpp).
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_postgres_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
