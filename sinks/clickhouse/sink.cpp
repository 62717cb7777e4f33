#include "sinks/clickhouse/sink.hpp"

#include "sinks/clickhouse/clickhouse.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_clickhouse_sink(const jobs::job_spec& spec, const context&) {
  if (auto ep = clickhouse::parse_url(spec.sink.url); !ep)
    return ep.failure();
  return std::unique_ptr<sink>{std::make_unique<final_rows_sink<clickhouse::results>>(spec)};
}

expected<std::unique_ptr<merged_rows_store>> open_clickhouse_merged(const jobs::job_spec& spec) {
  return open_merged<clickhouse::results>(spec);
}

} // namespace weir::sinks
