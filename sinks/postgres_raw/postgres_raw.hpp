// Raw events into a PostgreSQL table, each exactly once (seeds 000/001: every
// bet lands in `bets` with exported = false for the scheduled export).
//
// The table (created if missing) holds the columns, then
//   exported    boolean NOT NULL DEFAULT false  -- set by the exporter
//   export_run  text                            -- the export run that claimed the row
//   ingested_at timestamptz NOT NULL DEFAULT now()
// with PRIMARY KEY (key column); without a key column, each row's Kafka
// position is its identity: kafka_partition integer, kafka_offset bigint and
// PRIMARY KEY (kafka_partition, kafka_offset). write() COPYs the batch into a temporary
// table and moves it over with INSERT ... ON CONFLICT (key) DO NOTHING, in one
// transaction: a replayed row (same key) is not inserted twice, and a
// failed write leaves nothing behind. Rows the server refuses for what they
// hold (a constraint or trigger the table was given, a value out of range)
// fail that transaction; the write is then made again with those rows
// isolated (raw::pg::isolate_rows) and returned, and the rest lands.
#pragma once

#include "jobs/raw/rows.hpp"

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace weir::raw {

class postgres_raw {
public:
  // Connects, creates the table if missing and checks an existing one has
  // the columns with their types. `key_column` "": rows are keyed by their
  // Kafka position, and write() takes only rows that have one.
  static expected<postgres_raw> make(const std::string& url, const std::string& table,
                                     std::vector<column> columns, const std::string& key_column);

  postgres_raw(postgres_raw&&) noexcept;
  postgres_raw& operator=(postgres_raw&&) noexcept;
  ~postgres_raw();

  // Inserts the batch's rows whose key is not in the table yet; returns how
  // many that was. The batch must have the columns given to make(), in order.
  // Rows the server refused are appended to `refused` (row, what it said).
  expected<std::size_t> write(const row_batch& batch,
                              std::vector<std::pair<std::size_t, std::string>>& refused);

  const std::vector<column>& columns() const { return columns_; }

private:
  postgres_raw() = default;

  struct connection; // keeps libpqxx out of this header
  std::unique_ptr<connection> conn_;
  std::vector<column> columns_;
  bool by_position_ = false;
  std::string chunk_; // COPY text being built, reused
};

} // namespace weir::raw
