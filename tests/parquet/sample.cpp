// Writes sample Parquet files for check_parquet.py: every case in every
// codec, as DIR/<case>.<codec>.parquet, and next to each a .jsonl file with
// what it must read back. The .jsonl's first line describes the file
// ({"columns": [{"name", "type", "nullable", "field_id" if any}], "codec",
// "row_group_rows"}); each further line is one row, a JSON array in column
// order, null for NULL, timestamps as integers in their unit, NaN and +-Infinity as Python's json
// writes them.
#include "lib/parquet/concat.hpp"
#include "lib/parquet/writer.hpp"
#include "tests/fuzz/parquet_case.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace pq = weir::parquet;
using value = pq::writer::value;

namespace {

// Owns the strings a row's string_views point into.
struct row {
  std::vector<value> values;
  std::vector<std::string> strings;
};

struct sample {
  std::string name;
  pq::schema schema;
  std::size_t row_group_rows;
  std::size_t rows;
  std::function<void(std::size_t, row&)> make_row; // fills values for row i
};

const char* codec_name(pq::codec c) {
  switch (c) {
    case pq::codec::uncompressed: return "uncompressed";
    case pq::codec::snappy: return "snappy";
    case pq::codec::zstd: return "zstd";
  }
  return "?";
}

void json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c); // UTF-8 passes through
    }
  }
  out += '"';
}

void json_value(std::string& out, const value& v) {
  char buf[32];
  switch (v.index()) {
    case 0: out += "null"; break;
    case 1:
      std::snprintf(buf, sizeof buf, "%" PRId64, std::get<1>(v));
      out += buf;
      break;
    case 2: {
      double d = std::get<2>(v);
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else {
        std::snprintf(buf, sizeof buf, "%.17g", d);
        out += buf;
        // Keep it a float in JSON, so -0.0 and 1.0 read back as floats.
        if (std::string_view{buf}.find_first_of(".eE") == std::string_view::npos)
          out += ".0";
      }
      break;
    }
    case 3: json_string(out, std::get<3>(v)); break;
    case 4: out += std::get<4>(v) ? "true" : "false"; break;
  }
}

// A deterministic generator, so expectations never depend on the platform.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

std::string& text(row& r, std::string s) {
  r.strings.push_back(std::move(s));
  return r.strings.back();
}

const std::vector<std::string> words = {"",
                                        "a",
                                        "bets",
                                        "Zürich",
                                        "日本語テキスト",
                                        "emoji 🎲🃏",
                                        "tab\tand\nnewline",
                                        "quote \" backslash \\",
                                        std::string("nul\0byte", 8),
                                        "ÿ high bytes sort last"};

