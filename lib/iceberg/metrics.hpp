// Per-column statistics of a data file as Iceberg's manifests store them
// (format/spec.md, "Field-level Metrics"): value counts (NULLs and NaNs
// included), NULL counts, NaN counts for doubles, and lower/upper bounds in
// the single-value serialization.
//
// Bounds follow Iceberg's default metrics mode, truncate(16): a string bound
// keeps its first 16 Unicode code points (not bytes: a bound never splits a
// character); the lower bound is that prefix, the upper bound that prefix
// with its last code point incremented (the one before it when the last is
// U+10FFFF, and so on; no upper bound when none can be), so both still
// bound every value. Other types' bounds are exact. NaN is never a bound.
#pragma once

#include "lib/iceberg/manifest.hpp"
#include "lib/iceberg/metadata.hpp"
#include "lib/iceberg/values.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace weir::iceberg {

class column_metrics {
public:
  static constexpr std::size_t truncate_length = 16;

  explicit column_metrics(type t) : t_(t) {}

  // One value of the column (std::monostate for NULL). A value that does
  // not fit the type counts as a value but bounds nothing.
  void add(const value_view& v);
  // Many values at once, summarized: `values` of which `nulls` NULL and
  // `nans` NaN, the others between min and max (std::monostate when none).
  void add(std::int64_t values, std::int64_t nulls, std::int64_t nans, const value_view& min,
           const value_view& max);

  std::int64_t value_count() const { return values_; }
  std::int64_t null_count() const { return nulls_; }
  std::int64_t nan_count() const { return nans_; }
  // Serialized bounds; nullopt when no value bounds the column.
  std::optional<std::string> lower_bound() const;
  std::optional<std::string> upper_bound() const;

private:
  void bound(const value_view& v);

  type t_;
  std::int64_t values_ = 0, nulls_ = 0, nans_ = 0;
  bool has_range_ = false;
  datum min_, max_;
};

// The statistics of every column of a data file, rows given in the
// schema's field order.
class file_metrics {
public:
  explicit file_metrics(const iceberg::schema& s);

  void add(const std::vector<value_view>& row);
  // Column i of many rows at once, summarized as column_metrics::add takes
  // it (rows() counts rows added whole only).
  void add_column(std::size_t i, std::int64_t values, std::int64_t nulls, std::int64_t nans,
                  const value_view& min, const value_view& max);
  std::int64_t rows() const { return rows_; }
  // Sets the file's value, NULL and NaN (doubles) counts and bounds, by
  // field id; columns of types weir does not handle get counts only.
  void fill(data_file& f) const;

private:
  std::vector<std::int32_t> ids_;
  std::vector<type> types_;
  std::vector<column_metrics> columns_;
  std::int64_t rows_ = 0;
};

// The upper bound of truncate(16), exposed for tests: the smallest string
// of at most `length` code points above every string with the same first
// `length` code points (the lower bound is utf8_prefix, values.hpp).
std::optional<std::string> truncate_upper(std::string_view s, std::size_t length);

} // namespace weir::iceberg
