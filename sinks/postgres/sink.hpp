// sink.type postgres: window results into PostgreSQL (results.hpp). Also the
// merge path of the stores that take rows final (ClickHouse, MariaDB) when
// keys cross partitions: partials in PostgreSQL, merged rows to the store.
#pragma once

#include "sinks/final_rows.hpp"
#include "sinks/sink.hpp"

#include <functional>

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_postgres_sink(const jobs::job_spec& spec, const context& ctx);

// Opens the store merged rows go to (again after a failure).
using merged_store_opener = std::function<expected<std::unique_ptr<merged_rows_store>>()>;

// Partials and progress in sink.partials_url; merged rows to open()'s store.
expected<std::unique_ptr<sink>> make_merging_sink(const jobs::job_spec& spec, const context& ctx,
                                                  merged_store_opener open);

} // namespace weir::sinks
