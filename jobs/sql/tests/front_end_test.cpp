// The SQL front end: each construct becomes the model its YAML would, and
// each refusal names the line and column, with a caret under the spot.
#include "jobs/sql/front_end.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace weir::jobs;

namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in{p};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// ${VAR:-default} with no variable set: the shipped defaults.
std::string defaults(const std::string& text) {
  auto out = expand_variables(text, "spec", [](const std::string&) { return std::nullopt; });
  EXPECT_TRUE(out) << out.error_message();
  return out ? *out : std::string{};
}

const std::string source = R"(
SET pipeline.name = 'j';
CREATE TABLE bets (
  bet_id text NOT NULL, user_id bigint, game_id bigint, amount double precision,
  status text, ts timestamp, device jsonb
) WITH (connector = 'kafka', brokers = 'b:1', topic = 'bets', watermark_for = 'ts',
        watermark_delay = '2 seconds');
CREATE TABLE out () WITH (connector = 'postgres', url = 'postgresql://x/y');
)";

job_spec sql_ok(const std::string& query) {
  auto spec = sql::parse_sql(source + query, "job.sql");
  EXPECT_TRUE(spec) << spec.error_message();
  return spec ? *spec : job_spec{};
}

std::string sql_error(const std::string& query) {
  auto spec = sql::parse_sql(source + query, "job.sql");
  EXPECT_FALSE(spec);
  return spec ? std::string{} : spec.error_message();
}

// The error's first line: origin:line:column: why.
std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

} // namespace

TEST(SqlFrontEnd, EveryShippedSpecHasATwinWithTheSameModel) {
  int twins = 0;
  for (const auto& e : std::filesystem::directory_iterator{WEIR_SPECS_DIR}) {
    if (e.path().extension() != ".yaml")
      continue;
    auto twin = e.path();
    twin.replace_extension(".sql");
    ASSERT_TRUE(std::filesystem::exists(twin)) << twin << " is missing";
    auto yaml = parse_spec(defaults(read_file(e.path())), e.path().string());
    auto sql = sql::parse_sql(defaults(read_file(twin)), twin.string());
    ASSERT_TRUE(yaml) << yaml.error_message();
    ASSERT_TRUE(sql) << sql.error_message();
    EXPECT_EQ(to_yaml(*sql), to_yaml(*yaml)) << twin;
    EXPECT_TRUE(*sql == *yaml) << twin;
    ++twins;
  }
  EXPECT_GE(twins, 10);
}

TEST(SqlFrontEnd, ToYamlReadsBackEqual) {
  for (const auto& e : std::filesystem::directory_iterator{WEIR_SPECS_DIR}) {
    if (e.path().extension() != ".yaml")
      continue;
    auto spec = parse_spec(defaults(read_file(e.path())), e.path().string());
    ASSERT_TRUE(spec) << spec.error_message();
    auto again = parse_spec(to_yaml(*spec), "again");
    ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*spec);
    EXPECT_TRUE(*again == *spec) << e.path();
  }
}

TEST(SqlFrontEnd, LanguageIsToldByTheFirstWord) {
  EXPECT_TRUE(sql::looks_like_sql("-- a job\n/* x */ SET pipeline.name = 'x';"));
  EXPECT_TRUE(sql::looks_like_sql("\n  create table t () with (connector = 'kafka');"));
  EXPECT_TRUE(sql::looks_like_sql("INSERT INTO t SELECT * FROM s"));
  EXPECT_FALSE(sql::looks_like_sql("# a job\nname: x\n"));
  EXPECT_FALSE(sql::looks_like_sql("settings: 1\n"));
  EXPECT_FALSE(sql::looks_like_sql("set: 1\n"));
}

