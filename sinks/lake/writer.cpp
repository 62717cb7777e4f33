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

namespace {

bool integral(iceberg::type t) {
  return t == iceberg::type::int64 || t == iceberg::type::timestamptz;
}

// Sorts `order` (rows of `rows`) by the sort columns ascending, NULLs
// first, ties by row number. The leading integer keys travel with the row
// number, so the sort moves small items instead of chasing keys across the
// batch. Where `order` is made of sorted runs (`runs`: where each ends),
// they are merged instead.
void sort_rows(const table_config& cfg, const raw::row_batch& rows,
               std::vector<std::uint32_t>& order, std::span<const std::uint32_t> runs = {}) {
  if (cfg.sort_columns.empty())
    return;
  const auto n = order.size();
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
  for (std::size_t i = 0; i < n; ++i)
    items[i].row = order[i];
  for (std::size_t j = 0; j < packed; ++j) {
    const auto col = rows.view(cfg.sort_columns[j]);
    for (auto& it : items) {
      it.null[j] = col.nulls[it.row];
      it.k[j] = col.nulls[it.row] ? 0 : col.ints[it.row];
    }
  }
  // The other sort columns, compared through their values.
  const auto rest = std::span{cfg.sort_columns}.subspan(packed);
  auto less = [&](const item& a, const item& b) {
    for (std::size_t j = 0; j < packed; ++j) {
      if (a.null[j] != b.null[j])
        return a.null[j] > b.null[j];
      if (a.k[j] != b.k[j])
        return a.k[j] < b.k[j];
    }
    for (auto c : rest) {
      const auto x = rows.at(a.row, c), y = rows.at(b.row, c);
      const bool xn = x.index() == 0, yn = y.index() == 0;
      if (xn || yn) {
        if (xn != yn)
          return xn;
        continue;
      }
      if (int d = iceberg::compare(cfg.schema.fields[c].t, ice_value(x), ice_value(y)); d != 0)
        return d < 0;
    }
    return a.row < b.row;
  };
  if (runs.size() < 2) {
    std::sort(items.begin(), items.end(), less);
  } else { // pairs of neighbouring runs merged until one is left
    std::vector<std::size_t> ends{0};
    ends.insert(ends.end(), runs.begin(), runs.end());
    std::vector<item> merged(n);
    while (ends.size() > 2) {
      std::vector<std::size_t> next{0};
      for (std::size_t i = 0; i + 1 < ends.size(); i += 2) {
        const auto end = i + 2 < ends.size() ? ends[i + 2] : ends[i + 1];
        std::merge(items.begin() + ends[i], items.begin() + ends[i + 1],
                   items.begin() + ends[i + 1], items.begin() + end, merged.begin() + ends[i],
                   less);
        next.push_back(end);
      }
      items.swap(merged);
      ends = std::move(next);
    }
  }
  for (std::size_t i = 0; i < n; ++i)
    order[i] = items[i].row;
}

} // namespace

partition_writer::partition_writer(const table_config& cfg, s3::client& s3, partition_id p)
  : cfg_(&cfg), s3_(&s3), partition_(p) {}
partition_writer::partition_writer(partition_writer&&) noexcept = default;
partition_writer::~partition_writer() = default;

std::size_t partition_writer::buffered_rows() const {
  std::size_t n = 0;
  for (const auto& [_, c] : cells_)
    n += c->rows.rows();
  return n;
}

void partition_writer::write(const raw::row_batch& batch, offset_t from) {
  picked_.clear();
  for (std::size_t i = 0; i < batch.rows(); ++i)
    if (!batch.from_kafka() || batch.position(i).offset >= from)
      picked_.push_back(static_cast<std::uint32_t>(i));
  if (picked_.empty())
    return;
  if (!staging_)
    staging_.emplace(*raw::row_batch::make(cfg_->columns));
  auto& rows = *staging_;
  rows.clear();
  // Staged: what places and sorts rows (and the derived columns); a cell
  // takes the other job columns straight from the batch, copied once.
  table_rows(*cfg_, batch, picked_, rows, true);
  // The cell of each row; the partition tuple is only computed where the
  // values it is computed from change.
  const auto& schema = cfg_->schema;
  const auto n = rows.rows();
  cell_of_row_.resize(n);
  bool one_cell = true;
  for (std::size_t r = 0; r < n; ++r) {
    bool same = r > 0;
    for (std::size_t i = 0; same && i < cfg_->spec.fields.size(); ++i) {
      const auto c = static_cast<std::size_t>(cfg_->spec.fields[i].source_id - 1);
      same = rows.at(r, c) == rows.at(r - 1, c);
    }
    if (!same) {
      tuple_.clear();
      for (const auto& f : cfg_->spec.fields) {
        const auto c = static_cast<std::size_t>(f.source_id - 1);
        tuple_.push_back(f.transform.apply(schema.fields[c].t, ice_value(rows.at(r, c))));
      }
      if (!last_ || tuple_ != last_tuple_)
        last_ = &cell_of(tuple_);
    }
    cell_of_row_[r] = last_;
    one_cell = one_cell && last_ == cell_of_row_[0];
  }
  // Each cell takes its rows of the batch sorted: a file then gathers its
  // rows from sorted runs, each read in order, instead of a cache miss per
  // value across the whole cell.
  for (std::size_t r = 0; r < n; ++r) {
    cell* c = cell_of_row_[r];
    if (!c)
      continue; // taken with an earlier row's cell
    group_.clear();
    if (one_cell) {
      group_.resize(n);
      std::iota(group_.begin(), group_.end(), 0u);
    } else {
      for (std::size_t k = r; k < n; ++k)
        if (cell_of_row_[k] == c) {
          group_.push_back(static_cast<std::uint32_t>(k));
          cell_of_row_[k] = nullptr;
        }
    }
    sort_rows(*cfg_, rows, group_);
    const auto before = c->rows.weight();
    from_batch_.clear();
    for (auto g : group_)
      from_batch_.push_back(picked_[g]);
    const auto jobs = cfg_->job_columns.size();
    for (std::size_t col = 0; col < cfg_->columns.size(); ++col)
      if (col < jobs)
        c->rows.gather(col, batch.view(col), from_batch_, cfg_->scale(col));
      else
        c->rows.gather(col, rows.view(col), group_);
    c->rows.end_rows(group_.size());
    c->runs.push_back(static_cast<std::uint32_t>(c->rows.rows()));
    const auto bytes = c->rows.weight() - before;
    c->bytes += bytes;
    buffered_ += bytes;
    if (one_cell)
      break;
  }
}

