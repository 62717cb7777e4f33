#include "lib/parquet/writer.hpp"

#include "lib/parquet/compact.hpp"
#include "lib/parquet/levels.hpp"

#include <snappy.h>
#include <zstd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstring>
#include <future>
#include <limits>
#include <unordered_map>

namespace weir::parquet {

// PLAIN values and statistics are little-endian; copying the native bytes
// is only right on a little-endian host.
static_assert(std::endian::native == std::endian::little);

namespace {

// Enum values from parquet.thrift.
namespace thrift {
constexpr std::int32_t type_boolean = 0, type_int64 = 2, type_double = 5, type_byte_array = 6;
constexpr std::int32_t converted_utf8 = 0, converted_timestamp_millis = 9,
                       converted_timestamp_micros = 10;
constexpr std::int32_t required = 0, optional = 1;
constexpr std::int32_t encoding_plain = 0, encoding_rle = 3, encoding_rle_dictionary = 8;
constexpr std::int32_t codec_uncompressed = 0, codec_snappy = 1, codec_zstd = 6;
constexpr std::int32_t page_data = 0, page_dictionary = 2;
} // namespace thrift

// Pages are cut at about this much buffered data: small enough for readers
// to decode page by page, large enough for the codecs to find repeats.
constexpr std::size_t page_bytes = 1 << 20;
// Level 1, not zstd's default 3: on seed-004's rows its files came out no
// larger (64.5 MiB against 67.2 for 3M actions) and the sink's CPU lower.
constexpr int zstd_level = 1;
// A column chunk is dictionary-encoded while its dictionary stays within
// both; past them the chunk goes on in PLAIN pages, and the file's later
// chunks of that column do not try again.
constexpr std::size_t max_dictionary_entries = 1 << 14;
constexpr std::size_t max_dictionary_bytes = 1 << 20;
// A column whose values are mostly distinct gives up early: past this many
// entries, once they are more than half the values seen.
constexpr std::size_t mostly_distinct_after = 1 << 10;
// Keeps every page within Thrift's i32 sizes whatever the strings are.
constexpr std::size_t max_string = std::size_t{1} << 30;

// The variant alternative each column type takes.
std::size_t alternative(type t) {
  switch (t) {
    case type::int64:
    case type::timestamp_ms:
    case type::timestamp_us: return 1;
    case type::float64: return 2;
    case type::string: return 3;
    case type::boolean: return 4;
  }
  return 0;
}

const char* alternative_name(std::size_t index) {
  constexpr const char* names[] = {"NULL", "int64", "double", "string", "bool"};
  return index < std::size(names) ? names[index] : "?";
}

std::int32_t physical(type t) {
  switch (t) {
    case type::int64:
    case type::timestamp_ms:
    case type::timestamp_us: return thrift::type_int64;
    case type::float64: return thrift::type_double;
    case type::string: return thrift::type_byte_array;
    case type::boolean: return thrift::type_boolean;
  }
  return thrift::type_int64;
}

std::int32_t codec_id(codec c) {
  switch (c) {
    case codec::uncompressed: return thrift::codec_uncompressed;
    case codec::snappy: return thrift::codec_snappy;
    case codec::zstd: return thrift::codec_zstd;
  }
  return thrift::codec_uncompressed;
}

template <class T>
void put_plain(std::string& out, T v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof v);
}

} // namespace

const char* type_name(type t) {
  switch (t) {
    case type::int64: return "int64";
    case type::float64: return "float64";
    case type::string: return "string";
    case type::boolean: return "boolean";
    case type::timestamp_ms: return "timestamp_ms";
    case type::timestamp_us: return "timestamp_us";
  }
  return "?";
}

namespace {

// The least and greatest value of a column over some rows; only the
// members of the column's type are used.
struct value_range {
  bool has = false;
  std::int64_t imin = 0, imax = 0;
  double dmin = 0, dmax = 0;
  bool bmin = false, bmax = false;
  std::string smin, smax;

