// sink.type postgres: window results into PostgreSQL, progress and partials
// beside them (store.hpp), driven by the windowed sink. Also the progress
// store of ClickHouse and MariaDB jobs whose keys cross partitions
// (sink.partials_url): the registry composes them.
#pragma once

#include "sinks/sink.hpp"
#include "sinks/windowed/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_postgres_sink(const jobs::job_spec& spec, const context& ctx);

// Progress and partials at sink.partials_url, for results in another store.
expected<std::shared_ptr<windowed::progress_store>> open_postgres_progress(
  const jobs::job_spec& spec);

} // namespace weir::sinks
