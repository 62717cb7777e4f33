// weir::sinks::mysql::results against the real MariaDB of deploy/services.sh
// (WEIR_MYSQL_URL; CTest sources .run/env.sh first), read back with the
// `mariadb` client.
//
// Two writers of one partition, as after a move or with a zombie owner: the
// rows are the window operator's real output over the same events, one
// writer further along. Whatever the order of their writes, the table holds
// the row of the writer further along: a late event within the allowed
// lateness re-emitted window 0 at a higher offset, and the older emission
// written afterwards must not replace it.
#include "jobs/event_reader.hpp"
#include "jobs/windowed/window_operator.hpp"
#include "sinks/mysql/mysql.hpp"
#include "sinks/mysql/sink.hpp"
#include "sinks/registry/sinks.hpp"

#include "tests/support/decimals.hpp"
#include "tests/support/fold.hpp"
#include "tests/support/results_sink.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <unistd.h>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

using namespace weir;

namespace {

std::string url() {
  const char* v = std::getenv("WEIR_MYSQL_URL");
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

// The `mariadb` client's tab-separated output.
std::string client(const std::string& sql) {
  auto ep = sinks::mysql::parse_url(url());
  EXPECT_TRUE(ep);
  std::string cmd = "mariadb --no-defaults -N -B -h " + ep->host + " -P " + std::to_string(ep->port)
                    + " -u " + ep->user + " " + ep->database + " -e \"" + sql + "\"";
  std::unique_ptr<FILE, int (*)(FILE*)> p{popen(cmd.c_str(), "r"), pclose};
  std::string out;
  std::array<char, 4096> buf;
  while (p && fgets(buf.data(), buf.size(), p.get()))
    out += buf.data();
  return out;
}

class MysqlSink : public ::testing::Test {
protected:
  void SetUp() override {
    if (url().empty())
      GTEST_SKIP() << "WEIR_MYSQL_URL is not set (source .run/env.sh)";
    table = "it_upsert_" + std::to_string(::getpid());
    spec.name = table;
    spec.key = {"k"};
    spec.source.partitioned_by = "k";
    spec.source.out_of_orderness = 0;
    spec.window = {jobs::window_kind::tumbling, 1000, 1000, 0, 5000};
    spec.aggregations = {{jobs::agg_kind::count, "", "n"}, {jobs::agg_kind::sum, "v", "total"}};
    spec.sink.type = "mysql";
    spec.sink.url = url();
    spec.sink.table = table;
  }
  void TearDown() override {
    if (!url().empty())
      client("DROP TABLE IF EXISTS " + table + ", " + table + "__progress");
    if (partials) {
      pqxx::connection c{pg_url()};
      pqxx::work t{c};
      t.exec("DROP TABLE IF EXISTS " + table + "__partials, " + table + "__progress");
      t.commit();
    }
  }
  // The windowed sink over this store, as a job with one partition has it.
  test_support::results_sink sink() {
    auto s = test_support::opened(sinks::make_mysql_sink(spec, {1}));
    EXPECT_TRUE(s) << s.error_message();
    return std::move(*s);
  }
  void write(test_support::results_sink& sink, const jobs::sink_batch& b) {
    auto ok = sink.write(b);
    refused = sink.last_refused();
    ASSERT_TRUE(ok) << ok.error_message();
  }
  std::string stored() {
    return client("SELECT n, total, _version FROM " + table
                  + " WHERE window_start = '1970-01-01 00:00:00'; SELECT next_offset FROM " + table
                  + "__progress");
  }

  // The decimal job's window 0 as the client prints it (null: NULL).
  std::string decimal_rows() {
    return client("SELECT k, n, total, lo, hi, mean, big, bmean, small FROM " + table
                  + " WHERE window_start = '1970-01-01 00:00:00' ORDER BY k");
  }
  // The decimal job's table columns as information_schema gives them, and
  // as they should be.
  std::string decimal_columns() {
    return client("SELECT COLUMN_NAME, COLUMN_TYPE FROM information_schema.COLUMNS WHERE "
                  "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '"
                  + table + "' ORDER BY ORDINAL_POSITION");
  }
  static std::string want_decimal_columns() {
    std::string want = "window_start\tdatetime(3)\nwindow_end\tdatetime(3)\nk\tvarbinary(512)\n"
                       "n\tbigint(20)\n";
    for (const auto& c : test_support::decimal_columns())
      want +=
        c.name + "\tdecimal(" + std::to_string(c.precision) + "," + std::to_string(c.scale) + ")\n";
    return want + "_version\tbigint(20)\n";
  }

  std::string table;
  jobs::job_spec spec;
  std::vector<sinks::refused_row> refused; // by the last write()
  bool partials = false;                   // PostgreSQL tables to drop
};

} // namespace

TEST_F(MysqlSink, TheWriterFurtherAlongWinsWhateverTheOrder) {
  auto ahead = fold(spec, 17);  // window 0 closed with 10, re-emitted with 11
  auto behind = fold(spec, 12); // window 0 closed with 10
  ASSERT_GT(ahead.rows(), 0u);
  auto a = sink();
  auto b = sink();
  write(a, ahead);
  // The sum saw no value (the events carry none): NULL, not 0.
  EXPECT_EQ(stored(), "11\tNULL\t17\n17\n");
  write(b, behind); // the former owner flushes what it held
  EXPECT_EQ(stored(), "11\tNULL\t17\n17\n");
  write(a, ahead);                                           // a replay
  EXPECT_EQ(client("SELECT count(*) FROM " + table), "1\n"); // window 0, once
}

TEST_F(MysqlSink, ATableOfAnotherSpecIsRefusedForGood) {
  client("CREATE TABLE " + table
         + " (window_start datetime(3) NOT NULL, k varbinary(512) NOT "
           "NULL, n bigint NOT NULL, _version bigint NOT NULL, PRIMARY KEY (window_start, k))");
  auto made = sinks::mysql::results::make(spec);
  ASSERT_FALSE(made);
  EXPECT_TRUE(made.failure().permanent);
  EXPECT_NE(made.error_message().find("the spec needs (window_start datetime(3) NOT NULL, "
                                      "window_end datetime(3) NOT NULL"),
            std::string::npos)
    << made.error_message();
}

// Keys across partitions: merged rows come versioned by merge; the upsert
// keeps the latest merge's, even if an older one is written after.
TEST_F(MysqlSink, MergedRowsKeepTheLatestMerge) {
  spec.source.partitioned_by.clear();
  spec.sink.partials_url = "postgresql://unused";
  auto a = sinks::mysql::results::make(spec, true);
  ASSERT_TRUE(a) << a.error_message();
  EXPECT_EQ(client("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
                   "AND TABLE_NAME = '"
                   + table + "__progress'"),
            "0\n")
    << "progress is the partials' PostgreSQL's";
  auto merged = [&](std::int64_t n, std::uint64_t version, std::string k = "a") {
    const std::vector<jobs::cell> values{{jobs::cell::integer, n, 0}, {jobs::cell::real, 0, 1.5}};
    const sinks::windowed::merged_row row{0, 1000, k, &values};
    std::vector<sinks::refused_row> none;
    auto dropped = a->write_merged({&row, 1}, version, {}, none);
    ASSERT_TRUE(dropped) << dropped.error_message();
    EXPECT_TRUE(none.empty());
    EXPECT_EQ(*dropped, k.size() > 512 ? 1u : 0u);
  };
  auto window0 = [&] {
    return client("SELECT n, total, _version FROM " + table
                  + " WHERE window_start = '1970-01-01 00:00:00'");
  };
  merged(22, 2);
  EXPECT_EQ(window0(), "22\t1.5\t2\n");
  merged(21, 1); // an older merge, written late
  EXPECT_EQ(window0(), "22\t1.5\t2\n");
  merged(23, 3); // a late partial merged again
  EXPECT_EQ(window0(), "23\t1.5\t3\n");
  merged(1, 4, std::string(513, 'k')); // a key part VARBINARY(512) cannot hold: counted
  EXPECT_EQ(client("SELECT count(*) FROM " + table), "1\n");
}

// A row the table refuses (a CHECK constraint an operator added) is
// isolated in savepoints: the others land, it comes back for the dead-letter
// topic with its partition, version and MariaDB's words, counted in
// __progress.dropped.
TEST_F(MysqlSink, RowsTheTableRefusesAreIsolated) {
  auto s = sink();
  client("ALTER TABLE " + table + " ADD CONSTRAINT weir_it_not_nine CHECK (n <> 9)");
  write(s, fold(spec, 40)); // windows [0, 1 s): 11, [1 s, 2 s): 9, [2 s, 3 s): 10
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].partition, 0);
  EXPECT_EQ(refused[0].offset, 40);
  EXPECT_EQ(refused[0].row, "{\"window_start\":\"1970-01-01 00:00:01.000Z\",\"window_end\":"
                            "\"1970-01-01 00:00:02.000Z\",\"k\":\"a\",\"n\":9,\"total\":null}");
  EXPECT_NE(refused[0].reason.find("weir_it_not_nine"), std::string::npos) << refused[0].reason;
  EXPECT_EQ(client("SELECT n FROM " + table + " ORDER BY window_start"), "11\n10\n");
  EXPECT_EQ(client("SELECT next_offset, dropped FROM " + table + "__progress"), "40\t1\n");
}

