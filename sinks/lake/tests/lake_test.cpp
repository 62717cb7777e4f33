// The lake room without services: the table of the shipped seed-004 spec,
// a row with its derived columns, pending list names, which lists a commit
// takes, committed offsets, merged statistics of a compacted file.
#include "jobs/raw/projection.hpp"
#include "lib/iceberg/commit.hpp"
#include "sinks/lake/commit.hpp"
#include "sinks/lake/compaction.hpp"
#include "sinks/lake/layout.hpp"
#include "sinks/lake/orphans.hpp"

#include <gtest/gtest.h>

using namespace weir;

namespace {

jobs::job_spec seed_004() {
  jobs::job_spec s;
  s.name = "lake";
  s.columns = {{"event_id", "", jobs::column_type::string, false},
               {"user_id", "", jobs::column_type::int64, false},
               {"event_time", "timestamp", jobs::column_type::timestamp, false},
               {"metadata", "", jobs::column_type::string, true}};
  s.sink.type = "iceberg";
  s.sink.url = "s3://weir/lake/user_actions/";
  s.sink.catalog = "postgresql://weir@127.0.0.1:15432/weir";
  s.sink.table = "weir.user_actions";
  s.sink.derive = {{"event_date", "event_time", jobs::derived_column_spec::date, 1},
                   {"event_hour", "event_time", jobs::derived_column_spec::hour, 2},
                   {"user_bucket", "user_id", jobs::derived_column_spec::modulo, 128}};
  s.sink.partitioned_by = {"event_date", "event_hour", "bucket[16](user_id)"};
  s.sink.sort_by = {"user_bucket", "user_id"};
  return s;
}

} // namespace

TEST(LakeLayout, TheSeed004Table) {
  auto t = lake::table_config_of(seed_004());
  ASSERT_TRUE(t) << t.error_message();
  EXPECT_EQ(t->bucket, "weir");
  EXPECT_EQ(t->prefix, "lake/user_actions");
  EXPECT_EQ(t->location(), "s3://weir/lake/user_actions");
  EXPECT_EQ(t->ns, "weir");
  EXPECT_EQ(t->name, "user_actions");
  ASSERT_EQ(t->schema.fields.size(), 7u);
  const std::vector<std::pair<std::string, iceberg::type>> want =
    {{"event_id", iceberg::type::string},        {"user_id", iceberg::type::int64},
     {"event_time", iceberg::type::timestamptz}, {"metadata", iceberg::type::string},
     {"event_date", iceberg::type::string},      {"event_hour", iceberg::type::string},
     {"user_bucket", iceberg::type::int64}};
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(t->schema.fields[i].id, static_cast<int>(i + 1));
    EXPECT_EQ(t->schema.fields[i].name, want[i].first);
    EXPECT_EQ(t->schema.fields[i].t, want[i].second);
    EXPECT_EQ(t->columns[i].field_id, static_cast<int>(i + 1));
  }
  EXPECT_FALSE(t->schema.fields[3].required);
  ASSERT_EQ(t->spec.fields.size(), 3u);
  EXPECT_EQ(t->spec.fields[0].name, "event_date");
  EXPECT_EQ(t->spec.fields[0].source_id, 5);
  EXPECT_EQ(t->spec.fields[0].field_id, 1000);
  EXPECT_EQ(t->spec.fields[2].name, "user_id_bucket");
  EXPECT_EQ(t->spec.fields[2].transform.to_string(), "bucket[16]");
  EXPECT_EQ(t->order.order_id, 1);
  EXPECT_EQ(t->sort_columns, (std::vector<std::size_t>{6, 1}));
  EXPECT_EQ(t->target_file_bytes, std::size_t{128} << 20);
}

TEST(LakeLayout, ATransformThatDoesNotFitItsColumnIsRefused) {
  auto s = seed_004();
  s.sink.partitioned_by = {"day(user_id)"};
  auto t = lake::table_config_of(s);
  ASSERT_FALSE(t);
  EXPECT_NE(t.error_message().find("day(user_id)"), std::string::npos) << t.error_message();
  s.sink.partitioned_by = {"nope"};
  EXPECT_FALSE(lake::table_config_of(s));
}

