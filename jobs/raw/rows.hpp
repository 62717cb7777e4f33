// The typed row model shared by the raw paths (postgres_raw, lake_writer,
// exporter): a schema of flat columns and a batch of rows stored column by
// column, with each row's Kafka position when it came from Kafka.
#pragma once

#include "base/expected.hpp"
#include "lib/parquet/writer.hpp"

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::raw {

// {name, type, nullable}: parquet's own column, so a schema goes to the
// Parquet writer as it is. Types: int64, float64, string, boolean,
// timestamp_ms (milliseconds since the epoch, UTC).
using column = parquet::column;

// Where a row came from.
struct kafka_position {
  std::int32_t partition = 0;
  std::int64_t offset = 0;
};

// Letters, digits and _, not starting with a digit: safe as a SQL column,
// a Parquet column and a Hive partition name.
bool is_identifier(std::string_view s);

// Names must be SQL-ish identifiers (letters, digits, _; not starting with a
// digit), unique, and there must be at least one column.
expected<void> check_columns(const std::vector<column>& columns);

// N rows, column-wise. Values are parquet::writer::value: std::monostate is
// NULL; int64 and timestamp_ms take std::int64_t, float64 double, string
// std::string_view (copied in), boolean bool. Strings of a column share one
// buffer, so once the vectors are warm (clear() keeps them) appending does
// not allocate.
class row_batch {
public:
  using value = parquet::writer::value;

  static expected<row_batch> make(std::vector<column> columns);

  // One value per column. A row that does not fit the schema, or whose
  // provenance differs from the batch's (all rows from Kafka or none), is
  // rejected whole and leaves the batch as it was.
  expected<void> append(std::span<const value> row,
                        std::optional<kafka_position> from = std::nullopt);
  expected<void> append(std::initializer_list<value> row,
                        std::optional<kafka_position> from = std::nullopt) {
    return append(std::span<const value>{row.begin(), row.size()}, from);
  }

  const std::vector<column>& columns() const { return columns_; }
  std::size_t rows() const { return rows_; }
  bool empty() const { return rows_ == 0; }

  // Column-wise appends, for paths that convert whole batches: each call
  // grows one column, and end_rows(n) makes rows of them once every column
  // grew by n. Values are not checked against the schema (the caller's
  // columns are of the same types), and such rows carry no Kafka position.
  // Rows `rows` of `src`, a column of this one's type, integers times `scale`.
  void gather(std::size_t col, const parquet::column_view& src, std::span<const std::uint32_t> rows,
              std::int64_t scale = 1);
  void push(std::size_t col, std::int64_t v);
  void push(std::size_t col, std::string_view v);
  void push_null(std::size_t col);
  void end_rows(std::size_t n);

  // The values' size, uncompressed: strings' bytes plus 4 each, 8 bytes for
  // any other value (what a writer buffers, for its budgets).
  std::size_t weight() const;

  // The value at (row, col); strings view into the batch.
  value at(std::size_t row, std::size_t col) const;
  bool is_null(std::size_t row, std::size_t col) const { return data_[col].nulls[row] != 0; }
  // Column `col` as stored, for column-wise readers (the Parquet writer).
  parquet::column_view view(std::size_t col) const;

  // True when the rows came with Kafka positions.
  bool from_kafka() const { return from_kafka_; }
  kafka_position position(std::size_t row) const { return positions_[row]; }

  // Drops the rows, keeps the schema and the capacity.
  void clear();

  // Room for as many rows and string bytes as `like` (of the same schema)
  // holds: a source's next batch is about as big as its last, and growing
  // each column from empty copied it a dozen times over.
  void reserve_like(const row_batch& like);

private:
  struct column_data {
    std::vector<std::int64_t> ints;  // int64, timestamp_ms
    std::vector<double> doubles;     // float64
    std::vector<std::uint8_t> bools; // boolean
    std::string chars;               // string: all values back to back
    std::vector<std::size_t> ends;   // string: end of value i in chars
    std::vector<std::uint8_t> nulls; // 1 where NULL (every type; slots stay aligned)
  };

  explicit row_batch(std::vector<column> columns);

  std::vector<column> columns_;
  std::vector<column_data> data_;
  std::vector<kafka_position> positions_;
  std::size_t rows_ = 0;
  bool from_kafka_ = false;
};

// -- UTC calendar, for partition paths and export names ----------------------

struct civil_time {
  int year;
  unsigned month, day, hour, minute, second, milli;
};
civil_time to_civil(std::int64_t epoch_ms);

// "YYYY-MM-DD" of a UTC timestamp (years 0..9999 print with 4 digits).
void append_date(std::string& out, std::int64_t epoch_ms);

// "YYYY-MM-DD HH:MM:SS.mmm" of a UTC timestamp.
void append_date_time(std::string& out, std::int64_t epoch_ms);

// Appends n in decimal, zero-padded to `width` digits (n >= 0).
void append_padded(std::string& out, std::uint64_t n, int width);

} // namespace weir::raw