  void add_int(std::int64_t v) {
    if (!has) {
      imin = imax = v;
      has = true;
    } else {
      imin = std::min(imin, v);
      imax = std::max(imax, v);
    }
  }
  void add_double(double v) {
    if (!has) {
      dmin = dmax = v;
      has = true;
    } else {
      dmin = std::min(dmin, v);
      dmax = std::max(dmax, v);
    }
  }
  void add_bool(bool v) {
    if (!has) {
      bmin = bmax = v;
      has = true;
    } else {
      bmin = bmin && v;
      bmax = bmax || v;
    }
  }
  // string_view compares like memcmp: unsigned bytes, as STRING orders.
  void add_string(std::string_view v) {
    if (!has) {
      smin = smax = v;
      has = true;
    } else if (v < smin) {
      smin = v;
    } else if (v > smax) {
      smax = v;
    }
  }
  void merge(const value_range& o, type t) {
    if (!o.has)
      return;
    switch (t) {
      case type::int64:
      case type::timestamp_ms:
      case type::timestamp_us:
        add_int(o.imin);
        add_int(o.imax);
        break;
      case type::float64:
        add_double(o.dmin);
        add_double(o.dmax);
        break;
      case type::boolean:
        add_bool(o.bmin);
        add_bool(o.bmax);
        break;
      case type::string:
        add_string(o.smin);
        add_string(o.smax);
        break;
    }
  }
};

} // namespace

struct writer::column_state {
  explicit column_state(column c) : spec(std::move(c)) { start_dictionary(); }

  column spec;

  // The page being filled.
  std::string values;               // PLAIN-encoded non-NULL values
  std::vector<std::uint8_t> levels; // definition levels, nullable columns only
  std::size_t page_values = 0;      // NULLs included
  std::size_t bools = 0;            // booleans bit-packed into `values`

  // The column chunk of the row group being filled.
  std::string chunk; // finished pages: header and (compressed) body each
  std::size_t chunk_uncompressed = 0;
  std::size_t chunk_values = 0;

  // Its statistics.
  std::int64_t null_count = 0;
  std::int64_t nan_count = 0;
  value_range range;

  // The same over the finished row groups.
  std::int64_t file_values = 0, file_nulls = 0, file_nans = 0;
  value_range file_range;

  // Dictionary encoding: the chunk's distinct values PLAIN-encoded in
  // `dictionary`, each page a list of their ids. Booleans never take it.
  bool dictionary_on = false;   // the page being filled holds ids
  bool dictionary_used = false; // some page of the chunk did: it needs the dictionary page
  bool dictionary_failed = false;
  std::string dictionary;
  std::size_t dictionary_entries = 0;
  std::vector<std::uint32_t> ids;
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::uint32_t, text_hash, std::equal_to<>> text_ids;
  std::unordered_map<std::int64_t, std::uint32_t> number_ids; // doubles by their bits
  std::size_t dictionary_values = 0;
  // Sorted or clustered columns repeat their last value: no lookup then.
  const std::string* last_text = nullptr;
  std::int64_t last_number = 0;
  std::uint32_t last_id = 0;
  bool have_last = false;

  std::size_t page_size() const { return values.size() + levels.size() + 4 * ids.size(); }

  bool dictionary_full() const {
    return dictionary_on
           && (dictionary_entries >= max_dictionary_entries
               || dictionary.size() >= max_dictionary_bytes
               || (dictionary_entries > mostly_distinct_after
                   && 2 * dictionary_entries > dictionary_values));
  }

  std::uint32_t id_of(std::int64_t bits, const char* plain, std::size_t size) {
    ++dictionary_values;
    if (have_last && bits == last_number)
      return last_id;
    auto [it, added] = number_ids.try_emplace(bits, static_cast<std::uint32_t>(dictionary_entries));
    if (added) {
      dictionary.append(plain, size);
      ++dictionary_entries;
    }
    have_last = true;
    last_number = bits;
    return last_id = it->second;
  }

  std::uint32_t id_of(std::string_view v) {
    ++dictionary_values;
    if (last_text && *last_text == v)
      return last_id;
    auto it = text_ids.find(v);
    if (it == text_ids.end()) {
      it = text_ids.emplace(std::string{v}, static_cast<std::uint32_t>(dictionary_entries++)).first;
      put_plain(dictionary, static_cast<std::uint32_t>(v.size()));
      dictionary.append(v);
    }
    last_text = &it->first;
    return last_id = it->second;
  }

  void add(const value& v) {
    ++page_values;
    if (spec.nullable)
      levels.push_back(v.index() != 0);
    switch (v.index()) {
      case 0: ++null_count; break;
      case 1: add_int(std::get<1>(v)); break;
      case 2: add_double(std::get<2>(v)); break;
      case 3: add_string(std::get<3>(v)); break;
      case 4: add_bool(std::get<4>(v)); break;
    }
  }

