// The keyed window operator. The operator itself is const and built from the
// spec; everything it mutates lives in partition_state, which is plain data
// serializable with msgpack so it can be snapshotted, shipped and restored.
//
// Tumbling and hopping windows share one mechanism: an event updates exactly
// one slice (length gcd(size, slide)); a window is the merge of its slices when
// it closes. The per-event cost is therefore independent of size and slide.
#pragma once

#include "base/expected.hpp"
#include "jobs/event_reader.hpp"
#include "jobs/hll.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/window.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace weir::jobs {

// Accumulator of one numeric aggregate (count, sum, min, max, avg) for one
// (slice, key). Every numeric kind uses the same slot, so merging is field-wise.
// Sums are compensated (Neumaier): the result does not drift with the number
// of values, and partials merged in the same order give the same bits.
struct slot {
  std::int64_t count = 0; // events (count) or numeric values seen (others)
  double sum = 0;
  double comp = 0; // what rounding lost from sum
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  MSGPACK_DEFINE(count, sum, comp, min, max)

  void add(double v) {
    ++count;
    accumulate(v);
    min = std::min(min, v);
    max = std::max(max, v);
  }
  void merge(const slot& o) {
    count += o.count;
    accumulate(o.sum);
    comp += o.comp;
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }
  double total() const { return sum + comp; }

private:
  void accumulate(double v) {
    const double t = sum + v;
    comp += std::abs(sum) >= std::abs(v) ? (sum - t) + v : (v - t) + sum;
    sum = t;
  }
};

// Accumulator of one decimal aggregate (sum, min, max, avg of a
// decimal(p, s) field) for one (slice, key): values are integer units of
// 10^-s, so sums are exact and merging is field-wise, in any order. The
// 128-bit sum is kept as two words for msgpack. Inputs are below 10^18
// units, so a sum overflows only past 10^20 values.
struct decimal_slot {
  std::int64_t count = 0; // values seen
  std::int64_t sum_hi = 0;
  std::uint64_t sum_lo = 0;
  std::int64_t min = std::numeric_limits<std::int64_t>::max();
  std::int64_t max = std::numeric_limits<std::int64_t>::min();
  MSGPACK_DEFINE(count, sum_hi, sum_lo, min, max)

  int128 sum() const { return static_cast<int128>((static_cast<uint128>(sum_hi) << 64) | sum_lo); }
  void add(std::int64_t v) {
    ++count;
    set_sum(sum() + v);
    min = std::min(min, v);
    max = std::max(max, v);
  }
  void merge(const decimal_slot& o) {
    count += o.count;
    set_sum(sum() + o.sum());
    min = std::min(min, o.min);
    max = std::max(max, o.max);
  }

private:
  void set_sum(int128 s) {
    sum_hi = static_cast<std::int64_t>(s >> 64);
    sum_lo = static_cast<std::uint64_t>(s);
  }
};

struct string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The exact distinct values of one (slice, key) aggregate. Most keys of a
// high-cardinality job see one or a few values per window, so small sets are
// a sorted vector (one allocation, no hash buckets: a fraction of a hash
// set's bytes); past `small_limit` values a hash set takes over. Serialized
// as an array of strings either way.
class distinct_set {
public:
  static constexpr std::size_t small_limit = 32;

  distinct_set() = default;
  distinct_set(const distinct_set& o) : small_(o.small_) {
    if (o.big_)
      big_ = std::make_unique<hash_set>(*o.big_);
  }
  distinct_set& operator=(const distinct_set& o) {
    if (this != &o)
      *this = distinct_set{o};
    return *this;
  }
  distinct_set(distinct_set&&) noexcept = default;
  distinct_set& operator=(distinct_set&&) noexcept = default;

