#include "lib/parquet/compact.hpp"
#include "lib/parquet/levels.hpp"
#include "lib/parquet/writer.hpp"
#include "tests/support/bytes.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <numeric>
#include <random>

namespace pq = weir::parquet;
using weir::test::bytes;
using weir::test::hex;

namespace {

// An independent reader of the RLE/bit-packed hybrid (bit width 1).
std::vector<std::uint8_t> decode_levels(const std::string& in, std::size_t n) {
  std::vector<std::uint8_t> out;
  std::size_t p = 0;
  auto varint = [&] {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      auto b = static_cast<unsigned char>(in.at(p++));
      v |= std::uint64_t{b & 0x7Fu} << shift;
      if (!(b & 0x80))
        return v;
    }
  };
  while (out.size() < n) {
    std::uint64_t header = varint();
    if (header & 1) {
      for (std::uint64_t g = 0; g < (header >> 1); ++g) {
        auto byte = static_cast<unsigned char>(in.at(p++));
        for (int b = 0; b < 8; ++b)
          out.push_back((byte >> b) & 1);
      }
    } else {
      auto v = static_cast<std::uint8_t>(in.at(p++));
      out.insert(out.end(), header >> 1, v);
    }
  }
  EXPECT_EQ(p, in.size()) << "trailing bytes";
  out.resize(n); // the last bit-packed group is padded
  return out;
}

std::string levels(const std::vector<std::uint8_t>& l) {
  std::string out;
  pq::encode_levels(out, l);
  return out;
}

pq::schema two_columns() {
  return {{{"id", pq::type::int64, false}, {"name", pq::type::string, true}}};
}

} // namespace

TEST(ParquetCompact, Varint) {
  auto v = [](std::uint64_t x) {
    std::string s;
    pq::put_varint(s, x);
    return s;
  };
  EXPECT_BYTES(v(0), 0x00);
  EXPECT_BYTES(v(1), 0x01);
  EXPECT_BYTES(v(127), 0x7f);
  EXPECT_BYTES(v(128), 0x80, 0x01);
  EXPECT_BYTES(v(300), 0xac, 0x02);
  EXPECT_BYTES(v(16384), 0x80, 0x80, 0x01);
  EXPECT_BYTES(v(std::numeric_limits<std::uint64_t>::max()), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0x01);
}

TEST(ParquetCompact, Zigzag) {
  EXPECT_EQ(pq::zigzag(0), 0u);
  EXPECT_EQ(pq::zigzag(-1), 1u);
  EXPECT_EQ(pq::zigzag(1), 2u);
  EXPECT_EQ(pq::zigzag(-2), 3u);
  EXPECT_EQ(pq::zigzag(2147483647), 4294967294u);
  EXPECT_EQ(pq::zigzag(std::numeric_limits<std::int64_t>::min()),
            std::numeric_limits<std::uint64_t>::max());
}

TEST(ParquetCompact, FieldHeadersUseDeltasAndLongForm) {
  std::string s;
  pq::compact_encoder e(s);
  e.begin_struct();
  e.field_i32(1, 1);       // delta 1, i32: 0x15, zigzag 2
  e.field_binary(4, "ab"); // delta 3, binary: 0x38, length 2
  e.field_i64(3, -1);      // id goes down: type byte, zigzag id 6, value 1
  e.field_i64(20, 5);      // delta 17 > 15: long form again, id 40
  e.end_struct();
  EXPECT_BYTES(s, 0x15, 0x02, 0x38, 0x02, 'a', 'b', 0x06, 0x06, 0x01, 0x06, 0x28, 0x0a, 0x00);
}

TEST(ParquetCompact, BoolsLiveInTheTypeNibble) {
  std::string s;
  pq::compact_encoder e(s);
  e.begin_struct();
  e.field_bool(1, true);
  e.field_bool(2, false);
  e.field_i16(7, -3);
  e.end_struct();
  EXPECT_BYTES(s, 0x11, 0x12, 0x54, 0x05, 0x00);
}

TEST(ParquetCompact, NestedStructsRestoreTheOuterFieldId) {
  std::string s;
  pq::compact_encoder e(s);
  e.begin_struct();
  e.field_struct(3); // 0x3c
  e.field_i32(1, 7); // inner ids start again from 0
  e.end_struct();
  e.field_i32(4, 0); // delta 1 from the outer 3
  e.end_struct();
  EXPECT_BYTES(s, 0x3c, 0x15, 0x0e, 0x00, 0x15, 0x00, 0x00);
}

