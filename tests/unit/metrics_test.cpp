#include "base/metrics.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <thread>

using namespace weir::metrics;
using namespace std::chrono_literals;

TEST(Counter, Accumulates) {
  counter c;
  EXPECT_EQ(c.value(), 0u);
  c.inc();
  c.inc();
  c.inc(40);
  EXPECT_EQ(c.value(), 42u);
  c.inc(0);
  EXPECT_EQ(c.value(), 42u);
  c.inc(std::uint64_t{1} << 40);
  EXPECT_EQ(c.value(), (std::uint64_t{1} << 40) + 42);
}

TEST(Gauge, SetsAndAdds) {
  gauge g;
  EXPECT_EQ(g.value(), 0);
  g.set(10);
  g.add(-3);
  EXPECT_EQ(g.value(), 7);
  g.add(0.5);
  EXPECT_EQ(g.value(), 7.5);
  g.set(-2);
  EXPECT_EQ(g.value(), -2);
}

TEST(Histogram, ValueEqualToABoundFallsInThatBucket) {
  for (std::size_t i = 0; i < histogram::bounds.size(); ++i) {
    histogram h;
    h.observe(histogram::bounds[i]);
    for (std::size_t j = 0; j < histogram::bucket_count; ++j)
      EXPECT_EQ(h.buckets()[j], j == i ? 1u : 0u) << "bound " << histogram::bounds[i];
  }
}

TEST(Histogram, ValueJustAboveABoundFallsInTheNextBucket) {
  for (std::size_t i = 0; i < histogram::bounds.size(); ++i) {
    histogram h;
    h.observe(std::nextafter(histogram::bounds[i], std::numeric_limits<double>::infinity()));
    EXPECT_EQ(h.buckets()[i + 1], 1u) << "bound " << histogram::bounds[i];
    EXPECT_EQ(h.count(), 1u);
  }
}

TEST(Histogram, ExtremesAndNaN) {
  histogram h;
  h.observe(0.0);
  h.observe(-1.0); // cannot come from steady_clock, but must not be lost
  EXPECT_EQ(h.buckets().front(), 2u);
  h.observe(10.5);
  h.observe(std::numeric_limits<double>::infinity());
  EXPECT_EQ(h.buckets().back(), 2u);
  h.observe(std::nan(""));
  EXPECT_EQ(h.count(), 4u);
  EXPECT_TRUE(std::isinf(h.sum()));
}

TEST(Histogram, CumulativeSumAndCount) {
  histogram h;
  h.observe(0.0001); // bucket 0 (<= 0.0005)
  h.observe(0.001);  // bucket 1 (<= 0.001)
  h.observe(0.003);  // bucket 3 (<= 0.005)
  h.observe(0.004);  // bucket 3
  h.observe(20.0);   // +Inf
  EXPECT_EQ(h.count(), 5u);
  EXPECT_DOUBLE_EQ(h.sum(), 0.0001 + 0.001 + 0.003 + 0.004 + 20.0);

  auto cum = h.cumulative();
  std::array<std::uint64_t, histogram::bucket_count> want{1, 2, 2, 4, 4, 4, 4, 4,
                                                          4, 4, 4, 4, 4, 4, 5};
  EXPECT_EQ(cum, want);
  EXPECT_EQ(cum.back(), h.count());
}

TEST(Histogram, ObservesDurationsInSeconds) {
  histogram h;
  h.observe(std::chrono::duration_cast<steady::duration>(5ms)); // exactly the 0.005 bound
  h.observe(std::chrono::duration_cast<steady::duration>(2s));  // <= 2.5
  EXPECT_EQ(h.buckets()[3], 1u);
  EXPECT_EQ(h.buckets()[11], 1u);
  EXPECT_DOUBLE_EQ(h.sum(), 2.005);
}

TEST(Histogram, MergeAddsBucketsAndSum) {
  histogram a, b;
  a.observe(0.001);
  a.observe(1.0);
  b.observe(0.001);
  b.observe(100.0);
  b.observe(0.2);
  a.merge(b);
  EXPECT_EQ(a.count(), 5u);
  EXPECT_DOUBLE_EQ(a.sum(), 0.001 + 1.0 + 0.001 + 100.0 + 0.2);
  EXPECT_EQ(a.buckets()[1], 2u);  // 0.001
  EXPECT_EQ(a.buckets()[8], 1u);  // 0.2 <= 0.25
  EXPECT_EQ(a.buckets()[10], 1u); // 1.0
  EXPECT_EQ(a.buckets()[14], 1u); // 100 -> +Inf
  EXPECT_EQ(b.count(), 3u);       // the source is untouched
}