  // Adds `v` unless present (no allocation then).
  void insert(std::string_view v) {
    if (big_) {
      if (big_->find(v) == big_->end())
        big_->emplace(v);
      return;
    }
    auto at = std::lower_bound(small_.begin(), small_.end(), v,
                               [](const std::string& a, std::string_view b) { return a < b; });
    if (at != small_.end() && *at == v)
      return;
    if (small_.size() < small_limit) {
      small_.emplace(at, v);
      return;
    }
    big_ = std::make_unique<hash_set>(std::make_move_iterator(small_.begin()),
                                      std::make_move_iterator(small_.end()));
    small_ = {};
    big_->emplace(v);
  }

  void merge(const distinct_set& o) {
    o.for_each([this](const std::string& v) { insert(v); });
  }

  std::size_t size() const { return big_ ? big_->size() : small_.size(); }

  template <class F>
  void for_each(F f) const {
    if (big_)
      for (const auto& v : *big_)
        f(v);
    else
      for (const auto& v : small_)
        f(v);
  }

  template <class Packer>
  void msgpack_pack(Packer& pk) const {
    pk.pack_array(static_cast<std::uint32_t>(size()));
    for_each([&](const std::string& v) { pk.pack(v); });
  }
  void msgpack_unpack(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY)
      throw msgpack::type_error();
    *this = {};
    for (std::uint32_t i = 0; i < o.via.array.size; ++i)
      insert(o.via.array.ptr[i].as<std::string_view>());
  }

private:
  using hash_set = std::unordered_set<std::string, string_hash, std::equal_to<>>;
  std::vector<std::string> small_; // sorted; empty once big_ holds the values
  std::unique_ptr<hash_set> big_;
};

// Where each aggregate's accumulator lives: numeric slots, decimal slots,
// exact distinct sets, or HLL sketches. Indexes count per store.
struct agg_layout {
  enum class store : std::uint8_t { numeric, decimal, distinct, sketch };
  struct place {
    store where;
    std::uint32_t index;
  };
  std::vector<place> of; // per aggregate, in spec order
  std::uint32_t numeric = 0, decimals = 0, distinct = 0, sketches = 0;

  agg_layout() = default;
  explicit agg_layout(const std::vector<aggregate_spec>& aggs);
};

// The keys of one slice and their accumulators (per key: layout.numeric slots,
// layout.distinct sets, layout.sketches sketches, layout.decimals decimal
// slots; key-major). Fields are appended last, so older states still read.
struct window_bucket {
  std::vector<std::string> keys;
  std::vector<slot> slots;
  std::vector<distinct_set> sets;
  std::vector<hll> sketches;
  std::vector<decimal_slot> decimals;
  MSGPACK_DEFINE(keys, slots, sets, sketches, decimals)

  // Derived from keys; rebuilt after restore, never serialized.
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> index;
  void rebuild_index();
};

// Session windows: per key, sessions that grow while events arrive within
// `gap` of each other. Records are pooled by index so the closing heap can
// refer to them without copying keys; a generation number retires stale heap
// entries when sessions merge or close.
struct session_record {
  std::string key;
  millis start = 0;
  millis end = 0; // last event + gap
  std::uint32_t generation = 0;
  bool live = false;
  std::vector<slot> slots;
  std::vector<distinct_set> sets;
  std::vector<hll> sketches;
  std::vector<decimal_slot> decimals;
  MSGPACK_DEFINE(key, start, end, generation, live, slots, sets, sketches, decimals)
};

struct session_state {
  std::vector<session_record> records;
  std::vector<std::uint32_t> free;
  MSGPACK_DEFINE(records, free)

  // Derived, rebuilt after restore.
  std::unordered_map<std::string, std::vector<std::uint32_t>, string_hash, std::equal_to<>> by_key;
  struct due {
    millis end;
    std::uint32_t index;
    std::uint32_t generation;
    bool operator>(const due& o) const { return end > o.end; }
  };
  std::vector<due> heap; // min-heap on end
  void rebuild();
};

