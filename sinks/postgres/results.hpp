// Window results into PostgreSQL, exactly once by construction; or, for
// ClickHouse and MariaDB with keys across partitions, the partials kept in
// PostgreSQL and the merged rows written to that store (merged_rows_store).
//
// Tables per job, created if missing:
//   <table>            the results: per (window, key);
//   <table>__progress  per source partition: watermark, idle flag, offset and
//                      counters; row -1 holds the watermark up to which
//                      <table> has been materialized;
//   <table>__partials  (keys across partitions only) per (window, key, source
//                      partition) that partition's accumulators (msgpack)
//                      until the window is final; then deleted.
// With source.partitioned_by (and no top-N) every emitted row is final and is
// upserted into <table> directly. Otherwise a window's partials are merged
// once the watermark of every (non-idle) partition has passed its end, and
// re-merged if a late partial arrives within the allowed lateness. Rows for
// windows already final are dropped and counted (<table>__progress.dropped).
// Every row is a deterministic function of (window, key, input), so a replay
// after a failure or a rescale rewrites identical values: no 2PC needed. Each
// write is one transaction under a per-table advisory lock, so sinks on
// different workers materialize in a serial order. See docs/architecture.md.
#pragma once

#include "jobs/spec.hpp"
#include "jobs/windowed/window_operator.hpp"
#include "base/expected.hpp"
#include "sinks/final_rows.hpp"
#include "sinks/sink.hpp"

#include <memory>
#include <set>
#include <string>
#include <vector>

namespace weir::sinks {

class postgres_results {
public:
  // Connects and creates the tables if they do not exist. With `store` the
  // results go there (ClickHouse, MariaDB): PostgreSQL (sink.partials_url)
  // keeps only the partials and the progress.
  static expected<postgres_results> make(const jobs::job_spec& spec, std::int32_t partitions,
                                         std::unique_ptr<merged_rows_store> store = nullptr);

  postgres_results(postgres_results&&) noexcept;
  postgres_results& operator=(postgres_results&&) noexcept;
  ~postgres_results();

  // Upserts partials and progress, then materializes every window that became
  // complete (and every completed window a late partial touched), in one
  // transaction. Later progress for the same partition supersedes earlier.
  expected<void> write(const std::vector<const jobs::partition_rows*>& rows,
                       const std::vector<const jobs::partition_progress*>& progress);

  // The watermark up to which results are materialized (jobs::no_time if none).
  jobs::millis materialized() const { return materialized_; }
  // Rows the last write did not write, counted in <table>__progress.dropped:
  // for windows already final, or merged rows another store cannot hold.
  std::size_t last_dropped() const { return last_dropped_; }
  // Rows the last write's store refused (a constraint, a trigger, a value
  // out of range): the rest of the write landed, these are for the
  // dead-letter topic. Counted in last_dropped() too.
  const std::vector<refused_row>& last_refused() const { return last_refused_; }

private:
  postgres_results() = default;

  struct connection; // keeps libpqxx out of this header
  std::unique_ptr<connection> conn_;
  std::unique_ptr<merged_rows_store> store_;
  jobs::job_spec spec_;
  jobs::agg_layout layout_;
  std::int32_t partitions_ = 0;
  jobs::millis materialized_ = jobs::no_time;
  std::size_t last_dropped_ = 0;
  std::vector<refused_row> last_refused_;
  std::set<std::int32_t> fenced_;   // partitions skipped for being behind (logged once)
  std::set<std::int32_t> dropping_; // partitions that sent rows for final windows (logged once)
  struct statements;
  std::shared_ptr<const statements> sql_;
};

// Quotes an SQL identifier ("a""b").
std::string quote_ident(const std::string& name);

// Appends a PostgreSQL array element, double-quoted and escaped.
void append_array_text(std::string& out, std::string_view element);

} // namespace weir::sinks