TEST(SqlFrontEnd, TumblingWindowKeysFiltersAndAggregates) {
  auto s = sql_ok(R"(
INSERT INTO out
SELECT window_start, window_end, status, device->>'os' AS os,
       count(*) AS n, sum(amount) AS total, avg(amount) AS mean, min(amount) AS lo,
       max(amount) AS hi, count(DISTINCT user_id) AS users, approx_count_distinct(user_id) AS approx
FROM TUMBLE(bets, ts, INTERVAL '1 minute', allowed_lateness => INTERVAL '30' SECOND)
WHERE status IN ('won', 'lost') AND amount > 1.5 AND game_id <> 7 AND device.os = 'ios'
GROUP BY window_start, window_end, status, device->>'os';
)");
  EXPECT_EQ(s.name, "j");
  EXPECT_EQ(s.source.topic, "bets");
  EXPECT_EQ(s.source.time_field, "ts");
  EXPECT_EQ(s.source.time_fmt, time_format::iso8601);
  EXPECT_EQ(s.source.out_of_orderness, 2000);
  EXPECT_EQ(s.window.kind, window_kind::tumbling);
  EXPECT_EQ(s.window.size, 60'000);
  EXPECT_EQ(s.window.allowed_lateness, 30'000);
  // A declared text column is a string key; a field inside a json column
  // takes any JSON value, as ->> does.
  EXPECT_EQ(s.key,
            (std::vector<key_spec>{{"status", "status", key_type::string}, {"os", "device.os"}}));
  ASSERT_EQ(s.aggregations.size(), 7u);
  EXPECT_EQ(s.aggregations[0], (aggregate_spec{agg_kind::count, "", "n", {}}));
  EXPECT_EQ(s.aggregations[5], (aggregate_spec{agg_kind::count_distinct, "user_id", "users", {}}));
  EXPECT_EQ(s.aggregations[6],
            (aggregate_spec{agg_kind::approx_count_distinct, "user_id", "approx", {}}));
  ASSERT_EQ(s.filters.size(), 4u);
  EXPECT_EQ(s.filters[0], (filter_spec{"status", filter_op::in, {"won", "lost"}, 0}));
  EXPECT_EQ(s.filters[1], (filter_spec{"amount", filter_op::gt, {}, 1.5}));
  EXPECT_EQ(s.filters[2], (filter_spec{"game_id", filter_op::ne, {"7"}, 0}));
  EXPECT_EQ(s.filters[3], (filter_spec{"device.os", filter_op::eq, {"ios"}, 0}));
  EXPECT_EQ(s.sink.type, "postgres");
  EXPECT_EQ(s.sink.table, "out");
  EXPECT_EQ(s.dead_letter_topic, "j.dlq");
}

TEST(SqlFrontEnd, HopSessionAndProcessingTime) {
  auto hop = sql_ok("INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                    "FROM HOP(bets, ts, INTERVAL '1 minute', INTERVAL '5 minutes') "
                    "GROUP BY window_start, window_end;");
  EXPECT_EQ(hop.window.kind, window_kind::hopping);
  EXPECT_EQ(hop.window.slide, 60'000);
  EXPECT_EQ(hop.window.size, 300'000);
  auto session = sql_ok("CREATE TABLE visits (user_id bigint, ts timestamp) WITH (connector = "
                        "'kafka', brokers = 'b:1', topic = 'v', watermark_for = 'ts', "
                        "partitioned_by = 'user_id');"
                        "INSERT INTO out SELECT window_start, window_end, user_id, count(*) AS n "
                        "FROM SESSION(visits, ts, INTERVAL '30 minutes') "
                        "GROUP BY window_start, window_end, user_id;");
  EXPECT_EQ(session.window.kind, window_kind::session);
  EXPECT_EQ(session.window.gap, 1'800'000);
  EXPECT_EQ(session.source.partitioned_by, "user_id");
  const std::string by_clock = "INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                               "FROM TUMBLE(%s, PROCTIME(), INTERVAL '10' SECOND) "
                               "GROUP BY window_start, window_end;";
  auto on = [&](const std::string& table) {
    auto q = by_clock;
    return q.replace(q.find("%s"), 2, table);
  };
  // At least once is accepted only where the spec says so.
  EXPECT_NE(sql_error(on("bets")).find("declare WITH (..., guarantee = 'at_least_once') on bets"),
            std::string::npos);
  const std::string clicks = "CREATE TABLE clicks (k text) WITH (connector = 'kafka', brokers = "
                             "'b:1', topic = 'clicks', guarantee = 'at_least_once');";
  auto proc = sql_ok(clicks + on("clicks"));
  EXPECT_EQ(proc.source.mode, time_mode::processing);
  EXPECT_TRUE(proc.source.time_field.empty());
  EXPECT_NE(sql_error("CREATE TABLE b2 (ts timestamp) WITH (connector = 'kafka', brokers = 'b:1', "
                      "topic = 'b', watermark_for = 'ts', guarantee = 'at_least_once');"
                      "INSERT INTO out SELECT window_start, window_end, count(*) AS n FROM "
                      "TUMBLE(b2, ts, INTERVAL '10' SECOND) GROUP BY window_start, window_end;")
              .find("an event-time job is exactly once"),
            std::string::npos);
  EXPECT_NE(sql_error("CREATE TABLE b3 (k text) WITH (connector = 'kafka', brokers = 'b:1', "
                      "topic = 'b', guarantee = 'exactly_once');"
                      + on("b3"))
              .find("guarantee: only 'at_least_once'"),
            std::string::npos);
}

// As in YAML: a session of a key cut by partitions cannot be merged, so a
// SESSION window needs the source's partitioned_by, whatever the sink.
TEST(SqlFrontEnd, SessionsOfKeysAcrossPartitionsAreRefused) {
  const std::string why =
    "window.type: session windows need all of a key's events in one Kafka partition: each "
    "partition would close its own sessions of a key, which overlap and cannot be merged; "
    "declare the source's partitioned_by (a key field whose value is every event's Kafka "
    "message key), or use a tumbling or hopping window";
  const std::string query = "INSERT INTO out SELECT window_start, window_end, user_id, count(*) "
                            "AS n FROM SESSION(bets, ts, INTERVAL '30 minutes') "
                            "GROUP BY window_start, window_end, user_id;";
  EXPECT_EQ(first_line(sql_error(query)), "job.sql:9:78: " + why);
  // Keyless: one session over every partition.
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                                 "FROM SESSION(bets, ts, INTERVAL '30 minutes') "
                                 "GROUP BY window_start, window_end;")),
            "job.sql:9:69: " + why);
  // MariaDB and ClickHouse with partials in PostgreSQL: the same refusal.
  for (const char* store :
       {"mysql', url = 'mysql://weir@h/weir", "clickhouse', url = 'http://h:1/weir"}) {
    const std::string sink = std::string{"CREATE TABLE agg () WITH (connector = '"} + store
                             + "', table = 'agg', partials_url = 'postgresql://x/y');";
    auto q = query;
    q.replace(q.find("INTO out"), 8, "INTO agg");
    EXPECT_EQ(first_line(sql_error(sink + q)),
              "job.sql:9:" + std::to_string(78 + sink.size()) + ": " + why);
  }
  // Partitioned by a key column that is not the partitioning one: refused too.
  EXPECT_NE(sql_error("CREATE TABLE v2 (user_id bigint, game_id bigint, ts timestamp) WITH ("
                      "connector = 'kafka', brokers = 'b:1', topic = 'v', watermark_for = 'ts', "
                      "partitioned_by = 'game_id');"
                      "INSERT INTO out SELECT window_start, window_end, user_id, count(*) AS n "
                      "FROM SESSION(v2, ts, INTERVAL '30 minutes') "
                      "GROUP BY window_start, window_end, user_id;")
              .find("source.partitioned_by: 'game_id' is not one of the key fields"),
            std::string::npos);
}

TEST(SqlFrontEnd, TopNInBothShapes) {
  auto nested = sql_ok(R"(
INSERT INTO out SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY bets DESC) AS rank
  FROM (SELECT window_start, window_end, game_id, count(*) AS bets, sum(amount) AS total
        FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, game_id) a
) t WHERE rank <= 3;)");
  EXPECT_EQ(nested.top, (top_spec{3, "bets"}));
  auto flat = sql_ok(R"(
INSERT INTO out SELECT window_start, game_id, total, rank FROM (
  SELECT window_start, window_end, game_id, count(*) AS bets, sum(amount) AS total,
         ROW_NUMBER() OVER (PARTITION BY window_start ORDER BY sum(amount) DESC) AS rank
  FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, game_id
) t WHERE rank < 6;)");
  EXPECT_EQ(flat.top, (top_spec{5, "total"}));
}

TEST(SqlFrontEnd, RawJobsWithCastsAndNestedFields) {
  auto s = sql::parse_sql(R"(
SET pipeline.name = 'raw';
CREATE TABLE ev (id text NOT NULL, n text, device jsonb, ts timestamp)
  WITH (connector = 'kafka', brokers = 'b:1', topic = 'ev');
CREATE TABLE kept (id text PRIMARY KEY, n bigint, os text, device text)
  WITH (connector = 'postgres', url = 'postgresql://x/y', table = 'events');
INSERT INTO kept SELECT id, n::bigint AS n, device->>'os' AS os, device FROM ev WHERE n <> '0';
)",
                          "raw.sql");
  ASSERT_TRUE(s) << s.error_message();
  EXPECT_EQ(s->sink.type, "postgres_raw");
  EXPECT_EQ(s->sink.key, "id");
  EXPECT_EQ(s->sink.table, "events");
  EXPECT_EQ(s->columns,
            (std::vector<column_spec>{{"id", "id", column_type::string, false},
                                      {"n", "n", column_type::int64, true},
                                      {"os", "device.os", column_type::string, true},
                                      {"device", "device", column_type::string, true}}));
  EXPECT_EQ(s->filters.size(), 1u);
  // A raw job is exactly once: the option that says otherwise is refused.
  auto at_least_once = sql::parse_sql(R"(
SET pipeline.name = 'raw';
CREATE TABLE ev (id text NOT NULL) WITH (connector = 'kafka', brokers = 'b:1', topic = 'ev',
                                         guarantee = 'at_least_once');
CREATE TABLE kept (id text PRIMARY KEY) WITH (connector = 'postgres', url = 'postgresql://x/y');
INSERT INTO kept SELECT id FROM ev;
)",
                                      "raw.sql");
  ASSERT_FALSE(at_least_once);
  EXPECT_NE(at_least_once.error_message().find("an event-time job is exactly once"),
            std::string::npos);
}