std::vector<sample> samples() {
  std::vector<sample> s;
  using pq::type;

  // Every type, required and nullable, NULLs in runs and scattered, several
  // row groups with a short last one.
  s.push_back({"all_types",
               {{{"i", type::int64, false},
                 {"i_n", type::int64},
                 {"f", type::float64, false},
                 {"f_n", type::float64},
                 {"s", type::string, false},
                 {"s_n", type::string},
                 {"b", type::boolean, false},
                 {"b_n", type::boolean},
                 {"t", type::timestamp_ms, false},
                 {"t_n", type::timestamp_ms}}},
               300,
               1000,
               [](std::size_t i, row& r) {
                 std::uint64_t h = mix(i);
                 auto n = static_cast<std::int64_t>(h % 2000001) - 1000000;
                 bool null_run = (i / 37) % 4 == 1; // runs of 37 NULLs
                 bool null_here = null_run || h % 5 == 0;
                 auto maybe = [&](value v) {
                   return null_here ? value{} : v;
                 };
                 double f = static_cast<double>(n) / 7.0;
                 // Between 1900 and 2100, in milliseconds.
                 std::int64_t t = -2208988800000 + static_cast<std::int64_t>(h % 6311433600000);
                 const std::string& w = words[i % words.size()];
                 r.values = {value{n},
                             maybe(value{-n * 1000003}),
                             value{f},
                             maybe(value{-f}),
                             value{std::string_view{w}},
                             maybe(value{std::string_view{text(r, w + std::to_string(i))}}),
                             value{h % 3 == 0},
                             maybe(value{i % 2 == 0}),
                             value{t},
                             maybe(value{t + 1})};
               }});

  // 0 rows: a footer and nothing else.
  s.push_back({"empty",
               {{{"i", type::int64, false}, {"s", type::string}, {"t", type::timestamp_ms}}},
               100,
               0,
               [](std::size_t, row&) {
               }});

  // Nullable columns that hold only NULLs: statistics without bounds.
  s.push_back({"all_null",
               {{{"i", type::int64},
                 {"f", type::float64},
                 {"s", type::string},
                 {"b", type::boolean},
                 {"t", type::timestamp_ms}}},
               7,
               20,
               [](std::size_t, row& r) {
                 r.values.assign(5, value{});
               }});

  // Extremes: int64 limits, NaN (not a bound), infinities, signed zeros.
  s.push_back(
    {"extremes",
     {{{"i", type::int64, false},
       {"f", type::float64, false},
       {"zero", type::float64, false},
       {"nan", type::float64},
       {"t", type::timestamp_ms, false}}},
     4,
     10,
     [](std::size_t i, row& r) {
       constexpr auto lo = std::numeric_limits<std::int64_t>::min();
       constexpr auto hi = std::numeric_limits<std::int64_t>::max();
       constexpr double inf = std::numeric_limits<double>::infinity();
       constexpr double nan = std::numeric_limits<double>::quiet_NaN();
       const std::int64_t ints[] = {lo, hi, -1, 0, 1, lo + 1, hi - 1, 42, -42, 7};
       const double floats[] = {nan, -inf, inf, -0.0, 0.0, 5e-324, -1.7976931348623157e308,
                                1.5, nan,  2.5};
       const double zeros[] = {0.0, -0.0, -0.0, 0.0, 1.0, -1.0, 0.0, 0.0, -0.0, -0.0};
       r.values = {value{ints[i]}, value{floats[i]}, value{zeros[i]}, i == 3 ? value{} : value{nan},
                   value{i % 2 ? -ints[i] % 1000000000000 : ints[i] % 1000000000000}};
     }});

  // Enough data for several pages per column chunk, one huge value alone
  // bigger than a page, and a required boolean column.
  s.push_back({"pages",
               {{{"id", type::int64, false}, {"s", type::string}, {"b", type::boolean, false}}},
               100000,
               250000,
               [](std::size_t i, row& r) {
                 std::string v = i == 123456 ? std::string(3 << 20, 'x')
                                             : "row " + std::to_string(mix(i) % 100000);
                 r.values = {value{static_cast<std::int64_t>(i)},
                             i % 1000 == 999 ? value{} : value{std::string_view{text(r, v)}},
                             value{mix(i) % 2 == 1}};
               }});

  // Dictionary encoding: few distinct values over several pages and row
  // groups (RLE runs of 9-bit ids, bit-packed stretches, NULLs between), and
  // a column whose dictionary overflows in the second row group: PLAIN
  // pages after dictionary ones in one chunk, PLAIN alone in the next.
  s.push_back({"dictionary",
               {{{"run", type::string, false},
                 {"small", type::int64, false},
                 {"half", type::float64},
                 {"late", type::string, false},
                 {"t", type::timestamp_us, false}}},
               120000,
               300000,
               [](std::size_t i, row& r) {
                 const auto run = "run " + std::to_string(i / 1000 % 300);
                 const auto late = std::to_string(i < 150000 ? i % 100 : i);
                 r.values = {value{std::string_view{text(r, run)}},
                             value{static_cast<std::int64_t>(mix(i) % 7)},
                             i % 11 == 4 ? value{} : value{static_cast<double>(i % 3) / 2},
                             value{std::string_view{text(r, late)}},
                             value{static_cast<std::int64_t>(i / 50000) * 3600000000}};
               }});

  // Iceberg's data files: field ids on the columns (one column without), and
  // microsecond timestamps (Iceberg's timestamptz).
  s.push_back(
    {"field_ids",
     {{{"event_id", type::int64, false, 1},
       {"user", type::string, true, 2},
       {"at", type::timestamp_us, false, 3},
       {"at_n", type::timestamp_us, true, 17},
       {"plain", type::float64, true}}},
     50,
     120,
     [](std::size_t i, row& r) {
       std::uint64_t h = mix(i);
       // Between 1900 and 2100, in microseconds.
       std::int64_t t = -2208988800000000 + static_cast<std::int64_t>(h % 6311433600000000);
       r.values = {value{static_cast<std::int64_t>(i)},
                   i % 7 == 3 ? value{} : value{std::string_view{words[i % words.size()]}},
                   value{t}, i % 5 == 0 ? value{} : value{t + 1},
                   value{static_cast<double>(i) / 4}};
     }});

  // One row group per row, and a single-row boolean column (a lone bit).
  s.push_back(
    {"tiny_groups",
     {{{"b", type::boolean}, {"s", type::string, false}}},
     1,
     5,
     [](std::size_t i, row& r) {
       r.values = {i == 2 ? value{} : value{i % 2 == 1}, value{std::string_view{words[i]}}};
     }});
  return s;
}

