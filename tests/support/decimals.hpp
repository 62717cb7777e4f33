// The exact decimals the results sinks' integration tests write and read
// back: one job's aggregates of decimal fields over JSON events (read by
// jobs::event_reader, as a source reads them), over two source partitions,
// and window [0, 1 s)'s rows as each store must hold them, to the digit.
//
// v is decimal(12, 2): total = sum(v) is (38, 2), lo / hi = min / max (12, 2),
// mean = avg(v) (38, 6). b is decimal(18, 2): big = sum(b), a sum past 2^53
// units (12345678901234567.89, which no double holds), and bmean = avg(b),
// whose units pass 2^64 (Decimal128 in ClickHouse). s is decimal(9, 3):
// small = min(s) is (9, 3), a Decimal32 in ClickHouse. Key a's partials from
// the two partitions add up to 0.30; b is negative (an average rounded half
// away from zero); c saw no value (null, not 0); d holds decimal(12, 2)'s
// extremes, and its small comes from one partition only (the other's partial
// saw no s).
#pragma once

#include "jobs/spec.hpp"
#include "tests/support/fold.hpp"
#include "tests/support/results_sink.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace weir::test_support {

// The aggregates above, in this column order, and the event time field t.
inline void use_decimals(jobs::job_spec& spec) {
  using jobs::agg_kind;
  const jobs::decimal_type v{12, 2}, b{18, 2}, s{9, 3};
  spec.source.time_field = "t";
  spec.aggregations = {{agg_kind::count, "", "n", {}},   {agg_kind::sum, "v", "total", v},
                       {agg_kind::min, "v", "lo", v},    {agg_kind::max, "v", "hi", v},
                       {agg_kind::avg, "v", "mean", v},  {agg_kind::sum, "b", "big", b},
                       {agg_kind::avg, "b", "bmean", b}, {agg_kind::min, "s", "small", s}};
}

// The decimal columns the sinks create, in order: (name, precision, scale).
struct decimal_column {
  std::string name;
  int precision, scale;
};
inline const std::vector<decimal_column>& decimal_columns() {
  static const std::vector<decimal_column> columns{{"total", 38, 2}, {"lo", 12, 2},
                                                   {"hi", 12, 2},    {"mean", 38, 6},
                                                   {"big", 38, 2},   {"bmean", 38, 6},
                                                   {"small", 9, 3}};
  return columns;
}

// One source partition's events. Keys across partitions: each key's values
// split over partitions 0 and 1 (the partials merge); `partitioned`
// (source.partitioned_by: k): a and c in partition 0, b and d in 1. Each
// partition ends with an event at t = 1.5 s, which closes window [0, 1 s);
// `late` adds one for key a at t = 0.8 s after it, within the allowed
// lateness: window 0's row for a is emitted again.
inline std::vector<std::string> decimal_events(int partition, bool partitioned, bool late = false) {
  struct event {
    int merged, partitioned; // its partition either way
    const char* json;
  };
  static const event all[] = {
    {0, 0, R"({"t": 100, "k": "a", "v": 0.10, "b": 6000000000000000.01})"},
    {1, 0, R"({"t": 200, "k": "a", "v": 0.20, "b": 6345678901234567.88})"},
    {0, 1, R"({"t": 300, "k": "b", "v": -5.25, "b": -6000000000000000.01, "s": 999999.999})"},
    {1, 1, R"({"t": 400, "k": "b", "v": -0.01, "b": -6345678901234567.88})"},
    {1, 1, R"({"t": 450, "k": "b", "v": -1.00, "s": -1234.567})"},
    {0, 0, R"({"t": 500, "k": "c"})"},
    {1, 0, R"({"t": 550, "k": "c", "v": null, "b": null})"},
    {0, 1, R"({"t": 600, "k": "d", "v": 9999999999.99})"},
    {1, 1, R"({"t": 700, "k": "d", "v": -9999999999.99, "s": 1.5})"},
    {0, 0, R"({"t": 1500, "k": "z"})"},
    {1, 1, R"({"t": 1500, "k": "z"})"},
    {0, 0, R"({"t": 800, "k": "a", "v": 0.01, "b": 0.01})"}, // late
  };
  std::vector<std::string> out;
  for (std::size_t i = 0; i < std::size(all); ++i)
    if ((partitioned ? all[i].partitioned : all[i].merged) == partition
        && (late || i + 1 < std::size(all)))
      out.emplace_back(all[i].json);
  return out;
}

// Window [0, 1 s)'s rows, by key: "k n total lo hi mean big bmean small",
// tab-separated, a line each, a null spelled as `null` says (each store's
// client has its own). `late`: after the late event.
inline std::string decimal_rows(std::string_view null, bool late = false) {
  const std::string n{null};
  return std::string{late ? "a\t3\t0.31\t0.01\t0.20\t0.103333\t12345678901234567.90\t"
                            "4115226300411522.633333\t"
                          : "a\t2\t0.30\t0.10\t0.20\t0.150000\t12345678901234567.89\t"
                            "6172839450617283.945000\t"}
         + n + "\n"
         + "b\t3\t-6.26\t-5.25\t-0.01\t-2.086667\t-12345678901234567.89\t-6172839450617283.945000\t"
           "-1234.567\n"
         + "c\t2\t" + n + "\t" + n + "\t" + n + "\t" + n + "\t" + n + "\t" + n + "\t" + n + "\n"
         + "d\t2\t0.00\t-9999999999.99\t9999999999.99\t0.000000\t" + n + "\t" + n + "\t1.500\n";
}

// The merged path into another store: `sink` keeps the partials in
// PostgreSQL and writes merged rows to the store `rows()` reads (nulls
// spelled `null`). Window 0 waits for partition 1, then the late event of
// key a merges it again.
inline void write_merged_decimals(results_sink& sink, const jobs::job_spec& spec,
                                  const std::function<std::string()>& rows, std::string_view null) {
  auto write = [&](const folded& f) {
    auto ok = sink.write(f);
    ASSERT_TRUE(ok) << ok.error_message();
    EXPECT_EQ(sink.last_dropped(), 0u);
    EXPECT_TRUE(sink.last_refused().empty());
  };
  write(fold_json(spec, decimal_events(0, false), 0));
  EXPECT_EQ(rows(), "") << "partition 1 has not passed window 0";
  write(fold_json(spec, decimal_events(1, false), 1));
  EXPECT_EQ(rows(), decimal_rows(null));
  write(fold_json(spec, decimal_events(0, false, true), 0));
  EXPECT_EQ(rows(), decimal_rows(null, true));
}

} // namespace weir::test_support
