// The windowed sink over PostgreSQL (sinks/postgres/store.cpp) against the real PostgreSQL of
// deploy/services.sh (WEIR_PG_URL; CTest sources .run/env.sh first). Tables
// get a name unique to the run and are dropped at the end.
//
// Two writers of one partition, as after a move or a link cut: the rows they
// report are the window operator's real output over the same events, one
// writer further along than the other. The stored results must always be
// those of the writer further along, whatever the order of the writes. Both
// paths: partials merged across partitions, and source.partitioned_by (rows
// final as emitted, COPYed, upserted on a conflict).
#include "jobs/event_reader.hpp"
#include "jobs/windowed/window_operator.hpp"
#include "sinks/postgres/sink.hpp"
#include "sinks/windowed/sink.hpp"

#include "tests/support/decimals.hpp"
#include "tests/support/fold.hpp"
#include "tests/support/results_sink.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <unistd.h>
#include <cstdlib>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

using namespace weir;

namespace {

std::string pg_url() {
  const char* v = std::getenv("WEIR_PG_URL");
  return v ? v : "";
}

jobs::job_spec make_spec(const std::string& table) {
  jobs::job_spec s;
  s.name = table;
  s.key = {"k"};
  s.window.kind = jobs::window_kind::tumbling;
  s.window.size = 1000;
  s.window.slide = 1000;
  s.window.allowed_lateness = 5000;
  s.source.out_of_orderness = 0;
  s.aggregations = {{jobs::agg_kind::count, "", "n"}};
  s.sink.type = "postgres";
  s.sink.url = pg_url();
  s.sink.table = table;
  return s;
}

using writer = test_support::folded;
using results = test_support::results_sink;

expected<results> make(const jobs::job_spec& spec, std::int32_t partitions) {
  return test_support::opened(sinks::make_postgres_sink(spec, {partitions}));
}
using test_support::fold;
using test_support::fold_json;

class PostgresSink : public ::testing::TestWithParam<bool> {
protected:
  void SetUp() override {
    if (pg_url().empty())
      GTEST_SKIP() << "WEIR_PG_URL is not set (source .run/env.sh)";
    table = "it_fence_" + std::to_string(::getpid()) + (GetParam() ? "_direct" : "");
    spec = make_spec(table);
    if (GetParam())
      spec.source.partitioned_by = "k";
  }
  void TearDown() override {
    if (table.empty() || pg_url().empty())
      return;
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    t.exec("DROP TABLE IF EXISTS " + table + ", " + table + "__partials, " + table + "__progress");
    t.commit();
  }
  void write(results& sink, const writer& w) {
    auto ok = sink.write(w);
    ASSERT_TRUE(ok) << ok.error_message();
  }
  long scalar(const std::string& sql) {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    return t.exec(sql)[0][0].as<long>();
  }
  // The rows of a query as text: fields tab-separated, null as `null`, a line each.
  std::string text(const std::string& sql) {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    std::string out;
    for (const auto& row : t.exec(sql)) {
      for (const auto& f : row)
        out += (f.num() ? "\t" : "") + (f.is_null() ? std::string{"null"} : f.as<std::string>());
      out += '\n';
    }
    return out;
  }
  // The results table's columns as "name type, ..." (format_type: numeric(p,s)).
  std::string columns() {
    return text("SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' "
                "ORDER BY attnum) FROM pg_attribute WHERE attrelid = '"
                + table + "'::regclass AND attnum > 0 AND NOT attisdropped");
  }
  // (count in the results table for window 0, stored next_offset of partition 0)
  std::pair<long, long> stored() {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    auto n = t.exec("SELECT coalesce(max(n), -1) FROM " + table
                    + " WHERE window_start = "
                      "timestamptz 'epoch'")[0][0]
               .as<long>();
    auto off =
      t.exec("SELECT next_offset FROM " + table + "__progress WHERE source_partition = 0")[0][0]
        .as<long>();
    return {n, off};
  }

  std::string table;
  jobs::job_spec spec;
};

} // namespace