TEST(ScopedTimer, RecordsOneObservationOnDestruction) {
  histogram h;
  {
    scoped_timer t(h);
    std::this_thread::sleep_for(2ms);
    EXPECT_EQ(h.count(), 0u);
  }
  EXPECT_EQ(h.count(), 1u);
  EXPECT_GE(h.sum(), 0.002);
  EXPECT_LT(h.sum(), 10.0);
}

TEST(Stopwatch, AddsElapsedNanosecondsAcrossStartAndStop) {
  counter waited;
  stopwatch w;
  w.stop(waited); // not running: nothing
  EXPECT_EQ(waited.value(), 0u);

  w.start();
  EXPECT_TRUE(w.running());
  std::this_thread::sleep_for(2ms);
  w.start(); // already waiting: keeps the first start
  w.stop(waited);
  EXPECT_FALSE(w.running());
  EXPECT_GE(waited.value(), 2'000'000u);

  auto after_first = waited.value();
  w.stop(waited);
  EXPECT_EQ(waited.value(), after_first);

  snapshot s;
  append_seconds(s, "weir_credit_wait_seconds_total", "", waited);
  ASSERT_EQ(s.samples.size(), 1u);
  EXPECT_EQ(s.samples[0].k, kind::counter);
  EXPECT_DOUBLE_EQ(s.samples[0].value, static_cast<double>(after_first) / 1e9);
}

namespace {

struct actor_metrics {
  counter events;
  gauge lag;
  histogram poll;

  snapshot take() const {
    snapshot s;
    append(s, "weir_events_total", "Events read.", events);
    append(s, "weir_lag", "Records behind.", lag);
    append(s, "weir_poll_seconds", "Time per poll.", poll);
    return s;
  }
};

} // namespace

TEST(Snapshot, FlattensEachKind) {
  actor_metrics m;
  m.events.inc(7);
  m.lag.set(-1.5);
  m.poll.observe(0.002);
  m.poll.observe(3.0);
  auto s = m.take();
  ASSERT_EQ(s.samples.size(), 3u);

  EXPECT_EQ(s.samples[0].name, "weir_events_total");
  EXPECT_EQ(s.samples[0].help, "Events read.");
  EXPECT_EQ(s.samples[0].k, kind::counter);
  EXPECT_EQ(s.samples[0].value, 7);

  EXPECT_EQ(s.samples[1].k, kind::gauge);
  EXPECT_EQ(s.samples[1].value, -1.5);

  const auto& h = s.samples[2];
  EXPECT_EQ(h.k, kind::histogram);
  EXPECT_EQ(h.count, 2u);
  EXPECT_DOUBLE_EQ(h.sum, 3.002);
  std::vector<std::uint64_t> want{0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2};
  EXPECT_EQ(h.buckets, want);
}

TEST(Snapshot, MsgpackRoundTrip) {
  actor_metrics m;
  m.events.inc(123456789);
  m.lag.set(0.25);
  m.poll.observe(0.0005);
  m.poll.observe(42.0);
  auto before = m.take();

  msgpack::sbuffer buf;
  msgpack::pack(buf, before);
  auto handle = msgpack::unpack(buf.data(), buf.size());
  auto after = handle.get().as<snapshot>();

  ASSERT_EQ(after.samples.size(), before.samples.size());
  for (std::size_t i = 0; i < before.samples.size(); ++i) {
    const auto& x = before.samples[i];
    const auto& y = after.samples[i];
    EXPECT_EQ(y.name, x.name);
    EXPECT_EQ(y.help, x.help);
    EXPECT_EQ(y.k, x.k);
    EXPECT_EQ(y.value, x.value);
    EXPECT_EQ(y.buckets, x.buckets);
    EXPECT_EQ(y.sum, x.sum);
    EXPECT_EQ(y.count, x.count);
  }
  EXPECT_EQ(after.samples[0].value, 123456789);
  EXPECT_EQ(after.samples[2].k, kind::histogram);
  EXPECT_EQ(after.samples[2].buckets.front(), 1u);
  EXPECT_EQ(after.samples[2].buckets.back(), 2u);
}
