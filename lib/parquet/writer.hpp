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

class writer {
public:
  // std::monostate is NULL. int64 and timestamp_ms columns take std::int64_t,
  // float64 double, string std::string_view, boolean bool.
  using value = std::variant<std::monostate, std::int64_t, double, std::string_view, bool>;

  // Fails on an empty schema, empty or repeated column names, or zero
  // row_group_rows.
  static expected<writer> make(schema s, codec c, std::size_t row_group_rows = 128 * 1024);

  writer(writer&&) noexcept;
  writer& operator=(writer&&) noexcept;
  ~writer();

  // One value per column. A row that does not fit the schema (wrong count,
  // NULL in a required column, wrong alternative) is rejected whole and
  // leaves the writer as it was.
  expected<void> append(const std::vector<value>& row);

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
  expected<void> flush_page(column_state& c);
  expected<void> flush_row_group();
  expected<void> write_footer();

  std::vector<column> columns_;
  codec codec_ = codec::uncompressed;
  std::size_t row_group_rows_ = 0;
  std::vector<column_state> state_;
  std::unique_ptr<scratch> scratch_;
  std::string out_;        // the file so far: "PAR1" and finished row groups
  std::string row_groups_; // their RowGroup structs, compact-encoded for the footer
  std::size_t row_group_count_ = 0;
  std::vector<std::int64_t> row_group_offsets_;
  std::vector<std::int64_t> column_sizes_;
  std::size_t rows_ = 0;
  std::size_t group_rows_ = 0; // rows in the row group being buffered
  bool finished_ = false;
};

} // namespace weir::parquet
