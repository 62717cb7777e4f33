#include "jobs/window_operator.hpp"

#include "jobs/window.hpp"

#include <algorithm>

namespace weir::jobs {

void window_bucket::rebuild_index() {
  index.clear();
  for (std::uint32_t i = 0; i < keys.size(); ++i)
    index.emplace(keys[i], i);
}

void partition_state::rebuild_indexes() {
  for (auto& [start, bucket] : windows)
    bucket.rebuild_index();
}

window_operator::window_operator(const job_spec& spec)
  : aggs_(spec.aggregations),
    size_(spec.window.size),
    out_of_orderness_(spec.source.out_of_orderness) {
}

bool window_operator::add(partition_state& st, const event_view& ev) const {
  const millis start = tumbling_start(ev.time, size_);
  if (start + size_ <= st.watermark(out_of_orderness_)) {
    ++st.late;
    return false;
  }
  ++st.events;
  st.max_event_time = std::max(st.max_event_time, ev.time);
  auto& bucket = st.windows[start];
  std::uint32_t row;
  if (auto it = bucket.index.find(ev.key); it != bucket.index.end()) {
    row = it->second;
  } else {
    row = static_cast<std::uint32_t>(bucket.keys.size());
    bucket.keys.emplace_back(ev.key);
    bucket.index.emplace(bucket.keys.back(), row);
    bucket.slots.resize(bucket.slots.size() + aggs_.size());
  }
  slot* s = bucket.slots.data() + static_cast<size_t>(row) * aggs_.size();
  for (size_t i = 0; i < aggs_.size(); ++i, ++s) {
    if (aggs_[i].kind == agg_kind::count) {
      ++s->count;
    } else if (ev.present[i]) {
      const double v = ev.values[i];
      ++s->count;
      s->sum += v;
      s->min = std::min(s->min, v);
      s->max = std::max(s->max, v);
    }
  }
  return true;
}

void window_operator::close_windows(partition_state& st, window_results& out) const {
  out.slots_per_row = static_cast<std::uint32_t>(aggs_.size());
  const millis wm = st.watermark(out_of_orderness_);
  auto it = st.windows.begin();
  while (it != st.windows.end() && it->first + size_ <= wm) {
    auto& bucket = it->second;
    for (auto& key : bucket.keys) {
      out.starts.push_back(it->first);
      out.ends.push_back(it->first + size_);
      out.keys.push_back(std::move(key));
    }
    out.slots.insert(out.slots.end(), bucket.slots.begin(), bucket.slots.end());
    it = st.windows.erase(it);
  }
}

} // namespace weir::jobs
