// The pipeline interface as the source actor uses it: per kind, fold, flush,
// snapshot/restore round trips, catching up without emitting, release.
#include "jobs/raw/pipeline.hpp"
#include "jobs/registry/pipelines.hpp"
#include "jobs/windowed/pipeline.hpp"

#include <gtest/gtest.h>

using namespace weir;
using namespace weir::jobs;

namespace {

job_spec windowed_spec() {
  job_spec s;
  s.name = "w";
  s.key = {"k"};
  s.window.size = 1000;
  s.window.slide = 1000;
  s.aggregations = {{agg_kind::count, "", "n"}};
  return s;
}

job_spec raw_spec() {
  job_spec s;
  s.name = "r";
  s.columns = {{"id", "id", column_type::int64, false}, {"who", "who", column_type::string, true}};
  return s;
}

event_view at(millis t, std::string_view key) {
  event_view ev;
  ev.time = t;
  ev.key = key;
  return ev;
}

} // namespace

TEST(Pipeline, RegistryPicksTheKind) {
  auto w = make_pipeline(windowed_spec());
  ASSERT_TRUE(w) << w.error_message();
  EXPECT_EQ((*w)->kind(), "windowed");
  EXPECT_TRUE((*w)->moves_state());
  auto r = make_pipeline(raw_spec());
  ASSERT_TRUE(r) << r.error_message();
  EXPECT_EQ((*r)->kind(), "raw");
  EXPECT_FALSE((*r)->moves_state());
  job_spec e;
  e.name = "e";
  e.export_job.emplace();
  EXPECT_FALSE(make_pipeline(e));
}

TEST(Pipeline, WindowedFoldsFlushesAndRoundTrips) {
  auto made = make_pipeline(windowed_spec());
  ASSERT_TRUE(made);
  const auto& pl = **made;
  auto part = pl.fresh(3);
  EXPECT_EQ(pl.fold(*part, at(100, "a"), 0, true).status, fold_status::ok);
  EXPECT_EQ(pl.fold(*part, at(200, "b"), 1, true).status, fold_status::ok);
  EXPECT_EQ(pl.flush(*part), nullptr); // no window closed yet
  EXPECT_EQ(pl.fold(*part, at(1500, "a"), 2, true).status, fold_status::ok);
  auto out = pl.flush(*part);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->partition, 3);
  EXPECT_EQ(out->size(), 2u); // window [0, 1000): a and b
  EXPECT_EQ(pl.flush(*part), nullptr);
  EXPECT_EQ(pl.watermark(*part), 1500);
  EXPECT_EQ(part->cursor().events, 3u);

  auto restored = pl.restore(3, pl.snapshot(*part), "test");
  ASSERT_TRUE(restored) << restored.error_message();
  EXPECT_EQ((*restored)->cursor().events, 3u);
  EXPECT_EQ(pl.watermark(**restored), 1500);
  // The restored partition closes the same window the original would.
  pl.fold(**restored, at(2500, "z"), 3, true);
  auto again = pl.flush(**restored);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->size(), 1u); // window [1000, 2000): a
  // Too late for every window: reported, not folded.
  EXPECT_EQ(pl.fold(**restored, at(10, "a"), 4, true).status, fold_status::late);

  auto shipped = pl.release(**restored);
  ASSERT_TRUE(shipped.has_value());
  auto unpacked = unpack_shipped("windowed", 3, *shipped, "shipped");
  ASSERT_TRUE(unpacked) << unpacked.error_message();
  EXPECT_EQ(pl.watermark(**unpacked), 2500);
  EXPECT_FALSE(unpack_shipped("raw", 3, *shipped, "shipped"));
  EXPECT_FALSE(pl.restore(3, "not msgpack", "garbage"));
}

TEST(Pipeline, WindowedCatchingUpEmitsNothing) {
  auto made = make_pipeline(windowed_spec());
  const auto& pl = **made;
  auto part = pl.fresh(0);
  pl.fold(*part, at(100, "a"), 0, false);
  pl.fold(*part, at(1500, "a"), 1, false); // closes [0, 1000) while catching up
  EXPECT_EQ(pl.flush(*part), nullptr);
  pl.fold(*part, at(2500, "a"), 2, true); // the former owner stopped before this one
  auto out = pl.flush(*part);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->size(), 1u);
}

TEST(Pipeline, RawRowsRejectsAndRoundTrips) {
  auto made = make_pipeline(raw_spec());
  ASSERT_TRUE(made);
  const auto& pl = **made;
  auto part = pl.fresh(1);
  field_value cols[2];
  cols[0] = {true, true, 7, "7"};
  cols[1] = {true, false, 0, "ann"};
  event_view ev;
  ev.columns = cols;
  EXPECT_EQ(pl.fold(*part, ev, 40, true).status, fold_status::ok);
  cols[0] = {false, false, 0, {}}; // id is not nullable
  auto bad = pl.fold(*part, ev, 41, true);
  EXPECT_EQ(bad.status, fold_status::rejected);
  EXPECT_NE(bad.reason.find("id"), std::string::npos) << bad.reason;
  auto out = pl.flush(*part);
  ASSERT_NE(out, nullptr);
  EXPECT_EQ(out->size(), 1u);
  const auto& rows = dynamic_cast<const raw::event_rows&>(*out).rows;
  EXPECT_EQ(rows.position(0).offset, 40);
  EXPECT_EQ(rows.position(0).partition, 1);
  EXPECT_EQ(pl.watermark(*part), no_time);

  part->cursor().next_offset = 42;
  auto restored = pl.restore(1, pl.snapshot(*part), "test");
  ASSERT_TRUE(restored) << restored.error_message();
  EXPECT_EQ((*restored)->cursor().next_offset, 42);
  EXPECT_EQ((*restored)->cursor().events, 1u);
  EXPECT_FALSE(pl.release(**restored).has_value()); // the new owner replays from its checkpoint
}
