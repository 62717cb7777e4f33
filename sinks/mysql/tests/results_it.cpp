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

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <unistd.h>

using namespace weir;

namespace {

std::string url() {
  const char* v = std::getenv("WEIR_MYSQL_URL");
  return v ? v : "";
}

// Partition 0 after the first `events` of: key "a" every 100 ms from t=0,
// but event 15 comes late (t=50) and re-emits window [0, 1 s) with 11.
jobs::sink_batch fold(const jobs::job_spec& spec, int events) {
  jobs::window_operator op{spec};
  jobs::partition_state st;
  auto rows = std::make_shared<jobs::partition_rows>();
  double value = 0;
  bool present = false;
  std::string_view text;
  for (int i = 0; i < events; ++i) {
    jobs::event_view ev{i == 15 ? 50 : i * 100, "a", &value, &present, &text, nullptr, {}};
    op.add(st, ev, rows->rows);
  }
  jobs::sink_batch b;
  jobs::partition_progress p;
  p.next_offset = events;
  p.watermark = st.watermark(op.out_of_orderness());
  p.events = static_cast<std::uint64_t>(events);
  b.progress.push_back(p);
  b.outputs.push_back(std::move(rows));
  return b;
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
  }
  void write(sinks::mysql::results& sink, const jobs::sink_batch& b) {
    const jobs::sink_batch* one[] = {&b};
    sinks::dropped_rows dropped;
    auto ok = sink.write(one, dropped);
    ASSERT_TRUE(ok) << ok.error_message();
  }
  std::string stored() {
    return client("SELECT n, total, _version FROM " + table
                  + " WHERE window_start = '1970-01-01 00:00:00'; SELECT next_offset FROM "
                  + table + "__progress");
  }

  std::string table;
  jobs::job_spec spec;
};

} // namespace

TEST_F(MysqlSink, TheWriterFurtherAlongWinsWhateverTheOrder) {
  auto ahead = fold(spec, 17);  // window 0 closed with 10, re-emitted with 11
  auto behind = fold(spec, 12); // window 0 closed with 10
  ASSERT_GT(ahead.rows(), 0u);
  auto a = sinks::mysql::results::make(spec);
  ASSERT_TRUE(a) << a.error_message();
  auto b = sinks::mysql::results::make(spec);
  ASSERT_TRUE(b) << b.error_message();
  write(*a, ahead);
  // The sum saw no value (the events carry none): NULL, not 0.
  EXPECT_EQ(stored(), "11\tNULL\t17\n17\n");
  write(*b, behind); // the former owner flushes what it held
  EXPECT_EQ(stored(), "11\tNULL\t17\n17\n");
  write(*a, ahead); // a replay
  EXPECT_EQ(client("SELECT count(*) FROM " + table), "1\n"); // window 0, once
}

TEST_F(MysqlSink, ATableOfAnotherSpecIsRefusedForGood) {
  client("CREATE TABLE " + table + " (window_start datetime(3) NOT NULL, k varbinary(512) NOT "
         "NULL, n bigint NOT NULL, _version bigint NOT NULL, PRIMARY KEY (window_start, k))");
  auto made = sinks::mysql::results::make(spec);
  ASSERT_FALSE(made);
  EXPECT_TRUE(made.failure().permanent);
  EXPECT_NE(made.error_message().find("the spec needs (window_start datetime(3) NOT NULL, "
                                      "window_end datetime(3) NOT NULL"),
            std::string::npos) << made.error_message();
}
