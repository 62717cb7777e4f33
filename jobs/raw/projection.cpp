#include "jobs/raw/projection.hpp"

#include "base/duration.hpp"

#include <charconv>
#include <cmath>

namespace weir::raw {

std::vector<raw::column> raw_schema(const std::vector<jobs::column_spec>& columns) {
  std::vector<raw::column> out;
  for (const auto& c : columns) {
    parquet::type t = parquet::type::string;
    switch (c.type) {
      case jobs::column_type::int64: t = parquet::type::int64; break;
      case jobs::column_type::float64: t = parquet::type::float64; break;
      case jobs::column_type::string: t = parquet::type::string; break;
      case jobs::column_type::boolean: t = parquet::type::boolean; break;
      case jobs::column_type::timestamp: t = parquet::type::timestamp_ms; break;
    }
    out.push_back({c.name, t, c.nullable});
  }
  return out;
}

expected<void> append_event(raw::row_batch& batch, const std::vector<jobs::column_spec>& columns,
                            const jobs::event_view& ev, raw::kafka_position from,
                            std::vector<raw::row_batch::value>& values, bool refuse_nul,
                            int time_column) {
  values.resize(columns.size());
  for (size_t i = 0; i < columns.size(); ++i) {
    const auto& c = columns[i];
    const auto& f = ev.columns[i];
    auto bad = [&](const char* why) {
      return error{"column " + c.name + " (field " + c.field + "): " + why};
    };
    if (!f.present) {
      if (!c.nullable)
        return bad("missing");
      values[i] = std::monostate{};
      continue;
    }
    switch (c.type) {
      case jobs::column_type::string:
        if (refuse_nul && f.text.find('\0') != std::string_view::npos)
          return bad("holds a NUL byte, which PostgreSQL text cannot store");
        values[i] = f.text;
        break;
      case jobs::column_type::float64:
        if (!f.is_number)
          return bad("not a number");
        values[i] = f.number;
        break;
      case jobs::column_type::int64: {
        // From the literal, not the double: ids beyond 2^53 stay exact.
        std::int64_t v = 0;
        auto [end, ec] = std::from_chars(f.text.data(), f.text.data() + f.text.size(), v);
        if (!f.is_number || ec != std::errc{} || end != f.text.data() + f.text.size())
          return bad("not a whole number");
        values[i] = v;
        break;
      }
      case jobs::column_type::boolean:
        if (f.text != "true" && f.text != "false")
          return bad("not true or false");
        values[i] = f.text == "true";
        break;
      case jobs::column_type::timestamp:
        if (f.is_number) {
          // Epoch ms of the years 1 to 9999, as ISO 8601 allows: beyond, the
          // cast is undefined and the store refuses the value.
          if (!(f.number >= -62'135'596'800'000.0 && f.number < 253'402'300'800'000.0))
            return bad("out of range (years 1 to 9999 in epoch ms)");
          values[i] = static_cast<std::int64_t>(f.number);
        } else if (static_cast<int>(i) == time_column) {
          values[i] = ev.time; // the same text, parsed once
        } else if (auto t = weir::parse_iso8601(f.text)) {
          values[i] = *t;
        } else {
          return bad("not a timestamp (epoch ms or ISO 8601)");
        }
        break;
    }
  }
  return batch.append(std::span<const raw::row_batch::value>{values}, from);
}

} // namespace weir::raw
