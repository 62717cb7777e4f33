// The one list of job kinds (jobs/registry/kinds.hpp): which kind a spec is,
// how the cluster runs it, and how the operator sees it.
#include "jobs/registry/kinds.hpp"
#include "jobs/registry/pipelines.hpp"

#include <gtest/gtest.h>

using namespace weir::jobs;

namespace {

job_spec windowed_spec() {
  job_spec s;
  s.name = "w";
  s.source.topic = "bets";
  s.sink.type = "postgres";
  s.sink.table = "totals";
  return s;
}

job_spec export_spec_of(millis every) {
  job_spec s;
  s.name = "e";
  export_spec e;
  e.table = "bets";
  e.bucket = "lake";
  e.prefix = "raw";
  e.every = every;
  s.export_job = e;
  return s;
}

} // namespace

TEST(JobKinds, WindowedAndRawAreJobsOfPartitions) {
  auto w = windowed_spec();
  EXPECT_EQ(kind_of(w).name(), "windowed");
  EXPECT_EQ(kind_of(w).form(), job_form::partitions);
  EXPECT_EQ(kind_of(w).every(w), 0);
  EXPECT_EQ(kind_of(w).reads(w), "bets");
  EXPECT_EQ(kind_of(w).writes(w), "postgres totals");
  auto r = w;
  r.columns.push_back({});
  r.sink = {};
  r.sink.type = "iceberg";
  r.sink.url = "s3://lake/bets";
  EXPECT_EQ(kind_of(r).name(), "raw");
  EXPECT_EQ(kind_of(r).form(), job_form::partitions);
  EXPECT_EQ(kind_of(r).writes(r), "iceberg s3://lake/bets"); // no table: its place
  r.sink.table = "weir.bets";
  EXPECT_EQ(kind_of(r).writes(r), "iceberg weir.bets"); // its name in the catalog
}

TEST(JobKinds, ExportIsAJobOfRunsWithoutAPipeline) {
  auto e = export_spec_of(120'000);
  const auto& kind = kind_of(e);
  EXPECT_EQ(kind.name(), "export");
  EXPECT_EQ(kind.form(), job_form::runs);
  EXPECT_EQ(kind.every(e), 120'000);
  EXPECT_EQ(kind.reads(e), "(export of bets)");
  EXPECT_EQ(kind.writes(e), "s3://lake/raw");
  auto pipeline = make_pipeline(e);
  ASSERT_FALSE(pipeline);
  EXPECT_NE(pipeline.error_message().find("has no stream to run"), std::string::npos);
}