TEST(ParquetCompact, Lists) {
  std::string s;
  pq::compact_encoder e(s);
  e.begin_struct();
  e.field_list(1, pq::ctype::structure, 1); // 0x19, size 1 of struct 0x1c
  e.begin_struct();
  e.field_i32(1, 1);
  e.end_struct();
  e.field_list(2, pq::ctype::i32, 2); // 0x19, 0x25
  e.element_i32(0);
  e.element_i32(3);
  e.field_list(3, pq::ctype::binary, 15); // long size: 0xf8, varint 15
  for (int i = 0; i < 15; ++i)
    e.element_binary(i == 0 ? "x" : "");
  e.end_struct();
  std::string want =
    bytes({0x19, 0x1c, 0x15, 0x02, 0x00, 0x19, 0x25, 0x00, 0x06, 0x19, 0xf8, 0x0f, 0x01, 'x'});
  want.append(14, '\0');
  want += '\0';
  EXPECT_EQ(hex(s), hex(want));
}

TEST(ParquetCompact, PageHeader) {
  // PageHeader{DATA_PAGE, 10, 10, DataPageHeader{3, PLAIN, RLE, RLE}}
  std::string s;
  pq::compact_encoder e(s);
  e.begin_struct();
  e.field_i32(1, 0);
  e.field_i32(2, 10);
  e.field_i32(3, 10);
  e.field_struct(5);
  e.field_i32(1, 3);
  e.field_i32(2, 0);
  e.field_i32(3, 3);
  e.field_i32(4, 3);
  e.end_struct();
  e.end_struct();
  EXPECT_BYTES(s, 0x15, 0x00, 0x15, 0x14, 0x15, 0x14, 0x2c, 0x15, 0x06, 0x15, 0x00, 0x15, 0x06,
               0x15, 0x06, 0x00, 0x00);
}

TEST(ParquetLevels, HandComputed) {
  EXPECT_EQ(levels({}), "");
  // One bit-packed group: header (1 << 1) | 1, bits LSB first.
  EXPECT_BYTES(levels({1, 0, 1}), 0x03, 0x05);
  // An RLE run: header 10 << 1, the value in one byte.
  EXPECT_BYTES(levels(std::vector<std::uint8_t>(10, 1)), 0x14, 0x01);
  EXPECT_BYTES(levels(std::vector<std::uint8_t>(300, 0)), 0xd8, 0x04, 0x00);
  // A short stretch before a long run borrows from the run to fill its group.
  EXPECT_BYTES(levels({1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), 0x03, 0x05, 0x0a, 0x00);
  EXPECT_BYTES(levels({1, 1, 1, 1, 1, 1, 1, 1, 0, 1}), 0x10, 0x01, 0x03, 0x02);
  std::vector<std::uint8_t> alternating;
  for (int i = 0; i < 17; ++i)
    alternating.push_back(i % 2 == 0);
  EXPECT_BYTES(levels(alternating), 0x07, 0x55, 0x55, 0x01);
}

TEST(ParquetLevels, RoundTripsRandomRuns) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<std::uint8_t> l;
    std::size_t n = rng() % 500;
    while (l.size() < n) {
      std::size_t run = rng() % 4 == 0 ? rng() % 40 : rng() % 3 + 1;
      l.insert(l.end(), std::min(run, n - l.size()), static_cast<std::uint8_t>(rng() % 2));
    }
    EXPECT_EQ(decode_levels(levels(l), l.size()), l) << "trial " << trial;
  }
}

TEST(ParquetWriter, RejectsBadSchemas) {
  EXPECT_FALSE(pq::writer::make({}, pq::codec::uncompressed));
  auto dup =
    pq::writer::make({{{"a", pq::type::int64}, {"a", pq::type::string}}}, pq::codec::uncompressed);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error_message().find("'a' appears twice"), std::string::npos);
  EXPECT_FALSE(pq::writer::make({{{"", pq::type::int64}}}, pq::codec::uncompressed));
  EXPECT_FALSE(pq::writer::make(two_columns(), pq::codec::uncompressed, 0));
  auto ids = pq::writer::make({{{"a", pq::type::int64, true, 3}, {"b", pq::type::string, true, 3}}},
                              pq::codec::uncompressed);
  ASSERT_FALSE(ids);
  EXPECT_NE(ids.error_message().find("field id 3 appears twice"), std::string::npos);
}

