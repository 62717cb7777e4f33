// Flink SQL's spelling (jobs/sql/flink.hpp): rewritten in place, so every
// offset still points into the text as written, and a job written that way
// becomes the model its weir-spelled twin does.
#include "jobs/sql/flink.hpp"
#include "jobs/sql/front_end.hpp"
#include "jobs/sql/translator.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace weir::jobs;
using namespace weir::jobs::sql;

namespace {

std::string read_file(const char* path) {
  std::ifstream in{path};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

std::string refusal(const std::string& text) {
  try {
    respell_flink(text);
  } catch (const failure& f) {
    return std::to_string(f.offset) + ": " + f.message;
  }
  return "accepted";
}

} // namespace

TEST(FlinkSpelling, RewritesInPlace) {
  const std::string text = "CREATE TABLE `Bids` (`dateTime` TIMESTAMP(3), v DOUBLE, d DOUBLE "
                           "PRECISION, r ROW<a INT, b ROW<c STRING>>, m MAP<STRING, INT>, "
                           "t TIMESTAMP(3) WITH LOCAL TIME ZONE, PRIMARY KEY (v) NOT ENFORCED, "
                           "WATERMARK FOR `dateTime` AS `dateTime` - INTERVAL '4' SECOND) "
                           "WITH ('connector' = 'kafka', 'topic' = 'x');";
  const auto out = respell_flink(text);
  ASSERT_EQ(out.text.size(), text.size());
  // Each rewrite in its place; what has no counterpart in the grammar is
  // blanked (NOT ENFORCED, and the WATERMARK clause with its comma).
  EXPECT_EQ(out.text, "CREATE TABLE \"Bids\" (\"dateTime\" TIMESTAMP(3), v float8, d DOUBLE "
                      "PRECISION, r jsonb"
                        + std::string(22, ' ') + ", m jsonb" + std::string(11, ' ')
                        + ", t TIMESTAMP(3) WITH       TIME ZONE, PRIMARY KEY (v)"
                        + std::string(1 + 12 + 62, ' ')
                        + ") WITH ( connector  = 'kafka',  topic  = 'x');");
  ASSERT_EQ(out.watermarks.size(), 1u);
  EXPECT_EQ(out.watermarks[0].table, "Bids");
  EXPECT_EQ(out.watermarks[0].column, "dateTime");
  EXPECT_EQ(out.watermarks[0].delay, "4 second");
  EXPECT_EQ(out.watermarks[0].at, static_cast<int>(text.find("WATERMARK")));
}

TEST(FlinkSpelling, WindowTableFunctionsAndWhatItLeavesAlone) {
  const std::string q = "SELECT * FROM TABLE(TUMBLE(TABLE bids, DESCRIPTOR(ts), INTERVAL '10' "
                        "SECOND)) GROUP BY window_start";
  EXPECT_EQ(respell_flink(q).text, "SELECT * FROM       TUMBLE(      bids, DESCRIPTOR(ts), "
                                   "INTERVAL '10' SECOND)  GROUP BY window_start");
  // Strings, comments and PostgreSQL's own spelling stay as written.
  for (const std::string same :
       {"SELECT 'a`b', \"c`d\" -- `e`\n/* 'f' = 'g' */ FROM t WHERE x = 'ROW<a>'",
        "CREATE TABLE t (a double precision, b jsonb) WITH (connector = 'kafka')",
        "INSERT INTO o SELECT a FROM t WHERE a IN ('x', 'y')"})
    EXPECT_EQ(respell_flink(same).text, same);
}

TEST(FlinkSpelling, RefusalsSayWhatToWriteInstead) {
  EXPECT_EQ(refusal("CREATE TABLE t (a INT) WITH ('properties.bootstrap.servers' = 'h:1')"),
            "29: 'properties.bootstrap.servers' is an option of Flink's connectors; weir's Kafka "
            "source takes brokers = 'host:port'");
  EXPECT_EQ(refusal("CREATE TABLE t (a INT) WITH ('scan.startup.mode' = 'earliest-offset')"),
            "29: 'scan.startup.mode' is an option of Flink's connectors; a new weir job reads "
            "from the earliest offset and resumes from its checkpoints: drop it");
  EXPECT_EQ(first_line(refusal("CREATE TABLE t (bid ROW<x INT>, ts AS bid.dateTime)")),
            "32: a computed column (ts AS ...) is not supported yet; to read a nested field, "
            "declare it generated: ts timestamp GENERATED ALWAYS AS "
            "((bid->>'dateTime')::timestamp) STORED (docs/sql.md)");
  EXPECT_EQ(refusal("CREATE TABLE t (a INT, p AS PROCTIME())"),
            "23: p AS PROCTIME(): weir windows by processing time with PROCTIME() in the window "
            "call (TUMBLE(t, PROCTIME(), ...)); drop the column");
  EXPECT_EQ(refusal("CREATE TABLE t (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - 4)"),
            "58: write WATERMARK FOR column AS column - INTERVAL 'n' UNIT (or AS column): weir's "
            "watermark trails the newest event time by a fixed delay");
  EXPECT_EQ(refusal("CREATE TABLE t (a ROW<b INT)"), "18: this ROW<...> has no closing >");
}

TEST(FlinkSpelling, AJobAsFlinkWritesItIsTheModelOfItsWeirTwin) {
  // The job the fuzzer starts from too (tests/fuzz/corpus/spec_sql/).
  const std::string flink = read_file(WEIR_FLINK_JOB);
  const std::string weir = R"(SET pipeline.name = 'nx';
CREATE TABLE bids (auction bigint, price bigint, "dateTime" timestamp, extra text)
  WITH (connector = 'kafka', brokers = 'b:1', topic = 'bids', format = 'json',
        watermark_for = 'dateTime', watermark_delay = '4 seconds');
CREATE TABLE out () WITH (connector = 'blackhole');
INSERT INTO out
SELECT window_start, auction, count(*) AS bids, max(price) AS top
FROM TUMBLE(bids, "dateTime", INTERVAL '10 seconds') GROUP BY window_start, window_end, auction;
)";
  auto a = parse_sql(flink, "flink.sql");
  ASSERT_TRUE(a) << a.error_message();
  auto b = parse_sql(weir, "weir.sql");
  ASSERT_TRUE(b) << b.error_message();
  EXPECT_TRUE(*a == *b) << to_yaml(*a) << "\n---\n" << to_yaml(*b);
  // Errors point into the text as written, and a watermark said twice is refused.
  auto twice = parse_sql(std::string{flink}.replace(flink.find("'format'"), 8,
                                                    "'watermark_for' = 'x', 'format'"),
                         "flink.sql");
  ASSERT_FALSE(twice);
  EXPECT_EQ(first_line(twice.error_message()),
            "flink.sql:7:3: bids has a WATERMARK clause and watermark_for: keep one");
  auto unknown =
    parse_sql(std::string{flink}.replace(flink.find("max(price)"), 10, "max(cost)"), "flink.sql");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(first_line(unknown.error_message()).substr(0, 15), "flink.sql:11:53");
}

