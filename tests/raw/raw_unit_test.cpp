// sinks/raw without services: the row model, COPY text both ways, export
// run ids and names.
#include "jobs/raw/rows.hpp"
#include "sinks/export/exporter.hpp"
#include "sinks/postgres/pg_table.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace weir;
using namespace weir::raw;
using parquet::type;
using value = row_batch::value;

namespace {

std::vector<column> actions() {
  return {{"event_id", type::string, false},
          {"user_id", type::int64, false},
          {"timestamp", type::timestamp_ms, false},
          {"score", type::float64, true},
          {"ok", type::boolean, true}};
}

constexpr std::int64_t jan1 = 1767225600000; // 2026-01-01T00:00:00Z
constexpr std::int64_t hour = 3'600'000;

} // namespace

TEST(RawRows, AppendsAndReadsBackEveryType) {
  auto b = row_batch::make(actions());
  ASSERT_TRUE(b);
  ASSERT_TRUE(b->append({std::string_view{"e1"}, std::int64_t{7}, jan1, 1.5, true}));
  ASSERT_TRUE(
    b->append({std::string_view{""}, std::int64_t{-1}, std::int64_t{-1}, value{}, value{}}));
  ASSERT_EQ(b->rows(), 2u);
  EXPECT_EQ(std::get<std::string_view>(b->at(0, 0)), "e1");
  EXPECT_EQ(std::get<std::int64_t>(b->at(0, 1)), 7);
  EXPECT_EQ(std::get<std::int64_t>(b->at(0, 2)), jan1);
  EXPECT_EQ(std::get<double>(b->at(0, 3)), 1.5);
  EXPECT_EQ(std::get<bool>(b->at(0, 4)), true);
  EXPECT_EQ(std::get<std::string_view>(b->at(1, 0)), ""); // empty, not NULL
  EXPECT_TRUE(b->is_null(1, 3));
  EXPECT_EQ(b->at(1, 4).index(), 0u);
  EXPECT_FALSE(b->from_kafka());
  b->clear();
  EXPECT_EQ(b->rows(), 0u);
  ASSERT_TRUE(b->append({std::string_view{"e3"}, std::int64_t{1}, jan1, value{}, false},
                        kafka_position{2, 40}));
  EXPECT_TRUE(b->from_kafka());
  EXPECT_EQ(b->position(0).partition, 2);
  EXPECT_EQ(b->position(0).offset, 40);
  EXPECT_EQ(std::get<std::string_view>(b->at(0, 0)), "e3");
}

TEST(RawRows, RejectsRowsThatDoNotFitWhole) {
  auto b = row_batch::make(actions());
  ASSERT_TRUE(b);
  auto few = b->append({std::string_view{"e"}});
  ASSERT_FALSE(few);
  EXPECT_NE(few.error_message().find("1 values, schema has 5"), std::string::npos);
  auto null_key = b->append({value{}, std::int64_t{1}, jan1, value{}, value{}});
  ASSERT_FALSE(null_key);
  EXPECT_NE(null_key.error_message().find("NULL in required column 'event_id'"), std::string::npos);
  auto wrong = b->append({std::string_view{"e"}, 1.0, jan1, value{}, value{}});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error_message().find("'user_id' is int64"), std::string::npos);
  EXPECT_EQ(b->rows(), 0u);
  ASSERT_TRUE(b->append({std::string_view{"e"}, std::int64_t{1}, jan1, value{}, value{}},
                        kafka_position{0, 1}));
  // All rows from Kafka or none.
  EXPECT_FALSE(b->append({std::string_view{"f"}, std::int64_t{1}, jan1, value{}, value{}}));
  EXPECT_EQ(b->rows(), 1u);
}

TEST(RawRows, ChecksColumnNames) {
  EXPECT_FALSE(row_batch::make({}));
  EXPECT_FALSE(row_batch::make({{"a b", type::int64}}));
  EXPECT_FALSE(row_batch::make({{"1a", type::int64}}));
  EXPECT_FALSE(row_batch::make({{"a", type::int64}, {"a", type::string}}));
  EXPECT_TRUE(row_batch::make({{"_a1", type::int64}}));
}

TEST(RawRows, UtcCalendar) {
  std::string d;
  append_date(d, jan1);
  EXPECT_EQ(d, "2026-01-01");
  d.clear();
  append_date(d, -1); // before the epoch: the previous day
  EXPECT_EQ(d, "1969-12-31");
  d.clear();
  append_date(d, 951782400000); // 2000-02-29, a leap day
  EXPECT_EQ(d, "2000-02-29");
  const auto c = to_civil(jan1 + 10 * hour + 5 * 60'000 + 7'089);
  EXPECT_EQ(c.hour, 10u);
  EXPECT_EQ(c.minute, 5u);
  EXPECT_EQ(c.second, 7u);
  EXPECT_EQ(c.milli, 89u);
  const auto before = to_civil(-1);
  EXPECT_EQ(before.year, 1969);
  EXPECT_EQ(before.hour, 23u);
  EXPECT_EQ(before.milli, 999u);
}

