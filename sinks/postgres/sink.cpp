#include "sinks/postgres/sink.hpp"

#include "sinks/postgres/results.hpp"

namespace weir::sinks {

namespace {

class postgres_sink final : public sink {
public:
  postgres_sink(jobs::job_spec spec, context ctx, merged_store_opener open = {})
    : spec_(std::move(spec)), ctx_(ctx), open_(std::move(open)) {}

  expected<void> check() override {
    auto store = open();
    if (!store)
      return store.failure();
    return {};
  }

  // Every pending batch in one transaction: the results path is one round
  // trip per write whatever the number of sources.
  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    auto store = open();
    if (!store)
      return {0, 0, store.failure()};
    std::vector<const jobs::partition_rows*> rows;
    std::vector<const jobs::partition_progress*> progress;
    std::size_t n = 0;
    for (const auto* batch : batches) {
      for (const auto& out : batch->outputs) {
        rows.push_back(&output_as<jobs::partition_rows>(*out));
        n += out->size();
      }
      for (const auto& p : batch->progress)
        progress.push_back(&p);
    }
    if (auto ok = (*store)->write(rows, progress); !ok) {
      store_.reset();
      return {0, 0, ok.failure()};
    }
    return {batches.size(), n, std::nullopt, (*store)->last_dropped(), (*store)->last_refused()};
  }

private:
  expected<postgres_results*> open() {
    return store_.get([&]() -> expected<postgres_results> {
      std::unique_ptr<merged_rows_store> elsewhere;
      if (open_) {
        auto opened = open_();
        if (!opened)
          return opened.failure();
        elsewhere = std::move(*opened);
      }
      return postgres_results::make(spec_, ctx_.partitions, std::move(elsewhere));
    });
  }

  jobs::job_spec spec_;
  context ctx_;
  merged_store_opener open_;
  lazy_store<postgres_results> store_;
};

} // namespace

expected<std::unique_ptr<sink>> make_postgres_sink(const jobs::job_spec& spec, const context& ctx) {
  return std::unique_ptr<sink>{std::make_unique<postgres_sink>(spec, ctx)};
}

expected<std::unique_ptr<sink>> make_merging_sink(const jobs::job_spec& spec, const context& ctx,
                                                  merged_store_opener open) {
  return std::unique_ptr<sink>{std::make_unique<postgres_sink>(spec, ctx, std::move(open))};
}

} // namespace weir::sinks
