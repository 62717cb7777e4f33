#include "sinks/export/run.hpp"

#include "jobs/raw/projection.hpp"
#include "lib/s3/env.hpp"
#include "sinks/export/exporter.hpp"

namespace weir::raw {

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
    if (auto done = ex->run(earlier); !done)
      return error{"finishing run " + earlier + ": " + done.error_message()};
    out.recovered.push_back(earlier);
  }
  auto done = ex->run(run_id);
  if (!done)
    return done.failure();
  out.summary = std::to_string(done->rows) + " row(s) to " + done->key;
  return out;
}

} // namespace weir::raw
