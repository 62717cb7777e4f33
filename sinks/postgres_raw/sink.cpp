#include "sinks/postgres_raw/sink.hpp"

#include "jobs/raw/pipeline.hpp"
#include "jobs/raw/projection.hpp"
#include "sinks/postgres_raw/postgres_raw.hpp"

namespace weir::sinks {

namespace {

class postgres_raw_sink final : public sink {
public:
  explicit postgres_raw_sink(jobs::job_spec spec) : spec_(std::move(spec)) {}

  // Each write is one transaction that skips keys already present, so
  // retrying after a partial failure inserts nothing twice.
  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    auto store = store_.get([&] {
      return raw::postgres_raw::make(spec_.sink.url, spec_.sink.table,
                                     raw::raw_schema(spec_.columns), spec_.sink.key);
    });
    if (!store)
      return {0, 0, store.failure()};
    std::size_t n = 0;
    for (const auto* batch : batches)
      for (const auto& out : batch->outputs) {
        auto ok = (*store)->write(output_as<raw::partition_rows>(*out).rows);
        if (!ok) {
          store_.reset();
          return {0, 0, ok.failure()};
        }
        n += *ok;
      }
    return {batches.size(), n, std::nullopt};
  }

private:
  jobs::job_spec spec_;
  lazy_store<raw::postgres_raw> store_;
};

} // namespace

expected<std::unique_ptr<sink>> make_postgres_raw_sink(const jobs::job_spec& spec,
                                                       const context&) {
  return std::unique_ptr<sink>{std::make_unique<postgres_raw_sink>(spec)};
}

} // namespace weir::sinks
