#include "sinks/registry/sinks.hpp"

#include "sinks/blackhole/sink.hpp"
#include "sinks/clickhouse/sink.hpp"
#include "sinks/lake/sink.hpp"
#include "sinks/mysql/sink.hpp"
#include "sinks/postgres/sink.hpp"
#include "sinks/postgres_raw/sink.hpp"
#include "sinks/windowed/sink.hpp"

#include <string_view>

namespace weir::sinks {

namespace {

using factory = expected<std::unique_ptr<sink>> (*)(const jobs::job_spec&, const context&);
using results_opener =
  expected<std::shared_ptr<windowed::results_store>> (*)(const jobs::job_spec&);

struct entry {
  std::string_view type;
  factory make;
  // Stores of rows final per partition: where merged rows go when keys
  // cross partitions (sink.partials_url), their progress and partials kept
  // by the postgres room.
  results_opener merged = nullptr;
};

constexpr entry sinks[] = {
  {"postgres", make_postgres_sink}, // window results (sinks/postgres/)
  // final window rows (sinks/clickhouse/)
  {"clickhouse", make_clickhouse_sink, open_clickhouse_results},
  // final window rows, MariaDB or MySQL (sinks/mysql/)
  {"mysql", make_mysql_sink, open_mysql_results},
  {"postgres_raw", make_postgres_raw_sink}, // every event (sinks/postgres_raw/)
  {"iceberg", make_lake_sink},              // every event into an Iceberg table (sinks/lake/)
  {"blackhole", make_blackhole_sink},       // anything, counted and discarded (sinks/blackhole/)
};

// Keys across partitions into a store of final rows: partials and progress
// in PostgreSQL, merged rows to the store, one windowed sink driving both.
expected<std::unique_ptr<sink>> merging(const entry& e, const jobs::job_spec& spec,
                                        const context& ctx) {
  if (auto checked = e.make(spec, ctx); !checked) // the store's URL
    return checked.failure();
  auto open = [spec, results = e.merged]() -> expected<windowed::stores> {
    auto progress = open_postgres_progress(spec);
    if (!progress)
      return progress.failure();
    auto store = results(spec);
    if (!store)
      return store.failure();
    return windowed::stores{std::move(*progress), std::move(*store)};
  };
  return windowed::make_sink(spec, ctx, open);
}

} // namespace

std::vector<registered_sink> registered_sinks() {
  std::vector<registered_sink> out;
  for (const auto& e : sinks)
    out.push_back({e.type, e.merged != nullptr});
  return out;
}

expected<std::unique_ptr<sink>> make_sink(const jobs::job_spec& spec, const context& ctx) {
  for (const auto& e : sinks) {
    if (e.type != spec.sink.type)
      continue;
    if (e.merged && !spec.sink.partials_url.empty())
      return merging(e, spec, ctx);
    return e.make(spec, ctx);
  }
  return error{"job " + spec.name + ": no sink of type '" + spec.sink.type + "'"};
}

} // namespace weir::sinks
