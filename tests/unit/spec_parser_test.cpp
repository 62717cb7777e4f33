#include "jobs/spec.hpp"
#include "runtime/spec_file.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace weir::jobs;

namespace {

const char* good = R"(name: top-games
source:
  type: kafka
  brokers: 127.0.0.1:19092
  topic: bets
  event_time:
    field: timestamp
    format: iso8601
    max_out_of_orderness: 2s
key: game_id
window:
  type: tumbling
  size: 1m
aggregations:
  - fn: count
    as: bets
  - fn: avg
    field: amount
sink:
  type: postgres
  url: postgresql://weir@127.0.0.1:15432/weir
  table: bet_stats
)";

// Replaces the first occurrence of `from` in the good spec.
// `spec` with its first `from` replaced by `to`.
std::string with(std::string spec, const std::string& from, const std::string& to) {
  auto pos = spec.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return spec.replace(pos, from.size(), to);
}

std::string good_with(const std::string& from, const std::string& to) {
  return with(good, from, to);
}

std::string error_of(const std::string& text) {
  auto spec = parse_spec(text, "job.yaml");
  EXPECT_FALSE(spec) << "accepted:\n" << text;
  return spec ? "" : spec.error_message();
}

} // namespace

TEST(SpecParser, ParsesAFullSpec) {
  auto spec = parse_spec(good, "job.yaml");
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->name, "top-games");
  EXPECT_EQ(spec->source.brokers, "127.0.0.1:19092");
  EXPECT_EQ(spec->source.topic, "bets");
  EXPECT_EQ(spec->source.time_field, "timestamp");
  EXPECT_EQ(spec->source.time_fmt, time_format::iso8601);
  EXPECT_EQ(spec->source.out_of_orderness, 2000);
  EXPECT_EQ(spec->key, std::vector<key_spec>{"game_id"});
  EXPECT_EQ(spec->window.size, 60'000);
  ASSERT_EQ(spec->aggregations.size(), 2u);
  EXPECT_EQ(spec->aggregations[0].kind, agg_kind::count);
  EXPECT_EQ(spec->aggregations[0].as, "bets");
  EXPECT_EQ(spec->aggregations[1].kind, agg_kind::avg);
  EXPECT_EQ(spec->aggregations[1].field, "amount");
  EXPECT_EQ(spec->aggregations[1].as, "avg_amount");
  EXPECT_EQ(spec->sink.table, "bet_stats");
}

TEST(SpecParser, KeyMayBeAList) {
  auto spec = parse_spec(good_with("key: game_id", "key: [game_id, status]"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->key, (std::vector<key_spec>{"game_id", "status"}));
}

TEST(SpecParser, BadDurationNamesFieldAndLine) {
  EXPECT_EQ(error_of(good_with("size: 1m", "size: 1 minute")),
            "job.yaml:13: window.size: expected a duration like 500ms, 10s, 5m, 2h or 1d, got "
            "'1 minute'");
}

TEST(SpecParser, UnknownFieldIsRejectedWithSuggestion) {
  EXPECT_EQ(error_of(good_with("window:", "widnow:")),
            "job.yaml:11: widnow: unknown field 'widnow' (did you mean 'window'?)");
  EXPECT_EQ(error_of(good_with("    format: iso8601", "    fromat: iso8601")),
            "job.yaml:8: source.event_time.fromat: unknown field 'fromat' (did you mean "
            "'format'?)");
}

TEST(SpecParser, MissingFieldNamesParentLine) {
  EXPECT_EQ(error_of(good_with("  topic: bets\n", "")),
            "job.yaml:3: source.topic: required field is missing");
}

TEST(SpecParser, BadChoiceListsOptions) {
  EXPECT_EQ(error_of(good_with("fn: count", "fn: median")),
            "job.yaml:15: aggregations[0].fn: 'median' is not one of: count, sum, min, max, avg, "
            "count_distinct, approx_count_distinct");
  EXPECT_EQ(
    error_of(good_with("type: tumbling", "type: rolling")),
    "job.yaml:12: window.type: 'rolling' is not one of: tumbling, hopping, sliding, session");
}

TEST(SpecParser, AggregateFieldRules) {
  EXPECT_EQ(error_of(good_with("    field: amount\n", "")),
            "job.yaml:17: aggregations[1].field: required for avg");
  EXPECT_EQ(error_of(good_with("    as: bets", "    field: amount")),
            "job.yaml:16: aggregations[0].field: count takes no field");
}

TEST(SpecParser, RejectsDuplicateAndReservedColumns) {
  EXPECT_EQ(error_of(good_with("    as: bets", "    as: game_id")),
            "job.yaml:16: aggregations[0].as: output column 'game_id' is used twice (or is "
            "reserved)");
  EXPECT_EQ(error_of(good_with("key: game_id", "key: window_start")),
            "job.yaml:10: key[0]: output column 'window_start' is used twice (or is reserved)");
}

TEST(SpecParser, RejectsBadIdentifiersAndSyntax) {
  EXPECT_EQ(error_of(good_with("table: bet_stats", "table: bet-stats; drop")),
            "job.yaml:22: sink.table: 'bet-stats; drop' is not a valid name (letters, digits and "
            "_, not starting with a digit)");
  auto err = error_of(good_with("key: game_id", "key: [game_id"));
  EXPECT_EQ(err.rfind("job.yaml:", 0), 0u) << err;
  EXPECT_EQ(error_of("42"), "job.yaml:1: spec: expected a mapping with name, source, key, window, "
                            "aggregations, sink");
}

TEST(SpecParser, ZeroWindowIsRejected) {
  EXPECT_EQ(error_of(good_with("size: 1m", "size: 0s")),
            "job.yaml:13: window.size: must be greater than zero");
}

TEST(ExpandEnv, SubstitutesAndDefaults) {
  ::setenv("WEIR_TEST_BROKERS", "10.0.0.1:9092", 1);
  ::unsetenv("WEIR_TEST_UNSET");
  auto out = weir::expand_env("a: ${WEIR_TEST_BROKERS}\nb: ${WEIR_TEST_UNSET:-x:1}\n");
  ASSERT_TRUE(out) << out.error_message();
  EXPECT_EQ(*out, "a: 10.0.0.1:9092\nb: x:1\n");
  auto bad = weir::expand_env("a: 1\nb: ${WEIR_TEST_UNSET}\n", "job.yaml");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error_message(), "job.yaml:2: environment variable WEIR_TEST_UNSET is not set "
                                 "(write ${WEIR_TEST_UNSET:-default} to give a default)");
}