bool write_sample(const std::string& dir, const sample& s, pq::codec c) {
  std::string base = dir + "/" + s.name + "." + codec_name(c);
  auto w = pq::writer::make(s.schema, c, s.row_group_rows);
  if (!w) {
    std::fprintf(stderr, "%s: %s\n", base.c_str(), w.error_message().c_str());
    return false;
  }
  std::string jsonl = "{\"columns\": [";
  for (std::size_t i = 0; i < s.schema.columns.size(); ++i) {
    const auto& col = s.schema.columns[i];
    jsonl += i ? ", " : "";
    jsonl += "{\"name\": ";
    json_string(jsonl, col.name);
    jsonl += std::string{", \"type\": \""} + pq::type_name(col.t)
             + "\", \"nullable\": " + (col.nullable ? "true" : "false");
    if (col.field_id)
      jsonl += ", \"field_id\": " + std::to_string(*col.field_id);
    jsonl += "}";
  }
  jsonl += std::string{"], \"codec\": \""} + codec_name(c)
           + "\", \"row_group_rows\": " + std::to_string(s.row_group_rows) + "}\n";

  // The same rows again in up to three files split at row group
  // boundaries, concatenated: the result must read back like the one file.
  std::vector<pq::writer> parts;
  for (int k = 0; k < 3; ++k)
    parts.push_back(std::move(*pq::writer::make(s.schema, c, s.row_group_rows)));
  row r;
  for (std::size_t i = 0; i < s.rows; ++i) {
    r.values.clear();
    r.strings.clear();
    r.strings.reserve(4); // string_views into it must stay put
    s.make_row(i, r);
    if (auto ok = w->append(r.values); !ok) {
      std::fprintf(stderr, "%s row %zu: %s\n", base.c_str(), i, ok.error_message().c_str());
      return false;
    }
    (void)parts[std::min<std::size_t>(i / s.row_group_rows, 2)].append(r.values);
    jsonl += '[';
    for (std::size_t j = 0; j < r.values.size(); ++j) {
      jsonl += j ? ", " : "";
      json_value(jsonl, r.values[j]);
    }
    jsonl += "]\n";
  }
  auto file = w->finish();
  if (!file) {
    std::fprintf(stderr, "%s: %s\n", base.c_str(), file.error_message().c_str());
    return false;
  }
  std::ofstream(base + ".parquet", std::ios::binary) << *file;
  std::ofstream(base + ".jsonl", std::ios::binary) << jsonl;
  std::vector<std::string> part_bytes;
  for (std::size_t k = 0; k < parts.size(); ++k)
    if (k == 0 || parts[k].rows() > 0)
      part_bytes.push_back(*parts[k].finish());
  auto joined = pq::concat({part_bytes.begin(), part_bytes.end()});
  if (!joined || joined->rows != static_cast<std::int64_t>(s.rows)) {
    std::fprintf(stderr, "%s concat: %s\n", base.c_str(),
                 joined ? "wrong row count" : joined.error_message().c_str());
    return false;
  }
  std::ofstream(base + ".concat.parquet", std::ios::binary) << joined->bytes;
  std::ofstream(base + ".concat.jsonl", std::ios::binary) << jsonl;
  return true;
}

} // namespace

// Each input of a fuzz corpus directory (tests/fuzz/corpus/parquet/) as the
// case fuzz_parquet made of it.
std::vector<sample> corpus(const std::string& dir) {
  std::vector<sample> out;
  std::vector<std::filesystem::path> inputs;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file())
      inputs.push_back(e.path());
  std::sort(inputs.begin(), inputs.end());
  for (const auto& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    const std::string bytes{std::istreambuf_iterator<char>(in), {}};
    auto c = std::make_shared<weir::fuzz::parquet_case>(weir::fuzz::decode_parquet_case(bytes));
    out.push_back({"fuzz-" + path.filename().string(), c->schema, c->row_group_rows, c->rows.size(),
                   // The views point into the case, which the sample keeps.
                   [c](std::size_t i, row& r) {
                     weir::fuzz::as_values(c->rows[i], r.values);
                   }});
  }
  return out;
}

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s DIR [FUZZ_CORPUS_DIR]\n", argv[0]);
    return 2;
  }
  int files = 0;
  for (const auto& s : argc == 3 ? corpus(argv[2]) : samples())
    for (auto c : {pq::codec::uncompressed, pq::codec::snappy, pq::codec::zstd}) {
      if (!write_sample(argv[1], s, c))
        return 1;
      ++files;
    }
  std::printf("wrote %d files to %s\n", files, argv[1]);
  return 0;
}