TEST(ParquetWriter, RejectsBadRowsWhole) {
  auto w = pq::writer::make(two_columns(), pq::codec::snappy);
  ASSERT_TRUE(w) << w.error_message();
  using v = pq::writer::value;

  auto count = w->append({v{std::int64_t{1}}});
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error_message(), "parquet: row has 1 values, schema has 2 columns");

  auto null = w->append({v{}, v{"x"}});
  ASSERT_FALSE(null);
  EXPECT_EQ(null.error_message(), "parquet: NULL in required column 'id'");

  auto mismatch = w->append({v{std::int64_t{1}}, v{std::int64_t{2}}});
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error_message(), "parquet: column 'name' is string, got int64");

  auto dbl = w->append({v{1.5}, v{"x"}});
  ASSERT_FALSE(dbl);
  EXPECT_EQ(dbl.error_message(), "parquet: column 'id' is int64, got double");

  EXPECT_EQ(w->rows(), 0u);
  ASSERT_TRUE(w->append({v{std::int64_t{1}}, v{}}));
  ASSERT_TRUE(w->append({v{std::int64_t{2}}, v{"two"}}));
  EXPECT_EQ(w->rows(), 2u);
  auto file = w->finish();
  ASSERT_TRUE(file) << file.error_message();
  EXPECT_EQ(file->substr(0, 4), "PAR1");
}

TEST(ParquetWriter, TypeChecksEveryColumnType) {
  auto w = pq::writer::make({{{"b", pq::type::boolean},
                              {"t", pq::type::timestamp_ms},
                              {"f", pq::type::float64}}},
                            pq::codec::zstd);
  ASSERT_TRUE(w) << w.error_message();
  using v = pq::writer::value;
  EXPECT_FALSE(w->append({v{std::int64_t{1}}, v{std::int64_t{1}}, v{1.0}}));
  EXPECT_FALSE(w->append({v{true}, v{1.0}, v{1.0}}));
  EXPECT_FALSE(w->append({v{true}, v{std::int64_t{1}}, v{std::int64_t{1}}}));
  EXPECT_TRUE(w->append({v{true}, v{std::int64_t{1}}, v{1.0}}));
  EXPECT_TRUE(w->append({v{}, v{}, v{}}));
  EXPECT_EQ(w->rows(), 2u);
}

TEST(ParquetWriter, IsSpentAfterFinish) {
  auto w = pq::writer::make(two_columns(), pq::codec::uncompressed);
  ASSERT_TRUE(w);
  ASSERT_TRUE(w->finish());
  EXPECT_FALSE(w->finish());
  EXPECT_FALSE(w->append({pq::writer::value{std::int64_t{1}}, pq::writer::value{}}));
}

TEST(ParquetWriter, EmptyFileFooter) {
  auto w = pq::writer::make({{{"a", pq::type::int64, false}}}, pq::codec::uncompressed);
  ASSERT_TRUE(w);
  auto file = w->finish();
  ASSERT_TRUE(file) << file.error_message();
  // FileMetaData{version 1, schema [root "schema" 1 child, a INT64 REQUIRED],
  // num_rows 0, row_groups [], created_by "weir", column_orders [TYPE_ORDER]}
  std::string footer =
    bytes({0x15, 0x02, 0x19, 0x2c, 0x48, 0x06, 's',  'c',  'h',  'e',  'm',  'a',  0x15,
           0x02, 0x00, 0x15, 0x04, 0x25, 0x00, 0x18, 0x01, 'a',  0x00, 0x16, 0x00, 0x19,
           0x0c, 0x28, 0x04, 'w',  'e',  'i',  'r',  0x19, 0x1c, 0x1c, 0x00, 0x00, 0x00});
  std::string want =
    "PAR1" + footer + bytes({static_cast<unsigned>(footer.size()), 0, 0, 0}) + "PAR1";
  EXPECT_EQ(hex(*file), hex(want));
}