TEST(SqlFrontEnd, ErrorsPointAtTheSpot) {
  EXPECT_EQ(sql_error("INSERT INTO out SELECT window_start, count(*) AS n FROM\n"
                      "  TUMBLE(bets, ts, INTERVAL '1' MINUTE) JOIN users ON true GROUP BY 1;"),
            "job.sql:10:46: joins are not supported yet: a job reads one source table\n"
            "    TUMBLE(bets, ts, INTERVAL '1' MINUTE) JOIN users ON true GROUP BY 1;\n"
            "                                               ^");
  EXPECT_EQ(first_line(sql_error(
              "INSERT INTO out SELECT window_start, window_end, median(amount) AS m "
              "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;")),
            "job.sql:9:50: function 'median' is not supported; the aggregates are count(*), "
            "sum(x), avg(x), min(x), max(x), count(DISTINCT x), approx_count_distinct(x)");
  EXPECT_EQ(first_line(sql_error(
              "INSERT INTO out SELECT window_start, window_end, sum(status) AS m "
              "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;")),
            "job.sql:9:54: type mismatch: sum needs a number, and status is text (cast it: "
            "status::double precision)");
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                                 "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) WHERE status = 3 "
                                 "GROUP BY window_start, window_end;")),
            "job.sql:9:122: type mismatch: status is text, compared with the number 3 (quote it: "
            "'3')");
  EXPECT_EQ(
    first_line(sql_error(
      "INSERT INTO out SELECT window_start, window_end, count(*) AS n "
      "FROM TUMBLE(bets, user_id, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;")),
    "job.sql:9:82: bets's watermark is on 'ts', not 'user_id': window by the watermarked "
    "column");
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, count(*) "
                                 "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) "
                                 "GROUP BY window_start, window_end;")),
            "job.sql:9:50: name the aggregate: count(...) AS name");
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                                 "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) "
                                 "GROUP BY window_start, window_end, nope;")),
            "job.sql:9:142: column 'nope' is not declared in bets (bet_id, user_id, game_id, "
            "amount, status, ts, device)");
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, user_id, "
                                 "count(*) AS n FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) "
                                 "GROUP BY window_start, window_end;")),
            "job.sql:9:50: user_id is neither in GROUP BY nor aggregated");
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, count(*) AS n "
                                 "FROM bets GROUP BY window_start;")),
            "job.sql:9:57: an aggregation needs a window: FROM TUMBLE(source, time_column, "
            "INTERVAL '1 minute') (or HOP, SESSION)");
  // A syntax error, from PostgreSQL's own parser.
  EXPECT_EQ(sql_error("INSERT INTO out SELEC 1;"),
            "job.sql:9:17: syntax error at or near \"SELEC\"\n"
            "  INSERT INTO out SELEC 1;\n"
            "                  ^");
  // Rules of the model are the YAML front end's, placed at the SQL construct.
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                                 "FROM HOP(bets, ts, INTERVAL '5' MINUTE, INTERVAL '1' MINUTE) "
                                 "GROUP BY window_start, window_end;")),
            "job.sql:9:69: window.slide: must not exceed window.size (events would fall between "
            "windows)");
}

TEST(SqlFrontEnd, MissingWatermarkAndDeclarations) {
  auto no_wm = sql::parse_sql(R"(SET pipeline.name = 'j';
CREATE TABLE s (ts timestamp) WITH (connector = 'kafka', brokers = 'b', topic = 't');
CREATE TABLE o () WITH (connector = 'postgres', url = 'u');
INSERT INTO o SELECT window_start, window_end, count(*) AS n FROM TUMBLE(s, ts, INTERVAL '1' MINUTE)
GROUP BY window_start, window_end;)",
                              "j.sql");
  ASSERT_FALSE(no_wm);
  EXPECT_EQ(first_line(no_wm.error_message()),
            "j.sql:4:77: a windowed query needs a watermark on ts: declare WITH (watermark_for = "
            "'ts', watermark_delay = '5 seconds') on s, or window by PROCTIME()");
  auto unknown_option = sql::parse_sql(R"(SET pipeline.name = 'j';
CREATE TABLE s (ts timestamp) WITH (connector = 'kafka', brokers = 'b', topik = 't');
CREATE TABLE o () WITH (connector = 'postgres', url = 'u');
INSERT INTO o SELECT * FROM s;)",
                                       "j.sql");
  ASSERT_FALSE(unknown_option);
  EXPECT_NE(unknown_option.error_message().find("j.sql:2:73: option 'topik' is not one of kafka's"),
            std::string::npos)
    << unknown_option.error_message();
  EXPECT_NE(unknown_option.error_message().find("(did you mean 'topic'?)"), std::string::npos);
  // out declares no columns: nothing to check against.
  sql_ok("INSERT INTO out SELECT window_start, window_end, count(*) AS n "
         "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;");
}

TEST(SqlFrontEnd, SinkColumnsMustMatchTheQuery) {
  auto s = sql::parse_sql(R"(SET pipeline.name = 'j';
CREATE TABLE s (ts timestamp, g bigint) WITH (connector = 'kafka', brokers = 'b', topic = 't',
  watermark_for = 'ts');
CREATE TABLE o (window_start timestamp, window_end timestamp, g text, n double precision)
  WITH (connector = 'postgres', url = 'u');
INSERT INTO o SELECT window_start, window_end, g, count(*) AS n
FROM TUMBLE(s, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, g;)",
                          "j.sql");
  ASSERT_FALSE(s);
  EXPECT_EQ(first_line(s.error_message()),
            "j.sql:4:71: type mismatch: o.n is declared double precision, and the query writes "
            "bigint");
}

