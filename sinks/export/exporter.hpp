// The seeds' Airflow DAG (000/001) as a procedure: rows of a raw table
// (postgres_raw) not yet exported go to S3 as ONE Parquet file per run,
//   <prefix>/YYYY-MM-DD/part-HHMMSS.parquet   (prefix "raw": the seed's layout)
// named after the run id (its scheduled time), then are marked exported.
//
// Three steps, each one transaction or one upload, each safe to repeat:
//   claim(run)   UPDATE SET export_run = run WHERE NOT exported AND
//                export_run IS NULL, unless the run already claimed rows;
//   upload(run)  the run's claimed rows that are not exported yet, ordered by
//                key, as one file (no file if there are none);
//   mark(run)    UPDATE SET exported = true WHERE export_run = run.
// Re-running a run after a crash between any two steps rewrites the same
// object from the same rows and marks the same rows: no loss, no duplicates
// (README.md has the argument). Rows claimed by a run that never finished
// stay with it: the scheduler must re-run unfinished_runs().
#pragma once

#include "jobs/raw/rows.hpp"
#include "lib/s3/client.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace weir::raw {

struct export_config {
  std::string pg_url;
  std::string table;           // created if missing, as postgres_raw does
  std::vector<column> columns; // what goes into the file, in this order
  std::string key_column;      // the table's primary key: the file's row order
  s3::config s3;
  std::string bucket;
  std::string prefix = "raw";
  parquet::codec codec = parquet::codec::snappy; // what pandas.to_parquet writes by default
  std::size_t row_group_rows = 128 * 1024;
};

struct export_result {
  std::string run_id; // canonical: YYYY-MM-DDTHH:MM:SSZ
  std::string key;    // the object's key (set even when nothing was uploaded)
  std::size_t rows = 0;
  bool uploaded = false;
};

// One row of an export's columns (timestamps in milliseconds).
using export_row = std::vector<row_batch::value>;

// A run id is an ISO-8601 time in whole seconds ("2026-01-01T10:05:00Z",
// offsets allowed); it is canonicalized to UTC so that one instant is one
// run and one file name.
expected<std::string> canonical_run_id(const std::string& run_id);
// "<prefix>/2026-01-01/part-100500.parquet" for run 2026-01-01T10:05:00Z.
expected<std::string> export_key(const std::string& prefix, const std::string& run_id);

class exporter {
public:
  // Connects to PostgreSQL (creating the table if missing) and makes the S3 client.
  static expected<exporter> make(export_config cfg);

  exporter(exporter&&) noexcept;
  exporter& operator=(exporter&&) noexcept;
  ~exporter();

  // Step 1: returns how many rows this call claimed (0 when the run had
  // claimed rows already, or there was nothing to claim).
  expected<std::size_t> claim(const std::string& run_id);
  // Step 2: writes and uploads the run's claimed, not yet exported rows.
  expected<export_result> upload(const std::string& run_id);
  // Step 3: returns how many rows it marked.
  expected<std::size_t> mark(const std::string& run_id);
  // Step 3 as SQL of this database ($1: the canonical run id), for a
  // transaction that commits more than the marks (an Iceberg catalog swap).
  const std::string& mark_sql() const;

  // The run's claimed rows not exported yet, in key order, to `each` (what
  // upload() writes); an error from `each` stops the read. Returns the count.
  expected<std::size_t> read(const std::string& run_id,
                             const std::function<expected<void>(const export_row&)>& each);

  // claim, upload, mark.
  expected<export_result> run(const std::string& run_id);

  // Runs that claimed rows and did not mark them (crashed), oldest first.
  expected<std::vector<std::string>> unfinished_runs();

private:
  exporter() = default;
  struct state; // keeps libpqxx out of this header
  std::unique_ptr<state> st_;
};

} // namespace weir::raw
