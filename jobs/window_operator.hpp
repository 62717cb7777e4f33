// The keyed window operator. The operator itself is const and built from the
// spec; everything it mutates lives in partition_state, which is plain data
// serializable with msgpack so it can be snapshotted, shipped and restored.
#pragma once

#include "jobs/event_reader.hpp"
#include "jobs/spec.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace weir::jobs {

// Accumulator of one aggregate for one (window, key). Every aggregate kind uses
// the same slot so the operator has one code path and merging is field-wise.
struct slot {
  std::int64_t count = 0; // events (count) or numeric values seen (others)
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  MSGPACK_DEFINE(count, sum, min, max)
};

struct string_hash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// The keys of one open window and their slots (n_aggs per key, key-major).
struct window_bucket {
  std::vector<std::string> keys;
  std::vector<slot> slots;
  // Derived from keys; rebuilt after restore, never serialized.
  std::unordered_map<std::string, std::uint32_t, string_hash, std::equal_to<>> index;
  MSGPACK_DEFINE(keys, slots)
  void rebuild_index();
};

// Everything the operator knows about one Kafka partition.
struct partition_state {
  std::int64_t next_offset = 0; // first offset not yet folded into this state
  millis max_event_time = std::numeric_limits<millis>::min();
  std::map<millis, window_bucket> windows; // by window start
  std::uint64_t events = 0;
  std::uint64_t malformed = 0;
  std::uint64_t late = 0;
  MSGPACK_DEFINE(next_offset, max_event_time, windows, events, malformed, late)

  millis watermark(millis out_of_orderness) const {
    return max_event_time == std::numeric_limits<millis>::min()
             ? max_event_time
             : max_event_time - out_of_orderness;
  }
  void rebuild_indexes();
};

// Closed windows of one partition, flattened: row i has starts[i], ends[i],
// keys[i] and slots [i*slots_per_row, (i+1)*slots_per_row).
struct window_results {
  std::uint32_t slots_per_row = 0;
  std::vector<millis> starts;
  std::vector<millis> ends;
  std::vector<std::string> keys;
  std::vector<slot> slots;
  size_t size() const { return keys.size(); }
  bool empty() const { return keys.empty(); }
  void clear() {
    starts.clear(), ends.clear(), keys.clear(), slots.clear();
  }
};

class window_operator {
public:
  explicit window_operator(const job_spec& spec);

  // Folds one event into the state. Returns false if it arrived after its window
  // closed (counted as late, not applied).
  bool add(partition_state& st, const event_view& ev) const;

  // Moves every window that the watermark has passed into `out`.
  void close_windows(partition_state& st, window_results& out) const;

  size_t slots_per_key() const { return aggs_.size(); }
  millis window_size() const { return size_; }

private:
  std::vector<aggregate_spec> aggs_;
  millis size_;
  millis out_of_orderness_;
};

} // namespace weir::jobs