TEST(SpecParser, SessionWindows) {
  auto text = good_with("  type: tumbling\n  size: 1m", "  type: session\n  gap: 30s");
  text.replace(text.find("  event_time:"), 0, "  partitioned_by: game_id\n");
  auto spec = parse_spec(text);
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->window.kind, window_kind::session);
  EXPECT_EQ(spec->window.gap, 30'000);
  EXPECT_EQ(error_of(good_with("  type: tumbling\n  size: 1m", "  type: session\n  size: 1m")),
            "job.yaml:13: window.size: only applies to tumbling and hopping windows");
  EXPECT_EQ(error_of(good_with("  type: tumbling\n  size: 1m",
                               "  type: session\n  gap: 30s\n  allowed_lateness: 5s")),
            "job.yaml:14: window.allowed_lateness: is not supported for session windows (a late "
            "event could move a session's start)");
}

// Sessions of a key cut by partition overlap and cannot be merged: every
// sink refuses them unless the key's events share a partition.
TEST(SpecParser, SessionsOfKeysAcrossPartitionsAreRefused) {
  const std::string why =
    "window.type: session windows need all of a key's events in one Kafka partition: each "
    "partition would close its own sessions of a key, which overlap and cannot be merged; "
    "declare the source's partitioned_by (a key field whose value is every event's Kafka "
    "message key), or use a tumbling or hopping window";
  const auto sessions = good_with("  type: tumbling\n  size: 1m", "  type: session\n  gap: 30s");
  EXPECT_EQ(error_of(sessions), "job.yaml:12: " + why);
  // Whatever the store: MariaDB's and ClickHouse's merge paths included.
  auto on = [&](const std::string& sink) {
    auto s = sessions;
    auto at = s.find("sink:");
    return s.replace(at, std::string::npos, sink);
  };
  const std::string pg = "postgresql://weir@127.0.0.1:15432/weir";
  EXPECT_EQ(error_of(on("sink:\n  type: mysql\n  url: mysql://weir@127.0.0.1:13306/weir\n"
                        "  table: t\n  partials_url: "
                        + pg + "\n")),
            "job.yaml:12: " + why);
  EXPECT_EQ(error_of(on("sink:\n  type: clickhouse\n  url: http://127.0.0.1:18123/weir\n"
                        "  table: t\n  partials_url: "
                        + pg + "\n")),
            "job.yaml:12: " + why);
  // Top-N ranks across partitions but cannot mend sessions cut by them.
  EXPECT_EQ(error_of(sessions + "top:\n  n: 3\n  by: bets\n"), "job.yaml:12: " + why);
  // One session over the whole stream: every partition holds a part of it.
  auto keyless = sessions;
  keyless.replace(keyless.find("key: game_id"), 12, "key: []");
  EXPECT_EQ(error_of(keyless), "job.yaml:12: " + why);
  // A composite key: one partitioned part is enough, every key is in one partition.
  auto composite = sessions;
  composite.replace(composite.find("key: game_id"), 12, "key: [game_id, status]");
  composite.replace(composite.find("  event_time:"), 0, "  partitioned_by: game_id\n");
  EXPECT_TRUE(parse_spec(composite, "job.yaml")) << error_of(composite);
}

