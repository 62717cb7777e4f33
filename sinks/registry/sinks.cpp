#include "sinks/registry/sinks.hpp"

#include "sinks/clickhouse/sink.hpp"
#include "sinks/lake/sink.hpp"
#include "sinks/mysql/sink.hpp"
#include "sinks/postgres/sink.hpp"
#include "sinks/postgres_raw/sink.hpp"

#include <string_view>

namespace weir::sinks {

namespace {

using factory = expected<std::unique_ptr<sink>> (*)(const jobs::job_spec&, const context&);

struct entry {
  std::string_view type;
  factory make;
};

constexpr entry sinks[] = {
  {"postgres", make_postgres_sink},         // window results (sinks/postgres/)
  {"clickhouse", make_clickhouse_sink},     // final window rows (sinks/clickhouse/)
  {"mysql", make_mysql_sink},               // final window rows, MariaDB or MySQL (sinks/mysql/)
  {"postgres_raw", make_postgres_raw_sink}, // every event (sinks/postgres_raw/)
  {"parquet", make_lake_sink},              // every event as a Parquet lake (sinks/lake/)
};

} // namespace

expected<std::unique_ptr<sink>> make_sink(const jobs::job_spec& spec, const context& ctx) {
  for (const auto& e : sinks)
    if (e.type == spec.sink.type)
      return e.make(spec, ctx);
  return error{"job " + spec.name + ": no sink of type '" + spec.sink.type + "'"};
}

} // namespace weir::sinks
