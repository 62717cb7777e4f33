#include "web/api.hpp"
#include "web/prometheus.hpp"

#include <gtest/gtest.h>

#include <string>

namespace weir::web {
namespace {

// One job of two partitions: 0 reported by its owner w1, 1 unowned.
observed_cluster cluster() {
  observed_cluster c;
  c.now_ms = 10'000;
  observed_worker w;
  w.name = "w1";
  w.info = {"w1", "host-a", 42};
  w.last_report_ms = 9'500;
  w.report.cpu_seconds = 3.5;
  w.report.rss_bytes = 1 << 20;
  c.workers.push_back(w);
  observed_job j;
  j.id = "bets \"top\"";
  j.kind = "windowed";
  j.topic = "bets";
  j.sink = "postgres bet_stats";
  observed_partition p0;
  p0.owner = "w1";
  partition_report r;
  r.partition = 0;
  r.next_offset = 90;
  r.high_watermark = 100;
  r.watermark = 4'000;
  r.events = 80;
  r.filtered = 5;
  r.malformed = 3;
  r.late = 2;
  p0.report = r;
  p0.records_per_second = 12.5;
  j.partitions.push_back(p0);
  observed_partition p1;
  p1.failed = "offsets gone";
  j.partitions.push_back(p1);
  j.rounds.push_back({7, 1'000, 1'250, 1, 1, 300, round_outcome::completed});
  j.rounds.push_back({8, 2'000, 0, 1, 0, 0, round_outcome::failed});
  j.checkpoints_failed = 1;
  metrics::histogram h;
  h.observe(0.003);
  metrics::snapshot sink;
  metrics::append(sink, "write_seconds", "one write", h);
  j.sink_metrics.emplace_back("w1", sink);
  c.jobs.push_back(j);
  return c;
}

TEST(WebApi, JobBodyCarriesPartitionFiguresAndNullsForTheUnknown) {
  auto c = cluster();
  auto j = job_json(c, c.jobs[0].id);
  ASSERT_FALSE(j.is_null());
  EXPECT_EQ(j["state"], "failing");
  const auto& p0 = j["partitions"][0];
  EXPECT_EQ(p0["lag"], 10);
  EXPECT_EQ(p0["watermark_lag_ms"], 6'000);
  EXPECT_EQ(p0["dead_lettered"], 5); // malformed + late
  EXPECT_EQ(p0["records_per_second"], 12.5);
  const auto& p1 = j["partitions"][1];
  EXPECT_TRUE(p1["owner"].is_null());
  EXPECT_EQ(p1["reported"], false);
  EXPECT_EQ(p1["failed"], "offsets gone");
  EXPECT_EQ(j["totals"]["events"], 80);
  EXPECT_EQ(j["totals"]["lag"], 10);
  // The last *completed* round, not the failed one after it.
  EXPECT_EQ(j["last_checkpoint"]["round"], 7);
  EXPECT_EQ(j["last_checkpoint"]["duration_ms"], 250);
  EXPECT_EQ(j["last_checkpoint"]["age_ms"], 8'750);
  EXPECT_TRUE(job_json(c, "nope").is_null());
}

TEST(WebApi, AJobOfRunsIsScheduledWithItsLastRun) {
  observed_cluster c;
  observed_job j;
  j.id = "e";
  j.kind = "export";
  j.runs = true;
  j.last_run = "2026-01-01T10:05:00Z";
  c.jobs.push_back(j);
  auto out = job_json(c, "e");
  EXPECT_EQ(out["state"], "scheduled");
  EXPECT_EQ(out["last_export"], "2026-01-01T10:05:00Z");
  EXPECT_EQ(job_json(cluster(), cluster().jobs[0].id).count("last_export"), 0u);
}

TEST(WebApi, CheckpointsNewestFirst) {
  auto c = cluster();
  auto cp = checkpoints_json(c, c.jobs[0].id)["checkpoints"];
  ASSERT_EQ(cp.size(), 2u);
  EXPECT_EQ(cp[0]["round"], 8);
  EXPECT_TRUE(cp[0]["duration_ms"].is_null());
  EXPECT_EQ(cp[1]["outcome"], "completed");
}

TEST(WebApi, WorkersListTheirPartitions) {
  auto w = workers_json(cluster())["workers"];
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0]["partitions"].size(), 1u);
  EXPECT_EQ(w[0]["last_heartbeat_age_ms"], 500);
  EXPECT_TRUE(w[0]["cpu_percent"].is_null());
}

TEST(WebApi, SpecErrorsSplitIntoFileLineColumnField) {
  auto e = spec_error_json("jobs/a.yaml:8: kee: unknown field 'kee' (did you mean 'key'?)");
  EXPECT_EQ(e["file"], "jobs/a.yaml");
  EXPECT_EQ(e["line"], 8);
  EXPECT_TRUE(e["column"].is_null());
  EXPECT_EQ(e["field"], "kee");
  EXPECT_EQ(e["message"], "unknown field 'kee' (did you mean 'key'?)");
  auto sql = spec_error_json("q.sql:7:55: function 'median' is not supported\n  SELECT\n  ^");
  EXPECT_EQ(sql["column"], 55);
  EXPECT_TRUE(sql["field"].is_null());
  EXPECT_EQ(sql["message"], "function 'median' is not supported\n  SELECT\n  ^");
  auto bare = spec_error_json("job 'x' is already running");
  EXPECT_TRUE(bare["file"].is_null());
  EXPECT_EQ(bare["message"], "job 'x' is already running");
}

TEST(WebPrometheus, FamiliesOnceWithEscapedLabelsAndCumulativeBuckets) {
  auto text = exposition(cluster());
  auto count = [&](const std::string& needle) {
    size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("# TYPE weir_partition_records_total counter\n"), 1u);
  // Records read: folded, filtered and malformed.
  EXPECT_NE(text.find("weir_partition_records_total{job_id=\"bets \\\"top\\\"\",partition=\"0\","
                      "worker=\"w1\"} 88\n"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("weir_partition_lag_records{job_id=\"bets \\\"top\\\"\",partition=\"0\","
                      "worker=\"w1\"} 10\n"),
            std::string::npos);
  EXPECT_NE(text.find("weir_partition_failed{job_id=\"bets \\\"top\\\"\",partition=\"1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("weir_sink_write_seconds_bucket{job_id=\"bets \\\"top\\\"\",worker=\"w1\","
                      "le=\"+Inf\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("weir_sink_write_seconds_bucket{job_id=\"bets \\\"top\\\"\",worker=\"w1\","
                      "le=\"0.0025\"} 0\n"),
            std::string::npos);
  EXPECT_NE(text.find("weir_sink_write_seconds_bucket{job_id=\"bets \\\"top\\\"\",worker=\"w1\","
                      "le=\"0.005\"} 1\n"),
            std::string::npos)
    << text;
  EXPECT_NE(text.find("weir_job_checkpoints_failed_total{job_id=\"bets \\\"top\\\"\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("weir_worker_cpu_seconds_total{worker=\"w1\"} 3.5\n"), std::string::npos);
  // No partition gauges for one nobody reported.
  EXPECT_EQ(text.find("weir_partition_next_offset{job_id=\"bets \\\"top\\\"\",partition=\"1\""),
            std::string::npos);
}

} // namespace
} // namespace weir::web