TEST(RawCopyText, EncodesWhatPostgresReads) {
  std::string out;
  for (const value& v : std::vector<value>{value{}, std::int64_t{-42}, 0.1, -0.0, std::nan(""),
                                           std::numeric_limits<double>::infinity(),
                                           -std::numeric_limits<double>::infinity(), true, false,
                                           std::string_view{"a\tb\nc\\d\re \\N"}}) {
    pg::append_copy_value(out, v);
    out += '|';
  }
  EXPECT_EQ(out, "\\N|-42|0.1|-0|NaN|Infinity|-Infinity|t|f|a\\tb\\nc\\\\d\\re \\\\N|");
}

TEST(RawCopyText, ParsesWhatPostgresWrites) {
  std::vector<column> cols{{"s", type::string},  {"i", type::int64},        {"f", type::float64},
                           {"b", type::boolean}, {"t", type::timestamp_ms}, {"g", type::float64},
                           {"e", type::string}};
  std::string scratch;
  std::vector<value> row;
  pg::parse_copy_line("a\\tb\\nc\\\\d\\r\\b\\f\\v\\N x\t-42\t-Infinity\tt\t-1\tNaN\t\n", cols,
                      scratch, row);
  ASSERT_EQ(row.size(), 7u);
  EXPECT_EQ(std::get<std::string_view>(row[0]), "a\tb\nc\\d\r\b\f\vN x");
  EXPECT_EQ(std::get<std::int64_t>(row[1]), -42);
  EXPECT_EQ(std::get<double>(row[2]), -std::numeric_limits<double>::infinity());
  EXPECT_EQ(std::get<bool>(row[3]), true);
  EXPECT_EQ(std::get<std::int64_t>(row[4]), -1);
  EXPECT_TRUE(std::isnan(std::get<double>(row[5])));
  EXPECT_EQ(std::get<std::string_view>(row[6]), ""); // empty string, not NULL
  pg::parse_copy_line("\\N\t\\N\t-0\tf\t\\N\t1e+300\t\\N", cols, scratch, row);
  EXPECT_EQ(row[0].index(), 0u);
  EXPECT_TRUE(std::signbit(std::get<double>(row[2])));
  EXPECT_EQ(std::get<double>(row[5]), 1e300);
  EXPECT_EQ(row[6].index(), 0u);
  EXPECT_THROW(pg::parse_copy_line("a\t1", cols, scratch, row), std::runtime_error);
  EXPECT_THROW(pg::parse_copy_line("a\t1\t1\tt\t1\t1\tx\textra", cols, scratch, row),
               std::runtime_error);
  EXPECT_THROW(pg::parse_copy_line("a\t1x\t1\tt\t1\t1\tx", cols, scratch, row), std::runtime_error);
  EXPECT_THROW(pg::parse_copy_line("a\t1\t1\tyes\t1\t1\tx", cols, scratch, row),
               std::runtime_error);
}

TEST(RawCopyText, EveryStringSurvivesTheRoundTrip) {
  std::vector<column> cols{{"s", type::string}};
  std::string all;
  for (int c = 1; c < 256; ++c)
    all += static_cast<char>(c);
  std::string line, scratch;
  std::vector<value> row;
  pg::append_copy_value(line, std::string_view{all});
  pg::parse_copy_line(line, cols, scratch, row);
  EXPECT_EQ(std::get<std::string_view>(row[0]), all);
}

TEST(RawExport, RunIdsAndNames) {
  EXPECT_EQ(*canonical_run_id("2026-01-01T10:05:00Z"), "2026-01-01T10:05:00Z");
  EXPECT_EQ(*canonical_run_id("2026-01-01T12:05:00+02:00"), "2026-01-01T10:05:00Z");
  EXPECT_EQ(*canonical_run_id("2026-01-01 10:05:00.000Z"), "2026-01-01T10:05:00Z");
  EXPECT_EQ(*export_key("raw", "2026-01-01T10:05:00Z"), "raw/2026-01-01/part-100500.parquet");
  EXPECT_EQ(*export_key("x/raw/", "2025-12-31T23:55:09Z"), "x/raw/2025-12-31/part-235509.parquet");
  EXPECT_EQ(*export_key("", "2026-01-01T00:00:00-00:30"), "2026-01-01/part-003000.parquet");
  auto frac = canonical_run_id("2026-01-01T10:05:00.5Z");
  ASSERT_FALSE(frac);
  EXPECT_NE(frac.error_message().find("whole second"), std::string::npos);
  EXPECT_FALSE(canonical_run_id("manual__2026-01-01"));
  EXPECT_FALSE(export_key("raw", ""));
}
