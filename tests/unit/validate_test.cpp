// validate() on models built in code: the rules every front end shares, each
// naming the field at fault by its YAML path.
#include "jobs/validate.hpp"

#include <gtest/gtest.h>

using namespace weir::jobs;

namespace {

job_spec windowed() {
  job_spec s;
  s.name = "j";
  s.source.brokers = "b:1";
  s.source.topic = "t";
  s.source.time_field = "ts";
  s.key = {"user"};
  s.window = {window_kind::tumbling, 60'000, 60'000};
  s.aggregations = {{agg_kind::count, "", "n", {}}};
  s.sink.url = "postgresql://h/db";
  s.sink.table = "out";
  s.dead_letter_topic = "j.dlq";
  return s;
}

// "path: reason" of the first broken rule, or "ok".
std::string broken(const job_spec& s) {
  auto v = validate(s);
  return v ? v->path + ": " + v->reason : "ok";
}

} // namespace

TEST(Validate, NamesTheFieldAndTheReason) {
  auto s = windowed();
  EXPECT_EQ(broken(s), "ok");
  s.checkpoints = {"s3://b/ck", 10'000, 1};
  EXPECT_EQ(broken(s), "checkpoints.retain: expected a whole number from 2 to 1000, got '1'");

  s = windowed();
  s.window = {window_kind::session, 0, 0, 1000};
  EXPECT_EQ(broken(s).substr(0, 51), "window.type: session windows need all of a key's ev");
  s.source.partitioned_by = "user";
  EXPECT_EQ(broken(s), "ok");

  s = windowed();
  s.key = {{"9x", "a.b"}};
  EXPECT_EQ(broken(s), "key[0].as: '9x' is not a valid name (letters, digits and _, not "
                       "starting with a digit)");
}

// A field that is not written at all is shown where the one that asks for
// it is: a clickhouse sink of keys across partitions needs partials.
TEST(Validate, AMissingFieldNamesWhatAsksForIt) {
  auto s = windowed();
  s.sink.type = "clickhouse";
  s.sink.url = "http://h:8123/db";
  auto v = validate(s);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->path, "sink.partials_url");
  EXPECT_EQ(v->asked_by, "sink.type");
  s.sink.partials_url = "postgresql://h/db";
  EXPECT_EQ(broken(s), "ok");
}

TEST(Validate, SinkTypesComeFromTheConnectorList) {
  auto s = windowed();
  s.sink.type = "kafka";
  EXPECT_EQ(broken(s), "sink.type: 'kafka' is not one of: postgres, clickhouse, mysql, "
                       "postgres_raw, iceberg, blackhole");
  s.sink.type = "parquet";
  EXPECT_EQ(broken(s), "sink.type: 'parquet' is not one of: postgres, clickhouse, mysql, "
                       "postgres_raw, iceberg, blackhole");
  s.sink.type = "iceberg";
  EXPECT_EQ(broken(s), "sink.type: iceberg keeps every event: the job needs columns instead of "
                       "windows");
}

namespace {

job_spec iceberg_job() {
  job_spec s;
  s.name = "lake";
  s.source.brokers = "b:1";
  s.source.topic = "t";
  s.columns = {{"user_id", "user_id", column_type::int64},
               {"action", "action", column_type::string},
               {"ts", "ts", column_type::timestamp},
               {"amount", "amount", column_type::float64}};
  s.sink.type = "iceberg";
  s.sink.url = "s3://weir/lake";
  s.sink.catalog = "postgresql://h/c";
  s.sink.table = "ns.t";
  s.sink.derive = {{"d", "ts", derived_column_spec::date},
                   {"b", "user_id", derived_column_spec::modulo, 8}};
  s.sink.partitioned_by = {"d", "hour(ts)", "bucket[4](action)", "truncate[2](user_id)", "amount"};
  s.sink.sort_by = {"b", "user_id"};
  s.checkpoints.url = "s3://weir/ck";
  s.dead_letter_topic = "lake.dlq";
  return s;
}

} // namespace

TEST(Validate, IcebergSink) {
  auto s = iceberg_job();
  EXPECT_EQ(broken(s), "ok");
  s.sink.catalog.clear();
  auto v = validate(s);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->path, "sink.catalog");
  EXPECT_EQ(v->asked_by, "sink.type");
  s = iceberg_job();
  s.sink.derive[1].every = 0;
  EXPECT_EQ(broken(s), "sink.derive[1].modulo: expected a whole number from 1, got '0'");
  s = iceberg_job();
  s.sink.derive[0].name = "9d";
  EXPECT_EQ(broken(s).substr(0, 37), "sink.derive[0].name: '9d' is not a va");
  s = iceberg_job();
  s.sink.derive[0].k = derived_column_spec::hour;
  s.sink.derive[0].every = 0;
  EXPECT_EQ(broken(s), "sink.derive[0].every: expected a whole number from 1 to 24, got '0'");
  s = iceberg_job();
  s.sink.partitioned_by[1] = "hour(d)"; // d is text
  EXPECT_EQ(broken(s).substr(0, 47), "sink.partitioned_by[1]: hour does not take 'd' ");
  s = iceberg_job();
  s.sink.partitioned_by[1] = "bucket[0](user_id)";
  EXPECT_EQ(broken(s).substr(0, 49), "sink.partitioned_by[1]: 'bucket[0](user_id)' is n");
  s = iceberg_job();
  s.sink.partitioned_by.push_back("hour( ts )"); // the same field, written otherwise
  EXPECT_EQ(broken(s), "sink.partitioned_by[5]: 'hour( ts )' is listed twice");
  s = iceberg_job();
  s.sink.sort_by = {"b", "d", "b"};
  EXPECT_EQ(broken(s), "sink.sort_by[2]: 'b' is listed twice");
  for (auto [mb, why] :
       {std::pair{0, "from 1 to 4096, got '0'"}, {4097, "from 1 to 4096, got '4097'"}}) {
    s = iceberg_job();
    s.sink.max_file_mb = mb;
    EXPECT_EQ(broken(s), std::string{"sink.max_file_mb: expected a whole number "} + why);
  }
  s = iceberg_job();
  s.sink.commit_every = 1001;
  EXPECT_EQ(broken(s), "sink.commit_every: expected a whole number from 1 to 1000, got '1001'");
  s.sink.commit_every = 0;
  EXPECT_EQ(broken(s), "sink.commit_every: expected a whole number from 1 to 1000, got '0'");
  s = iceberg_job();
  s.sink.snapshots_kept = 0;
  EXPECT_EQ(broken(s), "sink.snapshots_kept: expected a whole number from 1, got '0'");
  s = iceberg_job();
  s.sink.codec = "gzip";
  EXPECT_EQ(broken(s), "sink.codec: 'gzip' is not one of: zstd, snappy, none");
}
