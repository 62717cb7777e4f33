#include "sinks/lake/layout.hpp"

#include "jobs/raw/projection.hpp"
#include "lib/s3/client.hpp"

#include <algorithm>

namespace weir::lake {

namespace {

struct types {
  iceberg::type ice;
  parquet::type pq;
};

types types_of(jobs::column_type t) {
  switch (t) {
    case jobs::column_type::int64: return {iceberg::type::int64, parquet::type::int64};
    case jobs::column_type::float64: return {iceberg::type::float64, parquet::type::float64};
    case jobs::column_type::boolean: return {iceberg::type::boolean, parquet::type::boolean};
    case jobs::column_type::timestamp:
      return {iceberg::type::timestamptz, parquet::type::timestamp_us};
    case jobs::column_type::string: break;
  }
  return {iceberg::type::string, parquet::type::string};
}

// Java's names for partition fields: the column for identity, else
// column_<transform> (bucket and truncate without their width).
std::string field_name(const iceberg::transform& t, const std::string& column) {
  using k = iceberg::transform::kind;
  switch (t.k) {
    case k::identity: return column;
    case k::bucket: return column + "_bucket";
    case k::truncate: return column + "_trunc";
    default: return column + "_" + t.to_string();
  }
}

void add_column(table_config& t, const std::string& name, types ty, bool required) {
  const auto id = static_cast<std::int32_t>(t.columns.size() + 1);
  t.schema.fields.push_back({id, name, required, ty.ice, {}, {}});
  t.columns.push_back({name, ty.pq, !required, id});
}

expected<void> set_location(table_config& t, const jobs::sink_spec& sink) {
  const auto& url = sink.url;
  if (auto parts = s3::split_url(url)) {
    t.bucket = std::move(parts->bucket);
    t.prefix = std::move(parts->key);
  }
  while (!t.prefix.empty() && t.prefix.back() == '/')
    t.prefix.pop_back();
  if (t.bucket.empty() || t.prefix.empty())
    return error{"sink.url: expected s3://bucket/prefix, got '" + url + "'"};
  auto dot = sink.table.find('.');
  if (dot == std::string::npos)
    return error{"sink.table: expected namespace.name, got '" + sink.table + "'"};
  t.ns = sink.table.substr(0, dot);
  t.name = sink.table.substr(dot + 1);
  t.catalog_url = sink.catalog;
  return {};
}

expected<void> set_spec_and_order(table_config& t, const jobs::sink_spec& sink) {
  t.spec.spec_id = 0;
  std::int32_t next_id = 1000;
  for (const auto& text : sink.partitioned_by) {
    auto term = jobs::parse_partition_term(text);
    const auto* source = term ? t.schema.find(std::string_view{term->column}) : nullptr;
    if (!source)
      return error{"sink.partitioned_by: '" + text + "' names no column of the table"};
    auto tr = iceberg::transform::parse(term->transform);
    if (!tr.result_type(source->t))
      return error{"sink.partitioned_by: '" + text + "' does not apply to a column of type "
                   + iceberg::type_name(source->t)};
    t.spec.fields.push_back({source->id, next_id++, field_name(tr, term->column), tr});
  }
  if (sink.sort_by.empty())
    return {};
  t.order.order_id = 1;
  for (const auto& name : sink.sort_by) {
    const auto* f = t.schema.find(std::string_view{name});
    if (!f)
      return error{"sink.sort_by: '" + name + "' is no column of the table"};
    t.order.fields.push_back({iceberg::transform{}, f->id, false, true});
    t.sort_columns.push_back(static_cast<std::size_t>(f->id - 1));
  }
  return {};
}

} // namespace

std::string table_config::key_of(const std::string& path) const {
  const auto head = "s3://" + bucket + "/";
  return path.rfind(head, 0) == 0 ? path.substr(head.size()) : std::string{};
}

expected<table_config> table_config_of(const jobs::job_spec& spec) {
  return table_config_of(spec.columns, spec.sink);
}

expected<table_config> table_config_of(const std::vector<jobs::column_spec>& columns,
                                       const jobs::sink_spec& sink) {
  table_config t;
  if (auto ok = set_location(t, sink); !ok)
    return ok.failure();
  t.job_columns = columns;
  for (const auto& c : columns)
    add_column(t, c.name, types_of(c.type), !c.nullable);
  for (const auto& d : sink.derive) {
    auto src = std::find_if(columns.begin(), columns.end(),
                            [&](const auto& c) { return c.name == d.column; });
    if (src == columns.end())
      return error{"sink.derive: '" + d.name + "' is computed from '" + d.column
                   + "', no column of the job"};
    t.derive.push_back(d);
    t.derive_source.push_back(static_cast<std::size_t>(src - columns.begin()));
    auto ty = d.k == jobs::derived_column_spec::modulo
                ? types{iceberg::type::int64, parquet::type::int64}
                : types{iceberg::type::string, parquet::type::string};
    add_column(t, d.name, ty, !src->nullable);
  }
  if (auto ok = set_spec_and_order(t, sink); !ok)
    return ok.failure();
  t.keyed.assign(columns.size(), false);
  for (auto c : t.derive_source)
    t.keyed[c] = true;
  for (auto c : t.sort_columns)
    if (c < columns.size())
      t.keyed[c] = true;
  for (const auto& f : t.spec.fields)
    if (const auto c = static_cast<std::size_t>(f.source_id - 1); c < columns.size())
      t.keyed[c] = true;
  t.codec = sink.codec == "snappy" ? parquet::codec::snappy
            : sink.codec == "none" ? parquet::codec::uncompressed
                                   : parquet::codec::zstd;
  t.target_file_bytes = static_cast<std::size_t>(sink.max_file_mb) << 20;
  t.commit_every = std::max<std::uint32_t>(1, sink.commit_every);
  t.snapshots_kept = std::max<std::uint32_t>(1, sink.snapshots_kept);
  t.orphan_age_ms = sink.orphan_age;
  return t;
}

void table_rows(const table_config& t, const raw::row_batch& batch,
                std::span<const std::uint32_t> rows, raw::row_batch& out, bool keyed_only) {
  const auto n = t.job_columns.size();
  const auto base = out.rows();
  for (std::size_t c = 0; c < n; ++c)
    if (!keyed_only || t.keyed[c])
      out.gather(c, batch.view(c), rows, t.scale(c));
  std::string text;
  for (std::size_t d = 0; d < t.derive.size(); ++d) {
    const auto& spec = t.derive[d];
    const auto col = n + d;
    const auto src = out.view(t.derive_source[d]);
    // Rows come in time order mostly: the text of the last hour is reused.
    std::int64_t last_hour = 0;
    bool have = false;
    for (std::size_t i = base; i < base + rows.size(); ++i) {
      if (src.nulls[i]) {
        out.push_null(col);
        continue;
      }
      const auto v = src.ints[i];
      if (spec.k == jobs::derived_column_spec::modulo) {
        const auto m = static_cast<std::int64_t>(spec.every);
        out.push(col, ((v % m) + m) % m);
        continue;
      }
      const auto ms = iceberg::floor_div(v, 1000); // the source is a timestamp, now in us
      const auto hour = iceberg::floor_div(ms, 3'600'000);
      if (!have || hour != last_hour) {
        text.clear();
        if (spec.k == jobs::derived_column_spec::date) {
          raw::append_date(text, ms);
        } else {
          const auto h = raw::to_civil(ms).hour;
          raw::append_padded(text, h - h % static_cast<unsigned>(spec.every), 2);
        }
        last_hour = hour;
        have = true;
      }
      out.push(col, std::string_view{text});
    }
  }
  out.end_rows(rows.size());
}

iceberg::value_view ice_value(const raw::row_batch::value& v) {
  return std::visit(
    [](const auto& x) -> iceberg::value_view {
      using T = std::decay_t<decltype(x)>;
      if constexpr (std::is_same_v<T, std::monostate>)
        return {};
      else
        return x;
    },
    v);
}

} // namespace weir::lake