TEST(SqlFrontEnd, SourceOptionsAndJobSettings) {
  const std::string job = R"(
SET pipeline.name = 'opts';
SET state.checkpoints.dir = 's3://weir/ck';
SET execution.checkpointing.interval = '30 seconds';
SET state.checkpoints.retain = 5;
CREATE TABLE ev (uid bigint, ts bigint) WITH (
  connector = 'kafka', brokers = 'b:1', topic = 'ev', watermark_for = 'ts', time_format = 'epoch_s',
  watermark_delay = DELAY, idle_timeout = '1 minute', partitioned_by = 'uid',
  dead_letter_topic = 'ev.bad', on_missing_offsets = 'earliest');
CREATE TABLE o () WITH (connector = 'postgres', url = 'postgresql://x/y');
INSERT INTO o SELECT window_start, window_end, uid, count(*) AS n
FROM TUMBLE(ev, ts, INTERVAL '1' HOUR) WHERE uid NOT IN (1, 2) AND uid <= 1000
GROUP BY window_start, window_end, uid;)";
  auto with_delay = [&](const std::string& delay) {
    auto text = job;
    text.replace(text.find("DELAY"), 5, delay);
    return sql::parse_sql(text, "o.sql");
  };
  auto s = with_delay("INTERVAL");
  ASSERT_FALSE(s); // INTERVAL is no value
  EXPECT_EQ(
    first_line(s.error_message()),
    "o.sql:8:3: watermark_delay: 'interval' is not an interval like '5 seconds' or '1 minute'");
  auto ok = with_delay("'1500ms'");
  ASSERT_TRUE(ok) << ok.error_message();
  EXPECT_EQ(ok->source.time_fmt, time_format::epoch_s);
  EXPECT_EQ(ok->source.out_of_orderness, 1500);
  EXPECT_EQ(ok->source.idle_timeout, 60'000);
  EXPECT_EQ(ok->source.partitioned_by, "uid");
  EXPECT_EQ(ok->dead_letter_topic, "ev.bad");
  EXPECT_EQ(ok->source.on_missing_offsets, missing_offsets::earliest);
  EXPECT_EQ(ok->filters, (std::vector<filter_spec>{{"uid", filter_op::not_in, {"1", "2"}, 0},
                                                   {"uid", filter_op::le, {}, 1000}}));
  EXPECT_EQ(ok->checkpoints, (checkpoint_spec{"s3://weir/ck", 30'000, 5}));
  EXPECT_EQ(ok->window.size, 3'600'000);
}

TEST(SqlFrontEnd, MoreRefusalsSayWhatIsSupported) {
  auto agg = [](const std::string& select, const std::string& rest = "") {
    return first_line(sql_error("INSERT INTO out SELECT window_start, window_end, " + select
                                + " FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) " + rest
                                + "GROUP BY window_start, window_end;"));
  };
  EXPECT_EQ(agg("count(user_id) AS n"),
            "job.sql:9:50: count(user_id) is not supported: count(*) counts the window's events, "
            "count(DISTINCT user_id) its distinct values");
  EXPECT_EQ(agg("count(*) AS n", "WHERE status = 'a' OR status = 'b' "),
            "job.sql:9:126: OR is not supported: conditions are joined by AND (for one column, "
            "use IN (...))");
  EXPECT_EQ(agg("count(*) AS n", "WHERE status > 3 "),
            "job.sql:9:120: type mismatch: > compares numbers; status is text");
  EXPECT_EQ(agg("count(*) AS n", "WHERE amount = 'x' "),
            "job.sql:9:122: type mismatch: amount is double precision, compared with the text 'x'");
  EXPECT_EQ(agg("status->>'x' AS n"),
            "job.sql:9:56: 'status' is text, not json: ->> applies to a json or jsonb column");
  EXPECT_EQ(first_line(sql_error("SET parallelism.max = 2;")),
            "job.sql:9:23: SET parallelism.max is not a setting (pipeline.name, "
            "execution.checkpointing.interval, state.checkpoints.dir, state.checkpoints.retain)");
  EXPECT_EQ(first_line(sql_error(R"(
INSERT INTO out SELECT * FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY n DESC) AS rownum
  FROM (SELECT window_start, window_end, status, count(*) AS n
        FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end, status) a
) t WHERE rownum <= 3;)")),
            "job.sql:11:13: name the row number rank (ROW_NUMBER() OVER (...) AS rank): weir's "
            "results tables call that column rank");
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT bet_id FROM bets LIMIT 5;")),
            "job.sql:9:47: LIMIT is not supported in a streaming job");
  // Without a PRIMARY KEY an event's Kafka position is its identity; two
  // columns are no event key.
  auto keyless = sql_ok("INSERT INTO out SELECT bet_id, amount FROM bets;");
  EXPECT_EQ(keyless.sink.type, "postgres_raw");
  EXPECT_EQ(keyless.sink.key, "");
  EXPECT_TRUE(*parse_spec(to_yaml(keyless)) == keyless) << to_yaml(keyless);
  auto two = sql::parse_sql(R"(
SET pipeline.name = 'raw';
CREATE TABLE ev (id text NOT NULL, n bigint) WITH (connector = 'kafka', brokers = 'b:1', topic = 'ev');
CREATE TABLE kept (id text, n bigint, PRIMARY KEY (id, n)) WITH (connector = 'postgres', url = 'postgresql://x/y');
INSERT INTO kept SELECT id, n FROM ev;
)",
                            "raw.sql");
  ASSERT_FALSE(two);
  EXPECT_EQ(first_line(two.error_message()),
            "raw.sql:4:14: kept takes one PRIMARY KEY column that identifies an event, or none "
            "(the event's Kafka position is then its identity)");
}

namespace {

// A source of money: amount is exact, qty a whole decimal.
const std::string payments = R"(SET pipeline.name = 'pay';
CREATE TABLE pay (id text NOT NULL, amount numeric(12, 2), qty decimal(5), ts timestamp)
  WITH (connector = 'kafka', brokers = 'b:1', topic = 'pay', watermark_for = 'ts');
)";

auto pay_sql(const std::string& rest) {
  return sql::parse_sql(payments + rest, "pay.sql");
}

} // namespace

TEST(SqlFrontEnd, NumericColumnsAreExactDecimals) {
  auto s = pay_sql(R"(CREATE TABLE out () WITH (connector = 'postgres', url = 'postgresql://x/y');
INSERT INTO out SELECT window_start, window_end, sum(amount) AS total, min(amount) AS lo,
  max(amount) AS hi, avg(amount) AS mean, sum(qty) AS items, count(DISTINCT amount) AS amounts,
  sum(amount::double precision) AS approx
FROM TUMBLE(pay, ts, INTERVAL '1' MINUTE) WHERE amount > 1.5 AND qty = 3
GROUP BY window_start, window_end;)");
  ASSERT_TRUE(s) << s.error_message();
  ASSERT_EQ(s->aggregations.size(), 7u);
  const decimal_type money{12, 2};
  EXPECT_EQ(s->aggregations[0], (aggregate_spec{agg_kind::sum, "amount", "total", money}));
  EXPECT_EQ(s->aggregations[1], (aggregate_spec{agg_kind::min, "amount", "lo", money}));
  EXPECT_EQ(s->aggregations[2], (aggregate_spec{agg_kind::max, "amount", "hi", money}));
  EXPECT_EQ(s->aggregations[3], (aggregate_spec{agg_kind::avg, "amount", "mean", money}));
  // numeric(p) has scale 0; count(DISTINCT) and a cast to double read no decimal.
  EXPECT_EQ(s->aggregations[4], (aggregate_spec{agg_kind::sum, "qty", "items", {5, 0}}));
  EXPECT_EQ(s->aggregations[5],
            (aggregate_spec{agg_kind::count_distinct, "amount", "amounts", {}}));
  EXPECT_EQ(s->aggregations[6], (aggregate_spec{agg_kind::sum, "amount", "approx", {}}));
  // A decimal compares as a number.
  EXPECT_EQ(s->filters, (std::vector<filter_spec>{{"amount", filter_op::gt, {}, 1.5},
                                                  {"qty", filter_op::eq, {"3"}, 0}}));
  auto again = parse_spec(to_yaml(*s), "again");
  ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*s);
  EXPECT_TRUE(*again == *s) << to_yaml(*s);
}

