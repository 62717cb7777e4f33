#include "jobs/windowed/watermark.hpp"

#include <gtest/gtest.h>

using namespace weir::jobs;

TEST(JobWatermark, LowestActivePartitionOnceAllReported) {
  EXPECT_EQ(job_watermark({{100, false}, {50, false}}, 3, no_time), no_time)
    << "a partition has not reported yet";
  EXPECT_EQ(job_watermark({{100, false}, {50, false}, {70, false}}, 3, no_time), 50);
}

TEST(JobWatermark, IdlePartitionsDoNotHoldWindowsBack) {
  EXPECT_EQ(job_watermark({{100, false}, {no_time, true}, {10, true}}, 3, no_time), 100);
  EXPECT_EQ(job_watermark({{100, true}, {50, true}, {no_time, true}}, 3, 20), 50)
    << "all idle: the lowest partition that saw events decides";
  EXPECT_EQ(job_watermark({{no_time, true}, {no_time, true}}, 2, 20), 20)
    << "all idle and none saw an event: nothing advances";
  EXPECT_EQ(job_watermark({{100, false}, {no_time, false}}, 2, 20), 20)
    << "an active partition without events blocks";
}

TEST(JobWatermark, NeverMovesBackwards) {
  EXPECT_EQ(job_watermark({{100, false}, {50, false}}, 2, 80), 80)
    << "a partition restored from an older checkpoint reports a lower watermark";
  EXPECT_EQ(job_watermark({{100, false}, {90, false}}, 2, 80), 90);
}

TEST(FinalMark, EveryPartitionIdleOnesIncluded) {
  EXPECT_EQ(final_mark({{100, false}, {50, true}}, 3), no_time) << "a partition has not reported";
  EXPECT_EQ(final_mark({{100, false}, {no_time, true}, {70, false}}, 3), no_time)
    << "an idle partition without a watermark holds finality back";
  EXPECT_EQ(final_mark({{100, false}, {50, true}, {70, false}}, 3), 50)
    << "an idle partition counts: it may wake with its backlog";
  EXPECT_FALSE(is_final(40, 0, no_time));
  EXPECT_TRUE(is_final(50, 0, 50));
  EXPECT_FALSE(is_final(50, 1, 50)) << "the allowed lateness keeps it open";
}