TEST_P(PostgresSink, AWriterBehindIsSkippedUntilItCatchesUp) {
  auto ahead = fold(spec, 17);         // window 0 closed with 10, re-emitted with 11
  auto behind = fold(spec, 6);         // window 0 still open: progress only
  auto behind_closed = fold(spec, 12); // window 0 closed with 10
  auto caught_up = fold(spec, 18);
  ASSERT_GT(ahead.rows.rows.size(), 0u);
  ASSERT_EQ(behind.rows.rows.size(), 0u);
  auto a = make(spec, 1);
  ASSERT_TRUE(a) << a.error_message();
  auto b = make(spec, 1);
  ASSERT_TRUE(b) << b.error_message();

  write(*a, ahead);
  EXPECT_EQ(stored(), std::make_pair(11L, 17L));
  // The former owner comes back and flushes what it held: nothing changes
  // (without the fence, window 0 would go back to 10).
  write(*b, behind);
  EXPECT_EQ(stored(), std::make_pair(11L, 17L));
  write(*b, behind_closed);
  EXPECT_EQ(stored(), std::make_pair(11L, 17L));
  // Once further along, it is accepted again.
  write(*b, caught_up);
  EXPECT_EQ(stored(), std::make_pair(11L, 18L));
}

TEST_P(PostgresSink, WritersInOffsetOrderAreAllApplied) {
  auto first = fold(spec, 12);
  auto second = fold(spec, 17);
  auto a = make(spec, 1);
  ASSERT_TRUE(a) << a.error_message();
  write(*a, first);
  EXPECT_EQ(stored(), std::make_pair(10L, 12L));
  write(*a, second);
  EXPECT_EQ(stored(), std::make_pair(11L, 17L));
  write(*a, second); // a replay of the same batch is idempotent
  EXPECT_EQ(stored(), std::make_pair(11L, 17L));
}

// Keys across partitions: a window's partials stay until it is final (its end
// plus the allowed lateness passed by the job watermark), then go; a row that
// still comes for a final window is dropped and counted, never merged alone.
TEST_P(PostgresSink, PartialsLastUntilTheWindowIsFinal) {
  if (GetParam())
    GTEST_SKIP() << "partitioned_by keeps no partials";
  auto a = make(spec, 2);
  ASSERT_TRUE(a) << a.error_message();
  write(*a, fold(spec, 17, 0)); // window 0 closed in partition 0 (11 with the late event)
  write(*a, fold(spec, 17, 1)); // and in partition 1: the job watermark passes it
  const auto window0 = " WHERE window_start = timestamptz 'epoch'";
  EXPECT_EQ(scalar("SELECT n FROM " + table + window0), 22);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table + "__partials" + window0), 2)
    << "within the allowed lateness: kept";
  write(*a, fold(spec, 75, 0)); // t = 7400: window 0 (end 1000 + 5000) final
  write(*a, fold(spec, 75, 1));
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table + "__partials" + window0), 0);
  EXPECT_EQ(scalar("SELECT n FROM " + table + window0), 22);
  EXPECT_LT(scalar("SELECT count(*) FROM " + table + "__partials"), 14)
    << "only windows not final are kept";
  // Partition 1 re-sends everything (a replay further along): the rows of
  // final windows are dropped and counted; the results do not change.
  write(*a, fold(spec, 76, 1));
  EXPECT_GT(a->last_dropped(), 0u) << "the sink actor's rows_dropped metric counts them";
  EXPECT_EQ(scalar("SELECT n FROM " + table + window0), 22);
  EXPECT_GT(scalar("SELECT dropped FROM " + table + "__progress WHERE source_partition = 1"), 0);
  EXPECT_EQ(scalar("SELECT dropped FROM " + table + "__progress WHERE source_partition = 0"), 0);
}

// A partition that only looked idle (a broker outage) does not hold results
// back, but when it wakes with its backlog, its rows still merge: finality
// waits for every partition's own watermark.
TEST_P(PostgresSink, AnIdlePartitionWakingLateStillCounts) {
  auto a = make(spec, 2);
  ASSERT_TRUE(a) << a.error_message();
  write(*a, fold(spec, 75, 0));  // t = 7400
  auto quiet = fold(spec, 6, 1); // saw t < 600, then nothing: idle
  quiet.progress.idle = true;
  write(*a, quiet);
  const auto window0 = " WHERE window_start = timestamptz 'epoch'";
  EXPECT_EQ(scalar("SELECT n FROM " + table + window0), 11) << "published without partition 1";
  write(*a, fold(spec, 75, 1)); // the backlog arrives
  EXPECT_EQ(a->last_dropped(), 0u);
  EXPECT_EQ(scalar("SELECT n FROM " + table + window0), GetParam() ? 11 : 22)
    << (GetParam() ? "partitioned: one partition's row is the row"
                   : "partition 1's rows merged, not dropped as final");
  EXPECT_EQ(scalar("SELECT coalesce(sum(dropped), 0) FROM " + table + "__progress"), 0);
}

