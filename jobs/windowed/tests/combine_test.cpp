// What combines the partitions' rows of a (window, key), without a store:
// the merge (in any order, the same bits), a partial's bytes, and top-N.
#include "jobs/windowed/combine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

using namespace weir::jobs;
using weir::partition_id;

namespace {

std::vector<aggregate_spec> aggs() {
  std::vector<aggregate_spec> a(5);
  a[0] = {agg_kind::count, "", "n"};
  a[1] = {agg_kind::sum, "x", "total"};
  a[2] = {agg_kind::count_distinct, "u", "users"};
  a[3] = {agg_kind::approx_count_distinct, "u", "approx_users"};
  a[4] = {agg_kind::avg, "m", "avg_m", {12, 2}};
  return a;
}

// A partition's partial of (start, key) with values drawn from `rng`:
// doubles of every magnitude, so the order they add in changes the bits.
partial draw(std::mt19937_64& rng, const agg_layout& layout, millis start, std::string key,
             partition_id p) {
  partial out{start, start + 60'000, std::move(key), p, acc_row::empty(layout)};
  std::uniform_real_distribution<double> mag(-12, 12);
  for (int i = 0; i < 20; ++i) {
    const double x = std::pow(10.0, mag(rng)) * (rng() % 2 ? 1 : -1);
    out.acc.slots[0].add(0);
    out.acc.slots[1].add(x);
    const auto user = "u" + std::to_string(rng() % 50);
    out.acc.sets[0].push_back(user);
    out.acc.sketches[0].add(user);
    out.acc.decimals[0].add(static_cast<std::int64_t>(rng() % 100000) - 50000);
  }
  return out;
}

std::string bytes(const std::vector<combined>& rows) {
  std::string out;
  for (const auto& r : rows)
    out += std::to_string(r.start) + "/" + std::to_string(r.end) + "/" + r.key + ":" + r.acc.pack();
  return out;
}

} // namespace

TEST(Combine, MergeOrderDoesNotChangeABit) {
  const auto spec = aggs();
  const agg_layout layout{spec};
  std::mt19937_64 rng{7};
  std::vector<partial> partials;
  for (millis w : {0, 60'000})
    for (const char* key : {"a", "b",
                            std::string{"a\x1f"
                                        "c"}
                              .c_str()})
      for (partition_id p = 0; p < 4; ++p)
        partials.push_back(draw(rng, layout, w, key, p));
  const auto want = combine(partials, layout);
  ASSERT_EQ(want.size(), 6u);
  // The merge saw every partial: 4 partitions x 20 events per row.
  for (const auto& r : want) {
    std::vector<cell> v;
    values_of(spec, layout, r.acc.view(), v);
    EXPECT_EQ(v[0].i, 80);
  }
  double differs = 0; // proves the values are order-sensitive at all
  for (int round = 0; round < 50; ++round) {
    std::shuffle(partials.begin(), partials.end(), rng);
    EXPECT_EQ(bytes(combine(partials, layout)), bytes(want)) << "round " << round;
    slot naive;
    for (const auto& p : partials)
      if (p.start == 0 && p.key == "a")
        naive.merge(p.acc.slots[1]);
    differs += naive.sum != want[0].acc.slots[1].sum || naive.comp != want[0].acc.slots[1].comp;
  }
  EXPECT_GT(differs, 0) << "no shuffle changed a naive merge: the test proves nothing";
}

TEST(Combine, MergedValuesAreThoseOfOneReaderOfEverything) {
  const auto spec = aggs();
  const agg_layout layout{spec};
  std::vector<partial> partials;
  for (partition_id p = 0; p < 3; ++p) {
    partial one{0, 60'000, "k", p, acc_row::empty(layout)};
    for (int i = 0; i <= p; ++i) {
      one.acc.slots[0].add(0);
      one.acc.slots[1].add(1.5);
      one.acc.sets[0].push_back(i == 0 ? "shared" : "u" + std::to_string(p));
      one.acc.sketches[0].add(i == 0 ? "shared" : "u" + std::to_string(p));
      one.acc.decimals[0].add(101); // 1.01
    }
    partials.push_back(one);
  }
  const auto rows = combine(partials, layout);
  ASSERT_EQ(rows.size(), 1u);
  std::vector<cell> v;
  values_of(spec, layout, rows[0].acc.view(), v);
  EXPECT_EQ(v[0].i, 6);   // count
  EXPECT_EQ(v[1].d, 9.0); // sum
  EXPECT_EQ(v[2].i, 3);   // shared, u1, u2: repeats across partitions counted once
  EXPECT_EQ(v[3].i, 3);
  EXPECT_EQ(v[4].k, cell::decimal);
  EXPECT_EQ(v[4].x, 1010000); // avg 1.01 at 6 decimals
}

TEST(Combine, APartialIsCheckedAgainstTheSpec) {
  const agg_layout layout{aggs()};
  auto row = acc_row::empty(layout);
  row.slots[0].add(0);
  auto back = acc_row::unpack(row.pack(), layout, "a partial of t");
  ASSERT_TRUE(back) << back.error_message();
  EXPECT_EQ(back->pack(), row.pack());
  std::vector<aggregate_spec> fewer{{agg_kind::count, "", "n"}};
  auto other = acc_row::unpack(row.pack(), agg_layout{fewer}, "a partial of t");
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error_message(), "a partial of t holds other aggregates than the spec's");
  EXPECT_FALSE(acc_row::unpack("\xc1", layout, "a partial of t"));
}

TEST(Combine, ARowOfEmittedResultsIsCopiedOut) {
  const agg_layout layout{aggs()};
  window_results r;
  r.numeric_per_row = layout.numeric;
  r.distinct_per_row = layout.distinct;
  r.sketches_per_row = layout.sketches;
  r.decimals_per_row = layout.decimals;
  for (int i = 0; i < 2; ++i) {
    r.starts.push_back(i);
    r.ends.push_back(i + 1);
    r.keys.push_back("k" + std::to_string(i));
    auto a = acc_row::empty(layout);
    a.slots[0].add(i);
    a.sets[0] = {"v" + std::to_string(i)};
    r.slots.insert(r.slots.end(), a.slots.begin(), a.slots.end());
    r.sets.insert(r.sets.end(), a.sets.begin(), a.sets.end());
    r.sketches.insert(r.sketches.end(), a.sketches.begin(), a.sketches.end());
    r.decimals.insert(r.decimals.end(), a.decimals.begin(), a.decimals.end());
  }
  const auto second = acc_row::of(r, 1);
  EXPECT_EQ(second.slots[0].count, 1);
  EXPECT_EQ(second.slots[1].count, 0);
  EXPECT_EQ(second.sets[0], std::vector<std::string>{"v1"});
}

TEST(RankWindows, LargestFirstNullsLastTiesByKeyPartByPart) {
  auto row = [](millis w, std::string key) {
    return combined{w, w + 10, std::move(key), {}};
  };
  auto n = [](std::int64_t i) {
    return std::vector<cell>{{cell::integer, i}};
  };
  std::vector<combined> rows{row(0, "b"),
                             row(0, "a\x1f"
                                    "z"),
                             row(0, "a"),
                             row(0, "c"),
                             row(0, "a\x01"),
                             row(10, "x")};
  std::vector<std::vector<cell>> values{n(5), n(7), n(7), {cell{}}, n(7), n(1)};
  const auto r = rank_windows(rows, values, 0, 3);
  // Ties of 7: "a" < "a"+"z" (a part that ends first) < "a\x01".
  EXPECT_EQ(r.keep, (std::vector<std::size_t>{2, 1, 4, 5}));
  EXPECT_EQ(r.rank, (std::vector<std::uint32_t>{0, 2, 1, 0, 3, 1}));
  EXPECT_EQ(r.windows, (std::vector<millis>{0, 10}));
  const auto all = rank_windows(rows, values, 0, 10);
  EXPECT_EQ(all.rank[3], 5u) << "the null ranks last";
}