  // Row r of a column view.
  void add(const column_view& v, std::uint32_t r) {
    ++page_values;
    const bool null = v.nulls[r] != 0;
    if (spec.nullable)
      levels.push_back(!null);
    if (null) {
      ++null_count;
      return;
    }
    switch (spec.t) {
      case type::int64:
      case type::timestamp_ms:
      case type::timestamp_us: add_int(v.ints[r]); break;
      case type::float64: add_double(v.doubles[r]); break;
      case type::boolean: add_bool(v.bools[r] != 0); break;
      case type::string: {
        const std::size_t begin = r ? v.ends[r - 1] : 0;
        add_string(v.chars.substr(begin, v.ends[r] - begin));
        break;
      }
    }
  }

  void add_int(std::int64_t v) {
    if (dictionary_on)
      ids.push_back(id_of(v, reinterpret_cast<const char*>(&v), 8));
    else
      put_plain(values, v);
    range.add_int(v);
  }

  void add_double(double v) {
    if (dictionary_on)
      ids.push_back(id_of(std::bit_cast<std::int64_t>(v), reinterpret_cast<const char*>(&v), 8));
    else
      put_plain(values, v);
    // NaN orders nowhere: it is counted instead of bounding the range.
    if (std::isnan(v))
      ++nan_count;
    else
      range.add_double(v);
  }

  void add_string(std::string_view v) {
    if (dictionary_on) {
      ids.push_back(id_of(v));
    } else {
      put_plain(values, static_cast<std::uint32_t>(v.size()));
      values.append(v);
    }
    range.add_string(v);
  }

  void add_bool(bool v) {
    if (bools % 8 == 0)
      values += '\0';
    values.back() = static_cast<char>(values.back() | (int{v} << (bools % 8)));
    ++bools;
    range.add_bool(v);
  }

  // A bound of the range, PLAIN-encoded (strings without their length).
  std::string_view bound(bool max, char (&buf)[8]) const {
    switch (spec.t) {
      case type::int64:
      case type::timestamp_ms:
      case type::timestamp_us: {
        std::int64_t v = max ? range.imax : range.imin;
        std::memcpy(buf, &v, 8);
        return {buf, 8};
      }
      case type::float64: {
        // The spec asks for -0.0 as a zero minimum and +0.0 as a zero maximum,
        // so a reader pruning on the bounds keeps zeros of either sign.
        double v = max ? range.dmax : range.dmin;
        if (v == 0)
          v = max ? 0.0 : -0.0;
        std::memcpy(buf, &v, 8);
        return {buf, 8};
      }
      case type::boolean:
        buf[0] = static_cast<char>(max ? range.bmax : range.bmin);
        return {buf, 1};
      case type::string: return max ? std::string_view{range.smax} : std::string_view{range.smin};
    }
    return {};
  }

  void write_statistics(compact_encoder& e) const {
    char min_buf[8], max_buf[8];
    std::string_view min = range.has ? bound(false, min_buf) : std::string_view{};
    std::string_view max = range.has ? bound(true, max_buf) : std::string_view{};
    e.field_struct(12); // ColumnMetaData.statistics
    // The deprecated max/min (1, 2) are ordered signed, which matches every
    // type but strings; older readers only know those.
    if (range.has && spec.t != type::string) {
      e.field_binary(1, max);
      e.field_binary(2, min);
    }
    e.field_i64(3, null_count);
    if (range.has) {
      e.field_binary(5, max); // max_value
      e.field_binary(6, min); // min_value
      e.field_bool(7, true);  // is_max_value_exact
      e.field_bool(8, true);  // is_min_value_exact
    }
    if (spec.t == type::float64)
      e.field_i64(9, nan_count);
    e.end_struct();
  }

  void reset_page() {
    values.clear();
    levels.clear();
    ids.clear();
    page_values = 0;
    bools = 0;
  }

  void reset_chunk() {
    file_values += static_cast<std::int64_t>(chunk_values);
    file_nulls += null_count;
    file_nans += nan_count;
    file_range.merge(range, spec.t);
    chunk.clear();
    chunk_uncompressed = 0;
    chunk_values = 0;
    null_count = 0;
    nan_count = 0;
    range.has = false;
    start_dictionary();
  }

