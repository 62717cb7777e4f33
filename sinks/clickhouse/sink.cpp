#include "sinks/clickhouse/sink.hpp"

#include "sinks/clickhouse/clickhouse.hpp"
#include "sinks/windowed/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_clickhouse_sink(const jobs::job_spec& spec,
                                                     const context& ctx) {
  if (auto ep = clickhouse::parse_url(spec.sink.url); !ep)
    return ep.failure();
  return windowed::make_versioned_sink<clickhouse::results>(spec, ctx);
}

expected<std::shared_ptr<windowed::results_store>> open_clickhouse_results(
  const jobs::job_spec& spec) {
  return windowed::open_merged<clickhouse::results>(spec);
}

} // namespace weir::sinks