namespace {

// Where merged rows go instead of <table>: records them, or fails on demand.
struct recording_store final : sinks::windowed::results_store {
  struct written {
    jobs::millis start;
    std::int64_t n;
    std::uint64_t version;
  };
  std::vector<written>* log;
  bool* fail;
  recording_store(std::vector<written>* l, bool* f) : log(l), fail(f) {}
  expected<std::size_t> write_final(const sinks::windowed::final_rows&,
                                    sinks::windowed::dropped_rows&,
                                    std::vector<sinks::refused_row>&) override {
    return error{"no final rows here"};
  }
  expected<std::size_t> write_merged(std::span<const sinks::windowed::merged_row> rows,
                                     std::uint64_t version, std::span<const jobs::millis>,
                                     std::vector<sinks::refused_row>&) override {
    if (*fail)
      return error{"store down"};
    for (const auto& r : rows)
      log->push_back({r.start, (*r.values)[0].i, version});
    return std::size_t{0};
  }
};

// PostgreSQL's progress and partials, merged rows to `store`.
expected<results> merging(const jobs::job_spec& spec, std::shared_ptr<recording_store> store) {
  return test_support::opened(
    sinks::windowed::make_sink(spec, {2}, [spec, store]() -> expected<sinks::windowed::stores> {
      auto progress = sinks::open_postgres_progress(spec);
      if (!progress)
        return progress.failure();
      return sinks::windowed::stores{*progress, store};
    }));
}

} // namespace

// ClickHouse and MariaDB with keys across partitions: the partials stay in
// PostgreSQL, the merged rows go to the store inside the transaction, each
// write's at a higher version. A store that fails rolls the write back: the
// partials and the progress stay, and the retry sends the rows again.
TEST_P(PostgresSink, MergedRowsGoToAnotherStoreInTheTransaction) {
  if (GetParam())
    GTEST_SKIP() << "partitioned_by keeps no partials";
  std::vector<recording_store::written> log;
  bool fail = false;
  spec.sink.type = "clickhouse";
  spec.sink.partials_url = pg_url();
  spec.sink.url = "http://127.0.0.1:1/unused";
  auto a = merging(spec, std::make_shared<recording_store>(&log, &fail));
  ASSERT_TRUE(a) << a.error_message();
  EXPECT_EQ(scalar("SELECT count(*) FROM pg_tables WHERE tablename = '" + table + "'"), 0)
    << "no results table in PostgreSQL";
  write(*a, fold(spec, 17, 0));
  EXPECT_TRUE(log.empty()) << "partition 1 has not passed window 0";
  write(*a, fold(spec, 17, 1));
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].start, 0);
  EXPECT_EQ(log[0].n, 22);
  EXPECT_EQ(log[0].version, 1u);
  EXPECT_EQ(scalar("SELECT next_offset FROM " + table + "__progress WHERE source_partition = -1"),
            1);

  fail = true;
  EXPECT_FALSE(a->write(fold(spec, 75, 0)));
  EXPECT_EQ(scalar("SELECT next_offset FROM " + table + "__progress WHERE source_partition = 0"),
            17)
    << "rolled back with the store's failure";
  EXPECT_EQ(log.size(), 1u);
  fail = false;
  write(*a, fold(spec, 75, 0));
  write(*a, fold(spec, 75, 1)); // windows 1 to 6 complete
  // The latest writing of each window, and versions that only grow.
  std::map<jobs::millis, std::int64_t> latest;
  for (std::size_t i = 0; i < log.size(); ++i) {
    latest[log[i].start] = log[i].n;
    if (i > 0) {
      EXPECT_GE(log[i].version, log[i - 1].version);
    }
  }
  EXPECT_GT(log.back().version, log[0].version);
  ASSERT_EQ(latest.size(), 7u);
  for (const auto& [start, n] : latest)
    EXPECT_EQ(n, start == 0 ? 22 : start == 1000 ? 18 : 20) << "window " << start; // event 15 moved
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table
                   + "__partials WHERE window_start = "
                     "timestamptz 'epoch'"),
            0)
    << "window 0 final: its partials gone";
  // A new sink (another worker) continues the versions from PostgreSQL.
  auto b = merging(spec, std::make_shared<recording_store>(&log, &fail));
  ASSERT_TRUE(b) << b.error_message();
  const auto last = log.back().version;
  write(*b, fold(spec, 90, 0));
  write(*b, fold(spec, 90, 1));
  EXPECT_GT(log.back().version, last);
}

