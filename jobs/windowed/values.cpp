#include "jobs/windowed/values.hpp"

#include "jobs/event_reader.hpp"

#include <algorithm>
#include <cmath>

namespace weir::jobs {

bool integer_result(agg_kind k) {
  return k == agg_kind::count || k == agg_kind::count_distinct
         || k == agg_kind::approx_count_distinct;
}

accumulators accumulators_of(const window_results& r, std::size_t i) {
  return {r.slots.data() + i * r.numeric_per_row, r.sets.data() + i * r.distinct_per_row,
          r.sketches.data() + i * r.sketches_per_row, true};
}

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
