#include "sinks/final_rows.hpp"

#include "base/logging.hpp"
#include "jobs/raw/rows.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <tuple>

WEIR_LOG_MODULE("sink");

namespace weir::sinks {

expected<final_rows> take_final_rows(
  std::span<const jobs::sink_batch* const> batches, const jobs::job_spec& spec,
  const std::function<bool(const jobs::window_results&, std::size_t)>& fits, const char* why,
  dropped_rows& dropped) {
  final_rows out;
  for (const auto* b : batches) {
    for (const auto& p : b->progress)
      out.progress[p.partition] = &p;
    for (const auto& o : b->outputs) {
      const auto& rows = dynamic_cast<const jobs::partition_rows&>(*o);
      auto p = std::find_if(b->progress.begin(), b->progress.end(),
                            [&](const auto& x) { return x.partition == rows.partition; });
      if (p == b->progress.end()) // a source sends its progress with every row: a bug
        return error{spec.sink.type + ": batch " + std::to_string(b->seq) + " has rows of partition "
                       + std::to_string(rows.partition) + " without its offset",
                     true};
      for (std::size_t i = 0; i < rows.rows.size(); ++i) {
        if (!fits(rows.rows, i)) {
          if (dropped[rows.partition]++ == 0)
            WEIR_WARN("job {}: partition {} has a row {}: such rows are dropped, counted in "
                      "{}__progress.dropped", spec.name, rows.partition, why, spec.sink.table);
          continue;
        }
        out.rows.push_back({&rows, i, static_cast<std::uint64_t>(p->next_offset)});
      }
    }
  }
  // A key lives in one partition, whose emissions come in order; two in one
  // batch share a version, so only the last of them may be written.
  auto id = [](const final_row& r) {
    return std::tuple{r.rows->rows.starts[r.i], std::string_view{r.rows->rows.keys[r.i]}};
  };
  auto& v = out.rows;
  std::stable_sort(v.begin(), v.end(), [&](const final_row& a, const final_row& b) { return id(a) < id(b); });
  std::size_t kept = 0;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (i + 1 == v.size() || id(v[i]) != id(v[i + 1]))
      v[kept++] = v[i];
  v.resize(kept);
  return out;
}

namespace {

int hex_digit(char c) {
  return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

} // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool take_userinfo(std::string_view& authority, std::string& user, std::string& password) {
  auto at = authority.rfind('@');
  if (at == std::string_view::npos)
    return false;
  auto userinfo = authority.substr(0, at);
  authority.remove_prefix(at + 1);
  auto colon = userinfo.find(':');
  user = percent_decode(userinfo.substr(0, colon));
  if (colon != std::string_view::npos)
    password = percent_decode(userinfo.substr(colon + 1));
  return true;
}

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

} // namespace weir::sinks