TEST(SpecParser, HoppingWindowRules) {
  auto spec = parse_spec(
    good_with("  type: tumbling\n  size: 1m", "  type: hopping\n  size: 5m\n  slide: 1m"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(slice_length(spec->window), 60'000);
  EXPECT_EQ(error_of(good_with("  type: tumbling\n  size: 1m",
                               "  type: hopping\n  size: 1m\n  slide: 2m")),
            "job.yaml:14: window.slide: must not exceed window.size (events would fall between "
            "windows)");
}

TEST(SpecParser, FiltersTopAndCheckpoints) {
  auto text = good_with(
    "window:",
    "where:\n  - field: status\n    in: [won, lost]\n  - field: amount\n    gt: 10\nwindow:");
  text += "top:\n  n: 3\n  by: bets\ncheckpoints:\n  url: s3://weir/ck\n  interval: 2s\n";
  auto spec = parse_spec(text);
  ASSERT_TRUE(spec) << spec.error_message();
  ASSERT_EQ(spec->filters.size(), 2u);
  EXPECT_EQ(spec->filters[0].op, filter_op::in);
  EXPECT_EQ(spec->filters[0].values, (std::vector<std::string>{"won", "lost"}));
  EXPECT_EQ(spec->filters[1].op, filter_op::gt);
  EXPECT_EQ(spec->filters[1].number, 10);
  EXPECT_EQ(spec->top.n, 3u);
  EXPECT_EQ(spec->checkpoints.url, "s3://weir/ck");
  EXPECT_EQ(spec->checkpoints.interval, 2000);
  EXPECT_EQ(
    error_of(std::string{good} + "top:\n  n: 3\n  by: nothing\n"),
    "job.yaml:25: top.by: 'nothing' is not an aggregate's output column (bets, avg_amount)");
  EXPECT_EQ(error_of(std::string{good} + "checkpoints:\n  url: /tmp/x\n"),
            "job.yaml:24: checkpoints.url: expected file:///absolute/dir or s3://bucket/prefix, "
            "got '/tmp/x'");
}

TEST(SpecParser, PartitionedByNamesAKeyField) {
  auto spec =
    parse_spec(good_with("  topic: bets\n", "  topic: bets\n  partitioned_by: game_id\n"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->source.partitioned_by, "game_id");
  EXPECT_EQ(error_of(good_with("  topic: bets\n", "  topic: bets\n  partitioned_by: user_id\n")),
            "job.yaml:6: source.partitioned_by: 'user_id' is not one of the key fields (every "
            "row of a window must come from one partition)");
}

TEST(SpecParser, KeyMayBeANestedFieldNamedByItsLastPartOrByAs) {
  auto spec = parse_spec(
    good_with("key: game_id", "key: [device_info.platform, {field: metadata.screen, as: scr}]"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->key, (std::vector<key_spec>{{"platform", "device_info.platform"},
                                              {"scr", "metadata.screen"}}));
  EXPECT_EQ(error_of(good_with("key: game_id", "key: [a..b]")),
            "job.yaml:10: key[0]: 'a..b' is not a field path (names separated by single dots)");
  EXPECT_EQ(error_of(good_with("key: game_id", "key: [a.b, c.b]")),
            "job.yaml:10: key[1]: output column 'b' is used twice (or is reserved)");
  EXPECT_EQ(error_of(good_with("key: game_id", "key: [{field: a.9x}]")),
            "job.yaml:10: key[0]: '9x' is not a valid column name (letters, digits and _, not "
            "starting with a digit): name it with {field: ..., as: NAME}");
}

TEST(SpecParser, KeyPartsMayHaveAType) {
  auto spec = parse_spec(good_with("key: game_id",
                                   "key: [{field: game_id, type: integer}, {field: status, as: s, "
                                   "type: string}, currency]"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->key, (std::vector<key_spec>{{"game_id", "game_id", key_type::integer},
                                              {"s", "status", key_type::string},
                                              {"currency", "currency", key_type::any}}));
  // What `weir explain` prints reads back the same.
  auto again = parse_spec(to_yaml(*spec));
  ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*spec);
  EXPECT_EQ(again->key, spec->key);
  EXPECT_EQ(error_of(good_with("key: game_id", "key: {field: game_id, type: number}")),
            "job.yaml:10: key.type: 'number' is not one of: string, integer");
}

TEST(SpecParser, ValuesAreUtf8WithoutControlCharacters) {
  EXPECT_TRUE(parse_spec(good_with("table: bet_stats", "table: bet_stats\n  # ünïcödé ✓")));
  auto utf8 = parse_spec(good_with("topic: bets", "topic: ставки"));
  ASSERT_TRUE(utf8) << utf8.error_message();
  EXPECT_EQ(utf8->source.topic, "ставки");
  EXPECT_EQ(error_of(good_with("topic: bets", "topic: \"a\\x01b\"")),
            "job.yaml:5: source.topic: must be UTF-8 text without control characters");
  EXPECT_EQ(error_of(good_with("topic: bets", "topic: a\xff"
                                              "b")),
            "job.yaml:5: source.topic: must be UTF-8 text without control characters");
  EXPECT_EQ(error_of(good_with("topic: bets", "topic: a\xc0\xaf")), // overlong '/'
            "job.yaml:5: source.topic: must be UTF-8 text without control characters");
  EXPECT_EQ(error_of(good_with("topic: bets", "topic: a\xed\xa0\x80")), // a surrogate
            "job.yaml:5: source.topic: must be UTF-8 text without control characters");
  EXPECT_EQ(error_of(good_with("topic: bets", "topic: a\xe2\x82")), // cut short
            "job.yaml:5: source.topic: must be UTF-8 text without control characters");
}

TEST(SpecParser, DefaultAggregateNamesAreColumnNames) {
  auto nested = parse_spec(good_with("field: amount", "field: bet.amount"));
  ASSERT_TRUE(nested) << nested.error_message();
  EXPECT_EQ(nested->aggregations[1].as, "avg_bet_amount");
  EXPECT_EQ(error_of(good_with("field: amount", "field: the amount")),
            "job.yaml:17: aggregations[1].as: 'avg_the amount' is no column name: name the output "
            "with as:");
}

TEST(SpecParser, SecretsStayInTheTextUntilAWorkerFillsThemIn) {
  // The client expands the environment and leaves ${secret:...} as written.
  ::setenv("WEIR_TEST_HOST", "db", 1);
  auto client = weir::expand_env("url: postgresql://weir:${secret:PG_PASS}@${WEIR_TEST_HOST}/w\n");
  ASSERT_TRUE(client) << client.error_message();
  EXPECT_EQ(*client, "url: postgresql://weir:${secret:PG_PASS}@db/w\n");
  // A worker fills them in: its environment first, then its secrets file.
  ::setenv("WEIR_SECRET_PG_PASS", "from-env", 1);
  auto env = weir::resolve_secrets(*client, "job", {{"PG_PASS", "from-file"}});
  ASSERT_TRUE(env) << env.error_message();
  EXPECT_EQ(*env, "url: postgresql://weir:from-env@db/w\n");
  ::unsetenv("WEIR_SECRET_PG_PASS");
  auto file = weir::resolve_secrets(*client, "job", {{"PG_PASS", "from-file"}});
  ASSERT_TRUE(file) << file.error_message();
  EXPECT_EQ(*file, "url: postgresql://weir:from-file@db/w\n");
  auto missing = weir::resolve_secrets("a: 1\nurl: x://u:${secret:PG_PASS}@h\n", "job", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error_message(),
            "job:2: secret PG_PASS is not set on this worker "
            "(WEIR_SECRET_PG_PASS or a line PG_PASS=... in --secrets-file)");
}

TEST(SpecParser, PasswordsWrittenInUrlsAreFound) {
  EXPECT_EQ(plain_password_lines("name: x\nurl: postgresql://weir:hunter2@db/w\n"
                                 "to: s3://bucket/prefix\nurl: postgresql://weir@db/w\n"
                                 "url: postgresql://weir:${secret:P}@db/w\n"
                                 "  url = 'postgresql://a:b@c/d'"),
            (std::vector<int>{2, 6}));
}

TEST(SpecParser, SecretsFileIsNameValueLines) {
  auto path = std::string{::testing::TempDir()} + "weir-secrets-test";
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("# comment\n\nPG_PASS=a=b c\r\nS3_KEY=\n", f);
    std::fclose(f);
  }
  auto s = weir::read_secrets_file(path);
  ASSERT_TRUE(s) << s.error_message();
  EXPECT_EQ(*s, (weir::secret_map{{"PG_PASS", "a=b c"}, {"S3_KEY", ""}}));
  {
    std::FILE* f = std::fopen(path.c_str(), "w");
    std::fputs("OK=1\nno equals sign\n", f);
    std::fclose(f);
  }
  auto bad = weir::read_secrets_file(path);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error_message(), path + ":2: expected NAME=value");
  EXPECT_FALSE(weir::read_secrets_file(path + ".missing"));
  EXPECT_TRUE(weir::read_secrets_file("")->empty());
}

TEST(SpecParser, MissingOffsetsPolicy) {
  auto dflt = parse_spec(good);
  ASSERT_TRUE(dflt);
  EXPECT_EQ(dflt->source.on_missing_offsets, missing_offsets::fail);
  auto earliest =
    parse_spec(good_with("  topic: bets", "  topic: bets\n  on_missing_offsets: earliest"));
  ASSERT_TRUE(earliest) << earliest.error_message();
  EXPECT_EQ(earliest->source.on_missing_offsets, missing_offsets::earliest);
  EXPECT_EQ(error_of(good_with("  topic: bets", "  topic: bets\n  on_missing_offsets: latest")),
            "job.yaml:6: source.on_missing_offsets: 'latest' is not one of: fail, earliest");
}

// Exactly once is the default; a processing-time job must say it is not.
TEST(SpecParser, ProcessingTimeMustAcceptAtLeastOnce) {
  const std::string event_time =
    "  event_time:\n    field: timestamp\n    format: iso8601\n    max_out_of_orderness: 2s\n";
  auto proc = [&](const std::string& lines) {
    return good_with(event_time, lines);
  };
  EXPECT_EQ(error_of(proc("  processing_time: true\n")),
            "job.yaml:6: source.processing_time: results are at least once: after a failure, "
            "the events read since the last checkpoint count again, in the windows of the time "
            "they are read again; add 'guarantee: at_least_once' to source to accept that, or "
            "use event_time for exactly-once results");
  auto ok = parse_spec(proc("  processing_time: true\n  guarantee: at_least_once\n"));
  ASSERT_TRUE(ok) << ok.error_message();
  EXPECT_EQ(ok->source.mode, time_mode::processing);
  EXPECT_EQ(error_of(proc("  processing_time: true\n  guarantee: exactly_once\n")),
            "job.yaml:7: source.guarantee: only 'at_least_once' (for processing_time: true); "
            "omit it for exactly once");
  EXPECT_EQ(error_of(good_with("  topic: bets", "  topic: bets\n  guarantee: at_least_once")),
            "job.yaml:6: source.guarantee: an event-time job is exactly once; at_least_once is "
            "for processing_time: true");
}

// ClickHouse and MariaDB take rows final per partition, within their limits.
TEST(SpecParser, FinalRowStoresNeedPartitionedKeysAndTheirLimits) {
  auto store = [](const std::string& type, const std::string& url) {
    return good_with("  type: postgres\n  url: postgresql://weir@127.0.0.1:15432/weir",
                     "  type: " + type + "\n  url: " + url);
  };
  const std::string ch = store("clickhouse", "http://127.0.0.1:18123/weir");
  EXPECT_NE(error_of(ch).find("job.yaml:20: sink.partials_url: a clickhouse sink of keys across "
                              "partitions merges each partition's partials in PostgreSQL: give "
                              "sink.partials_url"),
            std::string::npos)
    << error_of(ch);
  // Keys across partitions: partials in PostgreSQL, merged rows to the store.
  const std::string pg = "postgresql://weir@127.0.0.1:15432/weir";
  const std::string merged = ch + "  partials_url: " + pg + "\n";
  auto parsed = parse_spec(merged, "job.yaml");
  ASSERT_TRUE(parsed) << error_of(merged);
  EXPECT_EQ(parsed->sink.partials_url, pg);
  EXPECT_NE(error_of(ch + "  partials_url: mysql://x/y\n")
              .find("sink.partials_url: expected postgresql://"),
            std::string::npos);
  EXPECT_NE(error_of(good_with("  table: bet_stats", "  table: bet_stats\n  partials_url: " + pg))
              .find("sink.partials_url: only clickhouse and mysql sinks take it"),
            std::string::npos);
  auto partitioned = [](std::string s) {
    return s.replace(s.find("  event_time:"), 0, "  partitioned_by: game_id\n");
  };
  EXPECT_TRUE(parse_spec(partitioned(ch), "job.yaml")) << error_of(partitioned(ch));
  EXPECT_NE(error_of(partitioned(merged))
              .find("sink.partials_url: with source.partitioned_by every "
                    "row is final"),
            std::string::npos)
    << error_of(partitioned(merged));
  EXPECT_NE(error_of(partitioned(ch).replace(partitioned(ch).find("size: 1m"), 8, "size: 1500ms"))
              .find("window: a clickhouse sink needs windows of whole seconds"),
            std::string::npos);
  const std::string my = partitioned(store("mysql", "mysql://weir@127.0.0.1:13306/weir"));
  EXPECT_TRUE(parse_spec(my, "job.yaml")) << error_of(my);
  EXPECT_NE(error_of(std::string{my}.replace(my.find("    as: bets"), 12, "    as: GAME_ID"))
              .find("column 'GAME_ID' is used twice once case is ignored"),
            std::string::npos);
  EXPECT_NE(error_of(std::string{my}.replace(my.find("table: bet_stats"), 16,
                                             "table: " + std::string(55, 't')))
              .find("sink.table: a mysql table name has at most 54 characters"),
            std::string::npos);
  EXPECT_NE(error_of(store("mysql", "postgresql://x/y")).find("sink.url: expected mysql://"),
            std::string::npos);
  EXPECT_NE(error_of(good_with("    as: bets", "    as: _version")).find("is reserved"),
            std::string::npos);
}

TEST(SpecParser, DecimalFields) {
  auto spec =
    parse_spec(good_with("    field: amount\n", "    field: amount\n    type: decimal(12, 2)\n"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->aggregations[1].decimal, (decimal_type{12, 2}));
  auto again = parse_spec(to_yaml(*spec));
  ASSERT_TRUE(again) << again.error_message();
  EXPECT_EQ(*again, *spec);
  EXPECT_FALSE(parse_spec(good_with("    field: amount\n", "    field: amount\n    type: double\n"))
                 ->aggregations[1]
                 .decimal);
  EXPECT_EQ(error_of(
              good_with("    field: amount\n", "    field: amount\n    type: decimal(19,2)\n")),
            "job.yaml:19: aggregations[1].type: a decimal's precision is 1 to 18 digits (a value "
            "is held in 64 bits, a sum in 128), not 19");
  EXPECT_EQ(
    error_of(good_with("    field: amount\n", "    field: amount\n    type: decimal(4,5)\n")),
    "job.yaml:19: aggregations[1].type: a decimal's scale is 0 to its precision (4), not 5");
  EXPECT_EQ(error_of(good_with("    field: amount\n", "    field: amount\n    type: numeric\n")),
            "job.yaml:19: aggregations[1].type: 'numeric' is no type: double, or "
            "decimal(precision, scale) as in decimal(12, 2)");
  EXPECT_EQ(error_of(good_with("    as: bets", "    as: bets\n    type: decimal(12,2)")),
            "job.yaml:17: aggregations[0].type: only sum, min, max and avg read their field as a "
            "number");
}

// checkpoints.retain and sink.max_file_mb are validate()'s rules: the SQL
// front end says them the same way (SqlFrontEnd.RetainAndFileSizeBounds).
TEST(SpecParser, RetainAndFileSizeBounds) {
  const std::string ck = "checkpoints:\n  url: s3://weir/ck\n  retain: ";
  EXPECT_EQ(error_of(std::string{good} + ck + "1\n"),
            "job.yaml:25: checkpoints.retain: expected a whole number from 2 to 1000, got '1'");
  EXPECT_EQ(error_of(std::string{good} + ck + "1001\n"),
            "job.yaml:25: checkpoints.retain: expected a whole number from 2 to 1000, got '1001'");
  EXPECT_EQ(error_of(std::string{good} + ck + "many\n"),
            "job.yaml:25: checkpoints.retain: expected a whole number from 2 to 1000, got 'many'");
  EXPECT_EQ(parse_spec(std::string{good} + ck + "1000\n")->checkpoints.retain, 1000u);
  auto lake = [](const std::string& mb) {
    return "name: lake\nsource:\n  brokers: b:1\n  topic: t\ncolumns:\n  - {name: id, type: "
           "string}\n"
           "sink:\n  type: iceberg\n  url: s3://b/p\n  max_file_mb: "
           + mb
           + "\n  catalog: postgresql://h/c\n  table: ns.t\n"
             "checkpoints:\n  url: s3://b/ck\n";
  };
  EXPECT_EQ(parse_spec(lake("4096"))->sink.max_file_mb, 4096u);
  for (const char* mb : {"0", "4097", "-1"})
    EXPECT_EQ(error_of(lake(mb)), std::string{"job.yaml:10: sink.max_file_mb: expected a whole "
                                              "number from 1 to 4096, got '"}
                                    + mb + "'");
}

namespace {

const char* lake = R"(name: lake
source:
  brokers: b:1
  topic: t
columns:
  - {name: event_id, type: string}
  - {name: user_id, type: int64}
  - {name: action_type, type: string}
  - {name: event_time, type: timestamp}
  - {name: amount, type: double}
sink:
  type: iceberg
  url: s3://weir/lake/ua
  catalog: postgresql://weir@h:5432/weir
  table: weir.user_actions
  derive:
    - {name: event_date, column: event_time, as: date}
    - {name: event_hour, column: event_time, as: hour, every: 2}
    - {name: user_bucket, column: user_id, modulo: 128}
  partitioned_by:
    - event_date
    - event_hour
    - bucket[16](user_id)
    - truncate[4](action_type)
  sort_by: [user_bucket, user_id]
  commit_every: 3
  snapshots_kept: 10
checkpoints:
  url: s3://weir/ck
)";

std::string lake_with(const std::string& from, const std::string& to) {
  return with(lake, from, to);
}

} // namespace

TEST(SpecParser, IcebergSink) {
  auto spec = parse_spec(lake, "job.yaml");
  ASSERT_TRUE(spec) << spec.error_message();
  const auto& s = spec->sink;
  EXPECT_EQ(s.type, "iceberg");
  EXPECT_EQ(s.url, "s3://weir/lake/ua");
  EXPECT_EQ(s.catalog, "postgresql://weir@h:5432/weir");
  EXPECT_EQ(s.table, "weir.user_actions");
  EXPECT_EQ(s.derive, (std::vector<derived_column_spec>{
                        {"event_date", "event_time", derived_column_spec::date, 1},
                        {"event_hour", "event_time", derived_column_spec::hour, 2},
                        {"user_bucket", "user_id", derived_column_spec::modulo, 128}}));
  EXPECT_EQ(s.partitioned_by,
            (std::vector<std::string>{"event_date", "event_hour", "bucket[16](user_id)",
                                      "truncate[4](action_type)"}));
  EXPECT_EQ(s.sort_by, (std::vector<std::string>{"user_bucket", "user_id"}));
  EXPECT_EQ(s.commit_every, 3u);
  EXPECT_EQ(s.snapshots_kept, 10u);
  EXPECT_EQ(s.codec, "zstd");     // the default
  EXPECT_EQ(s.max_file_mb, 128u); // the default
  // What the coordinator ships to workers reads back as the same job.
  auto again = parse_spec(to_yaml(*spec), "again");
  ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*spec);
  EXPECT_TRUE(*again == *spec) << to_yaml(*spec);
  // Defaults are written out, and so read back equal too.
  auto plain = parse_spec(lake_with("  commit_every: 3\n  snapshots_kept: 10\n", ""));
  ASSERT_TRUE(plain) << plain.error_message();
  EXPECT_EQ(plain->sink.commit_every, 1u);
  EXPECT_EQ(plain->sink.snapshots_kept, 100u);
  auto yaml = to_yaml(*plain);
  EXPECT_NE(yaml.find("max_file_mb: 128"), std::string::npos) << yaml;
  EXPECT_TRUE(*parse_spec(yaml) == *plain) << yaml;
  // Any Iceberg transform of a column of a type it takes.
  auto other = parse_spec(lake_with("    - truncate[4](action_type)\n",
                                    "    - year(event_time)\n    - month(event_time)\n"
                                    "    - day(event_time)\n    - hour(event_time)\n"
                                    "    - bucket[8](event_time)\n    - amount\n"));
  ASSERT_TRUE(other) << other.error_message();
  EXPECT_EQ(other->sink.partitioned_by.size(), 9u);
  EXPECT_TRUE(*parse_spec(to_yaml(*other)) == *other) << to_yaml(*other);
}

TEST(SpecParser, IcebergSinkFieldsAreRead) {
  EXPECT_EQ(error_of(lake_with("  commit_every: 3", "  comit_every: 3")),
            "job.yaml:26: sink.comit_every: unknown field 'comit_every' (did you mean "
            "'commit_every'?)");
  for (const char* n : {"0", "1001", "x"})
    EXPECT_EQ(error_of(lake_with("commit_every: 3", std::string{"commit_every: "} + n)),
              std::string{"job.yaml:26: sink.commit_every: expected a whole number from 1 to "
                          "1000, got '"}
                + n + "'");
  EXPECT_EQ(error_of(lake_with("snapshots_kept: 10", "snapshots_kept: 0")),
            "job.yaml:27: sink.snapshots_kept: expected a whole number from 1, got '0'");
  EXPECT_EQ(error_of(lake_with("modulo: 128}", "modulus: 128}")),
            "job.yaml:19: sink.derive[2].modulus: unknown field 'modulus' (did you mean "
            "'modulo'?)");
  EXPECT_EQ(error_of(lake_with("modulo: 128}", "modulo: 0}")),
            "job.yaml:19: sink.derive[2].modulo: expected a whole number from 1, got '0'");
  EXPECT_EQ(error_of(lake_with("modulo: 128}", "modulo: 128, as: date}")),
            "job.yaml:19: sink.derive[2].modulo: give either as: or modulo:, not both");
  EXPECT_EQ(error_of(lake_with(", modulo: 128}", "}")),
            "job.yaml:19: sink.derive[2]: needs as: date, as: hour or modulo: N");
  EXPECT_EQ(error_of(lake_with("as: date}", "as: date, every: 2}")),
            "job.yaml:17: sink.derive[0].every: only applies to 'as: hour'");
  EXPECT_EQ(error_of(lake_with("as: date}", "as: week}")),
            "job.yaml:17: sink.derive[0].as: 'week' is not one of: date, hour");
  EXPECT_EQ(error_of(lake_with("{name: event_date, ", "{")),
            "job.yaml:17: sink.derive[0].name: required field is missing");
  EXPECT_EQ(error_of(lake_with("sort_by: [user_bucket, user_id]", "sort_by: user_id")),
            "job.yaml:25: sink.sort_by: expected a list of columns");
  EXPECT_EQ(error_of(lake_with("  table: weir.user_actions\n", "")),
            "job.yaml:12: sink.table: required field is missing");
  // The iceberg sink's fields belong to it alone.
  EXPECT_EQ(error_of(good_with("  table: bet_stats\n", "  table: bet_stats\n  sort_by: [n]\n")),
            "job.yaml:23: sink.sort_by: only iceberg sinks take it");
  EXPECT_EQ(error_of(good_with("  table: bet_stats\n", "  table: bet_stats\n  catalog: x\n")),
            "job.yaml:23: sink.catalog: only iceberg sinks take it");
  // partition_by (the Parquet lake's) is gone.
  EXPECT_EQ(error_of(lake_with("  partitioned_by:", "  partition_by:")),
            "job.yaml:20: sink.partition_by: unknown field 'partition_by' (did you mean "
            "'partitioned_by'?)");
}

// sink.commit_mb (a cadence by bytes, bounded by commit_every rounds) and
// sink.orphan_age (the safety window of the orphan sweep).
TEST(SpecParser, IcebergCommitBytesAndOrphanAge) {
  auto spec = parse_spec(lake_with("  commit_every: 3\n", "  commit_every: 30\n  commit_mb: 64\n"
                                                          "  orphan_age: 2h\n"));
  ASSERT_TRUE(spec) << spec.error_message();
  EXPECT_EQ(spec->sink.commit_mb, 64u);
  EXPECT_EQ(spec->sink.orphan_age, 7'200'000);
  auto again = parse_spec(to_yaml(*spec), "again");
  ASSERT_TRUE(again) << again.error_message();
  EXPECT_TRUE(*again == *spec) << to_yaml(*spec);
  auto plain = parse_spec(lake);
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->sink.commit_mb);
  EXPECT_EQ(plain->sink.orphan_age, 3'600'000); // 1 h
  for (const char* n : {"0", "1048577", "64MB"})
    EXPECT_EQ(error_of(lake_with("commit_every: 3\n",
                                 std::string{"commit_every: 3\n  commit_mb: "} + n + "\n")),
              std::string{"job.yaml:27: sink.commit_mb: expected a whole number from 1 to 1048576, "
                          "got '"}
                + n + "'");
  EXPECT_EQ(error_of(lake_with("commit_every: 3\n", "commit_every: 1\n  commit_mb: 64\n")),
            "job.yaml:27: sink.commit_mb: needs sink.commit_every of 2 or more: the most "
            "checkpoint rounds a snapshot waits for the bytes (with 1, every round commits "
            "anyway)");
  EXPECT_EQ(error_of(lake_with("commit_every: 3\n", "commit_every: 3\n  orphan_age: 5s\n")),
            "job.yaml:27: sink.orphan_age: must be at least checkpoints.interval (10000 ms): a "
            "younger unlisted file may still be listed at the next barrier");
  EXPECT_EQ(error_of(lake_with("commit_every: 3\n", "commit_every: 3\n  orphan_age: soon\n")),
            "job.yaml:27: sink.orphan_age: expected a duration like 500ms, 10s, 5m, 2h or 1d, got "
            "'soon'");
}

// validate()'s rules of an iceberg sink, shown at the line of their field.
TEST(SpecParser, IcebergSinkRules) {
  EXPECT_EQ(error_of(lake_with("  catalog: postgresql://weir@h:5432/weir\n", "")),
            "job.yaml:12: sink.catalog: required: the PostgreSQL of the Iceberg SQL catalog "
            "(postgresql://...)");
  EXPECT_EQ(error_of(lake_with("postgresql://weir@h", "mysql://weir@h")),
            "job.yaml:14: sink.catalog: expected postgresql://..., got 'mysql://weir@h:5432/weir'");
  EXPECT_TRUE(parse_spec(lake_with("postgresql://weir@h", "postgres://weir@h")));
  for (const char* table : {"user_actions", "weir.", "9w.t", "a.b.c"})
    EXPECT_EQ(error_of(lake_with("weir.user_actions", table)),
              std::string{"job.yaml:15: sink.table: expected namespace.name (two names: letters, "
                          "digits and _, not starting with a digit), got '"}
                + table + "'");
  for (const char* url : {"s3://weir", "s3://weir/", "s3:///lake"})
    EXPECT_EQ(error_of(lake_with("s3://weir/lake/ua", url)),
              std::string{"job.yaml:13: sink.url: expected s3://bucket/prefix (the table's "
                          "location), got '"}
                + url + "'");
  EXPECT_EQ(error_of(lake_with("s3://weir/lake/ua", "file:///lake")),
            "job.yaml:13: sink.url: expected s3://bucket/prefix, got 'file:///lake'");
  EXPECT_EQ(error_of(lake_with("{name: event_date,", "{name: amount,")),
            "job.yaml:17: sink.derive[0].name: column 'amount' is used twice");
  EXPECT_EQ(error_of(lake_with("{name: event_hour,", "{name: event_date,")),
            "job.yaml:18: sink.derive[1].name: column 'event_date' is used twice");
  EXPECT_EQ(error_of(lake_with("column: event_time, as: date", "column: ts, as: date")),
            "job.yaml:17: sink.derive[0].column: 'ts' is not one of the columns");
  EXPECT_EQ(error_of(lake_with("column: event_time, as: date", "column: user_id, as: date")),
            "job.yaml:17: sink.derive[0].as: date and hour need a timestamp column ('user_id' "
            "is not)");
  EXPECT_EQ(error_of(lake_with("every: 2}", "every: 5}")),
            "job.yaml:18: sink.derive[1].every: must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24)");
  EXPECT_EQ(error_of(lake_with("every: 2}", "every: 48}")),
            "job.yaml:18: sink.derive[1].every: expected a whole number from 1 to 24, got '48'");
  EXPECT_EQ(error_of(lake_with("column: user_id, modulo", "column: action_type, modulo")),
            "job.yaml:19: sink.derive[2].modulo: needs an int64 column ('action_type' is not)");
  EXPECT_EQ(error_of(lake_with("bucket[16](user_id)", "bucket(16, user_id)")),
            "job.yaml:23: sink.partitioned_by[2]: 'bucket(16, user_id)' is no partition field: "
            "a column, or year, month, day, hour, bucket[N] or truncate[W] of one, as in "
            "day(event_time)");
  EXPECT_EQ(error_of(lake_with("bucket[16](user_id)", "bucket[16](ts)")),
            "job.yaml:23: sink.partitioned_by[2]: 'ts' is not one of the columns or derived "
            "columns");
  const std::string takes = " (year, month, day and hour take a timestamp; bucket an int64, "
                            "string or timestamp; truncate an int64 or string)";
  EXPECT_EQ(error_of(lake_with("bucket[16](user_id)", "day(user_id)")),
            "job.yaml:23: sink.partitioned_by[2]: day does not take 'user_id'" + takes);
  EXPECT_EQ(error_of(lake_with("bucket[16](user_id)", "bucket[16](amount)")),
            "job.yaml:23: sink.partitioned_by[2]: bucket[16] does not take 'amount'" + takes);
  EXPECT_EQ(error_of(lake_with("truncate[4](action_type)", "truncate[4](event_time)")),
            "job.yaml:24: sink.partitioned_by[3]: truncate[4] does not take 'event_time'" + takes);
  // A derived column is partitioned as what it is: event_date is text.
  EXPECT_EQ(error_of(lake_with("    - event_date\n", "    - day(event_date)\n")),
            "job.yaml:21: sink.partitioned_by[0]: day does not take 'event_date'" + takes);
  EXPECT_EQ(error_of(lake_with("    - event_hour\n", "    - event_date\n")),
            "job.yaml:22: sink.partitioned_by[1]: 'event_date' is listed twice");
  EXPECT_EQ(error_of(lake_with("[user_bucket, user_id]", "[user_bucket, nope]")),
            "job.yaml:25: sink.sort_by[1]: 'nope' is not one of the columns or derived columns");
  EXPECT_EQ(error_of(lake_with("[user_bucket, user_id]", "[user_id, user_id]")),
            "job.yaml:25: sink.sort_by[1]: 'user_id' is listed twice");
  EXPECT_EQ(error_of(lake_with("  commit_every: 3", "  codec: lz4\n  commit_every: 3")),
            "job.yaml:26: sink.codec: 'lz4' is not one of: zstd, snappy, none");
  EXPECT_EQ(error_of(lake_with("checkpoints:\n  url: s3://weir/ck\n", "")),
            "job.yaml:12: checkpoints: an iceberg sink needs checkpoints (its data files are "
            "committed at checkpoints)");
}

namespace {

const std::string lake_export = R"(name: bets-export-lake
export:
  from:
    url: postgresql://weir@h:5432/weir
    table: bets
    key: bet_id
  columns:
    - {name: bet_id, type: string, nullable: false}
    - {name: user_id, type: int64}
    - {name: placed_at, type: timestamp}
  every: 5m
sink:
  type: iceberg
  url: s3://weir/lake/bets
  catalog: postgresql://weir@h:5432/weir
  table: weir.bets
  derive:
    - {name: placed_date, column: placed_at, as: date}
  partitioned_by: [placed_date]
  sort_by: [user_id]
)";

} // namespace

