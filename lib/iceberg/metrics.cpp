#include "lib/iceberg/metrics.hpp"

#include "base/utf8.hpp"

#include <cmath>
#include <vector>

namespace weir::iceberg {

namespace {

// The code points of at most `n` leading characters, with their byte
// offsets (weir's strings come from JSON, so they are valid UTF-8; a stray
// byte counts as a code point of its own value).
struct code_point {
  std::uint32_t value;
  std::size_t offset;
};

std::vector<code_point> leading_code_points(std::string_view s, std::size_t n) {
  std::vector<code_point> out;
  std::size_t i = 0;
  while (i < s.size() && out.size() < n) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80         ? 1
                      : (b >> 5) == 6  ? 2
                      : (b >> 4) == 14 ? 3
                      : (b >> 3) == 30 ? 4
                                       : 1;
    if (i + len > s.size())
      len = 1;
    std::uint32_t cp = len == 1 ? b : b & (0x7F >> len);
    for (std::size_t k = 1; k < len; ++k)
      cp = cp << 6 | (static_cast<unsigned char>(s[i + k]) & 0x3F);
    out.push_back({cp, i});
    i += len;
  }
  return out;
}

} // namespace

std::optional<std::string> truncate_upper(std::string_view s, std::size_t length) {
  auto points = leading_code_points(s, length + 1);
  if (points.size() <= length)
    return std::string{s};
  // Increment the last code point that can be, dropping those after it;
  // surrogates are not characters, so U+D7FF steps to U+E000.
  for (std::size_t i = length; i-- > 0;) {
    std::uint32_t next = points[i].value + 1;
    if (next == 0xD800)
      next = 0xE000;
    if (next <= 0x10FFFF) {
      std::string out{s.substr(0, points[i].offset)};
      append_utf8(out, next);
      return out;
    }
  }
  return std::nullopt;
}

void column_metrics::add(const value_view& v) {
  ++values_;
  if (v.index() == 0) {
    ++nulls_;
    return;
  }
  if (!fits(t_, v) || t_ == type::other)
    return;
  if (t_ == type::float64 && std::isnan(std::get<double>(v))) {
    ++nans_;
    return;
  }
  bound(v);
}

void column_metrics::add(std::int64_t values, std::int64_t nulls, std::int64_t nans,
                         const value_view& min, const value_view& max) {
  values_ += values;
  nulls_ += nulls;
  nans_ += nans;
  for (const auto* v : {&min, &max})
    if (v->index() != 0 && fits(t_, *v) && t_ != type::other
        && !(t_ == type::float64 && std::isnan(std::get<double>(*v))))
      bound(*v);
}

void column_metrics::bound(const value_view& v) {
  if (!has_range_) {
    min_ = own(v);
    max_ = own(v);
    has_range_ = true;
  } else if (compare(t_, v, view(min_)) < 0) {
    min_ = own(v);
  } else if (compare(t_, v, view(max_)) > 0) {
    max_ = own(v);
  }
}

std::optional<std::string> column_metrics::lower_bound() const {
  if (!has_range_)
    return std::nullopt;
  if (t_ == type::string)
    return std::string{utf8_prefix(std::get<std::string>(min_), truncate_length)};
  return to_bytes(t_, view(min_));
}

std::optional<std::string> column_metrics::upper_bound() const {
  if (!has_range_)
    return std::nullopt;
  if (t_ == type::string)
    return truncate_upper(std::get<std::string>(max_), truncate_length);
  return to_bytes(t_, view(max_));
}

file_metrics::file_metrics(const iceberg::schema& s) {
  for (const auto& f : s.fields) {
    ids_.push_back(f.id);
    types_.push_back(f.t);
    columns_.emplace_back(f.t);
  }
}

void file_metrics::add(const std::vector<value_view>& row) {
  ++rows_;
  for (std::size_t i = 0; i < columns_.size(); ++i)
    columns_[i].add(i < row.size() ? row[i] : value_view{});
}

void file_metrics::add_column(std::size_t i, std::int64_t values, std::int64_t nulls,
                              std::int64_t nans, const value_view& min, const value_view& max) {
  columns_.at(i).add(values, nulls, nans, min, max);
}

void file_metrics::fill(data_file& f) const {
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    const auto id = ids_[i];
    const auto& m = columns_[i];
    f.value_counts[id] = m.value_count();
    f.null_value_counts[id] = m.null_count();
    if (types_[i] == type::float64)
      f.nan_value_counts[id] = m.nan_count();
    if (auto lo = m.lower_bound())
      f.lower_bounds[id] = *lo;
    if (auto hi = m.upper_bound())
      f.upper_bounds[id] = *hi;
  }
}

} // namespace weir::iceberg
