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
                       "postgres_raw, parquet");
  s.sink.type = "parquet";
  EXPECT_EQ(broken(s), "sink.type: parquet keeps every event: the job needs columns instead of "
                       "windows");
}
