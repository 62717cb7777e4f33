#include "jobs/windowed/combine.hpp"

#include "base/bounded_unpack.hpp"

#include <algorithm>
#include <numeric>
#include <tuple>

namespace weir::jobs {

acc_row acc_row::empty(const agg_layout& layout) {
  acc_row r;
  r.slots.resize(layout.numeric);
  r.sets.resize(layout.distinct);
  r.sketches.resize(layout.sketches);
  r.decimals.resize(layout.decimals);
  return r;
}

acc_row acc_row::of(const window_results& r, std::size_t i) {
  acc_row out;
  auto part = [i](const auto& all, auto& dst, std::uint32_t per_row) {
    dst.assign(all.begin() + i * per_row, all.begin() + (i + 1) * per_row);
  };
  part(r.slots, out.slots, r.numeric_per_row);
  part(r.sets, out.sets, r.distinct_per_row);
  part(r.sketches, out.sketches, r.sketches_per_row);
  part(r.decimals, out.decimals, r.decimals_per_row);
  return out;
}

void acc_row::merge(const acc_row& o) {
  for (std::size_t i = 0; i < slots.size(); ++i)
    slots[i].merge(o.slots[i]);
  for (std::size_t i = 0; i < sets.size(); ++i)
    sets[i].insert(sets[i].end(), o.sets[i].begin(), o.sets[i].end());
  for (std::size_t i = 0; i < sketches.size(); ++i)
    sketches[i].merge(o.sketches[i]);
  for (std::size_t i = 0; i < decimals.size(); ++i)
    decimals[i].merge(o.decimals[i]);
}

accumulators acc_row::view() const {
  return {slots.data(), sets.data(), sketches.data(), false, decimals.data()};
}

std::string acc_row::pack() const {
  msgpack::sbuffer buf;
  msgpack::pack(buf, *this);
  return {buf.data(), buf.size()};
}

expected<acc_row> acc_row::unpack(std::string_view bytes, const agg_layout& layout,
                                  const std::string& what) {
  acc_row r;
  try {
    auto handle = unpack_bounded(bytes);
    handle.get().convert(r);
  } catch (const std::exception& e) {
    return error{what + " does not read: " + e.what()};
  }
  if (r.slots.size() != layout.numeric || r.sets.size() != layout.distinct
      || r.sketches.size() != layout.sketches || r.decimals.size() != layout.decimals)
    return error{what + " holds other aggregates than the spec's"};
  return r;
}

namespace {

// A composite key compared part by part, as its parts would be: the
// separator sorts below every byte (a part that ends is the smaller).
bool key_less(std::string_view a, std::string_view b) {
  const auto n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a[i] == b[i])
      continue;
    if (a[i] == key_separator || b[i] == key_separator)
      return a[i] == key_separator;
    return static_cast<unsigned char>(a[i]) < static_cast<unsigned char>(b[i]);
  }
  return a.size() < b.size();
}

} // namespace

std::vector<combined> combine(std::vector<partial> partials, const agg_layout& layout) {
  std::sort(partials.begin(), partials.end(), [](const partial& a, const partial& b) {
    if (a.start != b.start)
      return a.start < b.start;
    if (a.key != b.key)
      return key_less(a.key, b.key);
    return a.partition < b.partition;
  });
  std::vector<combined> out;
  for (auto& p : partials) {
    if (out.empty() || out.back().start != p.start || out.back().key != p.key)
      out.push_back({p.start, p.end, std::move(p.key), acc_row::empty(layout)});
    // A session's end may grow with its partials; a window's is fixed.
    out.back().end = std::max(out.back().end, p.end);
    out.back().acc.merge(p.acc);
  }
  return out;
}

ranking rank_windows(std::span<const combined> rows, std::span<const std::vector<cell>> values,
                     std::size_t by, std::uint32_t n) {
  // One aggregate's cells are all of one kind (decimals of one scale).
  auto above = [](const cell& a, const cell& b) {
    switch (a.k) {
      case cell::integer: return a.i > b.i;
      case cell::decimal: return a.x > b.x;
      default: return a.d > b.d;
    }
  };
  ranking out;
  out.rank.assign(rows.size(), 0);
  for (std::size_t lo = 0; lo < rows.size();) {
    std::size_t hi = lo;
    while (hi < rows.size() && rows[hi].start == rows[lo].start)
      ++hi;
    out.windows.push_back(rows[lo].start);
    std::vector<std::size_t> idx(hi - lo);
    std::iota(idx.begin(), idx.end(), lo);
    std::sort(idx.begin(), idx.end(), [&](std::size_t a, std::size_t b) {
      const auto& va = values[a][by];
      const auto& vb = values[b][by];
      if ((va.k == cell::null) != (vb.k == cell::null))
        return vb.k == cell::null;
      if (va.k != cell::null && (above(va, vb) || above(vb, va)))
        return above(va, vb);
      return key_less(rows[a].key, rows[b].key);
    });
    for (std::size_t r = 0; r < idx.size() && r < n; ++r) {
      out.rank[idx[r]] = static_cast<std::uint32_t>(r + 1);
      out.keep.push_back(idx[r]);
    }
    lo = hi;
  }
  return out;
}

} // namespace weir::jobs