TEST(LakeLayout, RowsGetTheirDerivedColumns) {
  auto spec = seed_004();
  auto t = lake::table_config_of(spec);
  ASSERT_TRUE(t);
  auto batch = raw::row_batch::make(raw::raw_schema(spec.columns));
  ASSERT_TRUE(batch);
  // 2026-01-01T03:59:59.999Z, user 1000 (1000 % 128 = 104); -1 % 128 is 127.
  ASSERT_TRUE(batch->append({std::string_view{"e1"}, std::int64_t{1000},
                             std::int64_t{1767239999999}, std::monostate{}},
                            raw::kafka_position{0, 5}));
  ASSERT_TRUE(batch->append({std::string_view{"e2"}, std::int64_t{-1}, std::int64_t{-1},
                             std::string_view{"{}"}},
                            raw::kafka_position{0, 6}));
  auto rows = raw::row_batch::make(t->columns);
  ASSERT_TRUE(rows);
  const std::vector<std::uint32_t> picked{1, 0}; // any order, as asked
  lake::table_rows(*t, *batch, picked, *rows);
  ASSERT_EQ(rows->rows(), 2u);
  EXPECT_EQ(std::get<std::string_view>(rows->at(1, 0)), "e1");
  EXPECT_EQ(std::get<std::int64_t>(rows->at(1, 2)), 1767239999999000); // microseconds
  EXPECT_EQ(rows->at(1, 3).index(), 0u);                               // NULL
  EXPECT_EQ(std::get<std::string_view>(rows->at(1, 4)), "2026-01-01");
  EXPECT_EQ(std::get<std::string_view>(rows->at(1, 5)), "02");
  EXPECT_EQ(std::get<std::int64_t>(rows->at(1, 6)), 104);
  EXPECT_EQ(std::get<std::string_view>(rows->at(0, 3)), "{}");
  EXPECT_EQ(std::get<std::string_view>(rows->at(0, 4)), "1969-12-31");
  EXPECT_EQ(std::get<std::string_view>(rows->at(0, 5)), "22");
  EXPECT_EQ(std::get<std::int64_t>(rows->at(0, 6)), 127);
  EXPECT_EQ(rows->weight(), 2 * (8 * 3 + 4 * 4) + 2 + 2 + 2 + 10 + 10 + 2 + 2);
}

TEST(LakePending, NamesRoundTripAndStrangersAreRefused) {
  auto t = lake::table_config_of(seed_004());
  ASSERT_TRUE(t);
  const lake::pending_list l{3, 42, 1000, 2500};
  const auto key = lake::pending_key(*t, "abc", l);
  EXPECT_EQ(key.rfind(lake::pending_prefix(*t, "abc"), 0), 0u) << key;
  auto back = lake::parse_pending_key(key);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->partition, 3);
  EXPECT_EQ(back->round, 42u);
  EXPECT_EQ(back->first, 1000);
  EXPECT_EQ(back->next, 2500);
  EXPECT_FALSE(lake::parse_pending_key(key + ".tmp"));
  EXPECT_FALSE(lake::parse_pending_key("x/p3/r1-2-1.avro")); // first after next
  EXPECT_FALSE(lake::parse_pending_key("x/data/p3-uuid.parquet"));
}

TEST(LakeCommit, ListsChainFromTheCommittedOffsetAndNeverPassTheCheckpoint) {
  using L = lake::pending_list;
  // A dead owner's list [100, 180) of round 3 beside its successor's replay
  // [100, 250) of round 5; a list beyond the checkpoint waits.
  std::vector<L> lists = {{0, 2, 0, 100}, {0, 3, 100, 180}, {0, 5, 100, 250}, {0, 6, 250, 400}};
  auto picked = lake::choose_lists(lists, 0, 250);
  ASSERT_EQ(picked.size(), 2u);
  EXPECT_EQ(picked[0].round, 2u);
  EXPECT_EQ(picked[1].round, 5u);
  EXPECT_TRUE(lake::choose_lists(lists, 100, 100).empty());
  picked = lake::choose_lists(lists, 250, 400);
  ASSERT_EQ(picked.size(), 1u);
  EXPECT_EQ(picked[0].round, 6u);
  // Only the dead owner's list reaches within the limit: it is taken.
  picked = lake::choose_lists(lists, 100, 200);
  ASSERT_EQ(picked.size(), 1u);
  EXPECT_EQ(picked[0].round, 3u);
  EXPECT_TRUE(lake::choose_lists(lists, 50, 400).empty()); // nothing starts there
}