TEST(SqlFrontEnd, DecimalCastsInAggregates) {
  auto s = sql_ok("INSERT INTO out SELECT window_start, window_end, "
                  "sum(amount::numeric(12,2)) AS total, max(CAST(status AS decimal(8, 3))) AS hi "
                  "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;");
  ASSERT_EQ(s.aggregations.size(), 2u);
  EXPECT_EQ(s.aggregations[0], (aggregate_spec{agg_kind::sum, "amount", "total", {12, 2}}));
  EXPECT_EQ(s.aggregations[1], (aggregate_spec{agg_kind::max, "status", "hi", {8, 3}}));
  EXPECT_EQ(first_line(sql_error("INSERT INTO out SELECT window_start, window_end, "
                                 "sum(amount::numeric(40,2)) AS total FROM TUMBLE(bets, ts, "
                                 "INTERVAL '1' MINUTE) GROUP BY window_start, window_end;")),
            "job.sql:9:62: numeric(40,2): a decimal's precision is 1 to 18 digits (a value is "
            "held in 64 bits, a sum in 128)");
}

TEST(SqlFrontEnd, DecimalResultsColumnsAndRawColumns) {
  // A store's column may be wider than a source's: a sum is numeric(38, s).
  const std::string results = R"(
CREATE TABLE o (window_start timestamp, window_end timestamp, total numeric(38, 2),
                lo numeric(12, 2), mean numeric(38, 6), n bigint)
  WITH (connector = 'postgres', url = 'u');
INSERT INTO o SELECT window_start, window_end, sum(amount) AS total, min(amount) AS lo,
  avg(amount) AS mean, count(*) AS n
FROM TUMBLE(pay, ts, INTERVAL '1' MINUTE) GROUP BY window_start, window_end;)";
  auto ok = pay_sql(results);
  EXPECT_TRUE(ok) << ok.error_message();
  auto narrow = results;
  narrow.replace(narrow.find("numeric(38, 2)"), 14, "numeric(12, 2)");
  auto bad = pay_sql(narrow);
  ASSERT_FALSE(bad);
  EXPECT_EQ(first_line(bad.error_message()),
            "pay.sql:5:63: type mismatch: o.total is declared numeric(12,2), and the query writes "
            "numeric(38,2)");
  // A raw job keeps a decimal as a double.
  auto raw = pay_sql("CREATE TABLE kept (id text PRIMARY KEY, amount double precision) "
                     "WITH (connector = 'postgres', url = 'u');\n"
                     "INSERT INTO kept SELECT id, amount FROM pay;");
  ASSERT_TRUE(raw) << raw.error_message();
  EXPECT_EQ(raw->columns,
            (std::vector<column_spec>{{"id", "id", column_type::string, false},
                                      {"amount", "amount", column_type::float64, true}}));
  // So does an export: a PostgreSQL table's numeric is PostgreSQL's, any precision.
  auto exported = sql::parse_sql(R"(SET pipeline.name = 'x';
CREATE TABLE t (id text PRIMARY KEY, amount numeric(40, 2))
  WITH (connector = 'postgres', url = 'postgresql://x/y');
CREATE TABLE lake () WITH (connector = 'parquet', url = 's3://b/p', every = '5 minutes');
INSERT INTO lake SELECT id, amount FROM t;)",
                                 "x.sql");
  ASSERT_TRUE(exported) << exported.error_message();
  ASSERT_TRUE(exported->export_job);
  EXPECT_EQ(exported->export_job->columns[1].type, column_type::float64);
}

TEST(SqlFrontEnd, DecimalTypesSayWhatIsWrongAndWhere) {
  auto declared = [](const std::string& type) {
    auto s = sql::parse_sql("SET pipeline.name = 'j';\n"
                            "CREATE TABLE s (ts timestamp, amount "
                              + type
                              + ")\n"
                                "  WITH (connector = 'kafka', brokers = 'b', topic = 't');",
                            "j.sql");
    EXPECT_FALSE(s);
    return s ? std::string{} : first_line(s.error_message());
  };
  EXPECT_EQ(declared("numeric(19, 2)"),
            "j.sql:2:38: numeric(19,2): a decimal's precision is 1 to 18 digits (a value is held "
            "in 64 bits, a sum in 128)");
  EXPECT_EQ(declared("decimal(5, 7)"),
            "j.sql:2:38: numeric(5,7): a decimal's scale is 0 to its precision (5)");
  EXPECT_EQ(declared("numeric"),
            "j.sql:2:38: numeric needs a precision and scale, as in numeric(12, 2) (weir sums it "
            "exactly), or use double precision");
  EXPECT_EQ(declared("decimal"),
            "j.sql:2:38: numeric needs a precision and scale, as in numeric(12, 2) (weir sums it "
            "exactly), or use double precision");
  EXPECT_EQ(declared("numeric(0)"),
            "j.sql:2:38: numeric(0): a decimal's precision is 1 to 18 digits (a value is held in "
            "64 bits, a sum in 128)");
  // A store's column is PostgreSQL's numeric, up to its 1000 digits.
  auto wide = pay_sql("CREATE TABLE o (total numeric(1001, 2)) WITH (connector = 'postgres', "
                      "url = 'u');");
  ASSERT_FALSE(wide);
  EXPECT_EQ(first_line(wide.error_message()),
            "pay.sql:4:23: numeric(1001,2): a numeric's precision is 1 to 1000 digits");
}

// The bounds of checkpoints.retain and sink.max_file_mb are validate()'s, in
// the YAML front end's words (SpecParser.RetainAndFileSizeBounds), at the SET
// or the option that set them.
TEST(SqlFrontEnd, RetainAndFileSizeBounds) {
  const std::string query = "INSERT INTO out SELECT window_start, window_end, count(*) AS n "
                            "FROM TUMBLE(bets, ts, INTERVAL '1' MINUTE) "
                            "GROUP BY window_start, window_end;";
  auto retain = [&](const std::string& n) {
    return sql::parse_sql("SET state.checkpoints.dir = 's3://weir/ck';\n"
                          "SET state.checkpoints.retain = "
                            + n + ";" + source + query,
                          "job.sql");
  };
  for (const char* n : {"1", "1001"}) {
    auto s = retain(n);
    ASSERT_FALSE(s) << n;
    EXPECT_EQ(first_line(s.error_message()),
              std::string{"job.sql:2:32: checkpoints.retain: expected a whole number from 2 to "
                          "1000, got '"}
                + n + "'");
  }
  auto word = retain("'many'");
  ASSERT_FALSE(word);
  EXPECT_EQ(first_line(word.error_message()),
            "job.sql:2:32: state.checkpoints.retain: expected a whole number from 2 to 1000, "
            "got 'many'");
  ASSERT_TRUE(retain("1000")) << retain("1000").error_message();
  EXPECT_EQ(retain("1000")->checkpoints.retain, 1000u);

  auto lake = [](const std::string& mb) {
    return sql::parse_sql("SET pipeline.name = 'lake';\n"
                          "SET state.checkpoints.dir = 's3://weir/ck';\n"
                          "CREATE TABLE ev (id text) WITH (connector = 'kafka', brokers = 'b:1', "
                          "topic = 'ev');\n"
                          "CREATE TABLE lake () WITH (connector = 'iceberg', url = 's3://b/p', "
                          "max_file_mb = "
                            + mb
                            + ", catalog = 'postgresql://h/c', \"table\" = 'ns.t');\n"
                              "INSERT INTO lake SELECT id FROM ev;",
                          "lake.sql");
  };
  ASSERT_TRUE(lake("4096")) << lake("4096").error_message();
  EXPECT_EQ(lake("4096")->sink.max_file_mb, 4096u);
  for (const char* mb : {"0", "4097"}) {
    auto s = lake(mb);
    ASSERT_FALSE(s) << mb;
    EXPECT_EQ(first_line(s.error_message()),
              std::string{"lake.sql:4:69: sink.max_file_mb: expected a whole number from 1 to "
                          "4096, got '"}
                + mb + "'");
  }
  auto text = lake("'big'");
  ASSERT_FALSE(text);
  EXPECT_EQ(first_line(text.error_message()),
            "lake.sql:4:69: max_file_mb: expected a whole number from 1 to 4096, got 'big'");
}