// A row the table refuses (a constraint added after the sink made it)
// fails the write's transaction; the write is made again with that row
// isolated. Every other row and the progress land; the refused row is
// counted in __progress.dropped and listed for the dead-letter topic.
TEST_P(PostgresSink, RowsTheTableRefusesAreIsolated) {
  auto sink = make(spec, 1);
  ASSERT_TRUE(sink) << sink.error_message();
  {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    t.exec("ALTER TABLE " + table + " ADD CONSTRAINT weir_it_not_nine CHECK (n <> 9)");
    t.commit();
  }
  auto w = fold(spec, 40); // windows [0, 1 s): 11, [1 s, 2 s): 9, [2 s, 3 s): 10 complete
  write(*sink, w);
  ASSERT_EQ(sink->last_refused().size(), 1u);
  const auto& r = sink->last_refused()[0];
  EXPECT_EQ(r.partition, GetParam() ? 0 : -1); // merged rows stand for every partition
  EXPECT_EQ(r.offset, GetParam() ? 40 : -1);
  EXPECT_EQ(r.row, "{\"window_start\":\"1970-01-01 00:00:01.000Z\",\"window_end\":"
                   "\"1970-01-01 00:00:02.000Z\",\"k\":\"a\",\"n\":9}");
  EXPECT_NE(r.reason.find("weir_it_not_nine"), std::string::npos) << r.reason;
  EXPECT_EQ(sink->last_dropped(), 1u);
  EXPECT_EQ(scalar("SELECT count(*) FROM " + table), 2);
  EXPECT_EQ(scalar("SELECT n FROM " + table + " WHERE window_start = timestamptz 'epoch'"), 11);
  EXPECT_EQ(scalar("SELECT n FROM " + table
                   + " WHERE window_start = timestamptz 'epoch' + interval '2 seconds'"),
            10);
  EXPECT_EQ(scalar("SELECT sum(dropped) FROM " + table + "__progress"), 1);
  EXPECT_EQ(scalar("SELECT next_offset FROM " + table + "__progress WHERE source_partition = 0"),
            40);
  // A replay refuses the same row again (it is a function of the input);
  // once the table takes it, the row lands like any other.
  write(*sink, fold(spec, 40));
  EXPECT_EQ(sink->last_refused().size(), 1u);
  {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    t.exec("ALTER TABLE " + table + " DROP CONSTRAINT weir_it_not_nine");
    t.commit();
  }
  write(*sink, fold(spec, 41));
  EXPECT_TRUE(sink->last_refused().empty());
  EXPECT_EQ(scalar("SELECT n FROM " + table
                   + " WHERE window_start = timestamptz 'epoch' + interval '1 second'"),
            9);
}

