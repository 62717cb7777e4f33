#include "jobs/windowed/window_operator.hpp"
#include "jobs/generators.hpp"
#include "jobs/windowed/window.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace weir::jobs;

TEST(Windows, AlignToTheEpoch) {
  EXPECT_EQ(floor_to(0, 60'000), 0);
  EXPECT_EQ(floor_to(59'999, 60'000), 0);
  EXPECT_EQ(floor_to(60'000, 60'000), 60'000);
  EXPECT_EQ(floor_to(1767225612345, 60'000), 1767225600000);
  EXPECT_EQ(floor_to(-1, 60'000), -60'000);
  EXPECT_EQ(floor_to(-60'000, 60'000), -60'000);
}

namespace {

job_spec make_spec(millis size, millis slide, millis ooo, millis lateness = 0) {
  job_spec s;
  s.name = "t";
  s.source.out_of_orderness = ooo;
  s.key = {"k"};
  s.window.kind = slide == size ? window_kind::tumbling : window_kind::hopping;
  s.window.size = size;
  s.window.slide = slide;
  s.window.allowed_lateness = lateness;
  s.aggregations = {{agg_kind::count, "", "n"},
                    {agg_kind::sum, "v", "s"},
                    {agg_kind::min, "v", "lo"},
                    {agg_kind::max, "v", "hi"},
                    {agg_kind::count_distinct, "v", "d"},
                    {agg_kind::approx_count_distinct, "v", "a"}};
  return s;
}

using row_key = std::pair<millis, std::string>; // (window start, key)

struct result {
  slot count, value;
  size_t distinct = 0;
  double approx = 0;
};

// Feeds events one at a time, remembering the last emission of each row.
struct feeder {
  explicit feeder(const job_spec& spec) : op(spec) {}
  window_operator op;
  partition_state st;
  std::map<row_key, result> last;
  size_t emissions = 0;
  double values[6] = {};
  bool present[6] = {};
  std::string text;
  std::string_view texts[6];

  window_operator::outcome add(millis t, std::string_view key, double v = 0, bool has_v = true) {
    text = std::to_string(static_cast<long long>(v));
    for (int i = 0; i < 6; ++i) {
      values[i] = v, present[i] = has_v;
      texts[i] = has_v ? std::string_view{text} : std::string_view{};
    }
    event_view ev{t, key, values, present, texts, nullptr, {}};
    window_results out;
    auto res = op.add(st, ev, out);
    collect(out);
    return res;
  }

  void collect(const window_results& out) {
    for (size_t i = 0; i < out.size(); ++i) {
      ++emissions;
      auto& r = last[{out.starts[i], out.keys[i]}];
      r.count = out.slots[i * out.numeric_per_row];
      r.value = out.slots[i * out.numeric_per_row + 1];
      r.distinct = out.sets[i * out.distinct_per_row].size();
      r.approx = out.sketches[i * out.sketches_per_row].estimate();
    }
  }
};

} // namespace

TEST(WindowOperator, CountsPerKeyAndClosesOnWatermark) {
  feeder f{make_spec(1000, 1000, 0)};
  f.add(100, "a", 1);
  f.add(200, "b", 2);
  f.add(900, "a", 3);
  f.add(999, "a", 4);
  EXPECT_EQ(f.emissions, 0u) << "window [0,1000) is still open";
  f.add(1000, "c", 5); // watermark reaches 1000: [0,1000) closes
  ASSERT_EQ(f.emissions, 2u);
  EXPECT_EQ((f.last[{0, "a"}].count.count), 3);
  EXPECT_EQ((f.last[{0, "b"}].count.count), 1);
  EXPECT_DOUBLE_EQ((f.last[{0, "a"}].value.sum), 8);
  EXPECT_DOUBLE_EQ((f.last[{0, "a"}].value.min), 1);
  EXPECT_DOUBLE_EQ((f.last[{0, "a"}].value.max), 4);
  EXPECT_EQ((f.last[{0, "a"}].distinct), 3u);
  EXPECT_EQ(f.st.slices.size(), 1u) << "only [1000,2000) is kept";
  EXPECT_EQ(f.st.events, 5u);
}

TEST(WindowOperator, OutOfOrderWithinBoundIsCountedAndLateIsNot) {
  feeder f{make_spec(1000, 1000, 500)};
  f.add(1200, "a");
  EXPECT_EQ(f.add(800, "a"), window_operator::outcome::added) << "watermark 700 < 1000";
  f.add(1600, "a"); // watermark 1100 closes [0,1000)
  EXPECT_EQ((f.last[{0, "a"}].count.count), 1);
  EXPECT_EQ(f.add(999, "a"), window_operator::outcome::late);
  EXPECT_EQ(f.st.late, 1u);
  EXPECT_EQ((f.last[{0, "a"}].count.count), 1);
}

TEST(WindowOperator, AllowedLatenessReEmitsTheUpdatedRow) {
  feeder f{make_spec(1000, 1000, 0, /*lateness*/ 2000)};
  f.add(100, "a");
  f.add(1500, "b"); // closes [0,1000)
  EXPECT_EQ((f.last[{0, "a"}].count.count), 1);
  EXPECT_EQ(f.add(200, "a"), window_operator::outcome::added) << "within lateness";
  EXPECT_EQ((f.last[{0, "a"}].count.count), 2) << "re-emitted with the late event";
  f.add(300, "z");
  EXPECT_EQ((f.last[{0, "z"}].count.count), 1) << "a new key in an emitted window appears too";
  f.add(3000, "b"); // watermark 3000 = end 1000 + lateness 2000: expired
  EXPECT_EQ(f.add(400, "a"), window_operator::outcome::late);
  EXPECT_EQ((f.last[{0, "a"}].count.count), 2);
}

TEST(WindowOperator, MissingValuesDoNotTouchNumericAggregates) {
  feeder f{make_spec(1000, 1000, 0)};
  f.add(10, "a", 0, false);
  f.add(20, "a", 7, true);
  f.add(5000, "z");
  EXPECT_EQ((f.last[{0, "a"}].count.count), 2) << "count counts events";
  EXPECT_EQ((f.last[{0, "a"}].value.count), 1) << "sum saw one value";
  EXPECT_DOUBLE_EQ((f.last[{0, "a"}].value.sum), 7);
  EXPECT_EQ((f.last[{0, "a"}].distinct), 1u);
}

TEST(WindowOperator, WatermarkJumpDoesNotWalkEveryWindow) {
  feeder f{make_spec(1000, 10, 0)};
  f.add(5, "a");
  f.add(1'000'000'000'000, "b"); // ~32 years of 10 ms slides
  EXPECT_EQ(f.last.size(), 100u) << "the 100 windows containing t=5, nothing else";
  EXPECT_EQ((f.last[{0, "a"}].count.count), 1);
  EXPECT_EQ((f.last[{-990, "a"}].count.count), 1);
}

namespace {

// Brute-force reference: an event counts for window W iff W has not expired
// (end + lateness > watermark before the event); the result of W is the last
// value emitted for it.
std::map<row_key, std::int64_t> reference(const std::vector<std::pair<millis, std::string>>& ev,
                                          millis size, millis slide, millis ooo, millis lateness,
                                          std::uint64_t& late) {
  std::map<row_key, std::int64_t> counts;
  millis max_ts = no_time;
  late = 0;
  for (const auto& [t, key] : ev) {
    const millis wm = max_ts == no_time ? no_time : max_ts - ooo;
    bool counted = false;
    for (millis start = floor_to(t, slide); start > t - size; start -= slide)
      if (wm == no_time || start + size + lateness > wm) {
        ++counts[{start, key}];
        counted = true;
      }
    late += !counted;
    max_ts = std::max(max_ts, t);
  }
  // Only windows the final watermark closed were emitted.
  std::map<row_key, std::int64_t> closed;
  for (auto& [k, n] : counts)
    if (k.first + size <= max_ts - ooo)
      closed[k] = n;
  return closed;
}

} // namespace

TEST(WindowOperator, MatchesBruteForceOnRandomStreams) {
  struct config {
    millis size, slide, ooo, lateness;
  };
  for (auto c : {config{1000, 1000, 0, 0}, config{1000, 1000, 300, 0}, config{1000, 250, 200, 0},
                 config{900, 600, 400, 0}, config{1000, 400, 100, 700}, config{60, 60, 0, 100}}) {
    rng r{static_cast<std::uint64_t>(c.size * 31 + c.slide * 7 + c.ooo + c.lateness)};
    std::vector<std::pair<millis, std::string>> events;
    for (int i = 0; i < 5000; ++i) {
      millis t = 10'000 + i * 3 - static_cast<millis>(r.below(700)); // disorder beyond ooo too
      events.emplace_back(t, "k" + std::to_string(r.below(7)));
    }
    feeder f{make_spec(c.size, c.slide, c.ooo, c.lateness)};
    for (auto& [t, k] : events)
      f.add(t, k);
    std::uint64_t late = 0;
    auto want = reference(events, c.size, c.slide, c.ooo, c.lateness, late);
    std::map<row_key, std::int64_t> got;
    for (auto& [k, res] : f.last)
      got[k] = res.count.count;
    EXPECT_EQ(got, want) << "size " << c.size << " slide " << c.slide << " ooo " << c.ooo
                         << " lateness " << c.lateness;
    EXPECT_EQ(f.st.late, late);
    EXPECT_EQ(f.st.events + f.st.late, events.size());
  }
}

TEST(WindowOperator, ApproxDistinctIsClose) {
  feeder f{make_spec(1'000'000, 1'000'000, 0)};
  for (int i = 0; i < 50'000; ++i)
    f.add(i, "all", i % 20'000);
  f.add(2'000'000, "x");
  auto& r = f.last[{0, "all"}];
  EXPECT_EQ(r.distinct, 20'000u);
  EXPECT_NEAR(r.approx, 20'000, 20'000 * 0.05);
}

TEST(WindowOperator, StateSurvivesMsgpackRoundTrip) {
  feeder f{make_spec(1000, 500, 0)};
  f.add(100, "a", 1);
  f.add(700, "b", 2);
  f.st.next_offset = 77;
  msgpack::sbuffer buf;
  msgpack::pack(buf, f.st);
  auto handle = msgpack::unpack(buf.data(), buf.size());
  feeder g{make_spec(1000, 500, 0)};
  g.st = handle.get().as<partition_state>();
  g.st.rebuild_indexes();
  EXPECT_EQ(g.st.next_offset, 77);
  g.add(300, "a", 3); // must find "a" through the rebuilt index
  g.add(5000, "x");
  EXPECT_EQ((g.last[{0, "a"}].count.count), 2);
  EXPECT_EQ((g.last[{0, "a"}].distinct), 2u);
  EXPECT_EQ((g.last[{500, "b"}].count.count), 1);
  EXPECT_EQ(g.last.count({-500, "a"}), 0u) << "[-500,500) was emitted before the snapshot";
  EXPECT_EQ(g.st.emitted_end, 5000) << "every window ending by the watermark is closed";
}

// Every counter and every accumulator survives a checkpoint or a handoff:
// a field left out of MSGPACK_DEFINE would read back empty.
TEST(WindowOperator, StateRoundTripKeepsEveryField) {
  partition_state st;
  st.next_offset = 11;
  st.max_event_time = 12;
  st.emitted_end = 13;
  st.events = 14;
  st.filtered = 15;
  st.malformed = 16;
  st.late = 17;
  st.skipped = 18;
  auto& b = st.slices[1000];
  b.keys = {"k"};
  b.slots.resize(1);
  b.slots[0].add(2.5);
  b.sets.resize(1);
  b.sets[0].insert("v");
  b.sketches.resize(1);
  b.sketches[0].add("v");
  b.decimals.resize(1);
  b.decimals[0].add(-250);
  session_record r;
  r.key = "s";
  r.start = 5;
  r.end = 9;
  r.generation = 3;
  r.live = true;
  r.slots = b.slots;
  r.sets = b.sets;
  r.sketches = b.sketches;
  r.decimals = b.decimals;
  st.sessions.records.push_back(r);
  st.sessions.free = {4};
  const auto bytes = pack_state(st);
  auto back = unpack_state(bytes, "state");
  ASSERT_TRUE(back) << back.error_message();
  const auto& c = *back;
  EXPECT_EQ(std::tuple(c.next_offset, c.max_event_time, c.emitted_end, c.events, c.filtered,
                       c.malformed, c.late, c.skipped),
            std::tuple(11, 12, 13, 14u, 15u, 16u, 17u, 18u));
  const auto& cb = c.slices.at(1000);
  EXPECT_EQ(cb.keys, b.keys);
  EXPECT_EQ(std::tuple(cb.slots[0].count, cb.slots[0].sum, cb.slots[0].min, cb.slots[0].max),
            std::tuple(1, 2.5, 2.5, 2.5));
  EXPECT_EQ(cb.sets[0].size(), 1u);
  EXPECT_EQ(cb.sketches[0].estimate(), b.sketches[0].estimate());
  EXPECT_EQ(std::tuple(cb.decimals[0].count, cb.decimals[0].sum(), cb.decimals[0].min),
            std::tuple(1, weir::int128{-250}, -250));
  ASSERT_EQ(c.sessions.records.size(), 1u);
  const auto& cr = c.sessions.records[0];
  EXPECT_EQ(std::tuple(cr.key, cr.start, cr.end, cr.generation, cr.live, cr.slots[0].count,
                       cr.sets[0].size(), cr.decimals[0].max),
            std::tuple(std::string{"s"}, 5, 9, 3u, true, 1, 1u, -250));
  EXPECT_EQ(c.sessions.free, std::vector<std::uint32_t>{4});
  EXPECT_EQ(pack_state(c), bytes) << "a second round trip changes nothing";
}

namespace {

job_spec session_spec(millis gap, millis ooo) {
  auto s = make_spec(1000, 1000, ooo);
  s.window.kind = window_kind::session;
  s.window.size = 0;
  s.window.slide = 0;
  s.window.gap = gap;
  return s;
}

struct session_row {
  millis start, end;
  std::int64_t count;
  bool operator==(const session_row&) const = default;
};

// Brute force: per key, sort events that are not late and split where
// consecutive events are gap or more apart. Late: its session would have been
// closed before it arrived (end <= watermark then) and it touches no session
// still open. Run on in-order-per-key streams, where the two agree exactly.
std::map<std::string, std::vector<session_row>> session_reference(
  const std::vector<std::pair<millis, std::string>>& ev, millis gap, millis ooo) {
  std::map<std::string, std::vector<millis>> times;
  millis max_ts = no_time;
  for (auto& [t, k] : ev) {
    times[k].push_back(t);
    max_ts = std::max(max_ts, t);
  }
  std::map<std::string, std::vector<session_row>> out;
  for (auto& [k, ts] : times) {
    std::sort(ts.begin(), ts.end());
    for (size_t i = 0; i < ts.size();) {
      size_t j = i;
      while (j + 1 < ts.size() && ts[j + 1] < ts[j] + gap)
        ++j;
      session_row r{ts[i], ts[j] + gap, static_cast<std::int64_t>(j - i + 1)};
      if (r.end <= max_ts - ooo)
        out[k].push_back(r);
      i = j + 1;
    }
  }
  return out;
}

} // namespace

TEST(SessionWindows, GrowMergeAndCloseOnWatermark) {
  feeder f{session_spec(1000, 0)};
  f.add(0, "a");
  f.add(500, "a");  // same session [0, 1500)
  f.add(3000, "a"); // new session; watermark 3000 closes [0, 1500)
  EXPECT_EQ((f.last[{0, "a"}].count.count), 2);
  f.add(3900, "b");
  f.add(5000, "a"); // [3000, 4000) closed by watermark 5000; [5000, 6000) open
  EXPECT_EQ((f.last[{3000, "a"}].count.count), 1);
  EXPECT_EQ((f.last[{3900, "b"}].count.count), 1) << "[3900, 4900) closed too";
  EXPECT_EQ(f.last.count({5000, "a"}), 0u);
}

TEST(SessionWindows, AnEventBridgingTwoSessionsMergesThem) {
  feeder f{session_spec(1000, 5000)}; // large out-of-orderness: nothing closes early
  f.add(0, "a");
  f.add(1800, "a"); // separate: 1800 >= 0 + 1000
  f.add(900, "a");  // touches [0,1000) and [1800,2800): one session [0, 2800)
  f.add(10'000, "z");
  ASSERT_EQ(f.last.count({0, "a"}), 1u);
  EXPECT_EQ((f.last[{0, "a"}].count.count), 3);
  EXPECT_EQ(f.last.count({1800, "a"}), 0u);
}

TEST(SessionWindows, LateEventsAreCountedNotApplied) {
  feeder f{session_spec(1000, 0)};
  f.add(5000, "a");
  EXPECT_EQ(f.add(100, "b"), window_operator::outcome::late) << "[100, 1100) closed long ago";
  EXPECT_EQ(f.add(4500, "a"), window_operator::outcome::added) << "joins the open session";
  EXPECT_EQ(f.st.late, 1u);
}

TEST(SessionWindows, MatchBruteForceAndSurviveSnapshot) {
  rng r{99};
  std::vector<std::pair<millis, std::string>> events;
  millis t = 0;
  for (int i = 0; i < 4000; ++i) {
    t += static_cast<millis>(r.below(400));
    events.emplace_back(t, "k" + std::to_string(r.below(5)));
  }
  feeder f{session_spec(700, 0)};
  for (size_t i = 0; i < events.size(); ++i) {
    f.add(events[i].first, events[i].second);
    if (i == events.size() / 2) { // snapshot and restore midway
      msgpack::sbuffer buf;
      msgpack::pack(buf, f.st);
      auto handle = msgpack::unpack(buf.data(), buf.size());
      f.st = handle.get().as<partition_state>();
      f.st.rebuild_indexes();
    }
  }
  std::map<std::string, std::vector<session_row>> got;
  for (auto& [k, res] : f.last)
    got[k.second].push_back({k.first, 0, res.count.count});
  auto want = session_reference(events, 700, 0);
  for (auto& [k, rows] : want)
    for (auto& row : rows)
      row.end = 0; // the feeder does not keep ends
  EXPECT_EQ(got, want);
  EXPECT_EQ(f.st.late, 0u);
}

TEST(DistinctSet, SmallThenHashedSameValuesAndRoundTrip) {
  distinct_set s;
  for (int round = 0; round < 2; ++round) // the second round adds nothing
    for (int i = 0; i < 100; ++i) {
      s.insert("v" + std::to_string(i % 50));
      if (i < 50)
        EXPECT_EQ(s.size(), round == 0 ? static_cast<size_t>(i + 1) : 50u);
    }
  EXPECT_EQ(s.size(), 50u); // past small_limit: hashed
  distinct_set small;
  small.insert("v7");
  small.insert("x");
  small.insert("v7");
  EXPECT_EQ(small.size(), 2u);
  small.merge(s);
  EXPECT_EQ(small.size(), 51u);
  msgpack::sbuffer buf;
  msgpack::pack(buf, small);
  auto back = msgpack::unpack(buf.data(), buf.size()).get().as<distinct_set>();
  std::set<std::string> values;
  back.for_each([&](const std::string& v) { values.insert(v); });
  EXPECT_EQ(values.size(), 51u);
  EXPECT_TRUE(values.count("x"));
  EXPECT_TRUE(values.count("v49"));
  distinct_set copy = back; // deep copy
  copy.insert("new");
  EXPECT_EQ(back.size(), 51u);
  EXPECT_EQ(copy.size(), 52u);
}