// An export job is its name and the export: checkpoints set for it are
// refused, not dropped.
TEST(SqlFrontEnd, ExportsTakeNoCheckpoints) {
  auto s = sql::parse_sql(R"(SET pipeline.name = 'x';
SET state.checkpoints.dir = 's3://b/ck';
CREATE TABLE t (id text PRIMARY KEY) WITH (connector = 'postgres', url = 'postgresql://x/y');
CREATE TABLE lake () WITH (connector = 'parquet', url = 's3://b/p', every = '5 minutes');
INSERT INTO lake SELECT id FROM t;)",
                          "x.sql");
  ASSERT_FALSE(s);
  EXPECT_EQ(first_line(s.error_message()),
            "x.sql:2:29: checkpoints: an export job takes no checkpoints: each run marks the "
            "rows it exported");
}

namespace {

const std::string lake_sql = R"(SET pipeline.name = 'lake';
SET state.checkpoints.dir = 's3://weir/ck';
CREATE TABLE ev (event_id text, user_id bigint, action_type text, event_time timestamp,
                 amount double precision)
  WITH (connector = 'kafka', brokers = 'b:1', topic = 'ev');
CREATE TABLE lake (
  event_date text GENERATED ALWAYS AS (date(event_time)) STORED,
  event_hour text GENERATED ALWAYS AS (hour(event_time, 2)) STORED,
  user_bucket bigint GENERATED ALWAYS AS (user_id % 128) STORED
) PARTITION BY LIST (event_date, event_hour, bucket(16, user_id), truncate(4, action_type),
                     day(event_time))
  WITH (connector = 'iceberg', url = 's3://weir/lake/ev', catalog = 'postgresql://h/c',
        "table" = 'weir.ev', sort_by = 'user_bucket, user_id', commit_every = '2',
        snapshots_kept = '5');
INSERT INTO lake SELECT * FROM ev;)";

std::string lake_with(const std::string& from, const std::string& to) {
  std::string s = lake_sql;
  auto pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return s.replace(pos, from.size(), to);
}

// "lake.sql:line:column" of the first `needle` in `text`.
std::string at(const std::string& text, const std::string& needle) {
  auto pos = text.find(needle);
  EXPECT_NE(pos, std::string::npos) << needle;
  auto line_start = text.rfind('\n', pos);
  line_start = line_start == std::string::npos ? 0 : line_start + 1;
  auto line = 1 + std::count(text.begin(), text.begin() + pos, '\n');
  return "lake.sql:" + std::to_string(line) + ":" + std::to_string(pos - line_start + 1);
}

std::string lake_error(const std::string& text) {
  auto s = sql::parse_sql(text, "lake.sql");
  EXPECT_FALSE(s) << text;
  return s ? std::string{} : first_line(s.error_message());
}

} // namespace

TEST(SqlFrontEnd, IcebergSink) {
  auto s = sql::parse_sql(lake_sql, "lake.sql");
  ASSERT_TRUE(s) << s.error_message();
  const auto& k = s->sink;
  EXPECT_EQ(k.type, "iceberg");
  EXPECT_EQ(k.url, "s3://weir/lake/ev");
  EXPECT_EQ(k.catalog, "postgresql://h/c");
  EXPECT_EQ(k.table, "weir.ev");
  EXPECT_EQ(k.derive, (std::vector<derived_column_spec>{
                        {"event_date", "event_time", derived_column_spec::date, 1},
                        {"event_hour", "event_time", derived_column_spec::hour, 2},
                        {"user_bucket", "user_id", derived_column_spec::modulo, 128}}));
  EXPECT_EQ(k.partitioned_by,
            (std::vector<std::string>{"event_date", "event_hour", "bucket[16](user_id)",
                                      "truncate[4](action_type)", "day(event_time)"}));
  EXPECT_EQ(k.sort_by, (std::vector<std::string>{"user_bucket", "user_id"}));
  EXPECT_EQ(k.commit_every, 2u);
  EXPECT_EQ(k.snapshots_kept, 5u);
  EXPECT_EQ(k.max_file_mb, 128u);
  EXPECT_FALSE(k.commit_mb);
  auto with =
    sql::parse_sql(lake_with("commit_every = '2'",
                             "commit_every = '20', commit_mb = '64', orphan_age = '2 hours'"),
                   "lake.sql");
  ASSERT_TRUE(with) << with.error_message();
  EXPECT_EQ(with->sink.commit_mb, 64u);
  EXPECT_EQ(with->sink.orphan_age, 7'200'000);
  auto again = parse_spec(to_yaml(*s), "again");
  ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*s);
  EXPECT_TRUE(*again == *s) << to_yaml(*s);
}