cell& partition_writer::cell_of(const std::vector<iceberg::datum>& tuple) {
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
    auto c = std::make_unique<cell>(cell{tuple, "", *raw::row_batch::make(cfg_->columns), {}, 0});
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

// The file of a cell, uploaded. The cell is left as it was.
expected<iceberg::data_file> write_file(const table_config& cfg, s3::client& s3,
                                        partition_id partition, const cell& c,
                                        const partition_writer::upload_hook* before = nullptr) {
  // Two threads encode: one would hold the worker's other core idle while
  // it sorts, gathers and compresses a file.
  auto w = parquet::writer::make({cfg.columns}, cfg.codec, 128 * 1024, 2);
  if (!w)
    return w.failure();
  std::vector<parquet::column_view> columns;
  for (std::size_t col = 0; col < cfg.columns.size(); ++col)
    columns.push_back(c.rows.view(col));
  std::vector<std::uint32_t> order(c.rows.rows());
  std::iota(order.begin(), order.end(), 0u);
  sort_rows(cfg, c.rows, order, c.runs);
  if (auto ok = w->append(columns, order); !ok)
    return ok.failure();
  iceberg::file_metrics metrics(cfg.schema);
  for (std::size_t col = 0; col < columns.size(); ++col) {
    const auto s = w->column_summary(col);
    metrics.add_column(col, s.values, s.nulls, s.nans, ice_value(s.min), ice_value(s.max));
  }
  auto bytes = w->finish();
  if (!bytes)
    return bytes.failure();
  iceberg::data_file f;
  f.partition = c.tuple;
  const auto relative = c.path + "p" + std::to_string(partition) + "-" + random_uuid() + ".parquet";
  f.file_path = cfg.location() + "/" + relative;
  f.record_count = static_cast<std::int64_t>(c.rows.rows());
  f.file_size_in_bytes = static_cast<std::int64_t>(bytes->size());
  metrics.fill(f);
  for (std::size_t i = 0; i < cfg.schema.fields.size(); ++i)
    f.column_sizes[cfg.schema.fields[i].id] = w->column_sizes()[i];
  f.split_offsets = w->row_group_offsets();
  if (cfg.order.order_id != 0)
    f.sort_order_id = cfg.order.order_id;
  if (before && *before)
    if (auto ok = (*before)(cfg.key(relative)); !ok)
      return ok.failure();
  if (auto ok = s3.put_large(cfg.bucket, cfg.key(relative), *bytes); !ok)
    return ok.failure();
  return f;
}

} // namespace

expected<void> partition_writer::write_cell(cell& c) {
  auto f = write_file(*cfg_, *s3_, partition_, c, &before_upload_);
  if (!f)
    return f.failure();
  files_.push_back(std::move(*f));
  buffered_ -= std::min(buffered_, c.bytes);
  c.bytes = 0;
  c.rows.clear();
  c.runs.clear();
  return {};
}

sealed_cells partition_writer::seal() {
  sealed_cells out;
  for (auto& [_, c] : cells_)
    if (c->rows.rows() > 0)
      out.cells.push_back(std::move(c));
  cells_.clear();
  last_ = nullptr;
  buffered_ = 0;
  out.files = take_files();
  return out;
}

expected<void> sealed_cells::write(const table_config& cfg, s3::client& s3, partition_id p) {
  while (!cells.empty()) {
    auto f = write_file(cfg, s3, p, *cells.back());
    if (!f)
      return f.failure();
    files.push_back(std::move(*f));
    cells.pop_back();
  }
  return {};
}

std::vector<iceberg::data_file> partition_writer::take_files() {
  return std::exchange(files_, {});
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
