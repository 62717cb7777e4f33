#include "sinks/postgres_raw/sink.hpp"

#include "jobs/raw/pipeline.hpp"
#include "jobs/raw/projection.hpp"
#include "sinks/postgres_raw/postgres_raw.hpp"

#include <nlohmann/json.hpp>

#include <type_traits>
#include <variant>

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
    write_result out;
    std::vector<std::pair<std::size_t, std::string>> refused;
    for (const auto* batch : batches)
      for (const auto& o : batch->outputs) {
        const auto& rows = output_as<raw::event_rows>(*o).rows;
        refused.clear();
        auto ok = (*store)->write(rows, refused);
        if (!ok) {
          store_.reset();
          return {0, 0, ok.failure()};
        }
        out.rows += *ok;
        for (const auto& [r, why] : refused)
          out.refused.push_back({rows.position(r).partition, rows.position(r).offset,
                                 row_json(rows, r), "the store refused the row: " + why});
      }
    out.done = batches.size();
    out.dropped = out.refused.size();
    return out;
  }

private:
  static std::string row_json(const raw::row_batch& rows, std::size_t r) {
    nlohmann::ordered_json out;
    for (std::size_t c = 0; c < rows.columns().size(); ++c) {
      auto& field = out[rows.columns()[c].name];
      std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::monostate>) {
            field = nullptr;
          } else if constexpr (std::is_same_v<T, std::string_view>) {
            field = std::string{v};
          } else if constexpr (std::is_same_v<T, std::int64_t>) {
            if (rows.columns()[c].t == parquet::type::timestamp_ms) {
              std::string t;
              raw::append_date_time(t, v);
              field = t + "Z";
            } else {
              field = v;
            }
          } else {
            field = v;
          }
        },
        rows.at(r, c));
    }
    // A string that is not UTF-8 (the reason it was refused, maybe) is
    // replaced where invalid rather than failing the dead letter.
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }

  jobs::job_spec spec_;
  lazy_store<raw::postgres_raw> store_;
};

} // namespace

expected<std::unique_ptr<sink>> make_postgres_raw_sink(const jobs::job_spec& spec, const context&) {
  return std::unique_ptr<sink>{std::make_unique<postgres_raw_sink>(spec)};
}

} // namespace weir::sinks
