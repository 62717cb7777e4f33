#include "sinks/mysql/sink.hpp"

#include "sinks/mysql/mysql.hpp"
#include "sinks/windowed/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_mysql_sink(const jobs::job_spec& spec, const context& ctx) {
  if (auto ep = mysql::parse_url(spec.sink.url); !ep)
    return ep.failure();
  return windowed::make_versioned_sink<mysql::results>(spec, ctx);
}

expected<std::shared_ptr<windowed::results_store>> open_mysql_results(const jobs::job_spec& spec) {
  return windowed::open_merged<mysql::results>(spec);
}

} // namespace weir::sinks
