// One run of an export into an Iceberg table (the job's sink, type iceberg):
// the lake room writes it (sinks/lake/: partition_writer's sorted Parquet
// files with statistics, table::commit's catalog swap). The run's claimed
// rows become ONE append snapshot whose summary names the run:
//   weir.export-from = <raw table>, weir.export-run = <run id>
// Where the catalog is the raw table's database (from.url == sink.catalog),
// the rows are marked exported in the transaction of the catalog swap: a
// crash leaves both the snapshot and the marks, or neither. Elsewhere the
// marks follow the swap; a re-run after a crash between the two finds its
// snapshot by its summary and only marks. Files a crashed run uploaded are
// in no snapshot: no reader sees them, and the run done again deletes them
// (a try lists its files before its commit; docs/lake.md, "Exports").
#pragma once

#include "sinks/export/exporter.hpp"
#include "sinks/lake/layout.hpp"

#include <optional>
#include <string>

namespace weir::raw {

struct lake_export_result {
  std::size_t rows = 0;
  std::optional<std::int64_t> snapshot; // none: nothing new, or committed by an earlier try
};

// Whether `m` has a snapshot (the current one or an ancestor) of run
// `run_id` of the export from `from`.
bool has_export_run(const iceberg::table_metadata& m, const std::string& from,
                    const std::string& run_id);

// Claim, write, commit and mark run `run_id`; safe to repeat. `same_database`:
// the catalog is the database the exporter marks rows in.
expected<lake_export_result> export_into_lake(exporter& ex, const lake::table_config& table,
                                              s3::client& s3, const std::string& from,
                                              const std::string& run_id, bool same_database);

} // namespace weir::raw
