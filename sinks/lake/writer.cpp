#include "sinks/lake/writer.hpp"

#include "base/logging.hpp"
#include "lib/iceberg/metrics.hpp"
#include "lib/parquet/writer.hpp"
#include "sinks/lake/table.hpp"

#include <algorithm>
#include <array>
#include <numeric>

WEIR_LOG_MODULE("lake");

namespace weir::lake {

struct partition_writer::cell {
  std::vector<iceberg::datum> tuple;
  std::string path; // data/<partition path>
  raw::row_batch rows;
  std::size_t bytes = 0;
};

partition_writer::partition_writer(const table_config& cfg, s3::client& s3, partition_id p)
  : cfg_(&cfg), s3_(&s3), partition_(p) {
  derived_.reserve(256); // views into it must not move while a row is built
}
partition_writer::partition_writer(partition_writer&&) noexcept = default;
partition_writer::~partition_writer() = default;

std::size_t partition_writer::buffered_rows() const {
  std::size_t n = 0;
  for (const auto& [_, c] : cells_)
    n += c->rows.rows();
  return n;
}

void partition_writer::write(const raw::row_batch& batch, offset_t from) {
  const auto& schema = cfg_->schema;
  for (std::size_t i = 0; i < batch.rows(); ++i) {
    if (batch.from_kafka() && batch.position(i).offset < from)
      continue;
    table_row(*cfg_, batch, i, row_, derived_);
    views_.clear();
    std::size_t bytes = 0;
    for (const auto& v : row_) {
      views_.push_back(ice_value(v));
      auto* s = std::get_if<std::string_view>(&v);
      bytes += s ? s->size() + 4 : 8;
    }
    tuple_.clear();
    for (const auto& f : cfg_->spec.fields) {
      const auto t = schema.fields[static_cast<std::size_t>(f.source_id - 1)].t;
      tuple_.push_back(f.transform.apply(t, views_[static_cast<std::size_t>(f.source_id - 1)]));
    }
    if (!last_ || tuple_ != last_tuple_)
      last_ = &cell_of(tuple_);
    (void)last_->rows.append(std::span<const raw::row_batch::value>{row_});
    last_->bytes += bytes;
    buffered_ += bytes;
  }
}

partition_writer::cell& partition_writer::cell_of(const std::vector<iceberg::datum>& tuple) {
  const auto& schema = cfg_->schema;
  key_.clear();
  for (std::size_t i = 0; i < tuple.size(); ++i) {
    const auto& f = cfg_->spec.fields[i];
    key_ += f.transform.human(schema.fields[static_cast<std::size_t>(f.source_id - 1)].t, tuple[i]);
    key_ += '/';
  }
  last_tuple_ = tuple;
  auto it = cells_.find(key_);
  if (it == cells_.end()) {
    auto c = std::make_unique<cell>(cell{tuple, "", *raw::row_batch::make(cfg_->columns), 0});
    c->path = "data/";
    if (!cfg_->spec.fields.empty())
      c->path += iceberg::partition_path(cfg_->spec, schema, c->tuple) + "/";
    it = cells_.emplace(key_, std::move(c)).first;
  }
  return *it->second;
}

expected<void> partition_writer::roll(bool all) {
  for (auto& [_, c] : cells_)
    if (c->rows.rows() > 0 && (all || c->bytes >= cfg_->target_file_bytes))
      if (auto ok = write_cell(*c); !ok)
        return ok;
  // Bound the memory: the largest cells go first while all hold too much.
  while (buffered_ > cfg_->target_file_bytes) {
    auto largest = std::max_element(cells_.begin(), cells_.end(), [](auto& a, auto& b) {
      return a.second->bytes < b.second->bytes;
    });
    if (auto ok = write_cell(*largest->second); !ok)
      return ok;
  }
  std::erase_if(cells_, [](auto& kv) { return kv.second->rows.rows() == 0; });
  last_ = nullptr;
  return {};
}

namespace {

bool integral(iceberg::type t) {
  return t == iceberg::type::int64 || t == iceberg::type::timestamptz;
}

// Row order of the file: the sort columns ascending, NULLs first, ties in
// arrival order. The leading integer keys travel with the row number, so
// the sort moves small items instead of chasing keys across the batch.
std::vector<std::uint32_t> sorted_rows(const table_config& cfg, const raw::row_batch& rows) {
  const auto n = rows.rows();
  std::vector<std::uint32_t> order(n);
  if (cfg.sort_columns.empty()) {
    std::iota(order.begin(), order.end(), 0u);
    return order;
  }
  struct item {
    std::array<std::int64_t, 2> k{};
    std::uint32_t row = 0;
    std::array<std::uint8_t, 2> null{};
  };
  std::size_t packed = 0;
  while (packed < 2 && packed < cfg.sort_columns.size()
         && integral(cfg.schema.fields[cfg.sort_columns[packed]].t))
    ++packed;
  std::vector<item> items(n);
  for (std::size_t j = 0; j < packed; ++j) {
    const auto col = rows.view(cfg.sort_columns[j]);
    for (std::size_t r = 0; r < n; ++r) {
      items[r].null[j] = col.nulls[r];
      items[r].k[j] = col.nulls[r] ? 0 : col.ints[r];
    }
  }
  for (std::size_t r = 0; r < n; ++r)
    items[r].row = static_cast<std::uint32_t>(r);
  // The other sort columns, compared through their values.
  struct rest_key {
    iceberg::type t;
    std::vector<raw::row_batch::value> v;
  };
  std::vector<rest_key> rest;
  for (std::size_t j = packed; j < cfg.sort_columns.size(); ++j) {
    const auto c = cfg.sort_columns[j];
    rest.push_back({cfg.schema.fields[c].t, {}});
    rest.back().v.reserve(n);
    for (std::size_t r = 0; r < n; ++r)
      rest.back().v.push_back(rows.at(r, c));
  }
  std::sort(items.begin(), items.end(), [&](const item& a, const item& b) {
    for (std::size_t j = 0; j < packed; ++j) {
      if (a.null[j] != b.null[j])
        return a.null[j] > b.null[j];
      if (a.k[j] != b.k[j])
        return a.k[j] < b.k[j];
    }
    for (const auto& k : rest) {
      const auto &x = k.v[a.row], &y = k.v[b.row];
      const bool xn = x.index() == 0, yn = y.index() == 0;
      if (xn || yn) {
        if (xn != yn)
          return xn;
        continue;
      }
      if (int d = iceberg::compare(k.t, ice_value(x), ice_value(y)); d != 0)
        return d < 0;
    }
    return a.row < b.row;
  });
  for (std::size_t r = 0; r < n; ++r)
    order[r] = items[r].row;
  return order;
}

} // namespace

expected<void> partition_writer::write_cell(cell& c) {
  // Two threads encode: the sink's own holds the worker's other core idle
  // while it sorts, gathers and compresses a file.
  auto w = parquet::writer::make({cfg_->columns}, cfg_->codec, 128 * 1024, 2);
  if (!w)
    return w.failure();
  std::vector<parquet::column_view> columns;
  for (std::size_t col = 0; col < cfg_->columns.size(); ++col)
    columns.push_back(c.rows.view(col));
  if (auto ok = w->append(columns, sorted_rows(*cfg_, c.rows)); !ok)
    return ok;
  iceberg::file_metrics metrics(cfg_->schema);
  for (std::size_t col = 0; col < columns.size(); ++col) {
    const auto s = w->column_summary(col);
    metrics.add_column(col, s.values, s.nulls, s.nans, ice_value(s.min), ice_value(s.max));
  }
  auto bytes = w->finish();
  if (!bytes)
    return bytes.failure();
  iceberg::data_file f;
  f.partition = c.tuple;
  const auto relative =
    c.path + "p" + std::to_string(partition_) + "-" + random_uuid() + ".parquet";
  f.file_path = cfg_->location() + "/" + relative;
  f.record_count = static_cast<std::int64_t>(c.rows.rows());
  f.file_size_in_bytes = static_cast<std::int64_t>(bytes->size());
  metrics.fill(f);
  for (std::size_t i = 0; i < cfg_->schema.fields.size(); ++i)
    f.column_sizes[cfg_->schema.fields[i].id] = w->column_sizes()[i];
  f.split_offsets = w->row_group_offsets();
  if (cfg_->order.order_id != 0)
    f.sort_order_id = cfg_->order.order_id;
  if (auto ok = s3_->put_large(cfg_->bucket, cfg_->key(relative), *bytes); !ok)
    return ok;
  files_.push_back(std::move(f));
  buffered_ -= std::min(buffered_, c.bytes);
  c.bytes = 0;
  c.rows.clear();
  return {};
}

std::vector<iceberg::data_file> partition_writer::take_files() {
  return std::exchange(files_, {});
}

void partition_writer::restore_files(std::vector<iceberg::data_file> files) {
  files.insert(files.end(), std::make_move_iterator(files_.begin()),
               std::make_move_iterator(files_.end()));
  files_ = std::move(files);
}

void partition_writer::discard() {
  for (const auto& f : files_)
    if (auto ok = s3_->delete_object(cfg_->bucket, cfg_->key_of(f.file_path)); !ok)
      WEIR_WARN("partition {}: could not delete uncommitted file {}: {}", partition_, f.file_path,
                ok.error_message());
  files_.clear();
  cells_.clear();
  last_ = nullptr;
  buffered_ = 0;
}

} // namespace weir::lake
