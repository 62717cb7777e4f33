#include "jobs/raw/rows.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

namespace weir::raw {

namespace {

// The value alternative each column type takes (index into writer::value).
std::size_t alternative(parquet::type t) {
  switch (t) {
    case parquet::type::int64:
    case parquet::type::timestamp_ms:
    case parquet::type::timestamp_us: return 1;
    case parquet::type::float64: return 2;
    case parquet::type::string: return 3;
    case parquet::type::boolean: return 4;
  }
  return 0;
}

} // namespace

bool is_identifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9'))
    return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  return true;
}

expected<void> check_columns(const std::vector<column>& columns) {
  if (columns.empty())
    return error{"raw: no columns"};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& name = columns[i].name;
    if (!is_identifier(name))
      return error{"raw: column name '" + name + "' is not an identifier (letters, digits, _)"};
    for (std::size_t j = 0; j < i; ++j)
      if (columns[j].name == name)
        return error{"raw: column '" + name + "' appears twice"};
  }
  return {};
}

row_batch::row_batch(std::vector<column> columns)
  : columns_(std::move(columns)), data_(columns_.size()) {}

expected<row_batch> row_batch::make(std::vector<column> columns) {
  if (auto ok = check_columns(columns); !ok)
    return ok.failure();
  return row_batch{std::move(columns)};
}

expected<void> row_batch::append(std::span<const value> row, std::optional<kafka_position> from) {
  if (row.size() != columns_.size())
    return error{"raw: row has " + std::to_string(row.size()) + " values, schema has "
                 + std::to_string(columns_.size()) + " columns"};
  if (rows_ > 0 && from.has_value() != from_kafka_)
    return error{from ? "raw: row with a Kafka position in a batch without"
                      : "raw: row without a Kafka position in a batch of Kafka rows"};
  for (std::size_t i = 0; i < row.size(); ++i) {
    const auto& col = columns_[i];
    if (row[i].index() == 0) {
      if (!col.nullable)
        return error{"raw: NULL in required column '" + col.name + "'"};
    } else if (row[i].index() != alternative(col.t)) {
      return error{"raw: column '" + col.name + "' is " + parquet::type_name(col.t)
                   + ", got another type"};
    }
  }
  // Checked: from here on nothing fails but allocation.
  for (std::size_t i = 0; i < row.size(); ++i) {
    auto& d = data_[i];
    const auto& v = row[i];
    const bool null = v.index() == 0;
    d.nulls.push_back(null);
    switch (columns_[i].t) {
      case parquet::type::int64:
      case parquet::type::timestamp_ms:
      case parquet::type::timestamp_us:
        d.ints.push_back(null ? 0 : std::get<std::int64_t>(v));
        break;
      case parquet::type::float64: d.doubles.push_back(null ? 0 : std::get<double>(v)); break;
      case parquet::type::boolean: d.bools.push_back(null ? 0 : std::get<bool>(v)); break;
      case parquet::type::string:
        if (!null)
          d.chars.append(std::get<std::string_view>(v));
        d.ends.push_back(d.chars.size());
        break;
    }
  }
  if (from)
    positions_.push_back(*from);
  from_kafka_ = from.has_value();
  ++rows_;
  return {};
}

void row_batch::gather(std::size_t col, const parquet::column_view& src,
                       std::span<const std::uint32_t> rows, std::int64_t scale) {
  // Sized once and written by index: a push_back per value (its capacity
  // check, a call per string) cost more than the copying itself.
  auto& d = data_[col];
  const auto n = rows.size();
  const auto at = d.nulls.size();
  d.nulls.resize(at + n);
  for (std::size_t i = 0; i < n; ++i)
    d.nulls[at + i] = src.nulls[rows[i]];
  switch (columns_[col].t) {
    case parquet::type::int64:
    case parquet::type::timestamp_ms:
    case parquet::type::timestamp_us: {
      d.ints.resize(at + n);
      auto* out = d.ints.data() + at;
      for (std::size_t i = 0; i < n; ++i)
        out[i] = src.ints[rows[i]] * scale;
      break;
    }
    case parquet::type::float64:
      d.doubles.resize(at + n);
      for (std::size_t i = 0; i < n; ++i)
        d.doubles[at + i] = src.doubles[rows[i]];
      break;
    case parquet::type::boolean:
      d.bools.resize(at + n);
      for (std::size_t i = 0; i < n; ++i)
        d.bools[at + i] = src.bools[rows[i]];
      break;
    case parquet::type::string: {
      std::size_t total = 0;
      for (auto r : rows)
        total += src.ends[r] - (r ? src.ends[r - 1] : 0);
      auto size = d.chars.size();
      if (size + total > d.chars.capacity()) // amortized, as append would
        d.chars.reserve(std::max(size + total, 2 * d.chars.capacity()));
      d.chars.resize(size + total);
      d.ends.resize(at + n);
      char* out = d.chars.data();
      const char* in = src.chars.data();
      for (std::size_t i = 0; i < n; ++i) {
        const auto r = rows[i];
        const std::size_t begin = r ? src.ends[r - 1] : 0, len = src.ends[r] - begin;
        std::memcpy(out + size, in + begin, len);
        size += len;
        d.ends[at + i] = size;
      }
      break;
    }
  }
}