// SchemaElement.field_id (9) sits between converted_type (6) and
// logicalType (10); without an id the element is as before.
TEST(ParquetWriter, FieldIdsInTheFooter) {
  auto w = pq::writer::make({{{"a", pq::type::int64, false, 7},
                              {"s", pq::type::string, true, 300},
                              {"t", pq::type::timestamp_us, true, 1},
                              {"u", pq::type::timestamp_ms, true}}},
                            pq::codec::uncompressed);
  ASSERT_TRUE(w) << w.error_message();
  auto file = w->finish();
  ASSERT_TRUE(file) << file.error_message();
  // a: INT64 (15 04) REQUIRED (25 00) "a" (18 01 61) field_id 7 (55 0e)
  EXPECT_NE(file->find(bytes({0x15, 0x04, 0x25, 0x00, 0x18, 0x01, 'a', 0x55, 0x0e, 0x00})),
            std::string::npos);
  // s: BYTE_ARRAY OPTIONAL "s" UTF8 (25 00) field_id 300 (35 d8 04) STRING
  EXPECT_NE(file->find(bytes({0x15, 0x0c, 0x25, 0x02, 0x18, 0x01, 's', 0x25, 0x00, 0x35, 0xd8, 0x04,
                              0x1c, 0x1c, 0x00, 0x00, 0x00})),
            std::string::npos);
  // t: TIMESTAMP_MICROS (25 14) field_id 1 (35 02) TIMESTAMP{UTC, unit MICROS (2c)}
  EXPECT_NE(file->find(bytes({0x18, 0x01, 't', 0x25, 0x14, 0x35, 0x02, 0x1c, 0x8c, 0x11, 0x1c, 0x2c,
                              0x00, 0x00, 0x00, 0x00, 0x00})),
            std::string::npos);
  // u: TIMESTAMP_MILLIS (25 12), no field_id, unit MILLIS (1c)
  EXPECT_NE(file->find(bytes({0x18, 0x01, 'u', 0x25, 0x12, 0x4c, 0x8c, 0x11, 0x1c, 0x1c, 0x00, 0x00,
                              0x00, 0x00, 0x00})),
            std::string::npos);
}

TEST(ParquetWriter, RowGroupOffsetsAndColumnSizes) {
  auto w = pq::writer::make(two_columns(), pq::codec::snappy, 4);
  ASSERT_TRUE(w);
  for (std::int64_t i = 0; i < 10; ++i)
    ASSERT_TRUE(w->append({pq::writer::value{i}, pq::writer::value{"name"}}));
  auto file = w->finish();
  ASSERT_TRUE(file);
  const auto& offsets = w->row_group_offsets();
  ASSERT_EQ(offsets.size(), 3u);
  EXPECT_EQ(offsets[0], 4);
  EXPECT_LT(offsets[1], offsets[2]);
  // The column chunks fill the file from "PAR1" to the footer.
  std::uint32_t footer = 0;
  std::memcpy(&footer, file->data() + file->size() - 8, 4);
  const auto& sizes = w->column_sizes();
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(4 + sizes[0] + sizes[1], static_cast<std::int64_t>(file->size() - 8 - footer));
}

TEST(ParquetWriter, CountsRowsAndBufferedBytes) {
  auto w = pq::writer::make(two_columns(), pq::codec::uncompressed, 3);
  ASSERT_TRUE(w);
  std::size_t before = w->buffered_bytes();
  for (std::int64_t i = 0; i < 10; ++i)
    ASSERT_TRUE(w->append({pq::writer::value{i}, pq::writer::value{"abcdefgh"}}));
  EXPECT_EQ(w->rows(), 10u);
  EXPECT_GT(w->buffered_bytes(), before + 10 * (8 + 4 + 8));
  auto file = w->finish();
  ASSERT_TRUE(file);
  std::uint32_t footer = 0;
  std::memcpy(&footer, file->data() + file->size() - 8, 4);
  EXPECT_LT(footer, file->size());
  EXPECT_EQ(file->substr(file->size() - 4), "PAR1");
}

namespace {

// Columns of every type with NULLs, kept the way row batches keep them.
struct columns_fixture {
  std::vector<std::uint8_t> nulls[4];
  std::vector<std::int64_t> ints;
  std::vector<double> doubles;
  std::vector<std::uint8_t> bools;
  std::string chars;
  std::vector<std::size_t> ends;
  std::vector<std::vector<pq::writer::value>> rows;

  explicit columns_fixture(std::size_t n) {
    std::mt19937_64 rng(7);
    for (std::size_t r = 0; r < n; ++r) {
      std::vector<pq::writer::value> row;
      for (int c = 0; c < 4; ++c)
        nulls[c].push_back(c > 0 && rng() % 5 == 0);
      ints.push_back(static_cast<std::int64_t>(rng() % 1000) - 500);
      row.emplace_back(ints.back());
      doubles.push_back(r % 11 == 0 ? std::nan("") : static_cast<double>(rng() % 100) / 7);
      row.push_back(nulls[1][r] ? pq::writer::value{} : pq::writer::value{doubles.back()});
      bools.push_back(rng() % 2);
      row.push_back(nulls[2][r] ? pq::writer::value{} : pq::writer::value{bools.back() != 0});
      chars += std::string(rng() % 20, static_cast<char>('a' + rng() % 26));
      ends.push_back(chars.size());
      row.push_back(pq::writer::value{});
      rows.push_back(std::move(row));
    }
    for (std::size_t r = 0; r < n; ++r) // views only once chars stopped moving
      if (!nulls[3][r])
        rows[r][3] =
          std::string_view{chars}.substr(r ? ends[r - 1] : 0, ends[r] - (r ? ends[r - 1] : 0));
  }

