#include "jobs/windowed/values.hpp"

#include "jobs/event_reader.hpp"

#include <algorithm>
#include <cmath>

namespace weir::jobs {

bool integer_result(agg_kind k) {
  return k == agg_kind::count || k == agg_kind::count_distinct
         || k == agg_kind::approx_count_distinct;
}

std::string decimal_column(decimal_type t, std::string_view name) {
  return std::string{name} + "(" + std::to_string(t.precision) + "," + std::to_string(t.scale)
         + ")";
}

void append_decimal(std::string& out, int128 x, int scale) {
  char buf[48];
  char* p = buf + sizeof buf;
  uint128 m = x < 0 ? -static_cast<uint128>(x) : static_cast<uint128>(x);
  int digits = 0;
  do {
    *--p = static_cast<char>('0' + static_cast<int>(m % 10));
    m /= 10;
    if (++digits == scale)
      *--p = '.';
  } while (m != 0 || digits <= scale);
  if (x < 0)
    *--p = '-';
  out.append(p, static_cast<std::size_t>(buf + sizeof buf - p));
}

namespace {

// sum / count at `scale` units from `from` units, rounded half away from zero.
int128 average(int128 sum, std::int64_t count, int from, int scale) {
  const bool negative = sum < 0;
  uint128 m = negative ? -static_cast<uint128>(sum) : static_cast<uint128>(sum);
  const uint128 n = static_cast<uint128>(count);
  const auto up = static_cast<uint128>(power_of_ten(scale - from));
  // m * up can overflow; the quotient and the remainder scaled apart cannot
  // (the remainder is below count, the quotient below 10^18).
  const uint128 q = m / n, r = m % n;
  const uint128 frac = r * up;
  uint128 result = q * up + frac / n;
  if ((frac % n) * 2 >= n)
    ++result;
  return negative ? -static_cast<int128>(result) : static_cast<int128>(result);
}

} // namespace

accumulators accumulators_of(const window_results& r, std::size_t i) {
  return {r.slots.data() + i * r.numeric_per_row, r.sets.data() + i * r.distinct_per_row,
          r.sketches.data() + i * r.sketches_per_row, true,
          r.decimals.data() + i * r.decimals_per_row};
}

namespace {

cell value_of(const aggregate_spec& agg, agg_layout::place place, const accumulators& acc) {
  switch (place.where) {
    case agg_layout::store::distinct: {
      const auto& set = acc.sets[place.index];
      if (acc.sets_unique)
        return {cell::integer, static_cast<std::int64_t>(set.size()), 0};
      auto v = set;
      std::sort(v.begin(), v.end());
      return {cell::integer, std::unique(v.begin(), v.end()) - v.begin(), 0};
    }
    case agg_layout::store::sketch:
      return {cell::integer, std::llround(acc.sketches[place.index].estimate()), 0};
    case agg_layout::store::decimal: {
      const auto& s = acc.decimals[place.index];
      if (s.count == 0)
        return {};
      const int scale = agg.decimal.scale;
      switch (agg.kind) {
        case agg_kind::sum: return {cell::decimal, 0, 0, s.sum(), scale};
        case agg_kind::min: return {cell::decimal, 0, 0, s.min, scale};
        case agg_kind::max: return {cell::decimal, 0, 0, s.max, scale};
        case agg_kind::avg: {
          const int to = result_decimal(agg).scale;
          return {cell::decimal, 0, 0, average(s.sum(), s.count, scale, to), to};
        }
        default: return {};
      }
    }
    case agg_layout::store::numeric: break;
  }
  const auto& s = acc.slots[place.index];
  if (agg.kind == agg_kind::count)
    return {cell::integer, s.count, 0};
  if (s.count == 0)
    return {};
  switch (agg.kind) {
    case agg_kind::sum: return {cell::real, 0, s.total()};
    case agg_kind::min: return {cell::real, 0, s.min};
    case agg_kind::max: return {cell::real, 0, s.max};
    case agg_kind::avg: return {cell::real, 0, s.total() / static_cast<double>(s.count)};
    default: return {};
  }
}

} // namespace

void values_of(const std::vector<aggregate_spec>& aggs, const agg_layout& layout,
               const accumulators& acc, std::vector<cell>& out) {
  out.clear();
  for (std::size_t a = 0; a < aggs.size(); ++a)
    out.push_back(value_of(aggs[a], layout.of[a], acc));
}

std::string_view key_part(std::string_view key, std::size_t k) {
  for (std::size_t skip = 0; skip < k; ++skip)
    key.remove_prefix(key.find(key_separator) + 1);
  return key.substr(0, key.find(key_separator));
}

} // namespace weir::jobs