  void start_dictionary() {
    dictionary_on = !dictionary_failed && spec.t != type::boolean;
    dictionary_used = false;
    dictionary.clear();
    dictionary_entries = 0;
    text_ids.clear();
    number_ids.clear();
    dictionary_values = 0;
    last_text = nullptr;
    have_last = false;
  }
};

struct writer::scratch {
  ~scratch() { ZSTD_freeCCtx(zstd); }

  std::string body;       // a page before compression
  std::string compressed; // and after
  std::string header;     // its PageHeader
  ZSTD_CCtx* zstd = nullptr;
};

writer::writer(writer&&) noexcept = default;
writer& writer::operator=(writer&&) noexcept = default;
writer::~writer() = default;

expected<writer> writer::make(schema s, codec c, std::size_t row_group_rows, unsigned threads) {
  if (s.columns.empty())
    return error{"parquet: the schema has no columns"};
  if (row_group_rows == 0)
    return error{"parquet: row_group_rows must be positive"};
  for (std::size_t i = 0; i < s.columns.size(); ++i) {
    const auto& name = s.columns[i].name;
    if (name.empty())
      return error{"parquet: column " + std::to_string(i) + " has no name"};
    for (std::size_t j = 0; j < i; ++j) {
      if (s.columns[j].name == name)
        return error{"parquet: column '" + name + "' appears twice"};
      if (s.columns[i].field_id && s.columns[j].field_id == s.columns[i].field_id)
        return error{"parquet: field id " + std::to_string(*s.columns[i].field_id)
                     + " appears twice"};
    }
  }
  auto made = guarded("parquet", [&] {
    writer w;
    w.codec_ = c;
    w.row_group_rows_ = row_group_rows;
    for (const auto& col : s.columns)
      w.state_.emplace_back(col);
    w.column_sizes_.assign(s.columns.size(), 0);
    w.columns_ = std::move(s.columns);
    for (unsigned t = 0; t < std::clamp(threads, 1u, 2u); ++t)
      w.scratch_.push_back(std::make_unique<scratch>());
    // Threads take columns in turn, strings (the heaviest) first.
    for (std::size_t k = 0; k < w.columns_.size(); ++k)
      w.heavy_first_.push_back(k);
    std::stable_partition(w.heavy_first_.begin(), w.heavy_first_.end(),
                          [&](std::size_t k) { return w.columns_[k].t == type::string; });
    w.out_ = "PAR1";
    return w;
  });
  if (!made)
    return made.failure();
  if (c == codec::zstd)
    for (auto& sc : made->scratch_)
      if (!(sc->zstd = ZSTD_createCCtx()))
        return error{"parquet: cannot create a zstd context"};
  return std::move(*made);
}

std::size_t writer::buffered_bytes() const {
  std::size_t n = out_.size();
  for (const auto& c : state_)
    n += c.chunk.size() + c.values.size() + c.levels.size() / 8;
  return n;
}

expected<void> writer::append(const std::vector<value>& row) {
  if (finished_)
    return error{"parquet: append to a finished writer"};
  if (row.size() != columns_.size())
    return error{"parquet: row has " + std::to_string(row.size()) + " values, schema has "
                 + std::to_string(columns_.size()) + " columns"};
  for (std::size_t i = 0; i < row.size(); ++i) {
    const auto& col = columns_[i];
    std::size_t got = row[i].index();
    if (got == 0) {
      if (!col.nullable)
        return error{"parquet: NULL in required column '" + col.name + "'"};
    } else if (got != alternative(col.t)) {
      return error{"parquet: column '" + col.name + "' is " + type_name(col.t) + ", got "
                   + alternative_name(got)};
    } else if (got == 3 && std::get<3>(row[i]).size() > max_string) {
      return error{"parquet: string in column '" + col.name + "' is longer than 1 GiB"};
    }
  }
  // Past validation only a failed allocation or codec can fail; the buffers
  // may then hold part of a row, so the writer refuses further use.
  auto done = guarded("parquet", [&] { return push(row); });
  if (done && *done)
    return {};
  finished_ = true;
  return done ? done->failure() : done.failure();
}