// An export into an Iceberg table: the export's from, columns and every,
// and a sink with the iceberg sink's fields instead of export.to.
TEST(SpecParser, ExportIntoIceberg) {
  auto spec = parse_spec(lake_export, "job.yaml");
  ASSERT_TRUE(spec) << spec.error_message();
  ASSERT_TRUE(spec->export_job);
  EXPECT_TRUE(exports_to_lake(*spec));
  EXPECT_TRUE(spec->export_job->bucket.empty());
  EXPECT_EQ(spec->sink.type, "iceberg");
  EXPECT_EQ(spec->sink.table, "weir.bets");
  EXPECT_EQ(spec->sink.partitioned_by, std::vector<std::string>{"placed_date"});
  EXPECT_EQ(spec->sink.derive.size(), 1u);
  auto again = parse_spec(to_yaml(*spec), "again");
  ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*spec);
  EXPECT_TRUE(*again == *spec) << to_yaml(*spec);
  EXPECT_EQ(to_yaml(*spec).find("\n  to:"), std::string::npos) << to_yaml(*spec);
  // Files stay the default: no sink, export.to.
  auto files = parse_spec(R"(name: e
export:
  from: {url: postgresql://h/d, table: t, key: id}
  columns: [{name: id, type: string}]
  to: s3://b/raw
)");
  ASSERT_TRUE(files) << files.error_message();
  EXPECT_FALSE(exports_to_lake(*files));
  EXPECT_EQ(error_of(lake_export.substr(0, lake_export.find("sink:"))),
            "job.yaml:3: export.to: required field is missing");
}