void row_batch::push(std::size_t col, std::int64_t v) {
  data_[col].nulls.push_back(0);
  data_[col].ints.push_back(v);
}

void row_batch::push(std::size_t col, std::string_view v) {
  auto& d = data_[col];
  d.nulls.push_back(0);
  d.chars.append(v);
  d.ends.push_back(d.chars.size());
}

void row_batch::push_null(std::size_t col) {
  auto& d = data_[col];
  d.nulls.push_back(1);
  switch (columns_[col].t) {
    case parquet::type::float64: d.doubles.push_back(0); break;
    case parquet::type::boolean: d.bools.push_back(0); break;
    case parquet::type::string: d.ends.push_back(d.chars.size()); break;
    default: d.ints.push_back(0); break;
  }
}

void row_batch::end_rows(std::size_t n) {
  rows_ += n;
}

std::size_t row_batch::weight() const {
  std::size_t n = 0;
  for (std::size_t c = 0; c < columns_.size(); ++c)
    n += columns_[c].t == parquet::type::string ? data_[c].chars.size() + 4 * rows_ : 8 * rows_;
  return n;
}

row_batch::value row_batch::at(std::size_t row, std::size_t col) const {
  const auto& d = data_[col];
  if (d.nulls[row])
    return std::monostate{};
  switch (columns_[col].t) {
    case parquet::type::int64:
    case parquet::type::timestamp_ms:
    case parquet::type::timestamp_us: return d.ints[row];
    case parquet::type::float64: return d.doubles[row];
    case parquet::type::boolean: return d.bools[row] != 0;
    case parquet::type::string: {
      const std::size_t begin = row ? d.ends[row - 1] : 0;
      return std::string_view{d.chars}.substr(begin, d.ends[row] - begin);
    }
  }
  return std::monostate{};
}

parquet::column_view row_batch::view(std::size_t col) const {
  const auto& d = data_[col];
  return {d.nulls, d.ints, d.doubles, d.bools, d.chars, d.ends};
}

void row_batch::reserve_like(const row_batch& like) {
  for (std::size_t c = 0; c < data_.size() && c < like.data_.size(); ++c) {
    auto& d = data_[c];
    const auto& l = like.data_[c];
    d.nulls.reserve(l.nulls.size());
    d.ints.reserve(l.ints.size());
    d.doubles.reserve(l.doubles.size());
    d.bools.reserve(l.bools.size());
    d.chars.reserve(l.chars.size());
    d.ends.reserve(l.ends.size());
  }
  if (like.from_kafka_)
    positions_.reserve(like.positions_.size());
}

void row_batch::clear() {
  for (auto& d : data_) {
    d.ints.clear();
    d.doubles.clear();
    d.bools.clear();
    d.chars.clear();
    d.ends.clear();
    d.nulls.clear();
  }
  positions_.clear();
  rows_ = 0;
  from_kafka_ = false;
}

civil_time to_civil(std::int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> tp{milliseconds{epoch_ms}};
  const auto day = floor<days>(tp);
  const year_month_day ymd{day};
  const hh_mm_ss hms{tp - day};
  return {static_cast<int>(ymd.year()),
          static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()),
          static_cast<unsigned>(hms.hours().count()),
          static_cast<unsigned>(hms.minutes().count()),
          static_cast<unsigned>(hms.seconds().count()),
          static_cast<unsigned>(hms.subseconds().count())};
}

void append_padded(std::string& out, std::uint64_t n, int width) {
  char buf[24];
  int len = 0;
  do {
    buf[len++] = static_cast<char>('0' + n % 10);
    n /= 10;
  } while (n > 0);
  for (int i = len; i < width; ++i)
    out += '0';
  while (len > 0)
    out += buf[--len];
}

void append_date(std::string& out, std::int64_t epoch_ms) {
  const auto c = to_civil(epoch_ms);
  if (c.year < 0)
    out += '-';
  append_padded(out, static_cast<std::uint64_t>(c.year < 0 ? -c.year : c.year), 4);
  out += '-';
  append_padded(out, c.month, 2);
  out += '-';
  append_padded(out, c.day, 2);
}

void append_date_time(std::string& out, std::int64_t epoch_ms) {
  const auto c = to_civil(epoch_ms);
  append_date(out, epoch_ms);
  out += ' ';
  append_padded(out, c.hour, 2);
  out += ':';
  append_padded(out, c.minute, 2);
  out += ':';
  append_padded(out, c.second, 2);
  out += '.';
  append_padded(out, c.milli, 3);
}

} // namespace weir::raw