expected<void> writer::push(const std::vector<value>& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    auto& c = state_[i];
    if (c.dictionary_full())
      if (auto r = give_up_dictionary(c, *scratch_[0]); !r)
        return r;
    c.add(row[i]);
    if (c.page_size() >= page_bytes)
      if (auto r = flush_page(c, *scratch_[0]); !r)
        return r;
  }
  return end_row(1);
}

expected<void> writer::append(std::span<const column_view> columns,
                              std::span<const std::uint32_t> order) {
  if (finished_)
    return error{"parquet: append to a finished writer"};
  if (columns.size() != columns_.size())
    return error{"parquet: " + std::to_string(columns.size()) + " columns given, schema has "
                 + std::to_string(columns_.size())};
  for (std::size_t i = 0; i < columns.size(); ++i) {
    const auto& col = columns_[i];
    const auto& v = columns[i];
    const auto n = v.nulls.size();
    const bool sized = col.t == type::string    ? v.ends.size() >= n
                       : col.t == type::float64 ? v.doubles.size() >= n
                       : col.t == type::boolean ? v.bools.size() >= n
                                                : v.ints.size() >= n;
    if (!sized || (col.t == type::string && n > 0 && v.ends[n - 1] > v.chars.size()))
      return error{"parquet: column '" + col.name + "' has fewer values than rows"};
    for (auto r : order) {
      if (r >= n)
        return error{"parquet: row " + std::to_string(r) + " is past column '" + col.name + "'"};
      if (!col.nullable && v.nulls[r])
        return error{"parquet: NULL in required column '" + col.name + "'"};
      // Only a column holding more than 1 GiB can hold a longer string.
      if (col.t == type::string && v.chars.size() > max_string
          && v.ends[r] - (r ? v.ends[r - 1] : 0) > max_string)
        return error{"parquet: string in column '" + col.name + "' is longer than 1 GiB"};
    }
  }
  auto done = guarded("parquet", [&] { return push(columns, order); });
  if (done && *done)
    return {};
  finished_ = true;
  return done ? done->failure() : done.failure();
}

namespace {

// Rows are gathered in sort order, so each value is a cache miss unless
// asked for ahead: string columns are read through their ends, twice as far.
constexpr std::size_t prefetch_distance = 16;

void prefetch(const column_view& v, type t, std::span<const std::uint32_t> order, std::size_t i) {
  if (i + prefetch_distance < order.size()) {
    const auto r = order[i + prefetch_distance];
    __builtin_prefetch(&v.nulls[r]);
    switch (t) {
      case type::string:
        if (r > 0)
          __builtin_prefetch(v.chars.data() + v.ends[r - 1]);
        break;
      case type::float64: __builtin_prefetch(&v.doubles[r]); break;
      case type::boolean: __builtin_prefetch(&v.bools[r]); break;
      default: __builtin_prefetch(&v.ints[r]); break;
    }
  }
  if (t == type::string && i + 2 * prefetch_distance < order.size()) {
    const auto r = order[i + 2 * prefetch_distance];
    __builtin_prefetch(&v.ends[r > 0 ? r - 1 : 0]);
  }
}

} // namespace

expected<void> writer::push(std::span<const column_view> columns,
                            std::span<const std::uint32_t> order) {
  while (!order.empty()) {
    const auto slice = order.first(std::min(order.size(), row_group_rows_ - group_rows_));
    if (scratch_.size() > 1 && slice.size() > 1024) {
      // Columns are handed out as threads free up: a fixed split left one
      // thread idle while the other encoded the costlier half.
      std::atomic<std::size_t> next{0};
      auto work = [&](scratch& s) -> expected<void> {
        for (auto i = next++; i < heavy_first_.size(); i = next++)
          if (auto r = fill_columns(columns, slice, heavy_first_[i], heavy_first_[i] + 1, s); !r)
            return r;
        return {};
      };
      auto other = std::async(std::launch::async, [&] { return work(*scratch_[1]); });
      auto mine = work(*scratch_[0]);
      auto theirs = other.get();
      if (!mine)
        return mine;
      if (!theirs)
        return theirs;
    } else if (auto r = fill_columns(columns, slice, 0, columns.size(), *scratch_[0]); !r) {
      return r;
    }
    order = order.subspan(slice.size());
    if (auto r = end_row(slice.size()); !r)
      return r;
  }
  return {};
}

