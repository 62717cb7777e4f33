// weir::sinks::clickhouse::results against the real ClickHouse of
// deploy/services.sh (WEIR_CLICKHOUSE_URL; CTest sources .run/env.sh first).
//
// Two writers of one partition, as after a move or with a zombie owner: the
// rows are the window operator's real output over the same events, one
// writer further along. Whatever the order of their writes, a reader with
// FINAL sees the row of the writer further along: a late event within the
// allowed lateness re-emitted window 0 at a higher offset, and the older
// emission written afterwards must not replace it.
#include "jobs/event_reader.hpp"
#include "jobs/windowed/window_operator.hpp"
#include "sinks/clickhouse/clickhouse.hpp"
#include "sinks/clickhouse/sink.hpp"
#include "sinks/registry/sinks.hpp"

#include "tests/support/decimals.hpp"
#include "tests/support/fold.hpp"
#include "tests/support/results_sink.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <unistd.h>
#include <cstdlib>
#include <string>
#include <vector>

using namespace weir;

namespace {

std::string ch_url() {
  const char* v = std::getenv("WEIR_CLICKHOUSE_URL");
  return v ? v : "";
}

// The PostgreSQL that keeps the partials when keys span partitions.
std::string pg_url() {
  const char* v = std::getenv("WEIR_PG_URL");
  return v ? v : "";
}

jobs::sink_batch fold(const jobs::job_spec& spec, int events) {
  return test_support::fold_batch(spec, events);
}

class ClickHouseSink : public ::testing::Test {
protected:
  void SetUp() override {
    if (ch_url().empty())
      GTEST_SKIP() << "WEIR_CLICKHOUSE_URL is not set (source .run/env.sh)";
    table = "it_replace_" + std::to_string(::getpid());
    spec.name = table;
    spec.key = {"k"};
    spec.source.partitioned_by = "k";
    spec.source.out_of_orderness = 0;
    spec.window = {jobs::window_kind::tumbling, 1000, 1000, 0, 5000};
    spec.aggregations = {{jobs::agg_kind::count, "", "n"}};
    spec.sink.type = "clickhouse";
    spec.sink.url = ch_url();
    spec.sink.table = table;
    auto ep = sinks::clickhouse::parse_url(ch_url());
    ASSERT_TRUE(ep);
    auto c = http::client::make({ep->base});
    ASSERT_TRUE(c);
    http.emplace(std::move(*c));
    database = ep->database;
    base = ep->base;
  }
  void TearDown() override {
    if (http)
      for (const auto& t : {table, table + "__progress"})
        (void)query("DROP TABLE IF EXISTS " + database + "." + t);
    if (partials) {
      pqxx::connection c{pg_url()};
      pqxx::work t{c};
      t.exec("DROP TABLE IF EXISTS " + table + "__partials, " + table + "__progress");
      t.commit();
    }
  }
  std::string query(const std::string& sql) {
    auto r = http->send("test", {"POST", base + "/", {"Expect:"}, sql});
    EXPECT_TRUE(r) << r.error_message();
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }
  // The windowed sink over this store, as a job with one partition has it.
  test_support::results_sink sink() {
    auto s = test_support::opened(sinks::make_clickhouse_sink(spec, {1}));
    EXPECT_TRUE(s) << s.error_message();
    return std::move(*s);
  }
  void write(test_support::results_sink& sink, const jobs::sink_batch& b) {
    auto ok = sink.write(b);
    EXPECT_TRUE(sink.last_refused().empty());
    ASSERT_TRUE(ok) << ok.error_message();
  }
  // Window 0's count as a reader with FINAL sees it, and the stored offset.
  std::string stored() {
    return query("SELECT n FROM " + database + "." + table
                 + " FINAL WHERE window_start = 0 "
                   "FORMAT TSV")
           + query("SELECT next_offset FROM " + database + "." + table
                   + "__progress FINAL "
                     "FORMAT TSV");
  }

  // Window 0's decimal rows as a reader with FINAL sees them (TSV: null is
  // \N), with the trailing zeros the scale says: older ClickHouse (as 18.16
  // here) always prints them, newer ones only when the setting says so.
  std::string decimal_rows() {
    const bool told = query("SELECT count() FROM system.settings WHERE name = "
                            "'output_format_decimal_trailing_zeros' FORMAT TSV")
                      == "1\n";
    return query("SELECT k, n, total, lo, hi, mean, big, bmean, small FROM " + database + "."
                 + table + " FINAL WHERE window_start = 0 ORDER BY k"
                 + (told ? " SETTINGS output_format_decimal_trailing_zeros = 1" : "")
                 + " FORMAT TSV");
  }
  // The columns system.columns gives for the decimal job's table.
  std::string decimal_columns() {
    std::string want = "window_start\tDateTime\nwindow_end\tDateTime\nk\tString\nn\tUInt64\n";
    for (const auto& c : test_support::decimal_columns())
      want += c.name + "\tNullable(Decimal(" + std::to_string(c.precision) + ", "
              + std::to_string(c.scale) + "))\n";
    return want + "_version\tUInt64\n";
  }

  std::string table, database, base;
  jobs::job_spec spec;
  bool partials = false; // PostgreSQL tables to drop
  std::optional<http::client> http;
};

} // namespace