TEST(SqlFrontEnd, IcebergSinkErrorsAtTheSpot) {
  auto text = lake_with("sort_by =", "sortby =");
  EXPECT_EQ(lake_error(text), at(text, "sortby")
                                + ": option 'sortby' is not one of iceberg's (connector, url, "
                                  "catalog, table, sort_by, codec, max_file_mb, commit_every, "
                                  "commit_mb, snapshots_kept, orphan_age) (did you mean "
                                  "'sort_by'?)");
  text = lake_with("catalog = 'postgresql://h/c',", "");
  EXPECT_EQ(lake_error(text),
            at(text, "lake (") + ": lake needs WITH (catalog = 'postgresql://...')");
  text = lake_with("catalog = 'postgresql://h/c'", "catalog = 'mysql://h/c'");
  EXPECT_EQ(lake_error(text),
            at(text, "catalog =") + ": sink.catalog: expected postgresql://..., got 'mysql://h/c'");
  text = lake_with("'weir.ev'", "'ev'");
  EXPECT_EQ(lake_error(text).substr(0, at(text, "\"table\"").size() + 51),
            at(text, "\"table\"") + ": sink.table: expected namespace.name (two names: l");
  text = lake_with("commit_every = '2'", "commit_every = '0'");
  EXPECT_EQ(lake_error(text), at(text, "commit_every")
                                + ": sink.commit_every: expected a whole number from 1 to 1000, "
                                  "got '0'");
  text = lake_with("commit_every = '2'", "commit_every = '2', commit_mb = '0'");
  EXPECT_EQ(lake_error(text), at(text, "commit_mb")
                                + ": sink.commit_mb: expected a whole number from 1 to 1048576, "
                                  "got '0'");
  text = lake_with("commit_every = '2'", "commit_every = '1', commit_mb = '64'");
  EXPECT_EQ(lake_error(text), at(text, "commit_mb")
                                + ": sink.commit_mb: needs sink.commit_every of 2 or more: the "
                                  "most checkpoint rounds a snapshot waits for the bytes (with "
                                  "1, every round commits anyway)");
  text = lake_with("commit_every = '2'", "commit_every = '2', orphan_age = '1 second'");
  EXPECT_EQ(lake_error(text).substr(0, at(text, "orphan_age").size() + 36),
            at(text, "orphan_age") + ": sink.orphan_age: must be at least ");
  text = lake_with("snapshots_kept = '5'", "snapshots_kept = 'all'");
  EXPECT_EQ(lake_error(text), at(text, "snapshots_kept")
                                + ": snapshots_kept: expected a whole number from 1, got 'all'");
  text = lake_with("'user_bucket, user_id'", "'user_bucket, nope'");
  EXPECT_EQ(lake_error(text),
            at(text, "sort_by")
              + ": sink.sort_by[1]: 'nope' is not one of the columns or derived columns");
  // Generated columns are the derived ones.
  text = lake_with("hour(event_time, 2)", "hour(event_time, 5)");
  EXPECT_EQ(lake_error(text), at(text, "event_hour")
                                + ": sink.derive[1].every: must divide 24 (1, 2, 3, 4, 6, 8, 12 "
                                  "or 24)");
  text = lake_with("hour(event_time, 2)", "hour(event_time, 25)");
  EXPECT_EQ(lake_error(text), at(text, "25") + ": expected a whole number from 1 to 24");
  text = lake_with("event_hour text", "event_hour int");
  EXPECT_EQ(lake_error(text), at(text, "event_hour")
                                + ": event_hour is declared bigint, and date() and hour() "
                                  "give text");
  text = lake_with("(user_id % 128)", "(upper(action_type))");
  EXPECT_EQ(lake_error(text), at(text, "upper")
                                + ": a generated column is date(col), hour(col), hour(col, "
                                  "every_n_hours) or col % n");
  text = lake_with("(user_id % 128)", "(action_type % 128)");
  EXPECT_EQ(lake_error(text), at(text, "user_bucket")
                                + ": sink.derive[2].modulo: needs an int64 column ('action_type' "
                                  "is not)");
  // PARTITION BY LIST: columns and Iceberg's transforms as calls.
  text = lake_with("truncate(4, action_type)", "truncate(4, amount)");
  EXPECT_EQ(lake_error(text).substr(0, at(text, "truncate").size() + 60),
            at(text, "truncate") + ": sink.partitioned_by[3]: truncate[4] does not take 'amount'");
  text = lake_with("bucket(16, user_id)", "bucket('x', user_id)");
  EXPECT_EQ(lake_error(text), at(text, "'x'") + ": expected a whole number from 1 to 999999999");
  text = lake_with("bucket(16, user_id)", "bucket(16, user_id + 1)");
  EXPECT_EQ(lake_error(text), at(text, "+ 1") + ": bucket takes one column of the table");
  text = lake_with("day(event_time))", "lower(action_type))");
  EXPECT_EQ(lake_error(text), at(text, "lower")
                                + ": a partition field is a column, year(col), month(col), "
                                  "day(col), hour(col), bucket(n, col) or truncate(width, col)");
  text = lake_with("day(event_time))", "ts)");
  EXPECT_EQ(lake_error(text), at(text, "ts)")
                                + ": sink.partitioned_by[4]: 'ts' is not one of "
                                  "the columns or derived columns");
  text = lake_with("day(event_time))", "event_date)");
  EXPECT_EQ(lake_error(text),
            at(text, "event_date)") + ": sink.partitioned_by[4]: 'event_date' is listed twice");
}

namespace {

std::string export_into(const std::string& with) {
  return R"(SET pipeline.name = 'x';
CREATE TABLE t (id text PRIMARY KEY, user_id bigint, at timestamp)
  WITH (connector = 'postgres', url = 'postgresql://x/y');
CREATE TABLE lake (
  day text GENERATED ALWAYS AS (date(at)) STORED
) PARTITION BY LIST (day)
  WITH (connector = 'iceberg', url = 's3://b/lake', catalog = 'postgresql://x/y',
        "table" = 'ns.t', )"
         + with + R"();
INSERT INTO lake SELECT id, user_id, at FROM t;)";
}

} // namespace

// An export into an Iceberg table: the iceberg connector's options, with
// `every`; the model YAML's export with a sink gives.
TEST(SqlFrontEnd, ExportIntoIceberg) {
  auto s = sql::parse_sql(export_into("sort_by = 'user_id', every = '5 minutes'"), "x.sql");
  ASSERT_TRUE(s) << s.error_message();
  ASSERT_TRUE(s->export_job);
  EXPECT_TRUE(exports_to_lake(*s));
  EXPECT_EQ(s->export_job->every, 300'000);
  EXPECT_EQ(s->sink.type, "iceberg");
  EXPECT_EQ(s->sink.table, "ns.t");
  EXPECT_EQ(s->sink.partitioned_by, std::vector<std::string>{"day"});
  EXPECT_EQ(s->sink.sort_by, std::vector<std::string>{"user_id"});
  ASSERT_EQ(s->sink.derive.size(), 1u);
  auto yaml = parse_spec(to_yaml(*s), "again");
  ASSERT_TRUE(yaml) << yaml.error_message() << "\n" << to_yaml(*s);
  EXPECT_TRUE(*yaml == *s) << to_yaml(*s);

  auto every = sql::parse_sql(export_into("commit_every = '2', every = '5 minutes'"), "x.sql");
  ASSERT_FALSE(every);
  EXPECT_EQ(first_line(every.error_message()),
            "x.sql:8:27: option 'commit_every' is not one of iceberg's (connector, url, catalog, "
            "table, sort_by, codec, max_file_mb, snapshots_kept, every)");
  auto none = sql::parse_sql(export_into("sort_by = 'user_id'"), "x.sql");
  ASSERT_FALSE(none);
  EXPECT_EQ(first_line(none.error_message()),
            "x.sql:4:14: a postgres table is read by a scheduled export: declare lake WITH "
            "(connector = 'parquet', url = 's3://bucket/prefix', every = '5 minutes'), or an "
            "iceberg table WITH (connector = 'iceberg', url, catalog, table, every)");
  auto bad = sql::parse_sql(export_into("sort_by = 'nope', every = '5 minutes'"), "x.sql");
  ASSERT_FALSE(bad);
  EXPECT_EQ(first_line(bad.error_message()),
            "x.sql:8:27: sink.sort_by[0]: 'nope' is not one of the columns or derived columns");
}

TEST(SqlFrontEnd, BlackholeSinkTakesEitherQuery) {
  const std::string hole = R"(
CREATE TABLE hole () WITH (connector = 'blackhole');
)";
  auto windowed = sql_ok(hole + R"(INSERT INTO hole
SELECT window_start, game_id, count(*) AS bets
FROM TUMBLE(bets, ts, INTERVAL '1 minute') GROUP BY window_start, window_end, game_id;
)");
  EXPECT_EQ(windowed.sink.type, "blackhole");
  EXPECT_TRUE(windowed.sink.url.empty());
  auto raw = sql_ok(hole + "INSERT INTO hole SELECT bet_id, amount FROM bets WHERE amount > 10;\n");
  EXPECT_EQ(raw.sink.type, "blackhole");
  EXPECT_EQ(raw.columns.size(), 2u);
  const auto with_url = source + R"(
CREATE TABLE hole () WITH (connector = 'blackhole', url = 'postgresql://x/y');
INSERT INTO hole SELECT bet_id FROM bets;
)";
  auto refused = sql::parse_sql(with_url, "job.sql");
  ASSERT_FALSE(refused);
  EXPECT_EQ(first_line(refused.error_message()),
            "job.sql:10:53: option 'url' is not one of blackhole's (connector)")
    << refused.error_message();
}

