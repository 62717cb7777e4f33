#include "sinks/windowed/rows.hpp"

#include "base/logging.hpp"
#include "jobs/raw/rows.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

WEIR_LOG_MODULE("sink");

namespace weir::sinks::windowed {

std::string window_row_json(const jobs::job_spec& spec, jobs::millis start, jobs::millis end,
                            std::span<const std::string_view> key,
                            const std::vector<jobs::cell>& values) {
  nlohmann::ordered_json row;
  auto time = [](jobs::millis t) {
    std::string out;
    raw::append_date_time(out, t);
    return out + "Z";
  };
  row["window_start"] = time(start);
  row["window_end"] = time(end);
  for (std::size_t k = 0; k < key.size() && k < spec.key.size(); ++k)
    row[spec.key[k].name] = std::string{key[k]};
  for (std::size_t a = 0; a < values.size() && a < spec.aggregations.size(); ++a) {
    auto& field = row[spec.aggregations[a].as];
    switch (values[a].k) {
      case jobs::cell::null: field = nullptr; break;
      case jobs::cell::integer: field = values[a].i; break;
      case jobs::cell::real: field = values[a].d; break;
      case jobs::cell::decimal: { // as text: a JSON reader's double would round it
        std::string text;
        jobs::append_decimal(text, values[a].x, values[a].scale);
        field = text;
        break;
      }
    }
  }
  // A key that is not UTF-8 is replaced where invalid rather than lost.
  return row.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void key_parts(std::string_view key, std::size_t n, std::vector<std::string_view>& out) {
  out.clear();
  for (std::size_t k = 0; k < n; ++k)
    out.push_back(jobs::key_part(key, k));
}

void drop_unfit(std::vector<row_ref>& rows, const std::function<bool(const row_ref&)>& fits,
                const char* why, dropped_rows& dropped, const jobs::job_spec& spec) {
  std::erase_if(rows, [&](const row_ref& r) {
    if (fits(r))
      return false;
    if (dropped[r.partition()]++ == 0)
      WEIR_WARN("job {}: partition {} has a row {}: such rows are dropped, counted in "
                "{}__progress.dropped",
                spec.name, r.partition(), why, spec.sink.table);
    return true;
  });
}

} // namespace weir::sinks::windowed
