// The export into an Iceberg table without services: the table the shipped
// bets-export-lake spec makes, and which snapshots name a run.
#include "sinks/export/into_lake.hpp"
#include "jobs/spec.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

using namespace weir;

namespace {

jobs::job_spec shipped() {
  // WEIR_SPECS_DIR: jobs/sql/tests.cmake defines it for the unit tests.
  std::ifstream in{std::string{WEIR_SPECS_DIR} + "/bets-export-lake.yaml"};
  std::stringstream text;
  text << in.rdbuf();
  auto expanded =
    jobs::expand_variables(text.str(), "bets-export-lake.yaml",
                           [](const std::string&) { return std::optional<std::string>{}; });
  EXPECT_TRUE(expanded) << expanded.error_message();
  auto spec = jobs::parse_spec(*expanded, "bets-export-lake.yaml");
  EXPECT_TRUE(spec) << spec.error_message();
  return *spec;
}

iceberg::snapshot snap(std::int64_t id, std::map<std::string, std::string> summary) {
  iceberg::snapshot s;
  s.snapshot_id = id;
  if (id > 1)
    s.parent_snapshot_id = id - 1;
  s.summary = std::move(summary);
  s.summary["operation"] = "append";
  return s;
}

} // namespace

// The export's table is the one a raw job of the same columns and sink makes:
// its columns, then the derived ones, partitioned and sorted as the spec says.
TEST(ExportIntoLake, TheShippedTable) {
  const auto spec = shipped();
  ASSERT_TRUE(jobs::exports_to_lake(spec));
  auto t = lake::table_config_of(spec.export_job->columns, spec.sink);
  ASSERT_TRUE(t) << t.error_message();
  EXPECT_EQ(t->bucket, "weir");
  EXPECT_EQ(t->prefix, "lake/bets");
  EXPECT_EQ(t->catalog_url, spec.export_job->pg_url); // the marks commit with the swap
  EXPECT_EQ(t->ns + "." + t->name, "weir.bets");
  ASSERT_EQ(t->schema.fields.size(), 9u);
  EXPECT_EQ(t->schema.fields[0].name, "bet_id");
  EXPECT_TRUE(t->schema.fields[0].required);
  EXPECT_EQ(t->schema.fields[8].name, "placed_date");
  EXPECT_EQ(t->schema.fields[8].t, iceberg::type::string);
  ASSERT_EQ(t->spec.fields.size(), 1u);
  EXPECT_EQ(t->spec.fields[0].source_id, 9);
  EXPECT_EQ(t->sort_columns, std::vector<std::size_t>{1}); // user_id
  jobs::job_spec raw = spec;
  raw.export_job.reset();
  raw.columns = spec.export_job->columns;
  auto same = lake::table_config_of(raw);
  ASSERT_TRUE(same) << same.error_message();
  ASSERT_EQ(same->schema.fields.size(), t->schema.fields.size());
  for (std::size_t i = 0; i < t->schema.fields.size(); ++i)
    EXPECT_EQ(same->schema.fields[i].name, t->schema.fields[i].name);
  EXPECT_EQ(same->spec.fields.size(), t->spec.fields.size());
}

// A run is found by its snapshot's summary: the raw table and the run id
// both; an expired snapshot (no longer an ancestor) is not found.
TEST(ExportIntoLake, ARunIsFoundByItsSnapshot) {
  iceberg::table_metadata m;
  EXPECT_FALSE(raw::has_export_run(m, "bets", "2026-01-01T10:05:00Z"));
  m.snapshots = {snap(1,
                      {{"weir.export-from", "bets"}, {"weir.export-run", "2026-01-01T10:05:00Z"}}),
                 snap(2,
                      {{"weir.export-from", "bets"}, {"weir.export-run", "2026-01-01T10:10:00Z"}}),
                 snap(3, {{"weir.commit-id", "x"}})};
  m.current_snapshot_id = 3;
  EXPECT_TRUE(raw::has_export_run(m, "bets", "2026-01-01T10:05:00Z"));
  EXPECT_TRUE(raw::has_export_run(m, "bets", "2026-01-01T10:10:00Z"));
  EXPECT_FALSE(raw::has_export_run(m, "bets", "2026-01-01T10:15:00Z"));
  EXPECT_FALSE(raw::has_export_run(m, "other_bets", "2026-01-01T10:05:00Z"));
  m.snapshots.erase(m.snapshots.begin()); // expired
  EXPECT_FALSE(raw::has_export_run(m, "bets", "2026-01-01T10:05:00Z"));
}
