#include "jobs/windowed/pipeline.hpp"

namespace weir::jobs {

namespace {

struct windowed_partition final : pipeline::partition {
  partition_id id = 0;
  partition_state state;
  window_results out; // rows emitted since the last flush
  partition_cursor& cursor() override { return state; }
};

windowed_partition& cast(pipeline::partition& p) {
  return static_cast<windowed_partition&>(p);
}

const windowed_partition& cast(const pipeline::partition& p) {
  return static_cast<const windowed_partition&>(p);
}

} // namespace

std::unique_ptr<pipeline::partition> windowed_pipeline::fresh(partition_id p) const {
  auto part = std::make_unique<windowed_partition>();
  part->id = p;
  return part;
}

expected<std::unique_ptr<pipeline::partition>> windowed_pipeline::restore(
  partition_id p, std::string_view bytes, const std::string& what) const {
  return unpack(p, bytes, what);
}

expected<std::unique_ptr<pipeline::partition>> windowed_pipeline::unpack(partition_id p,
                                                                         std::string_view bytes,
                                                                         const std::string& what) {
  auto state = unpack_state(bytes, what);
  if (!state)
    return state.failure();
  auto part = std::make_unique<windowed_partition>();
  part->id = p;
  part->state = std::move(*state);
  return std::unique_ptr<partition>{std::move(part)};
}

std::string windowed_pipeline::snapshot(const partition& p) const {
  return pack_state(cast(p).state);
}

fold_result windowed_pipeline::fold(partition& p, const event_view& ev, offset_t, bool emit) const {
  auto& w = cast(p);
  const auto outcome = op_.add(w.state, ev, w.out);
  if (!emit) // everything in `out` so far was emitted by the former owner
    w.out.clear();
  return {outcome == window_operator::outcome::late ? fold_status::late : fold_status::ok, {}};
}

void windowed_pipeline::advance_clock(partition& p, millis now) const {
  auto& w = cast(p);
  if (now <= w.state.max_event_time)
    return;
  w.state.max_event_time = now;
  op_.close_windows(w.state, w.out);
}

millis windowed_pipeline::watermark(const partition& p) const {
  return cast(p).state.watermark(op_.out_of_orderness());
}

std::size_t windowed_pipeline::live_keys(const partition& p) const {
  const auto& st = cast(p).state;
  std::size_t n = 0;
  for (const auto& [start, slice] : st.slices)
    n += slice.keys.size();
  for (const auto& r : st.sessions.records)
    n += r.live ? 1 : 0;
  return n;
}

std::shared_ptr<const partition_output> windowed_pipeline::flush(partition& p) const {
  auto& w = cast(p);
  if (w.out.empty())
    return nullptr;
  auto out = std::make_shared<partition_rows>(w.id, std::move(w.out));
  w.out = {};
  return out;
}

std::optional<std::string> windowed_pipeline::release(const partition& p) const {
  return pack_state(cast(p).state);
}

} // namespace weir::jobs
