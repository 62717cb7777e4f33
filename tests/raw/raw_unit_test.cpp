// sinks/raw without services: the row model, partition paths, lake file
// names, COPY text both ways, export run ids and names.
#include "jobs/raw/rows.hpp"
#include "sinks/export/exporter.hpp"
#include "sinks/lake/lake.hpp"
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

std::string path_of(const partition_layout& l, const row_batch& b, std::size_t row) {
  std::string out;
  l.append_path(out, b, row);
  return out;
}

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

TEST(RawLakePaths, Seed004Layout) {
  auto l = partition_layout::make({{"event_date", path_part::date, "timestamp"},
                                   {"event_hour", path_part::hour, "timestamp", 2},
                                   {"bucket", path_part::modulo, "user_id", 128}},
                                  actions());
  ASSERT_TRUE(l) << l.error_message();
  auto b = row_batch::make(actions());
  ASSERT_TRUE(
    b->append({std::string_view{"a"}, std::int64_t{145}, jan1 + 3 * hour + 1, value{}, value{}}));
  ASSERT_TRUE(
    b->append({std::string_view{"b"}, std::int64_t{128}, jan1 + 2 * hour - 1, value{}, value{}}));
  ASSERT_TRUE(b->append({std::string_view{"c"}, std::int64_t{-1}, jan1 - 1, value{}, value{}}));
  EXPECT_EQ(path_of(*l, *b, 0), "event_date=2026-01-01/event_hour=02/bucket=17");
  EXPECT_EQ(path_of(*l, *b, 1), "event_date=2026-01-01/event_hour=00/bucket=0");
  // Before a day boundary and a negative id: floor, never negative.
  EXPECT_EQ(path_of(*l, *b, 2), "event_date=2025-12-31/event_hour=22/bucket=127");
}

TEST(RawLakePaths, ValuesAreEncodedAndNullsNamed) {
  std::vector<column> cols{{"s", type::string},
                           {"i", type::int64},
                           {"f", type::float64},
                           {"ok", type::boolean},
                           {"t", type::timestamp_ms}};
  auto l = partition_layout::make({{"sv", path_part::value, "s"},
                                   {"iv", path_part::value, "i"},
                                   {"fv", path_part::value, "f"},
                                   {"bv", path_part::value, "ok"},
                                   {"h", path_part::hour, "t", 6}},
                                  cols);
  ASSERT_TRUE(l) << l.error_message();
  auto b = row_batch::make(cols);
  ASSERT_TRUE(b->append(
    {std::string_view{"a/b=c d%\xc3\xa9"}, std::int64_t{-5}, 1e300, true, jan1 + 17 * hour}));
  ASSERT_TRUE(b->append({value{}, value{}, value{}, value{}, value{}}));
  EXPECT_EQ(path_of(*l, *b, 0), "sv=a%2Fb%3Dc%20d%25%C3%A9/iv=-5/fv=1e%2B300/bv=true/h=12");
  EXPECT_EQ(path_of(*l, *b, 1), "sv=__HIVE_DEFAULT_PARTITION__/iv=__HIVE_DEFAULT_PARTITION__/"
                                "fv=__HIVE_DEFAULT_PARTITION__/bv=__HIVE_DEFAULT_PARTITION__/"
                                "h=__HIVE_DEFAULT_PARTITION__");
  auto empty = partition_layout::make({}, cols);
  ASSERT_TRUE(empty);
  EXPECT_EQ(path_of(*empty, *b, 0), "");
}

TEST(RawLakePaths, BadLayoutsAreRefused) {
  auto refused = [](std::vector<path_part> parts, const std::string& part_of_message) {
    auto l = partition_layout::make(std::move(parts), actions());
    ASSERT_FALSE(l);
    EXPECT_NE(l.error_message().find(part_of_message), std::string::npos) << l.error_message();
  };
  refused({{"d", path_part::date, "nope"}}, "no column 'nope'");
  refused({{"user_id", path_part::modulo, "user_id", 4}}, "has the name of a column");
  refused({{"d", path_part::date, "event_id"}}, "date needs a timestamp_ms or int64 column");
  refused({{"h", path_part::hour, "timestamp", 0}}, "hour step must be 1 to 24");
  refused({{"m", path_part::modulo, "score", 3}}, "modulo needs an int64 column");
  refused({{"m", path_part::modulo, "user_id", 0}}, "modulus must be positive");
  refused({{"a=b", path_part::value, "event_id"}}, "not an identifier");
  refused({{"d", path_part::date, "timestamp"}, {"d", path_part::hour, "timestamp"}}, "twice");
}

TEST(RawLakeNames, RoundTrip) {
  const lake_file f{5, 100, 12345678901234567};
  const auto name = lake_file_name(f);
  EXPECT_EQ(name, "part-p5-00000000000000000100-00012345678901234567.parquet");
  auto back = parse_lake_file_name("lake/event_date=2026-01-01/" + name);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->kafka_partition, 5);
  EXPECT_EQ(back->first, 100);
  EXPECT_EQ(back->last, 12345678901234567);
  const auto max = lake_file_name({2147483647, 0, std::numeric_limits<std::int64_t>::max()});
  EXPECT_EQ(parse_lake_file_name(max)->last, std::numeric_limits<std::int64_t>::max());
  EXPECT_FALSE(parse_lake_file_name("part-p5-100-200.parquet"));
  EXPECT_FALSE(parse_lake_file_name("part-p-00000000000000000100-00000000000000000200.parquet"));
  EXPECT_FALSE(
    parse_lake_file_name("part-p5-00000000000000000100-00000000000000000200.parquet.tmp"));
  EXPECT_FALSE(parse_lake_file_name("x/part-p5-0000000000000000010x-00000000000000000200.parquet"));
  EXPECT_FALSE(parse_lake_file_name("2026-01-01/part-100500.parquet"));
  // A claimed writer's files carry its epoch.
  const auto fenced = lake_file_name({5, 100, 200, "0123456789abcdef"});
  EXPECT_EQ(fenced, "part-p5-00000000000000000100-00000000000000000200-0123456789abcdef.parquet");
  EXPECT_EQ(parse_lake_file_name(fenced)->epoch, "0123456789abcdef");
  EXPECT_EQ(parse_lake_file_name(fenced)->last, 200);
  EXPECT_FALSE(parse_lake_file_name("part-p5-00000000000000000100-00000000000000000200-.parquet"));
  EXPECT_FALSE(
    parse_lake_file_name("part-p5-00000000000000000100-00000000000000000200-XY.parquet"));
  EXPECT_FALSE(
    parse_lake_file_name("part-p5-00000000000000000100-00000000000000000200x0a.parquet"));
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
