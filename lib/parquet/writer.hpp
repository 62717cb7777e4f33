// A standalone Parquet file writer for flat schemas, into memory (Debian 12
// has no Apache Arrow). Rows are buffered column by column; every
// `row_group_rows` rows become a row group, whose column chunks are data
// pages (v1) of about 1 MiB, PLAIN-encoded, definition levels for nullable
// columns, compressed with the file's codec. finish() adds the footer with
// per-chunk statistics and hands back the whole file.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace weir::parquet {

// timestamp_ms: INT64, TIMESTAMP(isAdjustedToUTC=true, MILLIS), milliseconds
// since the epoch; timestamp_us the same in microseconds (Iceberg's
// timestamptz). string: BYTE_ARRAY, STRING (the bytes should be UTF-8).
enum class type { int64, float64, string, boolean, timestamp_ms, timestamp_us };
enum class codec { uncompressed, snappy, zstd };

// "int64", "float64", "string", "boolean", "timestamp_ms", "timestamp_us".
const char* type_name(type t);

struct column {
  std::string name;
  type t;
  bool nullable = true;
  // Written as the SchemaElement's field_id: Apache Iceberg matches a data
  // file's columns to the table's by these ids, not by name.
  std::optional<std::int32_t> field_id = std::nullopt;
};

struct schema {
  std::vector<column> columns;
};

// One column of rows laid out column-wise, as weir's row batches keep them:
// a NULL flag per row, and the values in the span of the column's type
// (int64 and timestamps in `ints`, strings back to back in `chars`, string
// i ending at ends[i]). NULL rows keep a slot.
struct column_view {
  std::span<const std::uint8_t> nulls;
  std::span<const std::int64_t> ints;
  std::span<const double> doubles;
  std::span<const std::uint8_t> bools;
  std::string_view chars;
  std::span<const std::size_t> ends;
};

class writer {
public:
  // std::monostate is NULL. int64 and timestamp_ms columns take std::int64_t,
  // float64 double, string std::string_view, boolean bool.
  using value = std::variant<std::monostate, std::int64_t, double, std::string_view, bool>;

  // Fails on an empty schema, empty or repeated column names, or zero
  // row_group_rows.
  // `threads` (1 or 2) encode the columns of a column-wise append: each
  // takes the next column as it frees up, with its own codec context.
  static expected<writer> make(schema s, codec c, std::size_t row_group_rows = 128 * 1024,
                               unsigned threads = 1);

  writer(writer&&) noexcept;
  writer& operator=(writer&&) noexcept;
  ~writer();

  // One value per column. A row that does not fit the schema (wrong count,
  // NULL in a required column, wrong alternative) is rejected whole and
  // leaves the writer as it was.
  expected<void> append(const std::vector<value>& row);
  // Rows order[0], order[1], ... of `columns`, one column at a time per row
  // group: a sorted file gathers its rows without a value per cell. A NULL
  // in a required column rejects the call and leaves the writer as it was;
  // a string over 1 GiB fails it (the writer refuses further use).
  expected<void> append(std::span<const column_view> columns, std::span<const std::uint32_t> order);

  // A column's statistics over the whole file so far: min and max are
  // std::monostate when no value bounds the column (all NULL or NaN);
  // strings view into the writer.
  struct summary {
    std::int64_t values = 0, nulls = 0, nans = 0;
    value min, max;
  };
  summary column_summary(std::size_t column) const;

  std::size_t rows() const { return rows_; }
  // About the size of the file if finished now: row groups already written
  // plus what is buffered (current pages counted uncompressed), no footer.
  std::size_t buffered_bytes() const;

  // Writes the last row group and the footer and returns the file's bytes.
  // The writer is spent afterwards: append and finish fail.
  expected<std::string> finish();

  // What a table format records about the file (Iceberg's split_offsets and
  // column_sizes), complete after finish(): the byte offset of every row
  // group, and per column the bytes of all its chunks (page headers and
  // compressed pages, no footer).
  const std::vector<std::int64_t>& row_group_offsets() const { return row_group_offsets_; }
  const std::vector<std::int64_t>& column_sizes() const { return column_sizes_; }

private:
  struct column_state;
  struct scratch; // page buffers and the zstd context, reused for every page

  writer() = default;
  expected<void> push(const std::vector<value>& row);
  expected<void> push(std::span<const column_view> columns, std::span<const std::uint32_t> order);
  expected<void> end_row(std::size_t rows);
  expected<void> fill_columns(std::span<const column_view> columns,
                              std::span<const std::uint32_t> rows, std::size_t first,
                              std::size_t last, scratch& s);
  expected<void> flush_page(column_state& c, scratch& s);
  // Ends the column chunk's dictionary: the page so far is flushed, the
  // rest of the chunk and the file's later chunks are PLAIN.
  expected<void> give_up_dictionary(column_state& c, scratch& s);
  // A page body under the codec (into the scratch, or `body` itself).
  expected<std::string_view> compress(std::string_view body, scratch& s) const;
  expected<void> flush_row_group();
  expected<void> write_footer();

  std::vector<column> columns_;
  codec codec_ = codec::uncompressed;
  std::size_t row_group_rows_ = 0;
  std::vector<column_state> state_;
  std::vector<std::unique_ptr<scratch>> scratch_; // one per thread
  std::vector<std::size_t> heavy_first_;          // columns in the order threads take them
  std::string out_;                               // the file so far: "PAR1" and finished row groups
  std::string row_groups_; // their RowGroup structs, compact-encoded for the footer
  std::size_t row_group_count_ = 0;
  std::vector<std::int64_t> row_group_offsets_;
  std::vector<std::int64_t> column_sizes_;
  std::size_t rows_ = 0;
  std::size_t group_rows_ = 0; // rows in the row group being buffered
  bool finished_ = false;
};

} // namespace weir::parquet