TEST(SpecParser, ExportIntoIcebergRules) {
  EXPECT_EQ(error_of(with(lake_export, "  every: 5m\n", "  every: 5m\n  to: s3://weir/raw\n")),
            "job.yaml:12: export.to: an export into the iceberg table of its sink writes no "
            "files: remove export.to");
  const auto store = lake_export.substr(0, lake_export.find("sink:"))
                     + "sink:\n  type: postgres\n  url: postgresql://h/d\n  table: t\n";
  EXPECT_EQ(error_of(store), "job.yaml:13: sink.type: an export writes Parquet files under "
                             "export.to, or into a table of sink.type iceberg, not 'postgres'");
  EXPECT_EQ(error_of(with(lake_export, "  sort_by: [user_id]\n",
                          "  sort_by: [user_id]\n  commit_every: 2\n")),
            "job.yaml:21: sink.commit_every: an export commits one snapshot per run");
  EXPECT_EQ(error_of(with(lake_export, "  sort_by: [user_id]\n", "  sort_by: [amount]\n")),
            "job.yaml:20: sink.sort_by[0]: 'amount' is not one of the columns or derived columns");
  EXPECT_EQ(error_of(with(lake_export, "column: placed_at, as: date", "column: user_id, as: date")),
            "job.yaml:18: sink.derive[0].as: date and hour need a timestamp column ('user_id' "
            "is not)");
  EXPECT_EQ(error_of(with(lake_export, "  catalog: postgresql://weir@h:5432/weir\n", "")),
            "job.yaml:13: sink.catalog: required: the PostgreSQL of the Iceberg SQL catalog "
            "(postgresql://...)");
  EXPECT_EQ(error_of(with(lake_export, "  url: s3://weir/lake/bets\n",
                          "  url: s3://weir/lake/bets\n  partials_url: "
                          "postgresql://h/d\n")),
            "job.yaml:15: sink.partials_url: an export into an iceberg table keeps no partials");
  EXPECT_EQ(error_of(with(lake_export, "  every: 5m\nsink:", "  every: 5m\nsource: {}\nsink:")),
            "job.yaml:12: source: unknown field 'source'");
}