expected<void> writer::fill_columns(std::span<const column_view> columns,
                                    std::span<const std::uint32_t> rows, std::size_t first,
                                    std::size_t last, scratch& s) {
  for (std::size_t k = first; k < last; ++k) {
    auto& c = state_[k];
    for (std::size_t i = 0; i < rows.size(); ++i) {
      prefetch(columns[k], c.spec.t, rows, i);
      if (c.dictionary_full())
        if (auto r = give_up_dictionary(c, s); !r)
          return r;
      c.add(columns[k], rows[i]);
      if (c.page_size() >= page_bytes)
        if (auto r = flush_page(c, s); !r)
          return r;
    }
  }
  return {};
}

expected<void> writer::end_row(std::size_t rows) {
  rows_ += rows;
  group_rows_ += rows;
  if (group_rows_ == row_group_rows_)
    return flush_row_group();
  return {};
}

writer::summary writer::column_summary(std::size_t column) const {
  const auto& c = state_.at(column);
  summary s;
  s.values = c.file_values + static_cast<std::int64_t>(c.chunk_values + c.page_values);
  s.nulls = c.file_nulls + c.null_count;
  s.nans = c.file_nans + c.nan_count;
  if (c.spec.t == type::string) { // views into the state, not a merged copy
    const std::string *lo = nullptr, *hi = nullptr;
    for (const auto* r : {&c.file_range, &c.range})
      if (r->has) {
        lo = !lo || r->smin < *lo ? &r->smin : lo;
        hi = !hi || r->smax > *hi ? &r->smax : hi;
      }
    if (lo) {
      s.min = std::string_view{*lo};
      s.max = std::string_view{*hi};
    }
    return s;
  }
  auto r = c.file_range;
  r.merge(c.range, c.spec.t);
  if (!r.has)
    return s;
  switch (c.spec.t) {
    case type::float64:
      s.min = r.dmin;
      s.max = r.dmax;
      break;
    case type::boolean:
      s.min = r.bmin;
      s.max = r.bmax;
      break;
    default:
      s.min = r.imin;
      s.max = r.imax;
      break;
  }
  return s;
}

expected<void> writer::give_up_dictionary(column_state& c, scratch& s) {
  if (c.page_values > 0)
    if (auto r = flush_page(c, s); !r)
      return r;
  c.dictionary_on = false;
  c.dictionary_failed = true;
  return {};
}

namespace {

// The page's ids as a dictionary-encoded page body: their bit width, then
// the hybrid encoding.
void put_ids(std::string& body, const std::vector<std::uint32_t>& ids, std::size_t entries) {
  const int width = std::max(1, static_cast<int>(std::bit_width(entries > 0 ? entries - 1 : 0)));
  body += static_cast<char>(width);
  encode_indices(body, ids, width);
}

} // namespace

expected<std::string_view> writer::compress(std::string_view body, scratch& s) const {
  switch (codec_) {
    case codec::uncompressed: return body;
    case codec::snappy: {
      // Parquet's SNAPPY is the raw block format, not snappy's framing format.
      s.compressed.resize(snappy::MaxCompressedLength(body.size()));
      std::size_t n = 0;
      snappy::RawCompress(body.data(), body.size(), s.compressed.data(), &n);
      s.compressed.resize(n);
      return std::string_view{s.compressed};
    }
    case codec::zstd: {
      s.compressed.resize(ZSTD_compressBound(body.size()));
      std::size_t n = ZSTD_compressCCtx(s.zstd, s.compressed.data(), s.compressed.size(),
                                        body.data(), body.size(), zstd_level);
      if (ZSTD_isError(n))
        return error{std::string{"parquet: zstd: "} + ZSTD_getErrorName(n)};
      s.compressed.resize(n);
      return std::string_view{s.compressed};
    }
  }
  return body;
}

