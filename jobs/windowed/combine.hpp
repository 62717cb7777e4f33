// What the windowed kind does with the rows of several partitions: the
// semantics of keys that cross partitions, with no store in sight. Each
// partition emits its share of a (window, key) as a partial; the sink keeps
// them until the window is final, then combine() merges them, values_of()
// (values.hpp) finalizes them and rank_windows() ranks top-N. Stores only
// move these values in and out (sinks/windowed/).
#pragma once

#include "base/expected.hpp"
#include "jobs/windowed/values.hpp"
#include "jobs/windowed/window_operator.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

// One (window, key)'s accumulators, owned: what a partial holds and a merge
// makes. Its msgpack form is a partial's stored bytes (decimals came last,
// so partials written before them still read).
struct acc_row {
  std::vector<slot> slots;
  std::vector<std::vector<std::string>> sets; // distinct values; merged ones may repeat
  std::vector<hll> sketches;
  std::vector<decimal_slot> decimals;
  MSGPACK_DEFINE(slots, sets, sketches, decimals)

  // Every accumulator empty, shaped by `layout`.
  static acc_row empty(const agg_layout& layout);
  // Row i of emitted results, copied out.
  static acc_row of(const window_results& r, std::size_t i);

  // Field-wise: counts and sums add, extremes compare, sets unite, sketches
  // take the larger register. Doubles add in the order merged.
  void merge(const acc_row& o);
  accumulators view() const;

  std::string pack() const;
  // A partial's bytes, checked against `layout` (a partial written for other
  // aggregates is an error, not an index out of range); `what` names it.
  static expected<acc_row> unpack(std::string_view bytes, const agg_layout& layout,
                                  const std::string& what);
};

// One partition's share of one (window, key).
struct partial {
  millis start = 0, end = 0;
  std::string key; // parts joined by key_separator
  partition_id partition = 0;
  acc_row acc;
};

// A (window, key)'s row over every partition.
struct combined {
  millis start = 0, end = 0;
  std::string key;
  acc_row acc;
};

// Merges the partials of each (window, key), in (window, key) order. The
// partials are merged in (window, key, partition) order whatever order they
// come in, so the same partials always give the same bits (sums of doubles
// depend on the order they add in).
std::vector<combined> combine(std::vector<partial> partials, const agg_layout& layout);

// Top-N: within each window of `rows` (sorted by window), the keys ranked by
// aggregate `by`'s value, largest first; nulls last; ties by key text. Keeps
// the first `n` of each window.
struct ranking {
  std::vector<std::size_t> keep;   // indexes into rows, window by window, best first
  std::vector<std::uint32_t> rank; // per row: its rank from 1, 0 if not kept
  std::vector<millis> windows;     // every window's start: their ranked rows are replaced
};
ranking rank_windows(std::span<const combined> rows, std::span<const std::vector<cell>> values,
                     std::size_t by, std::uint32_t n);

} // namespace weir::jobs