// Merged rows (keys across partitions) the table refuses are isolated too:
// they come back standing for every partition (-1), the others land.
TEST_F(MysqlSink, MergedRowsTheTableRefusesAreIsolated) {
  spec.source.partitioned_by.clear();
  spec.sink.partials_url = "postgresql://unused";
  auto a = sinks::mysql::results::make(spec, true);
  ASSERT_TRUE(a) << a.error_message();
  client("ALTER TABLE " + table + " ADD CONSTRAINT weir_it_not_nine CHECK (n <> 9)");
  const std::vector<jobs::cell> eight{{jobs::cell::integer, 8, 0}, {jobs::cell::null, 0, 0}},
    nine{{jobs::cell::integer, 9, 0}, {jobs::cell::null, 0, 0}};
  const sinks::windowed::merged_row rows[] = {{0, 1000, "a", &eight},
                                              {0, 1000, "b", &nine},
                                              {0, 1000, "c", &eight}};
  std::vector<sinks::refused_row> refused;
  auto dropped = a->write_merged(rows, 1, {}, refused);
  ASSERT_TRUE(dropped) << dropped.error_message();
  EXPECT_EQ(*dropped, 0u);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].partition, -1);
  EXPECT_EQ(refused[0].row, "{\"window_start\":\"1970-01-01 00:00:00.000Z\",\"window_end\":"
                            "\"1970-01-01 00:00:01.000Z\",\"k\":\"b\",\"n\":9,\"total\":null}");
  EXPECT_NE(refused[0].reason.find("weir_it_not_nine"), std::string::npos) << refused[0].reason;
  EXPECT_EQ(client("SELECT k, n FROM " + table + " ORDER BY k"), "a\t8\nc\t8\n");
}