// A ROW's fields keep their declared types and names: bid.price is a
// number, bid.dateTime a timestamp read from the field as declared (Flink
// matches names by case; PostgreSQL folded the query's).
TEST(FlinkSpelling, RowFieldsKeepTheirTypesAndNames) {
  const std::string ddl = R"(SET 'pipeline.name' = 'q0';
CREATE TABLE kafka (
  event_type INT,
  bid ROW<auction BIGINT, price BIGINT, channel STRING, dateTime TIMESTAMP(3), meta ROW<ok BOOLEAN>>
) WITH ('connector' = 'kafka', 'brokers' = 'b:1', 'topic' = 'nexmark', 'format' = 'json');
CREATE TABLE `out` () WITH ('connector' = 'blackhole');
)";
  const auto out = respell_flink(ddl);
  ASSERT_EQ(out.fields.size(), 6u);
  EXPECT_EQ(out.fields[3].path, "bid.dateTime");
  EXPECT_EQ(out.fields[3].type, "TIMESTAMP");
  EXPECT_EQ(out.fields[5].path, "bid.meta.ok");
  auto q0 = parse_sql(ddl
                        + "INSERT INTO `out` SELECT bid.auction, bid.price, bid.dateTime, "
                          "bid.meta.ok FROM kafka WHERE event_type = 2;\n",
                      "q0.sql");
  ASSERT_TRUE(q0) << q0.error_message();
  EXPECT_EQ(q0->columns,
            (std::vector<column_spec>{{"auction", "bid.auction", column_type::int64, true},
                                      {"price", "bid.price", column_type::int64, true},
                                      {"dateTime", "bid.dateTime", column_type::timestamp, true},
                                      {"ok", "bid.meta.ok", column_type::boolean, true}}));
  // A field ROW<> did not declare reads as text, as a json column's do.
  auto other = parse_sql(ddl + "INSERT INTO `out` SELECT bid.url FROM kafka;\n", "q0.sql");
  ASSERT_TRUE(other) << other.error_message();
  EXPECT_EQ(other->columns[0].type, column_type::string);
  // A declared number is one: a sum of it is accepted (a text is refused).
  auto with_guarantee = ddl;
  with_guarantee.replace(with_guarantee.find("'format'"), 8,
                         "'guarantee' = 'at_least_once', 'format'");
  const std::string windowed = "INSERT INTO `out` SELECT window_start, sum(bid.price) AS total "
                               "FROM TUMBLE(kafka, PROCTIME(), INTERVAL '10' SECOND) GROUP BY "
                               "window_start, window_end;\n";
  auto sum = parse_sql(with_guarantee + windowed, "q0.sql");
  ASSERT_TRUE(sum) << sum.error_message();
  EXPECT_EQ(sum->aggregations[0].field, "bid.price");
  auto text_sum =
    parse_sql(with_guarantee
                + std::string{windowed}.replace(windowed.find("bid.price"), 9, "bid.channel"),
              "q0.sql");
  EXPECT_FALSE(text_sum);
}