// Everything the operator knows about one Kafka partition: where its input
// stands (the cursor: offsets, counters, max event time) and its windows.
struct partition_state : partition_cursor {
  millis emitted_end = no_time;           // every window ending at or before this is closed
  std::map<millis, window_bucket> slices; // by slice start
  session_state sessions;                 // session windows only
  // Fields added go last, so older checkpoints still read (the new field
  // empty); every one is checked by StateRoundTripKeepsEveryField.
  MSGPACK_DEFINE(next_offset, max_event_time, emitted_end, slices, events, filtered, malformed,
                 late, sessions, skipped)

  millis watermark(millis out_of_orderness) const {
    return max_event_time == no_time ? no_time : max_event_time - out_of_orderness;
  }
  void rebuild_indexes();
};

// A partition's state as msgpack bytes (checkpoints, handoffs), and back with
// its indexes rebuilt. The error names `what`.
std::string pack_state(const partition_state& state);
expected<partition_state> unpack_state(std::string_view bytes, const std::string& what);

// Emitted window rows, flattened: row i has starts[i], ends[i], keys[i], and
// its accumulators at [i * per_row, (i + 1) * per_row) of each store.
struct window_results {
  std::uint32_t numeric_per_row = 0;
  std::uint32_t distinct_per_row = 0;
  std::uint32_t sketches_per_row = 0;
  std::uint32_t decimals_per_row = 0;
  std::vector<millis> starts;
  std::vector<millis> ends;
  std::vector<std::string> keys;
  std::vector<slot> slots;
  std::vector<std::vector<std::string>> sets; // distinct values, sorted
  std::vector<hll> sketches;
  std::vector<decimal_slot> decimals;

  size_t size() const { return keys.size(); }
  bool empty() const { return keys.empty(); }
  void clear() { // keeps capacity
    starts.clear();
    ends.clear();
    keys.clear();
    slots.clear();
    sets.clear();
    sketches.clear();
    decimals.clear();
  }
};

// Window rows emitted by one source partition: the windowed kind's output.
struct partition_rows final : partition_output {
  window_results rows;
  partition_rows() = default;
  partition_rows(partition_id p, window_results r) : rows(std::move(r)) { partition = p; }
  std::size_t size() const override { return rows.size(); }
};

class window_operator {
public:
  explicit window_operator(const job_spec& spec);

  enum class outcome { added, late };

  // Folds one event into the state, then closes every window the advanced
  // watermark passed (appending them to `out`). Windows close at the event that
  // moves the watermark past them, never later, so what a window contains does
  // not depend on how the stream was batched: results are a function of the
  // partition's input. A late event (every window it belongs to has expired)
  // is not applied. An event for an emitted window still within the allowed
  // lateness re-emits that window's row for its key.
  outcome add(partition_state& st, const event_view& ev, window_results& out) const;

  // Closes windows the watermark passed (used after restore or to force progress).
  void close_windows(partition_state& st, window_results& out) const;

  const agg_layout& layout() const { return layout_; }
  millis out_of_orderness() const { return ooo_; }

private:
  millis first_window_end(millis slice_start) const {
    return floor_to(slice_start - size_, slide_) + slide_ + size_;
  }
  millis last_window_end(millis slice_start) const { return floor_to(slice_start, slide_) + size_; }
  std::uint32_t row_of(window_bucket& b, std::string_view key) const;
  // Folds `ev` into one row of accumulators (slots, sets, sketches at `row`).
  template <class Accumulators> // window_bucket or session_record
  void fold(Accumulators& acc, std::uint32_t row, const event_view& ev) const;
  outcome add_to_session(partition_state& st, const event_view& ev, window_results& out) const;
  void close_sessions(partition_state& st, window_results& out) const;
  // Appends the rows of window [end - size, end); only `key` when given.
  void emit(const partition_state& st, millis end, window_results& out,
            const std::string_view* key = nullptr) const;
  void evict(partition_state& st) const;

  std::vector<aggregate_spec> aggs_;
  agg_layout layout_;
  bool sessions_;
  millis size_, slide_, slice_, gap_, lateness_, ooo_;
};

} // namespace weir::jobs
