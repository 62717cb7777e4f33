#include "jobs/windowed/window_operator.hpp"

#include "base/bounded_unpack.hpp"

#include <algorithm>

namespace weir::jobs {

agg_layout::agg_layout(const std::vector<aggregate_spec>& aggs) {
  for (const auto& a : aggs) {
    switch (a.kind) {
      case agg_kind::count_distinct: of.push_back({store::distinct, distinct++}); break;
      case agg_kind::approx_count_distinct: of.push_back({store::sketch, sketches++}); break;
      default:
        if (a.decimal && a.kind != agg_kind::count)
          of.push_back({store::decimal, decimals++});
        else
          of.push_back({store::numeric, numeric++});
        break;
    }
  }
}

void window_bucket::rebuild_index() {
  index.clear();
  for (std::uint32_t i = 0; i < keys.size(); ++i)
    index.emplace(keys[i], i);
}

void session_state::rebuild() {
  by_key.clear();
  heap.clear();
  for (std::uint32_t i = 0; i < records.size(); ++i) {
    const auto& r = records[i];
    if (!r.live)
      continue;
    by_key[r.key].push_back(i);
    heap.push_back({r.end, i, r.generation});
  }
  std::make_heap(heap.begin(), heap.end(), std::greater<>{});
}

std::string pack_state(const partition_state& state) {
  // Large binaries (sketches) are referenced, not copied, while packing; the
  // result is then assembled at its exact size: states can be hundreds of MB,
  // and a growing buffer would copy them several times.
  msgpack::vrefbuffer buf;
  msgpack::pack(buf, state);
  const auto* iov = buf.vector();
  size_t total = 0;
  for (size_t i = 0; i < buf.vector_size(); ++i)
    total += iov[i].iov_len;
  std::string out;
  out.reserve(total);
  for (size_t i = 0; i < buf.vector_size(); ++i)
    out.append(static_cast<const char*>(iov[i].iov_base), iov[i].iov_len);
  return out;
}

expected<partition_state> unpack_state(std::string_view bytes, const std::string& what) {
  return guarded(what, [&] {
    // Strings and binaries are converted straight from `bytes` (which outlive
    // the object) instead of being copied into msgpack's zone first.
    auto handle =
      unpack_bounded(bytes, [](msgpack::type::object_type, std::size_t, void*) { return true; });
    auto state = handle.get().as<partition_state>();
    state.rebuild_indexes();
    return state;
  });
}

void partition_state::rebuild_indexes() {
  for (auto& [start, bucket] : slices)
    bucket.rebuild_index();
  sessions.rebuild();
}

window_operator::window_operator(const job_spec& spec)
  : aggs_(spec.aggregations), layout_(spec.aggregations),
    sessions_(spec.window.kind == window_kind::session), size_(spec.window.size),
    slide_(spec.window.slide > 0  ? spec.window.slide
           : spec.window.size > 0 ? spec.window.size
                                  : 1),
    slice_(slice_length(spec.window)), gap_(spec.window.gap),
    lateness_(spec.window.allowed_lateness), ooo_(spec.source.out_of_orderness) {}

std::uint32_t window_operator::row_of(window_bucket& b, std::string_view key) const {
  if (auto it = b.index.find(key); it != b.index.end())
    return it->second;
  const auto row = static_cast<std::uint32_t>(b.keys.size());
  b.keys.emplace_back(key);
  b.index.emplace(b.keys.back(), row);
  b.slots.resize(b.slots.size() + layout_.numeric);
  b.sets.resize(b.sets.size() + layout_.distinct);
  b.sketches.resize(b.sketches.size() + layout_.sketches);
  b.decimals.resize(b.decimals.size() + layout_.decimals);
  return row;
}

template <class Accumulators>
void window_operator::fold(Accumulators& acc, std::uint32_t row, const event_view& ev) const {
  for (size_t i = 0; i < aggs_.size(); ++i) {
    const auto place = layout_.of[i];
    switch (place.where) {
      case agg_layout::store::numeric: {
        slot& s = acc.slots[size_t{row} * layout_.numeric + place.index];
        if (aggs_[i].kind == agg_kind::count) {
          ++s.count;
        } else if (ev.present[i]) {
          s.add(ev.values[i]);
        }
        break;
      }
      case agg_layout::store::decimal:
        if (ev.present[i])
          acc.decimals[size_t{row} * layout_.decimals + place.index].add(ev.units[i]);
        break;
      case agg_layout::store::distinct:
        if (ev.texts[i].data() != nullptr) {
          acc.sets[size_t{row} * layout_.distinct + place.index].insert(ev.texts[i]);
        }
        break;
      case agg_layout::store::sketch:
        if (ev.texts[i].data() != nullptr)
          acc.sketches[size_t{row} * layout_.sketches + place.index].add(ev.texts[i]);
        break;
    }
  }
}

window_operator::outcome window_operator::add(partition_state& st, const event_view& ev,
                                              window_results& out) const {
  if (sessions_)
    return add_to_session(st, ev, out);
  const millis slice = floor_to(ev.time, slice_);
  const millis wm = st.watermark(ooo_);
  if (wm != no_time && last_window_end(slice) + lateness_ <= wm) {
    ++st.late;
    return outcome::late;
  }
  ++st.events;
  auto& bucket = st.slices[slice];
  fold(bucket, row_of(bucket, ev.key), ev);
  // Windows of this slice that were already emitted but are still within the
  // allowed lateness get their row for this key again, with the update.
  if (st.emitted_end != no_time) {
    const millis last = std::min(st.emitted_end, last_window_end(slice));
    for (millis end = first_window_end(slice); end <= last; end += slide_)
      if (end + lateness_ > wm)
        emit(st, end, out, &ev.key);
  }
  if (ev.time > st.max_event_time) {
    st.max_event_time = ev.time;
    // Cheap test first: most events do not move the watermark past a window end.
    if (st.emitted_end == no_time || st.watermark(ooo_) >= st.emitted_end + slide_)
      close_windows(st, out);
  }
  return outcome::added;
}

void window_operator::close_windows(partition_state& st, window_results& out) const {
  if (sessions_)
    return close_sessions(st, out);
  const millis wm = st.watermark(ooo_);
  if (wm == no_time)
    return;
  // Every window ending at or before the watermark closes now, the empty ones
  // too: an event arriving later for one of them is late for it.
  const millis closed = floor_to(wm - size_, slide_) + size_;
  if (st.emitted_end != no_time && closed <= st.emitted_end)
    return;
  for (;;) {
    // The next non-empty window: after the last closed one, skipping stretches
    // without any slice (a watermark jump must not walk every slide).
    millis end = st.emitted_end == no_time ? no_time : st.emitted_end + slide_;
    auto it = end == no_time ? st.slices.begin() : st.slices.lower_bound(end - size_);
    if (it == st.slices.end())
      break;
    end = std::max(end, first_window_end(it->first));
    if (end > closed)
      break;
    emit(st, end, out);
    st.emitted_end = end;
  }
  st.emitted_end = closed;
  evict(st);
}

window_operator::outcome window_operator::add_to_session(partition_state& st, const event_view& ev,
                                                         window_results& out) const {
  auto& ss = st.sessions;
  const millis wm = st.watermark(ooo_);
  const millis start = ev.time, end = ev.time + gap_;
  auto key_it = ss.by_key.find(ev.key);
  // Sessions of this key that [t, t + gap) touches merge into the first one.
  std::uint32_t target = UINT32_MAX;
  millis known_end = no_time; // the end the closing heap knows for the target
  if (key_it != ss.by_key.end()) {
    auto& list = key_it->second;
    for (size_t i = 0; i < list.size();) {
      auto& r = ss.records[list[i]];
      if (r.start < end && start < r.end) {
        if (target == UINT32_MAX) {
          target = list[i];
          known_end = r.end;
          ++i;
          continue;
        }
        auto& t = ss.records[target];
        t.start = std::min(t.start, r.start);
        t.end = std::max(t.end, r.end);
        for (size_t n = 0; n < t.slots.size(); ++n)
          t.slots[n].merge(r.slots[n]);
        for (size_t d = 0; d < t.sets.size(); ++d)
          t.sets[d].merge(r.sets[d]);
        for (size_t k = 0; k < t.sketches.size(); ++k)
          t.sketches[k].merge(r.sketches[k]);
        for (size_t k = 0; k < t.decimals.size(); ++k)
          t.decimals[k].merge(r.decimals[k]);
        const auto generation = r.generation + 1;
        r = session_record{};
        r.generation = generation;
        ss.free.push_back(list[i]);
        list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        continue;
      }
      ++i;
    }
  }
  // A new session is late if it would already be closed: every live session
  // ends after the watermark, so merging with one never is.
  if (target == UINT32_MAX && wm != no_time && end <= wm) {
    ++st.late;
    return outcome::late;
  }
  ++st.events;
  if (target == UINT32_MAX) {
    if (!ss.free.empty()) {
      target = ss.free.back();
      ss.free.pop_back();
    } else {
      target = static_cast<std::uint32_t>(ss.records.size());
      ss.records.emplace_back();
    }
    auto& r = ss.records[target];
    r.key.assign(ev.key);
    r.start = start;
    r.end = end;
    r.live = true;
    r.slots.assign(layout_.numeric, slot{});
    r.sets.assign(layout_.distinct, distinct_set{});
    r.sketches.assign(layout_.sketches, hll{});
    r.decimals.assign(layout_.decimals, decimal_slot{});
    ss.by_key[r.key].push_back(target);
  }
  auto& r = ss.records[target];
  r.start = std::min(r.start, start);
  r.end = std::max(r.end, end);
  if (r.end != known_end) {
    ++r.generation; // retires the heap entry for the old end
    ss.heap.push_back({r.end, target, r.generation});
    std::push_heap(ss.heap.begin(), ss.heap.end(), std::greater<>{});
  }
  fold(r, 0, ev);
  if (ev.time > st.max_event_time) {
    st.max_event_time = ev.time;
    close_sessions(st, out);
  }
  return outcome::added;
}

void window_operator::close_sessions(partition_state& st, window_results& out) const {
  auto& ss = st.sessions;
  const millis wm = st.watermark(ooo_);
  out.numeric_per_row = layout_.numeric;
  out.distinct_per_row = layout_.distinct;
  out.sketches_per_row = layout_.sketches;
  out.decimals_per_row = layout_.decimals;
  while (!ss.heap.empty() && wm != no_time && ss.heap.front().end <= wm) {
    std::pop_heap(ss.heap.begin(), ss.heap.end(), std::greater<>{});
    const auto due = ss.heap.back();
    ss.heap.pop_back();
    auto& r = ss.records[due.index];
    if (!r.live || r.generation != due.generation)
      continue; // merged or extended since
    out.starts.push_back(r.start);
    out.ends.push_back(r.end);
    out.keys.push_back(r.key);
    out.slots.insert(out.slots.end(), r.slots.begin(), r.slots.end());
    for (auto& set : r.sets) {
      auto& values = out.sets.emplace_back();
      values.reserve(set.size());
      set.for_each([&](const std::string& v) { values.push_back(v); });
      std::sort(values.begin(), values.end());
    }
    out.sketches.insert(out.sketches.end(), r.sketches.begin(), r.sketches.end());
    out.decimals.insert(out.decimals.end(), r.decimals.begin(), r.decimals.end());
    auto& list = ss.by_key[r.key];
    list.erase(std::find(list.begin(), list.end(), due.index));
    if (list.empty())
      ss.by_key.erase(r.key);
    const auto generation = r.generation + 1;
    r = session_record{};
    r.generation = generation;
    ss.free.push_back(due.index);
  }
}

void window_operator::evict(partition_state& st) const {
  const millis wm = st.watermark(ooo_);
  // A slice is needed until every window containing it is emitted and past its
  // allowed lateness.
  while (!st.slices.empty()) {
    const millis last = last_window_end(st.slices.begin()->first);
    if (st.emitted_end == no_time || last > st.emitted_end || last + lateness_ > wm)
      break;
    st.slices.erase(st.slices.begin());
  }
}

namespace {

void append_row(const window_bucket& b, std::uint32_t row, const agg_layout& layout,
                window_results& out) {
  auto copy = [&](const auto& src, auto& dst, std::uint32_t per_row) {
    dst.insert(dst.end(), src.begin() + size_t{row} * per_row,
               src.begin() + size_t{row + 1} * per_row);
  };
  copy(b.slots, out.slots, layout.numeric);
  for (std::uint32_t d = 0; d < layout.distinct; ++d) {
    const auto& set = b.sets[size_t{row} * layout.distinct + d];
    auto& values = out.sets.emplace_back();
    values.reserve(set.size());
    set.for_each([&](const std::string& v) { values.push_back(v); });
  }
  copy(b.sketches, out.sketches, layout.sketches);
  copy(b.decimals, out.decimals, layout.decimals);
}

// Folds row `row` of `b` into the already appended output row `at`.
void merge_row(const window_bucket& b, std::uint32_t row, const agg_layout& layout,
               window_results& out, size_t at) {
  for (std::uint32_t n = 0; n < layout.numeric; ++n)
    out.slots[at * layout.numeric + n].merge(b.slots[size_t{row} * layout.numeric + n]);
  for (std::uint32_t d = 0; d < layout.distinct; ++d) {
    auto& dst = out.sets[at * layout.distinct + d];
    b.sets[size_t{row} * layout.distinct + d].for_each(
      [&](const std::string& v) { dst.push_back(v); });
  }
  for (std::uint32_t s = 0; s < layout.sketches; ++s)
    out.sketches[at * layout.sketches + s].merge(b.sketches[size_t{row} * layout.sketches + s]);
  for (std::uint32_t d = 0; d < layout.decimals; ++d)
    out.decimals[at * layout.decimals + d].merge(b.decimals[size_t{row} * layout.decimals + d]);
}

} // namespace

void window_operator::emit(const partition_state& st, millis end, window_results& out,
                           const std::string_view* key) const {
  out.numeric_per_row = layout_.numeric;
  out.distinct_per_row = layout_.distinct;
  out.sketches_per_row = layout_.sketches;
  out.decimals_per_row = layout_.decimals;
  const millis start = end - size_;
  const size_t first_row = out.size();
  std::unordered_map<std::string_view, size_t> rows; // key -> output row, this window only
  for (auto it = st.slices.lower_bound(start); it != st.slices.end() && it->first < end; ++it) {
    const auto& b = it->second;
    auto take = [&](std::uint32_t r) {
      auto [pos, fresh] = rows.emplace(b.keys[r], out.size());
      if (fresh) {
        out.starts.push_back(start);
        out.ends.push_back(end);
        out.keys.push_back(b.keys[r]);
        append_row(b, r, layout_, out);
      } else {
        merge_row(b, r, layout_, out, pos->second);
      }
    };
    if (key) {
      if (auto found = b.index.find(*key); found != b.index.end())
        take(found->second);
    } else {
      for (std::uint32_t r = 0; r < b.keys.size(); ++r)
        take(r);
    }
  }
  // Exact distinct values merged from several slices may repeat.
  for (size_t i = first_row * layout_.distinct; i < out.sets.size(); ++i) {
    auto& v = out.sets[i];
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
  }
}

} // namespace weir::jobs
