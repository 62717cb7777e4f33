// Exact decimals: reading a number's text as units, keeping 128-bit sums in
// the window state, and writing results as decimal text.
#include "jobs/event_reader.hpp"
#include "jobs/windowed/values.hpp"
#include "jobs/windowed/window_operator.hpp"

#include <gtest/gtest.h>

#include <map>

using namespace weir;
using namespace weir::jobs;

namespace {

std::string text(int128 x, int scale) {
  std::string out;
  append_decimal(out, x, scale);
  return out;
}

} // namespace

TEST(Decimal, UnitsAreReadExactlyFromTheText) {
  EXPECT_EQ(decimal_units("12.5", 2, true), 1250);
  EXPECT_EQ(decimal_units("-0.05", 2, true), -5);
  EXPECT_EQ(decimal_units("1.25e1", 2, true), 1250);
  EXPECT_EQ(decimal_units("125e-2", 2, true), 125);
  EXPECT_EQ(decimal_units("0.000000000000000000000000000000000000000000000000001", 2, true), 0)
    << "more leading zeros than the digit buffer holds";
  EXPECT_EQ(decimal_units("1e-99", 2, true), 0);
  EXPECT_EQ(decimal_units("0.1", 18, true), 100'000'000'000'000'000);
  // Past the scale: half away from zero, as PostgreSQL rounds into numeric(p, s).
  EXPECT_EQ(decimal_units("0.125", 2, true), 13);
  EXPECT_EQ(decimal_units("-0.125", 2, true), -13);
  EXPECT_EQ(decimal_units("0.1249999", 2, true), 12);
  EXPECT_EQ(decimal_units("0.005", 2, true), 1);
  EXPECT_EQ(decimal_units("0.004", 2, true), 0);
  EXPECT_EQ(decimal_units("9.995", 2, true), 1000);
  // Without rounding a fraction of a unit is refused (integer keys).
  EXPECT_EQ(decimal_units("0.125", 2, false), std::nullopt);
  EXPECT_EQ(decimal_units("17.0", 0, false), 17);
  EXPECT_EQ(decimal_units("1e19", 0, false), std::nullopt) << "no int64";
  EXPECT_EQ(decimal_units("-9223372036854775808", 0, false), INT64_MIN);
}

TEST(Decimal, TextHasExactlyScaleDecimals) {
  EXPECT_EQ(text(1250, 2), "12.50");
  EXPECT_EQ(text(-5, 2), "-0.05");
  EXPECT_EQ(text(0, 2), "0.00");
  EXPECT_EQ(text(42, 0), "42");
  EXPECT_EQ(text(-42, 0), "-42");
  const int128 big = static_cast<int128>(INT64_MAX) * 1'000'000'000'000'000'000 + 7;
  EXPECT_EQ(text(big, 18), "9223372036854775807.000000000000000007");
  EXPECT_EQ(text(-big, 4), "-922337203685477580700000000000000.0007");
}

TEST(Decimal, ResultTypes) {
  aggregate_spec a{agg_kind::sum, "amount", "total", {12, 2}};
  EXPECT_EQ(result_decimal(a), (decimal_type{38, 2}));
  a.kind = agg_kind::min;
  EXPECT_EQ(result_decimal(a), (decimal_type{12, 2}));
  a.kind = agg_kind::avg;
  EXPECT_EQ(result_decimal(a), (decimal_type{38, 6}));
  a.decimal = {18, 9};
  EXPECT_EQ(result_decimal(a), (decimal_type{38, 9}));
  a.decimal = {};
  EXPECT_FALSE(result_decimal(a));
  EXPECT_EQ(decimal_column({38, 2}, "numeric"), "numeric(38,2)");
}

namespace {

job_spec decimal_spec(window_kind kind, millis size, millis slide) {
  job_spec s;
  s.name = "t";
  s.key = {"k"};
  s.window.kind = kind;
  s.window.size = size;
  s.window.slide = slide;
  s.window.gap = size;
  s.source.time_field = "ts";
  const decimal_type money{12, 2};
  s.aggregations = {{agg_kind::sum, "v", "total", money}, {agg_kind::min, "v", "lo", money},
                    {agg_kind::max, "v", "hi", money},    {agg_kind::avg, "v", "mean", money},
                    {agg_kind::sum, "v", "total_double"}, {agg_kind::count, "", "n"}};
  return s;
}

// Every emitted row's values as text, by (window start, key): the last
// emission wins.
std::map<std::pair<millis, std::string>, std::vector<std::string>> run(
  const job_spec& spec, const std::vector<std::string>& events) {
  window_operator op{spec};
  event_reader reader{spec};
  partition_state st;
  window_results out;
  for (const auto& e : events) {
    event_view ev;
    EXPECT_EQ(reader.read(e, ev), read_status::ok) << e;
    op.add(st, ev, out);
  }
  // Through a checkpoint: the decimal slots survive msgpack.
  auto restored = unpack_state(pack_state(st), "state");
  EXPECT_TRUE(restored);
  if (!restored)
    return {};
  st = std::move(*restored);
  st.max_event_time = 1'000'000'000; // every window closes
  op.close_windows(st, out);
  std::map<std::pair<millis, std::string>, std::vector<std::string>> rows;
  std::vector<cell> cells;
  const agg_layout layout{spec.aggregations};
  for (size_t i = 0; i < out.size(); ++i) {
    values_of(spec.aggregations, layout, accumulators_of(out, i), cells);
    auto& row = rows[{out.starts[i], out.keys[i]}];
    row.clear();
    for (const auto& c : cells) {
      switch (c.k) {
        case cell::null: row.push_back("null"); break;
        case cell::integer: row.push_back(std::to_string(c.i)); break;
        case cell::real: row.push_back(std::to_string(c.d)); break;
        case cell::decimal: row.push_back(text(c.x, c.scale)); break;
      }
    }
  }
  return rows;
}

std::string event(millis ts, const char* key, const char* v) {
  return "{\"ts\": " + std::to_string(ts) + ", \"k\": \"" + key + "\", \"v\": " + v + "}";
}

} // namespace

TEST(Decimal, SumsAreExactWhereDoublesDrift) {
  // Hopping windows merge several slices; a tenth is not a double.
  const auto spec = decimal_spec(window_kind::hopping, 2000, 1000);
  std::vector<std::string> events;
  for (int i = 0; i < 10; ++i)
    events.push_back(event(i * 100, "a", "0.1"));
  events.push_back(event(1500, "a", "\"1000000000.07\"")); // a number sent as a string
  events.push_back(event(1600, "a", "-0.125"));            // rounds to -0.13
  const auto rows = run(spec, events);
  ASSERT_EQ(rows.count({-1000, "a"}), 1u);
  EXPECT_EQ(rows.at({-1000, "a"}),
            (std::vector<std::string>{"1.00", "0.10", "0.10", "0.100000", "1.000000", "10"}))
    << "window [-1s, 1s)";
  // [0, 2s): ten tenths, 1000000000.07 and -0.13.
  const auto& both = rows.at({0, "a"});
  EXPECT_EQ(both[0], "1000000000.94");
  EXPECT_EQ(both[1], "-0.13");
  EXPECT_EQ(both[2], "1000000000.07");
  EXPECT_EQ(both[3], "83333333.411667") << "1000000000.94 / 12, half away from zero";
  EXPECT_EQ(both[5], "12");
  EXPECT_EQ(rows.at({1000, "a"})[0], "999999999.94");
}

TEST(Decimal, SessionsMergeDecimalSlots) {
  auto spec = decimal_spec(window_kind::session, 1000, 0);
  spec.source.out_of_orderness = 5000; // the first session is open when the third event joins it
  // Two sessions of key a joined by the third event.
  const auto rows = run(spec, {event(0, "a", "1.01"), event(1500, "a", "2.02"),
                               event(800, "a", "3.03"), event(9000, "b", "-7")});
  ASSERT_EQ(rows.count({0, "a"}), 1u);
  EXPECT_EQ(rows.at({0, "a"})[0], "6.06");
  EXPECT_EQ(rows.at({0, "a"})[3], "2.020000");
  EXPECT_EQ(rows.at({9000, "b"})[0], "-7.00");
}

TEST(Decimal, AValueWithTooManyIntegerDigitsIsMalformed) {
  const auto spec = decimal_spec(window_kind::tumbling, 1000, 1000);
  event_reader reader{spec};
  event_view ev;
  EXPECT_EQ(reader.read(event(0, "a", "9999999999.99"), ev), read_status::ok) << "10 + 2 digits";
  EXPECT_EQ(ev.units[0], 999999999999);
  EXPECT_EQ(reader.read(event(0, "a", "10000000000"), ev), read_status::bad_decimal);
  EXPECT_EQ(reader.read(event(0, "a", "9999999999.995"), ev), read_status::bad_decimal)
    << "rounds up past the precision";
  EXPECT_EQ(reader.read(event(0, "a", "-1e300"), ev), read_status::bad_decimal);
  EXPECT_STREQ(to_string(read_status::bad_decimal),
               "aggregate field's number does not fit its decimal(p, s) type");
  // Not a number: absent, as for a double field.
  ASSERT_EQ(reader.read(event(0, "a", "\"n/a\""), ev), read_status::ok);
  EXPECT_FALSE(ev.present[0]);
  ASSERT_EQ(reader.read(event(0, "a", "null"), ev), read_status::ok);
  EXPECT_FALSE(ev.present[0]);
}
