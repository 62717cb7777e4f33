#include "sinks/mysql/sink.hpp"

#include "sinks/mysql/mysql.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_mysql_sink(const jobs::job_spec& spec, const context&) {
  if (auto ep = mysql::parse_url(spec.sink.url); !ep)
    return ep.failure();
  return std::unique_ptr<sink>{std::make_unique<final_rows_sink<mysql::results>>(spec)};
}

expected<std::unique_ptr<merged_rows_store>> open_mysql_merged(const jobs::job_spec& spec) {
  return open_merged<mysql::results>(spec);
}

} // namespace weir::sinks