// Decimal aggregates (tests/support/decimals.hpp) come out as numeric
// columns of their result types, to the digit: a sum past 2^53 units, a
// negative, a rounded average, null for no value. Partitioned: rows COPYed,
// then upserted (a replay, a late event); keys across partitions: each
// (window, key)'s msgpack partials from two partitions merged (0.10 + 0.20
// is 0.30), and merged again after the late event. A refused row's dead
// letter keeps the decimals' text. A sink made again accepts the table; one
// whose numeric scale differs is refused.
TEST_P(PostgresSink, DecimalsAreExactNumerics) {
  const bool partitioned = GetParam();
  test_support::use_decimals(spec);
  auto a = make(spec, 2);
  ASSERT_TRUE(a) << a.error_message();
  std::string want = "window_start timestamp with time zone, window_end timestamp with time zone, "
                     "k text, n bigint";
  for (const auto& c : test_support::decimal_columns())
    want += ", " + c.name + " numeric(" + std::to_string(c.precision) + ","
            + std::to_string(c.scale) + ")";
  EXPECT_EQ(columns(), want + "\n");

  const auto window0 = "SELECT k, n, total, lo, hi, mean, big, bmean, small FROM " + table
                       + " WHERE window_start = timestamptz 'epoch' ORDER BY k";
  const auto p0 = fold_json(spec, test_support::decimal_events(0, partitioned), 0);
  const auto p1 = fold_json(spec, test_support::decimal_events(1, partitioned), 1);
  write(*a, p0);
  write(*a, p1);
  EXPECT_EQ(text(window0), test_support::decimal_rows("null"));
  if (!partitioned) {
    EXPECT_EQ(scalar("SELECT count(*) FROM " + table
                     + "__partials WHERE window_start = "
                       "timestamptz 'epoch'"),
              8)
      << "keys a to d, each from both partitions";
  }
  write(*a, p0); // a replay: partitioned, the COPY conflicts and the rows are upserted
  EXPECT_EQ(text(window0), test_support::decimal_rows("null"));
  write(*a, fold_json(spec, test_support::decimal_events(0, partitioned, true), 0));
  EXPECT_EQ(text(window0), test_support::decimal_rows("null", true));
  EXPECT_EQ(a->last_dropped(), 0u);
  // A row the table refuses goes to the dead-letter topic with its decimals
  // as exact text.
  {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    t.exec("ALTER TABLE " + table + " ADD CONSTRAINT weir_it_above CHECK (total > -6) NOT VALID");
    t.commit();
  }
  write(*a, p1); // a replay: b's row is written again
  ASSERT_EQ(a->last_refused().size(), 1u);
  EXPECT_EQ(a->last_refused()[0].row,
            "{\"window_start\":\"1970-01-01 00:00:00.000Z\",\"window_end\":\"1970-01-01 "
            "00:00:01.000Z\",\"k\":\"b\",\"n\":3,\"total\":\"-6.26\",\"lo\":\"-5.25\",\"hi\":"
            "\"-0.01\",\"mean\":\"-2.086667\",\"big\":\"-12345678901234567.89\",\"bmean\":"
            "\"-6172839450617283.945000\",\"small\":\"-1234.567\"}");
  EXPECT_EQ(text(window0), test_support::decimal_rows("null", true)) << "the rest as it was";

  auto again = make(spec, 2);
  EXPECT_TRUE(again) << again.error_message();
  {
    pqxx::connection c{pg_url()};
    pqxx::work t{c};
    t.exec("ALTER TABLE " + table + " ALTER COLUMN total TYPE numeric(38,4)");
    t.commit();
  }
  auto other = make(spec, 2);
  ASSERT_FALSE(other);
  EXPECT_NE(other.error_message().find("column total is numeric(38,4), the spec needs "
                                       "numeric(38,2)"),
            std::string::npos)
    << other.error_message();
}

// Top-N by a decimal sum ranks by the exact value: 1000000000000000.01,
// .02 and 999999999999999.99 are one double (10^15), so a ranking through
// doubles would tie them and order them by key. Key p's sum is merged from
// both partitions; a negative ranks below, a key without a value (null)
// last.
TEST_P(PostgresSink, TopNRanksByTheExactDecimal) {
  if (GetParam())
    GTEST_SKIP() << "top-N ranks across partitions, partitioned_by or not: one path";
  test_support::use_decimals(spec);
  spec.top = {5, "big"};
  auto a = make(spec, 2);
  ASSERT_TRUE(a) << a.error_message();
  write(*a, fold_json(spec,
                      {R"({"t": 100, "k": "p", "b": 1000000000000000.00})",
                       R"({"t": 200, "k": "q", "b": 1000000000000000.02})",
                       R"({"t": 300, "k": "s"})", R"({"t": 1500, "k": "z"})"},
                      0));
  write(*a,
        fold_json(spec,
                  {R"({"t": 100, "k": "p", "b": 0.01})", R"({"t": 200, "k": "o", "b": -1.00})",
                   R"({"t": 300, "k": "r", "b": 999999999999999.99})", R"({"t": 1500, "k": "z"})"},
                  1));
  EXPECT_EQ(text("SELECT rank, k, big FROM " + table
                 + " WHERE window_start = timestamptz 'epoch' ORDER BY rank"),
            "1\tq\t1000000000000000.02\n2\tp\t1000000000000000.01\n3\tr\t999999999999999.99\n"
            "4\to\t-1.00\n5\ts\tnull\n");
}

INSTANTIATE_TEST_SUITE_P(Paths, PostgresSink, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "Partitioned" : "Merged"; });
