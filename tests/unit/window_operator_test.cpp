#include "jobs/window.hpp"
#include "jobs/window_operator.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace weir::jobs;

TEST(TumblingWindow, AlignsToEpoch) {
  EXPECT_EQ(tumbling_start(0, 60'000), 0);
  EXPECT_EQ(tumbling_start(59'999, 60'000), 0);
  EXPECT_EQ(tumbling_start(60'000, 60'000), 60'000);
  EXPECT_EQ(tumbling_start(1767225612345, 60'000), 1767225600000);
  EXPECT_EQ(tumbling_start(-1, 60'000), -60'000);
  EXPECT_EQ(tumbling_start(-60'000, 60'000), -60'000);
}

namespace {

job_spec make_spec(millis ooo) {
  job_spec s;
  s.name = "t";
  s.source.out_of_orderness = ooo;
  s.key = {"k"};
  s.window.size = 1000;
  s.aggregations = {{agg_kind::count, "", "n"}, {agg_kind::sum, "v", "s"},
                    {agg_kind::min, "v", "lo"}, {agg_kind::max, "v", "hi"}};
  return s;
}

struct feeder {
  window_operator op;
  partition_state st;
  double values[4] = {};
  bool present[4] = {};
  bool add(millis t, std::string_view key, double v = 0, bool has_v = true) {
    for (int i = 0; i < 4; ++i)
      values[i] = v, present[i] = has_v;
    event_view ev{t, key, values, present};
    return op.add(st, ev);
  }
  // (start, key) -> count, from closing whatever the watermark allows.
  std::map<std::pair<millis, std::string>, slot> close() {
    window_results out;
    op.close_windows(st, out);
    std::map<std::pair<millis, std::string>, slot> m;
    for (size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out.ends[i] - out.starts[i], 1000);
      m[{out.starts[i], out.keys[i]}] = out.slots[i * out.slots_per_row];
      auto& sum = out.slots[i * out.slots_per_row + 1];
      m[{out.starts[i], out.keys[i] + "/sum"}] = sum;
    }
    return m;
  }
};

} // namespace

TEST(WindowOperator, CountsPerKeyAndClosesOnWatermark) {
  feeder f{window_operator{make_spec(0)}, {}};
  f.add(100, "a", 1);
  f.add(200, "b", 2);
  f.add(900, "a", 3);
  EXPECT_TRUE(f.close().empty()) << "window [0,1000) is still open";
  f.add(999, "a", 4);
  EXPECT_TRUE(f.close().empty());
  f.add(1000, "c", 5); // watermark reaches 1000: [0,1000) closes
  auto out = f.close();
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ((out[{0, "a"}].count), 3);
  EXPECT_EQ((out[{0, "b"}].count), 1);
  EXPECT_DOUBLE_EQ((out[{0, "a/sum"}].sum), 8);
  EXPECT_DOUBLE_EQ((out[{0, "a/sum"}].min), 1);
  EXPECT_DOUBLE_EQ((out[{0, "a/sum"}].max), 4);
  EXPECT_EQ(f.st.windows.size(), 1u) << "[1000,2000) stays open";
  EXPECT_EQ(f.st.events, 5u);
}

TEST(WindowOperator, OutOfOrderWithinBoundIsCounted) {
  feeder f{window_operator{make_spec(500)}, {}};
  f.add(1200, "a");
  EXPECT_TRUE(f.add(800, "a")) << "watermark 700 has not passed [0,1000)";
  EXPECT_TRUE(f.close().empty());
  f.add(1600, "a"); // watermark 1100 > 1000
  auto out = f.close();
  EXPECT_EQ((out[{0, "a"}].count), 1);
  EXPECT_FALSE(f.add(999, "a")) << "late: its window already closed";
  EXPECT_EQ(f.st.late, 1u);
  EXPECT_TRUE(f.close().empty());
}

TEST(WindowOperator, MissingValuesDoNotTouchNumericAggregates) {
  feeder f{window_operator{make_spec(0)}, {}};
  f.add(10, "a", 0, false);
  f.add(20, "a", 7, true);
  f.add(5000, "z");
  auto out = f.close();
  EXPECT_EQ((out[{0, "a"}].count), 2) << "count counts events";
  EXPECT_EQ((out[{0, "a/sum"}].count), 1) << "sum saw one value";
  EXPECT_DOUBLE_EQ((out[{0, "a/sum"}].sum), 7);
}

TEST(WindowOperator, StateSurvivesMsgpackRoundTrip) {
  feeder f{window_operator{make_spec(0)}, {}};
  f.add(100, "a", 1);
  f.add(200, "b", 2);
  f.st.next_offset = 77;
  msgpack::sbuffer buf;
  msgpack::pack(buf, f.st);
  auto handle = msgpack::unpack(buf.data(), buf.size());
  feeder g{window_operator{make_spec(0)}, handle.get().as<partition_state>()};
  g.st.rebuild_indexes();
  EXPECT_EQ(g.st.next_offset, 77);
  g.add(300, "a", 3); // must find "a" through the rebuilt index
  g.add(1500, "x");
  auto out = g.close();
  EXPECT_EQ((out[{0, "a"}].count), 2);
  EXPECT_EQ((out[{0, "b"}].count), 1);
  EXPECT_EQ(out.size(), 4u);
}
