#include "sinks/lake/writer.hpp"

#include "base/logging.hpp"
#include "lib/iceberg/metrics.hpp"
#include "lib/parquet/writer.hpp"
#include "sinks/lake/table.hpp"

#include <algorithm>
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
    key_.clear();
    for (const auto& f : cfg_->spec.fields) {
      const auto t = schema.fields[static_cast<std::size_t>(f.source_id - 1)].t;
      const auto& v = views_[static_cast<std::size_t>(f.source_id - 1)];
      key_ += f.transform.human(t, f.transform.apply(t, v));
      key_ += '/';
    }
    auto it = cells_.find(key_);
    if (it == cells_.end()) {
      auto c = std::make_unique<cell>(cell{iceberg::partition_of(cfg_->spec, schema, views_), "",
                                           *raw::row_batch::make(cfg_->columns), 0});
      c->path = "data/";
      if (!cfg_->spec.fields.empty())
        c->path += iceberg::partition_path(cfg_->spec, schema, c->tuple) + "/";
      it = cells_.emplace(key_, std::move(c)).first;
    }
    (void)it->second->rows.append(std::span<const raw::row_batch::value>{row_});
    it->second->bytes += bytes;
    buffered_ += bytes;
  }
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
  return {};
}

namespace {

// Row order of the file: the sort columns ascending, NULLs first. The keys
// are read off the batch once: comparing through row_batch::at was most of
// a file's cost.
std::vector<std::uint32_t> sorted_rows(const table_config& cfg, const raw::row_batch& rows) {
  const auto n = rows.rows();
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0u);
  if (cfg.sort_columns.empty())
    return order;
  struct key {
    iceberg::type t;
    bool ints; // long or timestamptz: compared as integers
    std::vector<std::int64_t> i;
    std::vector<raw::row_batch::value> v;
    std::vector<std::uint8_t> null;
  };
  std::vector<key> keys;
  for (auto c : cfg.sort_columns) {
    const auto t = cfg.schema.fields[c].t;
    key k{t, t == iceberg::type::int64 || t == iceberg::type::timestamptz, {}, {}, {}};
    k.null.resize(n);
    (k.ints ? k.i.resize(n) : k.v.resize(n));
    for (std::size_t r = 0; r < n; ++r) {
      auto v = rows.at(r, c);
      k.null[r] = v.index() == 0;
      if (k.ints)
        k.i[r] = k.null[r] ? 0 : std::get<std::int64_t>(v);
      else
        k.v[r] = v;
    }
    keys.push_back(std::move(k));
  }
  std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    for (const auto& k : keys) {
      if (k.null[a] || k.null[b]) {
        if (k.null[a] != k.null[b])
          return k.null[a] != 0;
        continue;
      }
      if (k.ints) {
        if (k.i[a] != k.i[b])
          return k.i[a] < k.i[b];
        continue;
      }
      if (int d = iceberg::compare(k.t, ice_value(k.v[a]), ice_value(k.v[b])); d != 0)
        return d < 0;
    }
    return false;
  });
  return order;
}

} // namespace

expected<void> partition_writer::write_cell(cell& c) {
  auto w = parquet::writer::make({cfg_->columns}, cfg_->codec);
  if (!w)
    return w.failure();
  iceberg::file_metrics metrics(cfg_->schema);
  std::vector<parquet::writer::value> row(cfg_->columns.size());
  std::vector<iceberg::value_view> views(cfg_->columns.size());
  for (auto i : sorted_rows(*cfg_, c.rows)) {
    for (std::size_t col = 0; col < row.size(); ++col) {
      row[col] = c.rows.at(i, col);
      views[col] = ice_value(row[col]);
    }
    if (auto ok = w->append(row); !ok)
      return ok;
    metrics.add(views);
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
  buffered_ = 0;
}

} // namespace weir::lake
