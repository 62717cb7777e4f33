// The two stores behind the windowed sink (sink.hpp), each I/O only: what to
// write, and when a row is final, is the sink's to decide (with
// jobs/windowed/combine.hpp).
//
// - A progress store keeps where every source partition stands and, for keys
//   across partitions, each partition's partials until their window is final
//   (PostgreSQL: sinks/postgres/). One write is one transaction of it.
// - A results store takes the rows (PostgreSQL, ClickHouse, MariaDB). It
//   writes inside the progress store's transaction where it is the same
//   database, or before that transaction commits where it is another.
//
// The registry composes them (sinks/registry/sinks.cpp).
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/windowed/combine.hpp"
#include "jobs/windowed/values.hpp"
#include "sinks/sink.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace weir::sinks::windowed {

using jobs::millis;

// A row one partition emitted, at the offset its partition had reached in
// the batch that carried it: a row is a function of the partition's input
// up to there, so that offset versions it.
struct row_ref {
  const jobs::partition_rows* rows = nullptr;
  std::size_t i = 0;
  std::uint64_t version = 0;

  millis start() const { return rows->rows.starts[i]; }
  millis end() const { return rows->rows.ends[i]; }
  std::string_view key() const { return rows->rows.keys[i]; }
  partition_id partition() const { return rows->partition; }
};

// Rows final as their partition emitted them (source.partitioned_by): the
// latest emission of each (window, key), in (window, key) order, and each
// partition's latest progress.
struct final_rows {
  std::vector<row_ref> rows;
  std::map<partition_id, const jobs::partition_progress*> progress;
  bool barrier = false; // a checkpoint follows: progress is due now
};

// A (window, key) merged from every partition, finalized; `rank` from 1 for
// top-N jobs (0 otherwise).
struct merged_row {
  millis start = 0, end = 0;
  std::string_view key; // parts joined by jobs::key_separator
  const std::vector<jobs::cell>* values = nullptr;
  std::uint32_t rank = 0;
};

// Rows a store cannot hold, per source partition (-1: merged rows), since
// the sink started: logged once, counted in <table>__progress.dropped.
using dropped_rows = std::map<partition_id, std::uint64_t>;

// Thrown by a store when a statement failed for what its rows hold (a
// constraint, a trigger, a value out of range): the sink makes the write
// again in isolating mode, so every other row lands.
struct rows_refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class results_store {
public:
  virtual ~results_store() = default;

  // Rows final as emitted, the latest per (window, key). With a progress
  // store they go into its transaction and the sink writes the progress;
  // without one (ClickHouse, MariaDB) the store keeps each partition's
  // progress itself, in the same write, and keeps the row of the highest
  // version. Rows it cannot hold are counted in dropped[partition], rows it
  // refuses appended to `refused` (and counted). Returns the rows written.
  virtual expected<std::size_t> write_final(const final_rows& rows, dropped_rows& dropped,
                                            std::vector<refused_row>& refused) = 0;

  // Merged rows at `version` (the number of writes that merged rows: a
  // later merge saw more input). Top-N jobs pass `windows`, whose rows
  // `rows` replace (only a store that can delete rows takes top-N: the
  // spec refuses it for the others). Returns the rows it cannot hold.
  virtual expected<std::size_t> write_merged(std::span<const merged_row> rows,
                                             std::uint64_t version, std::span<const millis> windows,
                                             std::vector<refused_row>& refused) = 0;
};

// Where a partition stood, as the progress store has it.
struct stored_progress {
  partition_id partition = 0;
  millis watermark = jobs::no_time;
  bool idle = false;
  offset_t next_offset = -1; // -1: none stored
};

// The job's own row: results published up to `materialized`; with another
// results store, the number of writes that merged rows (their version).
struct job_progress {
  millis materialized = jobs::no_time;
  std::uint64_t merges = 0;
};

// (window, key) of a published window whose partials a write changed: its
// row is merged again. Top-N jobs re-rank the whole window (key empty).
struct window_key {
  millis start = 0;
  std::string_view key;
};

// One write: a transaction under the job's lock. Calls throw on failure (a
// rows_refused for rows the store refuses); the transaction then rolls back.
class progress_txn {
public:
  virtual ~progress_txn() = default;
  // Every partition's stored progress, and the job's row: read once, first.
  virtual std::vector<stored_progress> read(job_progress& job) = 0;
  virtual void put_progress(std::span<const jobs::partition_progress* const> latest) = 0;
  // Adds to <table>__progress.dropped (partition -1: the job's row).
  virtual void add_dropped(const std::map<partition_id, std::uint64_t>& n) = 0;
  // Keys across partitions: each row as its partition's partial.
  virtual void put_partials(std::span<const row_ref> rows) = 0;
  // The partials of windows ending in (after, upto], then those of `touched`.
  virtual std::vector<jobs::partial> partials(millis after, millis upto,
                                              std::span<const window_key> touched) = 0;
  // Deletes the partials of windows ending in (after, upto]: final.
  virtual void forget_partials(millis after, millis upto) = 0;
  virtual void put_job(const job_progress& job, std::uint64_t dropped_merged) = 0;
  virtual void commit() = 0;
};

class progress_store {
public:
  virtual ~progress_store() = default;
  // Opens a write. `isolate`: an earlier try failed for rows the store
  // refused; this one writes rows in savepoints around them.
  virtual std::unique_ptr<progress_txn> begin(bool isolate) = 0;
};

} // namespace weir::sinks::windowed