TEST_F(ClickHouseSink, TheWriterFurtherAlongWinsWhateverTheOrder) {
  auto ahead = fold(spec, 17);  // window 0 closed with 10, re-emitted with 11
  auto behind = fold(spec, 12); // window 0 closed with 10
  ASSERT_GT(ahead.rows(), 0u);
  auto a = sink();
  auto b = sink();
  write(a, ahead);
  EXPECT_EQ(stored(), "11\n17\n");
  write(b, behind); // the former owner flushes what it held
  EXPECT_EQ(stored(), "11\n17\n");
  write(a, ahead); // a replay
  query("OPTIMIZE TABLE " + database + "." + table + " FINAL");
  EXPECT_EQ(query("SELECT count(), sum(n) FROM " + database + "." + table
                  + " WHERE window_start = 0 FORMAT TSV"),
            "1\t11\n");
}

TEST_F(ClickHouseSink, ATableOfAnotherSpecIsRefusedForGood) {
  query("CREATE TABLE " + database + "." + table
        + " (window_start DateTime, k String, n UInt64, "
          "_version UInt64) ENGINE = ReplacingMergeTree(_version) ORDER BY (window_start, k)");
  auto made = sinks::clickhouse::results::make(spec);
  ASSERT_FALSE(made);
  EXPECT_TRUE(made.failure().permanent);
  EXPECT_NE(made.error_message().find("the spec needs (window_start DateTime, window_end DateTime"),
            std::string::npos)
    << made.error_message();
}

// Keys across partitions: merged rows come versioned by merge; a reader
// with FINAL sees the latest merge's, even if an older one is written after.
TEST_F(ClickHouseSink, MergedRowsKeepTheLatestMerge) {
  spec.source.partitioned_by.clear();
  spec.sink.partials_url = "postgresql://unused";
  auto a = sinks::clickhouse::results::make(spec, true);
  ASSERT_TRUE(a) << a.error_message();
  EXPECT_EQ(query("EXISTS TABLE " + database + "." + table + "__progress"), "0\n")
    << "progress is the partials' PostgreSQL's";
  auto merged = [&](std::int64_t n, std::uint64_t version, jobs::millis start = 0) {
    const std::vector<jobs::cell> values{{jobs::cell::integer, n, 0}};
    const sinks::windowed::merged_row row{start, start + 1000, "a", &values};
    std::vector<sinks::refused_row> refused;
    auto dropped = a->write_merged({&row, 1}, version, {}, refused);
    EXPECT_TRUE(refused.empty());
    ASSERT_TRUE(dropped) << dropped.error_message();
    EXPECT_EQ(*dropped, start < 0 ? 1u : 0u);
  };
  auto window0 = [&] {
    return query("SELECT n, _version FROM " + database + "." + table
                 + " FINAL WHERE window_start = 0 FORMAT TSV");
  };
  merged(22, 2);
  EXPECT_EQ(window0(), "22\t2\n");
  merged(21, 1); // an older merge, written late
  EXPECT_EQ(window0(), "22\t2\n");
  merged(23, 3); // a late partial merged again
  EXPECT_EQ(window0(), "23\t3\n");
  merged(1, 4, -1000); // before 1970: DateTime cannot hold it, counted
  EXPECT_EQ(query("SELECT count() FROM " + database + "." + table + " FINAL FORMAT TSV"), "1\n");
}

// Decimal aggregates (tests/support/decimals.hpp), rows final per partition:
// Nullable(Decimal(p, s)) columns of the result types, RowBinary of 8 bytes
// (Decimal64: p <= 18) and 16 (Decimal128; bmean's units pass 2^64), values
// to the digit, negatives and nulls included. A late event re-emits window
// 0 at a higher offset, and FINAL sees it.
TEST_F(ClickHouseSink, DecimalsAreExact) {
  test_support::use_decimals(spec);
  auto a = sink();
  EXPECT_EQ(query("SELECT name, type FROM system.columns WHERE database = '" + database
                  + "' AND table = '" + table + "' FORMAT TSV"),
            decimal_columns());
  for (int p : {0, 1})
    write(a, test_support::batch_of(
               test_support::fold_json(spec, test_support::decimal_events(p, true), p)));
  EXPECT_EQ(decimal_rows(), test_support::decimal_rows("\\N"));
  write(a, test_support::batch_of(
             test_support::fold_json(spec, test_support::decimal_events(0, true, true), 0)));
  EXPECT_EQ(decimal_rows(), test_support::decimal_rows("\\N", true));
  auto again = sinks::clickhouse::results::make(spec);
  EXPECT_TRUE(again) << again.error_message() << ": the table's check takes its Decimal columns";
}

// Keys across partitions, decimals: each partition's partials kept in
// PostgreSQL (msgpack), merged there and written here as merged rows: key
// a's 0.10 and 0.20 from two partitions are 0.30, its two large values
// 12345678901234567.89; merged again after a late event, at a higher
// version.
TEST_F(ClickHouseSink, MergedDecimalsAreExact) {
  if (pg_url().empty())
    GTEST_SKIP() << "WEIR_PG_URL is not set (source .run/env.sh)";
  test_support::use_decimals(spec);
  spec.source.partitioned_by.clear();
  spec.sink.partials_url = pg_url();
  partials = true;
  // The registry's composition: partials and progress in PostgreSQL, merged
  // rows here.
  auto sink = test_support::opened(sinks::make_sink(spec, {2}));
  ASSERT_TRUE(sink) << sink.error_message();
  EXPECT_EQ(query("SELECT name, type FROM system.columns WHERE database = '" + database
                  + "' AND table = '" + table + "' FORMAT TSV"),
            decimal_columns());
  test_support::write_merged_decimals(
    *sink, spec, [&] { return decimal_rows(); }, "\\N");
}
