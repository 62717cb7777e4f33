#include "sinks/clickhouse/sink.hpp"

#include "sinks/clickhouse/clickhouse.hpp"

namespace weir::sinks {

namespace {

class clickhouse_sink final : public sink {
public:
  explicit clickhouse_sink(jobs::job_spec spec) : spec_(std::move(spec)) {}

  // Every pending batch in one INSERT: ClickHouse wants few, large inserts
  // (each makes a part to merge), and the batches pile up while one runs.
  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    auto store = store_.get([&] { return clickhouse::results::make(spec_); });
    if (!store)
      return {0, 0, store.failure()};
    auto rows = (*store)->write(batches, dropped_);
    if (!rows) {
      store_.reset(); // the next attempt checks the tables again
      return {0, 0, rows.failure()};
    }
    return {batches.size(), *rows, std::nullopt};
  }

private:
  jobs::job_spec spec_;
  lazy_store<clickhouse::results> store_;
  dropped_rows dropped_; // outlives a store dropped after a failure
};

} // namespace

expected<std::unique_ptr<sink>> make_clickhouse_sink(const jobs::job_spec& spec, const context&) {
  if (auto ep = clickhouse::parse_url(spec.sink.url); !ep)
    return ep.failure();
  return std::unique_ptr<sink>{std::make_unique<clickhouse_sink>(spec)};
}

} // namespace weir::sinks
