// Internal to sinks/raw (includes libpqxx; only .cpp files include it): the
// raw table's DDL, shared by postgres_raw (which fills the table) and the
// exporter (which drains it), and PostgreSQL's COPY text format both ways.
#pragma once

#include "jobs/raw/rows.hpp"

#include <pqxx/pqxx>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::raw::pg {

// bigint, double precision, text, boolean, timestamptz.
const char* sql_type(parquet::type t);

// The table name and key must be identifiers, the key one of the columns and
// not nullable; exported, export_run and ingested_at are the table's own. No
// key (""): an event is its Kafka position, columns kafka_partition and
// kafka_offset of the table's own.
expected<void> check_table(const std::string& table, const std::vector<column>& columns,
                           const std::string& key_column);

// Creates the table (columns, exported, export_run, ingested_at, primary key;
// without a key, kafka_partition and kafka_offset as the primary key)
// and two partial indexes on export_run (rows not exported; rows claimed),
// if missing; checks that an existing table has every column with its type.
// Throws (callers run it under weir::guarded).
void ensure_table(pqxx::transaction_base& txn, const std::string& table,
                  const std::vector<column>& columns, const std::string& key_column);

// Appends v as one field of COPY's text format: \N for NULL, backslash
// escapes for \ and the line and field separators, NaN/Infinity spelled the
// way PostgreSQL reads them. Timestamps go as epoch milliseconds.
void append_copy_value(std::string& out, const row_batch::value& v);

// Splits one COPY text line (trailing newline optional) into its fields and
// decodes them into `out` as values of `columns`' types (timestamps must be
// epoch milliseconds). Strings are unescaped into `scratch` and view into it.
// Throws on a malformed line.
void parse_copy_line(std::string_view line, const std::vector<column>& columns,
                     std::string& scratch, std::vector<row_batch::value>& out);

// A server message (ERROR, DETAIL, CONTEXT lines) as one line, for logs
// and dead-letter headers.
std::string one_line(std::string_view message);

// Whether a statement failed for the rows it was given (a value out of a
// column's range, a constraint, a trigger's RAISE: SQLSTATE classes 22, 23
// and P0) rather than for the moment or the schema: the same rows can never
// be written, the others can.
bool refused_rows(const pqxx::sql_error& e);

// Writes rows [0, n) of something with write(txn, first, count), each try
// in a savepoint, halving the range around rows the server refuses
// (refused_rows) until each refused row is alone; refused(i, why) is called
// for those, in order, and every other row lands. k refused rows of n cost
// about 2k log2(n) statements. Other errors propagate.
void isolate_rows(
  pqxx::dbtransaction& txn, std::size_t n,
  const std::function<void(pqxx::transaction_base&, std::size_t first, std::size_t count)>& write,
  const std::function<void(std::size_t row, const std::string& why)>& refused);

} // namespace weir::raw::pg