// Decimal aggregates (tests/support/decimals.hpp), rows final per partition:
// DECIMAL(p, s) columns of the result types, values to the digit as text
// literals, negatives and NULLs included; a late event re-emits window 0
// at a higher offset, and the upsert takes it. A sink made again accepts
// the table.
TEST_F(MysqlSink, DecimalsAreExact) {
  test_support::use_decimals(spec);
  auto a = sink();
  EXPECT_EQ(decimal_columns(), want_decimal_columns());
  for (int p : {0, 1})
    write(a, test_support::batch_of(
               test_support::fold_json(spec, test_support::decimal_events(p, true), p)));
  EXPECT_TRUE(refused.empty());
  EXPECT_EQ(decimal_rows(), test_support::decimal_rows("NULL"));
  write(a, test_support::batch_of(
             test_support::fold_json(spec, test_support::decimal_events(0, true, true), 0)));
  EXPECT_TRUE(refused.empty());
  EXPECT_EQ(decimal_rows(), test_support::decimal_rows("NULL", true));
  auto again = sinks::mysql::results::make(spec);
  EXPECT_TRUE(again) << again.error_message() << ": the table's check takes its DECIMAL columns";
}

// Keys across partitions, decimals: each partition's partials kept in
// PostgreSQL (msgpack), merged there and upserted here as merged rows: key
// a's 0.10 and 0.20 from two partitions are 0.30, its two large values
// 12345678901234567.89; merged again after a late event, at a higher
// version.
TEST_F(MysqlSink, MergedDecimalsAreExact) {
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
  EXPECT_EQ(decimal_columns(), want_decimal_columns());
  test_support::write_merged_decimals(
    *sink, spec, [&] { return decimal_rows(); }, "NULL");
}
