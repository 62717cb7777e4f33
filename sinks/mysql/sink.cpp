#include "sinks/mysql/sink.hpp"

#include "sinks/mysql/mysql.hpp"

namespace weir::sinks {

namespace {

class mysql_sink final : public sink {
public:
  explicit mysql_sink(jobs::job_spec spec) : spec_(std::move(spec)) {}

  // Every pending batch in one transaction: one round trip per write
  // whatever the number of sources.
  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    auto store = store_.get([&] { return mysql::results::make(spec_); });
    if (!store)
      return {0, 0, store.failure()};
    auto rows = (*store)->write(batches, dropped_);
    if (!rows) {
      store_.reset(); // reconnects, and checks the tables again
      return {0, 0, rows.failure()};
    }
    return {batches.size(), *rows, std::nullopt};
  }

private:
  jobs::job_spec spec_;
  lazy_store<mysql::results> store_;
  dropped_rows dropped_; // outlives a store dropped after a failure
};

} // namespace

expected<std::unique_ptr<sink>> make_mysql_sink(const jobs::job_spec& spec, const context&) {
  if (auto ep = mysql::parse_url(spec.sink.url); !ep)
    return ep.failure();
  return std::unique_ptr<sink>{std::make_unique<mysql_sink>(spec)};
}

} // namespace weir::sinks
