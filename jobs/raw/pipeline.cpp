#include "jobs/raw/pipeline.hpp"

#include "base/bounded_unpack.hpp"
#include "jobs/raw/projection.hpp"

namespace weir::raw {

namespace {

struct raw_partition final : jobs::pipeline::partition {
  partition_id id = 0;
  jobs::partition_cursor state;
  row_batch rows; // since the last flush
  std::vector<row_batch::value> scratch;
  explicit raw_partition(row_batch r) : rows(std::move(r)) {}
  jobs::partition_cursor& cursor() override { return state; }
};

raw_partition& cast(jobs::pipeline::partition& p) {
  return static_cast<raw_partition&>(p);
}

} // namespace

expected<std::unique_ptr<const raw_pipeline>> raw_pipeline::make(const jobs::job_spec& spec) {
  auto columns = raw_schema(spec.columns);
  if (auto ok = check_columns(columns); !ok)
    return ok.failure();
  int time_column = -1;
  const auto& src = spec.source;
  if (src.mode != jobs::time_mode::processing && !src.time_field.empty())
    for (std::size_t i = 0; i < spec.columns.size(); ++i)
      if (spec.columns[i].field == src.time_field
          && spec.columns[i].type == jobs::column_type::timestamp)
        time_column = static_cast<int>(i);
  return std::unique_ptr<const raw_pipeline>{new raw_pipeline(spec.columns, std::move(columns),
                                                              spec.sink.type == "postgres_raw",
                                                              time_column)};
}

std::unique_ptr<jobs::pipeline::partition> raw_pipeline::fresh(partition_id p) const {
  auto part =
    std::make_unique<raw_partition>(std::move(*row_batch::make(columns_))); // checked in make()
  part->id = p;
  return part;
}

expected<std::unique_ptr<jobs::pipeline::partition>> raw_pipeline::restore(
  partition_id p, std::string_view bytes, const std::string& what) const {
  auto part = fresh(p);
  try {
    auto handle = unpack_bounded(bytes);
    handle.get().convert(cast(*part).state);
  } catch (const std::exception& e) {
    return error{what + ": not a raw partition's state (" + e.what() + ")"};
  }
  return part;
}

std::string raw_pipeline::snapshot(const partition& p) const {
  msgpack::sbuffer buf;
  msgpack::pack(buf, static_cast<const raw_partition&>(p).state);
  return {buf.data(), buf.size()};
}

jobs::fold_result raw_pipeline::fold(partition& p, const jobs::event_view& ev, offset_t at,
                                     bool) const {
  auto& r = cast(p);
  if (auto ok = append_event(r.rows, specs_, ev, {r.id, at}, r.scratch, refuse_nul_, time_column_);
      !ok)
    return {jobs::fold_status::rejected, ok.error_message()};
  ++r.state.events;
  return {};
}

std::shared_ptr<const jobs::partition_output> raw_pipeline::flush(partition& p) const {
  auto& r = cast(p);
  if (r.rows.empty())
    return nullptr;
  auto next = std::move(*row_batch::make(columns_));
  next.reserve_like(r.rows);
  auto out = std::make_shared<event_rows>(r.id, std::move(r.rows));
  r.rows = std::move(next);
  return out;
}

std::optional<std::string> raw_pipeline::release(const partition&) const {
  return std::nullopt;
}

} // namespace weir::raw