// A generated column of a source table is another name for a field of the
// event (Nexmark's time is bid.dateTime): it can carry the watermark, be
// selected, grouped and filtered by; an expression that names no field is
// refused where it is written, not read as a field of its own name.
TEST(SqlFrontEnd, GeneratedSourceColumnsNameAField) {
  const std::string nexmark = R"(
SET pipeline.name = 'nx';
CREATE TABLE nexmark (
  event_type bigint, bid jsonb,
  date_time timestamp GENERATED ALWAYS AS ((bid->>'dateTime')::timestamp) STORED,
  auction bigint GENERATED ALWAYS AS ((bid->>'auction')::bigint) STORED
) WITH (connector = 'kafka', brokers = 'b:1', topic = 'nexmark', watermark_for = 'date_time');
CREATE TABLE out () WITH (connector = 'blackhole');
)";
  auto windowed = sql::parse_sql(nexmark + R"(INSERT INTO out
SELECT window_start, auction, count(*) AS bids
FROM TUMBLE(nexmark, date_time, INTERVAL '10 seconds') WHERE event_type = 2
GROUP BY window_start, window_end, auction;
)",
                                 "nx.sql");
  ASSERT_TRUE(windowed) << windowed.error_message();
  EXPECT_EQ(windowed->source.time_field, "bid.dateTime");
  ASSERT_EQ(windowed->key.size(), 1u);
  EXPECT_EQ(windowed->key[0].field, "bid.auction");
  EXPECT_EQ(windowed->key[0].name, "auction");
  auto raw = sql::parse_sql(nexmark
                              + "INSERT INTO out SELECT auction, date_time FROM nexmark "
                                "WHERE auction > 1000;\n",
                            "nx.sql");
  ASSERT_TRUE(raw) << raw.error_message();
  EXPECT_EQ(raw->columns,
            (std::vector<column_spec>{{"auction", "bid.auction", column_type::int64, true},
                                      {"date_time", "bid.dateTime", column_type::timestamp,
                                       true}}));
  ASSERT_EQ(raw->filters.size(), 1u);
  EXPECT_EQ(raw->filters[0].field, "bid.auction");

  auto computed = sql::parse_sql(R"(
SET pipeline.name = 'nx';
CREATE TABLE nexmark (bid jsonb, cents bigint GENERATED ALWAYS AS ((bid->>'price')::bigint * 100) STORED)
  WITH (connector = 'kafka', brokers = 'b:1', topic = 'nexmark');
CREATE TABLE out () WITH (connector = 'blackhole');
INSERT INTO out SELECT cents FROM nexmark;
)",
                                 "nx.sql");
  ASSERT_FALSE(computed);
  EXPECT_EQ(first_line(computed.error_message()),
            "nx.sql:3:92: a generated column of a source table names a field of the event: "
            "GENERATED ALWAYS AS (json_column->>'field'), a.b.c, or a cast of one (computed "
            "expressions are not supported yet)");
  auto chained = sql::parse_sql(R"(
SET pipeline.name = 'nx';
CREATE TABLE nexmark (bid jsonb, a text GENERATED ALWAYS AS (bid->>'a') STORED,
                      b text GENERATED ALWAYS AS (a) STORED)
  WITH (connector = 'kafka', brokers = 'b:1', topic = 'nexmark');
CREATE TABLE out () WITH (connector = 'blackhole');
INSERT INTO out SELECT b FROM nexmark;
)",
                                "nx.sql");
  ASSERT_FALSE(chained);
  EXPECT_NE(chained.error_message().find("a generated column reads a declared column, not "
                                         "another generated one ('a')"),
            std::string::npos)
    << chained.error_message();
}

// PostgreSQL folds unquoted names to lower case, and option text keeps its
// case: where the two disagree the error says so, at the spot, with the fix.
TEST(SqlFrontEnd, IdentifierCaseIsExplainedAtTheSpot) {
  auto job = [](const std::string& column, const std::string& watermark) {
    return "SET pipeline.name = 'nx';\nCREATE TABLE nexmark (auction bigint, " + column
           + " timestamp)\n  WITH (connector = 'kafka', brokers = 'b:1', topic = 'nx', "
             "watermark_for = '"
           + watermark
           + "');\nCREATE TABLE out () WITH (connector = 'blackhole');\n"
             "INSERT INTO out SELECT window_start, auction, count(*) AS bids\n"
             "FROM TUMBLE(nexmark, dateTime, INTERVAL '10' SECOND)\n"
             "GROUP BY window_start, window_end, auction;\n";
  };
  auto quoted = sql::parse_sql(job("\"dateTime\"", "dateTime"), "nx.sql");
  ASSERT_FALSE(quoted);
  EXPECT_EQ(first_line(quoted.error_message()),
            "nx.sql:6:22: column 'datetime' is not declared in nexmark (auction, dateTime): "
            "PostgreSQL folds unquoted names to lower case, and nexmark declares \"dateTime\" "
            "quoted; write \"dateTime\" with its double quotes, or declare it unquoted");
  auto unquoted = sql::parse_sql(job("dateTime", "dateTime"), "nx.sql");
  ASSERT_FALSE(unquoted);
  EXPECT_EQ(first_line(unquoted.error_message()),
            "nx.sql:3:61: watermark_for: 'dateTime' is not a column of nexmark (auction, "
            "datetime): nexmark declares 'datetime' (unquoted names fold to lower case); a name "
            "in double quotes (\"dateTime\") or in an option's text keeps its case: write "
            "datetime");
  EXPECT_TRUE(sql::parse_sql(job("dateTime", "datetime"), "nx.sql"));
}