TEST(SpecParser, BlackholeSinkTakesEitherKindAndNoPlace) {
  const std::string windowed_sink = "sink:\n  type: postgres\n"
                                    "  url: postgresql://weir@127.0.0.1:15432/weir\n"
                                    "  table: bet_stats\n";
  auto windowed = parse_spec(good_with(windowed_sink, "sink:\n  type: blackhole\n"), "job.yaml");
  ASSERT_TRUE(windowed) << windowed.error_message();
  EXPECT_EQ(windowed->sink.type, "blackhole");
  EXPECT_TRUE(windowed->sink.url.empty());
  auto again = parse_spec(to_yaml(*windowed), "again");
  ASSERT_TRUE(again) << again.error_message() << "\n" << to_yaml(*windowed);
  EXPECT_TRUE(*again == *windowed) << to_yaml(*windowed);

  const auto lake_sink = std::string{lake}.substr(std::string{lake}.find("sink:"));
  auto raw = parse_spec(lake_with(lake_sink, "sink:\n  type: blackhole\n"), "job.yaml");
  ASSERT_TRUE(raw) << raw.error_message();
  EXPECT_TRUE(*parse_spec(to_yaml(*raw)) == *raw) << to_yaml(*raw);

  // Where a store would go is refused at its line, as are a store's fields.
  EXPECT_EQ(error_of(good_with(windowed_sink, "sink:\n  type: blackhole\n  url: x\n")),
            "job.yaml:21: sink.url: blackhole discards its rows: it takes no url");
  EXPECT_EQ(error_of(good_with(windowed_sink, "sink:\n  type: blackhole\n  table: t\n")),
            "job.yaml:21: sink.table: blackhole discards its rows: it takes no table");
  EXPECT_EQ(error_of(lake_with(lake_sink, "sink:\n  type: blackhole\n  key: event_id\n")),
            "job.yaml:13: sink.key: only postgres_raw sinks take it");
  EXPECT_EQ(error_of(lake_with(lake_sink, "sink:\n  type: blackhole\n  codec: zstd\n")),
            "job.yaml:13: sink.codec: only iceberg sinks take it");
}

TEST(SpecParser, RawPostgresKeyIsOptional) {
  const auto lake_sink = std::string{lake}.substr(std::string{lake}.find("sink:"));
  const std::string pg = "sink:\n  type: postgres_raw\n  url: postgresql://h/db\n  table: ev\n";
  auto keyless = parse_spec(lake_with(lake_sink, pg), "job.yaml");
  ASSERT_TRUE(keyless) << keyless.error_message();
  EXPECT_EQ(keyless->sink.key, ""); // the Kafka position is the identity
  EXPECT_TRUE(*parse_spec(to_yaml(*keyless)) == *keyless) << to_yaml(*keyless);
  auto keyed = parse_spec(lake_with(lake_sink, pg + "  key: event_id\n"), "job.yaml");
  ASSERT_TRUE(keyed) << keyed.error_message();
  EXPECT_EQ(keyed->sink.key, "event_id");
  EXPECT_EQ(error_of(lake_with(lake_sink, pg + "  key: nope\n")),
            "job.yaml:15: sink.key: 'nope' is not one of the columns");
}