expected<void> writer::flush_page(column_state& c, scratch& s) {
  s.body.clear();
  if (c.spec.nullable) {
    s.body.append(4, '\0'); // v1 pages prefix the levels with their length
    encode_levels(s.body, c.levels);
    auto len = static_cast<std::uint32_t>(s.body.size() - 4);
    std::memcpy(s.body.data(), &len, 4);
  }
  const bool ids = c.dictionary_on;
  if (ids)
    put_ids(s.body, c.ids, c.dictionary_entries);
  else
    s.body += c.values;
  c.dictionary_used = c.dictionary_used || ids;

  auto compressed = compress(s.body, s);
  if (!compressed)
    return compressed.failure();
  std::string_view stored = *compressed;
  constexpr auto i32_max = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());
  if (s.body.size() > i32_max || stored.size() > i32_max)
    return error{"parquet: page of column '" + c.spec.name + "' exceeds 2 GiB"};

  s.header.clear();
  compact_encoder e(s.header);
  e.begin_struct();                                         // PageHeader
  e.field_i32(1, thrift::page_data);                        // type
  e.field_i32(2, static_cast<std::int32_t>(s.body.size())); // uncompressed_page_size
  e.field_i32(3, static_cast<std::int32_t>(stored.size())); // compressed_page_size
  e.field_struct(5);                                        // data_page_header
  e.field_i32(1, static_cast<std::int32_t>(c.page_values)); // num_values
  e.field_i32(2, ids ? thrift::encoding_rle_dictionary : thrift::encoding_plain); // encoding
  e.field_i32(3, thrift::encoding_rle); // definition_level_encoding
  e.field_i32(4, thrift::encoding_rle); // repetition_level_encoding
  e.end_struct();
  e.end_struct();

  c.chunk += s.header;
  c.chunk += stored;
  c.chunk_uncompressed += s.header.size() + s.body.size();
  c.chunk_values += c.page_values;
  c.reset_page();
  return {};
}

expected<void> writer::flush_row_group() {
  if (group_rows_ == 0)
    return {};
  for (auto& c : state_)
    if (c.page_values > 0)
      if (auto r = flush_page(c, *scratch_[0]); !r)
        return r;

  const auto group_offset = static_cast<std::int64_t>(out_.size());
  row_group_offsets_.push_back(group_offset);
  std::int64_t uncompressed = 0;
  compact_encoder e(row_groups_);
  e.begin_struct();                                 // RowGroup
  e.field_list(1, ctype::structure, state_.size()); // columns
  for (std::size_t i = 0; i < state_.size(); ++i) {
    auto& c = state_[i];
    // The chunk's dictionary page goes first, PLAIN-encoded.
    std::string dictionary_page;
    std::size_t dictionary_uncompressed = 0;
    if (c.dictionary_used) {
      auto body = compress(c.dictionary, *scratch_[0]);
      if (!body)
        return body.failure();
      compact_encoder h(dictionary_page);
      h.begin_struct();                                                // PageHeader
      h.field_i32(1, thrift::page_dictionary);                         // type
      h.field_i32(2, static_cast<std::int32_t>(c.dictionary.size()));  // uncompressed_page_size
      h.field_i32(3, static_cast<std::int32_t>(body->size()));         // compressed_page_size
      h.field_struct(7);                                               // dictionary_page_header
      h.field_i32(1, static_cast<std::int32_t>(c.dictionary_entries)); // num_values
      h.field_i32(2, thrift::encoding_plain);                          // encoding
      h.end_struct();
      h.end_struct();
      dictionary_uncompressed = dictionary_page.size() + c.dictionary.size();
      dictionary_page += *body;
    }
    const auto chunk_start = static_cast<std::int64_t>(out_.size());
    const auto chunk_bytes = static_cast<std::int64_t>(dictionary_page.size() + c.chunk.size());
    const auto chunk_uncompressed =
      static_cast<std::int64_t>(dictionary_uncompressed + c.chunk_uncompressed);
    column_sizes_[i] += chunk_bytes;
    e.begin_struct();  // ColumnChunk
    e.field_i64(2, 0); // file_offset: no ColumnMetaData outside the footer
    e.field_struct(3); // meta_data
    e.field_i32(1, physical(c.spec.t));
    e.field_list(2, ctype::i32,
                 1 + (c.spec.nullable ? 1 : 0) + (c.dictionary_used ? 1 : 0)); // encodings
    e.element_i32(thrift::encoding_plain);
    if (c.spec.nullable)
      e.element_i32(thrift::encoding_rle);
    if (c.dictionary_used)
      e.element_i32(thrift::encoding_rle_dictionary);
    e.field_list(3, ctype::binary, 1); // path_in_schema
    e.element_binary(c.spec.name);
    e.field_i32(4, codec_id(codec_));
    e.field_i64(5, static_cast<std::int64_t>(c.chunk_values));
    e.field_i64(6, chunk_uncompressed);
    e.field_i64(7, chunk_bytes);
    e.field_i64(9, chunk_start
                     + static_cast<std::int64_t>(dictionary_page.size())); // data_page_offset
    if (c.dictionary_used)
      e.field_i64(11, chunk_start); // dictionary_page_offset
    c.write_statistics(e);
    e.end_struct();
    e.end_struct();

    uncompressed += chunk_uncompressed;
    out_ += dictionary_page;
    out_ += c.chunk;
    c.reset_chunk();
  }
  e.field_i64(2, uncompressed); // total_byte_size
  e.field_i64(3, static_cast<std::int64_t>(group_rows_));
  e.field_i64(5, group_offset);                                          // file_offset
  e.field_i64(6, static_cast<std::int64_t>(out_.size()) - group_offset); // total_compressed_size
  if (row_group_count_ <= static_cast<std::size_t>(std::numeric_limits<std::int16_t>::max()))
    e.field_i16(7, static_cast<std::int16_t>(row_group_count_)); // ordinal
  e.end_struct();

  ++row_group_count_;
  group_rows_ = 0;
  return {};
}

