#include "sinks/export/run.hpp"

#include "jobs/raw/projection.hpp"
#include "lib/s3/env.hpp"
#include "sinks/export/exporter.hpp"
#include "sinks/export/into_lake.hpp"

#include <optional>

namespace weir::raw {

namespace {

// Where a run's rows go: files under export.to, or the sink's Iceberg table.
struct target {
  std::string from, table;
  std::optional<lake::table_config> lake;
  std::optional<s3::client> s3;
  bool same_database = false; // the marks commit with the catalog swap

  // One run; what it wrote, for the log.
  expected<std::string> run(exporter& ex, const std::string& run_id) {
    if (!lake) {
      auto done = ex.run(run_id);
      if (!done)
        return done.failure();
      return std::to_string(done->rows) + " row(s) to " + done->key;
    }
    auto done = export_into_lake(ex, *lake, *s3, from, run_id, same_database);
    if (!done)
      return done.failure();
    return std::to_string(done->rows) + " row(s) to " + table
           + (done->snapshot ? " in snapshot " + std::to_string(*done->snapshot) : "");
  }
};

} // namespace

expected<jobs::run_result> run_export(const jobs::job_spec& spec, const std::string& run_id) {
  const auto& e = *spec.export_job;
  export_config cfg;
  cfg.pg_url = e.pg_url;
  cfg.table = e.table;
  cfg.columns = raw_schema(e.columns);
  cfg.key_column = e.key;
  cfg.s3 = s3_config_from_env();
  cfg.bucket = e.bucket;
  cfg.prefix = e.prefix;
  target to{e.table, spec.sink.table, std::nullopt, std::nullopt, spec.sink.catalog == e.pg_url};
  if (e.to_lake) {
    auto table = lake::table_config_of(e.columns, spec.sink);
    if (!table)
      return error{"job " + spec.name + ": " + table.error_message()};
    auto s3 = s3::client::make(cfg.s3);
    if (!s3)
      return s3.failure();
    cfg.bucket = table->bucket; // the exporter writes no files of its own here
    to.lake = std::move(*table);
    to.s3 = std::move(*s3);
  }
  auto ex = exporter::make(std::move(cfg));
  if (!ex)
    return ex.failure();
  auto unfinished = ex->unfinished_runs();
  if (!unfinished)
    return unfinished.failure();
  jobs::run_result out;
  for (const auto& earlier : *unfinished) {
    if (earlier == run_id)
      continue;
    if (auto done = to.run(*ex, earlier); !done)
      return error{"finishing run " + earlier + ": " + done.error_message()};
    out.recovered.push_back(earlier);
  }
  auto done = to.run(*ex, run_id);
  if (!done)
    return done.failure();
  out.summary = *done;
  return out;
}

} // namespace weir::raw
