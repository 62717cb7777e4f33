// What a window row's accumulators mean as result values, for every results
// sink: the one definition of each aggregate's value, of which ones are
// integers, and of a composite key's parts.
#pragma once

#include "jobs/windowed/window_operator.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

// A result value: null where an aggregate saw no value; counts stay integers
// (never through double); sums, extremes and averages are doubles, or of a
// decimal field exact decimals (x units of 10^-scale).
struct cell {
  enum { null, integer, real, decimal } k = null;
  std::int64_t i = 0;
  double d = 0;
  int128 x = 0;
  int scale = 0;
};

// Counts (plain, distinct, approximate distinct) are integers.
bool integer_result(agg_kind k);

// The result column's type in a store, spelled as the store spells it:
// PostgreSQL numeric(p,s), MariaDB DECIMAL(p,s), ClickHouse Decimal(p,s).
std::string decimal_column(decimal_type t, std::string_view name);

// x units of 10^-scale as decimal text ("-12.50"), appended to `out`.
void append_decimal(std::string& out, int128 x, int scale);

// One (window, key)'s accumulators, viewed in place (an emitted row) or owned
// (a merge of partials).
struct accumulators {
  const slot* slots;
  const std::vector<std::string>* sets; // distinct values
  const hll* sketches;
  bool sets_unique; // an emitted row's sets are sorted and unique; merged ones may repeat
  const decimal_slot* decimals = nullptr;
};

// Row i of emitted results.
accumulators accumulators_of(const window_results& r, std::size_t i);

// Every aggregate's value of one row, in spec order, into `out` (cleared).
void values_of(const std::vector<aggregate_spec>& aggs, const agg_layout& layout,
               const accumulators& acc, std::vector<cell>& out);

// The k-th part of a composite key (parts joined by key_separator).
std::string_view key_part(std::string_view key, std::size_t k);

} // namespace weir::jobs