expected<void> writer::write_footer() {
  const std::size_t start = out_.size();
  compact_encoder e(out_);
  e.begin_struct();                                       // FileMetaData
  e.field_i32(1, 1);                                      // version
  e.field_list(2, ctype::structure, columns_.size() + 1); // schema, root first
  e.begin_struct();
  e.field_binary(4, "schema");                                // name
  e.field_i32(5, static_cast<std::int32_t>(columns_.size())); // num_children
  e.end_struct();
  for (const auto& col : columns_) {
    e.begin_struct(); // SchemaElement
    e.field_i32(1, physical(col.t));
    e.field_i32(3, col.nullable ? thrift::optional : thrift::required);
    e.field_binary(4, col.name);
    // Both the deprecated converted_type (6) and logicalType (10), as the
    // spec asks, for readers of either generation; field_id (9) between them.
    const bool timestamp = col.t == type::timestamp_ms || col.t == type::timestamp_us;
    if (col.t == type::string)
      e.field_i32(6, thrift::converted_utf8);
    else if (timestamp)
      e.field_i32(6, col.t == type::timestamp_us ? thrift::converted_timestamp_micros
                                                 : thrift::converted_timestamp_millis);
    if (col.field_id)
      e.field_i32(9, *col.field_id);
    if (col.t == type::string) {
      e.field_struct(10);
      e.field_struct(1); // STRING
      e.end_struct();
      e.end_struct();
    } else if (timestamp) {
      e.field_struct(10);
      e.field_struct(8);     // TIMESTAMP
      e.field_bool(1, true); // isAdjustedToUTC
      e.field_struct(2);     // unit: MILLIS (1) or MICROS (2)
      e.field_struct(col.t == type::timestamp_us ? 2 : 1);
      e.end_struct();
      e.end_struct();
      e.end_struct();
      e.end_struct();
    }
    e.end_struct();
  }
  e.field_i64(3, static_cast<std::int64_t>(rows_)); // num_rows
  e.field_list(4, ctype::structure, row_group_count_);
  out_ += row_groups_;       // already encoded, one RowGroup struct each
  e.field_binary(6, "weir"); // created_by
  // Without column_orders the min_value/max_value fields have no defined
  // meaning and readers may ignore them.
  e.field_list(7, ctype::structure, columns_.size());
  for (std::size_t i = 0; i < columns_.size(); ++i) {
    e.begin_struct();  // ColumnOrder
    e.field_struct(1); // TYPE_ORDER
    e.end_struct();
    e.end_struct();
  }
  e.end_struct();

  const std::size_t footer = out_.size() - start;
  if (footer > std::numeric_limits<std::uint32_t>::max())
    return error{"parquet: footer exceeds 4 GiB"};
  put_plain(out_, static_cast<std::uint32_t>(footer));
  out_ += "PAR1";
  return {};
}

expected<std::string> writer::finish() {
  if (finished_)
    return error{"parquet: finish on a finished writer"};
  finished_ = true;
  auto done = guarded("parquet", [&]() -> expected<std::string> {
    if (auto r = flush_row_group(); !r)
      return r.failure();
    if (auto r = write_footer(); !r)
      return r.failure();
    return std::move(out_);
  });
  if (!done)
    return done.failure();
  return std::move(*done);
}

} // namespace weir::parquet