TEST(LakeCommit, CommittedOffsetsComeFromTheNewestSnapshotOfTheIdentity) {
  EXPECT_EQ(lake::format_offsets({{0, 12}, {5, 7}}), "0:12,5:7");
  EXPECT_EQ(lake::parse_offsets("0:12,5:7"), (lake::offsets{{0, 12}, {5, 7}}));
  EXPECT_TRUE(lake::parse_offsets("").empty());

  auto cfg = lake::table_config_of(seed_004());
  ASSERT_TRUE(cfg);
  iceberg::new_table_options o{cfg->schema, cfg->spec, cfg->order, cfg->location(), "u", {}, 1000};
  auto m = iceberg::new_table(o);
  ASSERT_TRUE(m) << m.error_message();
  EXPECT_TRUE(lake::committed_offsets(*m, "me").empty());
  std::int64_t ts = 2000;
  auto commit = [&](std::map<std::string, std::string> summary) {
    iceberg::commit_request r;
    r.summary = std::move(summary);
    r.timestamp_ms = ts++;
    r.manifest_prefix = cfg->location() + "/metadata/m" + std::to_string(ts);
    r.manifest_list_path = cfg->location() + "/metadata/l" + std::to_string(ts);
    iceberg::data_file f;
    f.file_path = cfg->location() + "/data/f" + std::to_string(ts) + ".parquet";
    f.partition = {std::string{"2026-01-01"}, std::string{"00"}, std::int32_t{1}};
    f.record_count = 1;
    f.file_size_in_bytes = 10;
    r.added = {f};
    auto p = iceberg::plan_commit(*m, {}, r);
    ASSERT_TRUE(p) << p.error_message();
    *m = p->metadata;
  };
  commit({{"weir.commit-id", "me"}, {"weir.offsets", "0:10"}});
  commit({{"weir.commit-id", "an earlier job"}, {"weir.offsets", "0:999"}});
  EXPECT_EQ(lake::committed_offsets(*m, "me"), (lake::offsets{{0, 10}}));
  commit({{"weir.commit-id", "me"}, {"weir.offsets", "0:20,1:5"}, {"weir.lists", "0:7,1:7"}});
  EXPECT_EQ(lake::committed_offsets(*m, "me"), (lake::offsets{{0, 20}, {1, 5}}));
  EXPECT_TRUE(lake::committed_offsets(*m, "a fresh job").empty());
  // The lists taken, by every kept snapshot of the identity (not another's).
  commit({{"weir.commit-id", "an earlier job"}, {"weir.offsets", "0:999"}, {"weir.lists", "0:8"}});
  commit({{"weir.commit-id", "me"}, {"weir.offsets", "0:30,1:5"}, {"weir.lists", "0:9"}});
  using pr = std::pair<partition_id, round_id>;
  EXPECT_EQ(lake::committed_lists(*m, "me"), (std::set<pr>{{0, 7}, {1, 7}, {0, 9}}));
  EXPECT_TRUE(lake::committed_lists(*m, "a fresh job").empty());
}

TEST(LakeCompaction, MergedStatisticsSumCountsAndWidenBounds) {
  auto cfg = lake::table_config_of(seed_004());
  ASSERT_TRUE(cfg);
  const auto& s = cfg->schema;
  auto bytes = [](std::int64_t v) {
    return iceberg::to_bytes(iceberg::type::int64, v);
  };
  iceberg::data_file a, b;
  a.file_path = "s3://weir/lake/user_actions/data/x/a.parquet";
  a.record_count = 3;
  a.value_counts = {{2, 3}, {4, 3}};
  a.null_value_counts = {{2, 0}, {4, 1}};
  a.column_sizes = {{2, 30}};
  a.lower_bounds = {{2, bytes(5)}, {1, "b"}};
  a.upper_bounds = {{2, bytes(9)}, {1, "d"}};
  a.split_offsets = {4};
  a.sort_order_id = 1;
  b = a;
  b.record_count = 2;
  b.value_counts = {{2, 2}};
  b.null_value_counts = {{2, 1}, {4, 0}};
  b.column_sizes = {{2, 20}};
  b.lower_bounds = {{2, bytes(-3)}, {1, "a"}};
  b.upper_bounds = {{2, bytes(7)}};
  auto m = lake::merged_file(s, {a, b});
  EXPECT_EQ(m.record_count, 5);
  EXPECT_EQ(m.value_counts, (std::map<std::int32_t, std::int64_t>{{2, 5}})); // 4 unknown in b
  EXPECT_EQ(m.null_value_counts, (std::map<std::int32_t, std::int64_t>{{2, 1}, {4, 1}}));
  EXPECT_EQ(m.column_sizes.at(2), 50);
  EXPECT_EQ(m.lower_bounds.at(2), bytes(-3));
  EXPECT_EQ(m.lower_bounds.at(1), "a");
  EXPECT_EQ(m.upper_bounds.at(2), bytes(9));
  EXPECT_FALSE(m.upper_bounds.contains(1)); // b has no upper bound for it
  EXPECT_TRUE(m.split_offsets.empty());
  EXPECT_FALSE(m.sort_order_id);
}

// Orphans: under data/, named by no snapshot nor list, modified before the
// cutoff; a file without a time is kept.
TEST(LakeOrphans, OnlyUnreferencedFilesOlderThanTheCutoff) {
  std::vector<s3::client::object_info> objects{{"t/data/a.parquet", 1000},
                                               {"t/data/b.parquet", 1000},
                                               {"t/data/c.parquet", 5000},
                                               {"t/data/d.parquet", -1}};
  EXPECT_EQ(lake::orphans(objects, {"t/data/a.parquet"}, 2000),
            std::vector<std::string>{"t/data/b.parquet"});
  EXPECT_EQ(lake::orphans(objects, {}, 6000),
            (std::vector<std::string>{"t/data/a.parquet", "t/data/b.parquet", "t/data/c.parquet"}));
  EXPECT_TRUE(lake::orphans(objects, {}, 1000).empty());
}
