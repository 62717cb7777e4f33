#include "sinks/postgres/sink.hpp"

#include "sinks/postgres/store.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_postgres_sink(const jobs::job_spec& spec, const context& ctx) {
  return windowed::make_sink(spec, ctx, [spec] { return pg::open_store(spec, false); });
}

expected<std::shared_ptr<windowed::progress_store>> open_postgres_progress(
  const jobs::job_spec& spec) {
  auto s = pg::open_store(spec, true);
  if (!s)
    return s.failure();
  return s->progress;
}

} // namespace weir::sinks