  static pq::schema schema() {
    return {{{"i", pq::type::int64, false},
             {"d", pq::type::float64},
             {"b", pq::type::boolean},
             {"s", pq::type::string}}};
  }

  std::vector<pq::column_view> views() const {
    return {{nulls[0], ints, {}, {}, {}, {}},
            {nulls[1], {}, doubles, {}, {}, {}},
            {nulls[2], {}, {}, bools, {}, {}},
            {nulls[3], {}, {}, {}, chars, ends}};
  }
};

} // namespace

// A gathered file is byte for byte the file of the same rows appended one
// by one, across row groups and pages, and its summaries bound the rows.
TEST(ParquetWriter, ColumnsInAnyOrderWriteTheSameFile) {
  const std::size_t n = 2000;
  columns_fixture f(n);
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937{3});
  order.resize(n - 17); // a subset too

  auto by_rows = pq::writer::make(columns_fixture::schema(), pq::codec::zstd, 300);
  auto by_columns = pq::writer::make(columns_fixture::schema(), pq::codec::zstd, 300);
  ASSERT_TRUE(by_rows && by_columns);
  for (auto r : order)
    ASSERT_TRUE(by_rows->append(f.rows[r]));
  const auto views = f.views();
  ASSERT_TRUE(by_columns->append(views, std::span{order}.first(500)));
  ASSERT_TRUE(by_columns->append(views, std::span{order}.subspan(500)));
  EXPECT_EQ(by_columns->rows(), order.size());

  std::int64_t nulls = 0, nans = 0;
  double lo = 1e9, hi = -1e9;
  std::string_view slo, shi;
  bool first = true;
  for (auto r : order) {
    const auto& v = f.rows[r];
    if (v[1].index() == 0)
      ++nulls;
    else if (std::isnan(std::get<double>(v[1])))
      ++nans;
    else {
      lo = std::min(lo, std::get<double>(v[1]));
      hi = std::max(hi, std::get<double>(v[1]));
    }
    if (v[3].index() != 0) {
      auto s = std::get<std::string_view>(v[3]);
      slo = first || s < slo ? s : slo;
      shi = first || s > shi ? s : shi;
      first = false;
    }
  }
  const auto d = by_columns->column_summary(1);
  EXPECT_EQ(d.values, static_cast<std::int64_t>(order.size()));
  EXPECT_EQ(d.nulls, nulls);
  EXPECT_EQ(d.nans, nans);
  EXPECT_EQ(std::get<double>(d.min), lo);
  EXPECT_EQ(std::get<double>(d.max), hi);
  const auto s = by_columns->column_summary(3);
  EXPECT_EQ(std::get<std::string_view>(s.min), slo);
  EXPECT_EQ(std::get<std::string_view>(s.max), shi);

  auto a = by_rows->finish();
  auto b = by_columns->finish();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
}

// Two threads, each with a share of the columns, write the same bytes.
TEST(ParquetWriter, TwoThreadsWriteTheSameFile) {
  const std::size_t n = 30000;
  columns_fixture f(n);
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  std::shuffle(order.begin(), order.end(), std::mt19937{5});
  auto one = pq::writer::make(columns_fixture::schema(), pq::codec::zstd, 8000, 1);
  auto two = pq::writer::make(columns_fixture::schema(), pq::codec::zstd, 8000, 2);
  ASSERT_TRUE(one && two);
  const auto views = f.views();
  ASSERT_TRUE(one->append(views, order));
  ASSERT_TRUE(two->append(views, order));
  auto a = one->finish();
  auto b = two->finish();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(*a, *b);
  EXPECT_EQ(one->column_sizes(), two->column_sizes());
}

TEST(ParquetWriter, RejectsBadColumnsWhole) {
  columns_fixture f(10);
  auto views = f.views();
  auto w = pq::writer::make(columns_fixture::schema(), pq::codec::uncompressed);
  ASSERT_TRUE(w);
  std::vector<std::uint32_t> past{0, 10};
  EXPECT_FALSE(w->append(views, past));
  EXPECT_FALSE(w->append(std::span{views}.first(3), std::vector<std::uint32_t>{0}));
  f.nulls[0][4] = 1; // NULL in the required column
  EXPECT_FALSE(w->append(views, std::vector<std::uint32_t>{1, 4}));
  EXPECT_EQ(w->rows(), 0u);
  ASSERT_TRUE(w->append(views, std::vector<std::uint32_t>{1, 2}));
  EXPECT_EQ(w->rows(), 2u);
}
