#include "sinks/lake/lake.hpp"

#include <charconv>
#include <deque>
#include <random>
#include <unordered_map>

namespace weir::raw {

// -- partition paths -----------------------------------------------------------

namespace {

constexpr std::int64_t hour_ms = 3'600'000;
constexpr std::int64_t day_ms = 24 * hour_ms;

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Hive partition values must not contain '/' or '='; readers (pyarrow's
// default segment_encoding="uri", Spark) percent-decode them.
void append_encoded(std::string& out, std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
        || c == '_' || c == '-') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
}

} // namespace

expected<partition_layout> partition_layout::make(std::vector<path_part> parts,
                                                  const std::vector<column>& columns) {
  partition_layout out;
  for (std::size_t p = 0; p < parts.size(); ++p) {
    const auto& part = parts[p];
    const std::string where = "lake layout part '" + part.name + "'";
    if (!is_identifier(part.name))
      return error{"lake layout: part name '" + part.name + "' is not an identifier"};
    for (std::size_t q = 0; q < p; ++q)
      if (parts[q].name == part.name)
        return error{where + " appears twice"};
    std::size_t index = columns.size();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      // Readers add partition keys as columns: a clash would shadow data.
      if (columns[i].name == part.name)
        return error{where + " has the name of a column"};
      if (columns[i].name == part.column)
        index = i;
    }
    if (index == columns.size())
      return error{where + ": no column '" + part.column + "'"};
    const auto t = columns[index].t;
    const bool time = t == parquet::type::timestamp_ms || t == parquet::type::int64;
    switch (part.k) {
      case path_part::date:
        if (!time)
          return error{where + ": date needs a timestamp_ms or int64 column"};
        break;
      case path_part::hour:
        if (!time)
          return error{where + ": hour needs a timestamp_ms or int64 column"};
        if (part.every_or_mod < 1 || part.every_or_mod > 24)
          return error{where + ": hour step must be 1 to 24"};
        break;
      case path_part::modulo:
        if (t != parquet::type::int64)
          return error{where + ": modulo needs an int64 column"};
        if (part.every_or_mod < 1)
          return error{where + ": modulus must be positive"};
        break;
      case path_part::value: break;
    }
    out.index_.push_back(index);
  }
  out.parts_ = std::move(parts);
  return out;
}

void partition_layout::append_path(std::string& out, const row_batch& batch,
                                   std::size_t row) const {
  for (std::size_t p = 0; p < parts_.size(); ++p) {
    const auto& part = parts_[p];
    if (p)
      out += '/';
    out += part.name;
    out += '=';
    const auto v = batch.at(row, index_[p]);
    if (v.index() == 0) {
      out += null_partition;
      continue;
    }
    switch (part.k) {
      case path_part::date: append_date(out, std::get<std::int64_t>(v)); break;
      case path_part::hour: {
        const auto t = std::get<std::int64_t>(v);
        const auto h = (t % day_ms + day_ms) % day_ms / hour_ms; // pre-1970 too
        append_padded(out, static_cast<std::uint64_t>(h / part.every_or_mod * part.every_or_mod),
                      2);
        break;
      }
      case path_part::modulo: {
        const std::int64_t m = part.every_or_mod;
        append_number(out, (std::get<std::int64_t>(v) % m + m) % m);
        break;
      }
      case path_part::value:
        switch (v.index()) {
          case 1: append_number(out, std::get<std::int64_t>(v)); break;
          case 2: {
            char buf[32];
            auto [end, ec] = std::to_chars(buf, buf + sizeof buf, std::get<double>(v));
            append_encoded(out, {buf, static_cast<std::size_t>(end - buf)});
            break;
          }
          case 3: append_encoded(out, std::get<std::string_view>(v)); break;
          case 4: out += std::get<bool>(v) ? "true" : "false"; break;
        }
        break;
    }
  }
}

// -- file names ----------------------------------------------------------------

std::string lake_file_name(const lake_file& f) {
  std::string out = "part-p";
  append_number(out, f.kafka_partition);
  out += '-';
  append_padded(out, static_cast<std::uint64_t>(f.first), 20);
  out += '-';
  append_padded(out, static_cast<std::uint64_t>(f.last), 20);
  if (!f.epoch.empty()) {
    out += '-';
    out += f.epoch;
  }
  out += ".parquet";
  return out;
}

std::optional<lake_file> parse_lake_file_name(std::string_view key) {
  if (auto slash = key.rfind('/'); slash != std::string_view::npos)
    key.remove_prefix(slash + 1);
  constexpr std::string_view head = "part-p", tail = ".parquet";
  if (!key.starts_with(head) || !key.ends_with(tail))
    return std::nullopt;
  key.remove_prefix(head.size());
  key.remove_suffix(tail.size());
  lake_file f;
  auto [p, ec] = std::from_chars(key.data(), key.data() + key.size(), f.kafka_partition);
  if (ec != std::errc{} || f.kafka_partition < 0)
    return std::nullopt;
  std::string_view rest{p, static_cast<std::size_t>(key.data() + key.size() - p)};
  // "-" 20 digits "-" 20 digits ["-" epoch]
  if (rest.size() < 42 || rest[0] != '-' || rest[21] != '-')
    return std::nullopt;
  if (rest.size() > 42) {
    auto epoch = rest.substr(42);
    if (epoch.size() < 2 || epoch.size() > 33 || epoch[0] != '-')
      return std::nullopt;
    for (char c : epoch.substr(1))
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return std::nullopt;
    f.epoch = std::string{epoch.substr(1)};
  }
  for (auto [field, at] : {std::pair{&f.first, 1}, std::pair{&f.last, 22}}) {
    auto [end, e] = std::from_chars(rest.data() + at, rest.data() + at + 20, *field);
    if (e != std::errc{} || end != rest.data() + at + 20 || *field < 0)
      return std::nullopt;
  }
  return f;
}

// -- forget_after ----------------------------------------------------------------

namespace {

// "prefix/" so that listing "lake/a" does not match "lake/ab/...".
std::string dir_of(const std::string& prefix) {
  if (prefix.empty() || prefix.back() == '/')
    return prefix;
  return prefix + '/';
}

} // namespace

expected<std::size_t> forget_after(s3::client& client, const std::string& bucket,
                                   const std::string& prefix, std::int32_t kafka_partition,
                                   std::int64_t offset) {
  auto keys = client.list(bucket, dir_of(prefix));
  if (!keys)
    return keys.failure();
  std::size_t deleted = 0;
  for (const auto& key : *keys) {
    auto f = parse_lake_file_name(key);
    if (!f || f->kafka_partition != kafka_partition || f->first < offset)
      continue;
    if (auto ok = client.delete_object(bucket, key); !ok)
      return ok.failure();
    ++deleted;
  }
  return deleted;
}

// -- lake_writer -----------------------------------------------------------------

namespace {

struct open_file {
  parquet::writer w;
  std::int64_t first, last;
  std::size_t bytes = 0; // w.buffered_bytes() after the last append
};

struct pending_file {
  std::string key;
  std::string body;
  std::size_t rows;
};

std::string new_epoch() {
  std::random_device rd;
  std::uint64_t v = (std::uint64_t{rd()} << 32) ^ rd();
  static const char* hex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4)
    out[static_cast<std::size_t>(i)] = hex[v & 15];
  return out;
}

} // namespace

struct lake_writer::state {
  state(s3::client c, lake_options o, partition_layout l)
    : client(std::move(c)), opts(std::move(o)), layout(std::move(l)), dir(dir_of(opts.prefix)) {}

  s3::client client;
  lake_options opts;
  partition_layout layout;
  std::string dir;
  std::unordered_map<std::string, open_file> open; // by partition path
  std::deque<pending_file> pending;
  std::size_t buffered = 0; // sum of open files' bytes
  lake_stats stats;
  std::string path;                  // scratch: the current row's path
  std::vector<row_batch::value> row; // scratch: the current row
  // Fencing (claim()): our epoch, the owner object, files uploaded since
  // the owner was last read back, and whether another writer took over.
  std::string epoch, owner_key;
  std::vector<std::pair<std::string, std::size_t>> unverified; // key, rows
  bool fenced = false;

  expected<void> roll(std::unordered_map<std::string, open_file>::iterator it,
                      std::int32_t partition) {
    auto& f = it->second;
    const auto rows = f.w.rows();
    auto body = f.w.finish();
    if (!body)
      return body.failure();
    std::string key = dir;
    if (!it->first.empty())
      key += it->first + '/';
    key += lake_file_name({partition, f.first, f.last, epoch});
    buffered -= f.bytes;
    pending.push_back({std::move(key), std::move(*body), rows});
    open.erase(it);
    return {};
  }

  expected<void> upload_pending() {
    while (!pending.empty()) {
      auto& p = pending.front();
      if (auto ok = client.put_large(opts.bucket, p.key, p.body, opts.part_size); !ok)
        return ok.failure();
      ++stats.files;
      stats.rows += p.rows;
      stats.bytes += p.body.size();
      if (!epoch.empty())
        unverified.emplace_back(std::move(p.key), p.rows);
      pending.pop_front();
    }
    return verify();
  }

  // Reads the owner object after the uploads: if it still holds our epoch,
  // the successor (if any) claims later and its forget_after() lists these
  // files; if not, the successor may have listed before they existed, so
  // they are deleted here. Either way no file of ours stays past a claim.
  expected<void> verify() {
    if (!fenced) {
      if (unverified.empty())
        return {};
      auto owner = client.get_object(opts.bucket, owner_key);
      if (!owner)
        return owner.failure(); // the files stay unverified: read again by the next call
      if (*owner == epoch) {
        unverified.clear();
        return {};
      }
      fenced = true;
    }
    return drop_unchecked();
  }

  // Deletes what no checkpoint covers, here or in S3: files uploaded since
  // the owner was last read back, files rolled but perhaps not uploaded (a
  // PUT that timed out may have landed), and the open ones. Their rows are
  // all after the partition's last checkpoint, so its next owner replays
  // them; names carry our epoch, so nothing of another writer goes.
  expected<void> drop_unchecked() {
    for (; !unverified.empty(); unverified.pop_back()) {
      if (auto ok = client.delete_object(opts.bucket, unverified.back().first); !ok)
        return ok.failure();
      stats.fenced_rows += fenced ? unverified.back().second : 0;
    }
    for (; !pending.empty(); pending.pop_back()) {
      if (auto ok = client.delete_object(opts.bucket, pending.back().key); !ok)
        return ok.failure();
      stats.fenced_rows += fenced ? pending.back().rows : 0;
    }
    for (auto& [path, f] : open)
      stats.fenced_rows += fenced ? f.w.rows() : 0;
    open.clear();
    buffered = 0;
    return {};
  }
};

lake_writer::lake_writer(lake_writer&&) noexcept = default;
lake_writer& lake_writer::operator=(lake_writer&&) noexcept = default;
lake_writer::~lake_writer() = default;

expected<lake_writer> lake_writer::make(s3::config s3, lake_options opts,
                                        std::int32_t kafka_partition) {
  if (kafka_partition < 0)
    return error{"lake: Kafka partition must not be negative"};
  if (opts.bucket.empty())
    return error{"lake: no bucket"};
  if (opts.max_file_rows == 0 || opts.max_file_bytes == 0 || opts.row_group_rows == 0)
    return error{"lake: row, byte and row group limits must be positive"};
  if (auto ok = check_columns(opts.columns); !ok)
    return ok.failure();
  // A writer for this schema must be possible, or rolling would fail later.
  if (auto w = parquet::writer::make(parquet::schema{opts.columns}, opts.codec); !w)
    return w.failure();
  auto layout = partition_layout::make(opts.layout, opts.columns);
  if (!layout)
    return layout.failure();
  auto client = s3::client::make(std::move(s3));
  if (!client)
    return client.failure();
  lake_writer out;
  out.partition_ = kafka_partition;
  out.st_ = std::make_unique<state>(std::move(*client), std::move(opts), std::move(*layout));
  return out;
}

expected<void> lake_writer::write(const row_batch& batch) {
  auto& s = *st_;
  const auto& cols = s.opts.columns;
  if (batch.columns().size() != cols.size())
    return error{"lake: batch has " + std::to_string(batch.columns().size()) + " columns, the lake "
                 + std::to_string(cols.size())};
  for (std::size_t i = 0; i < cols.size(); ++i) {
    const auto& b = batch.columns()[i];
    if (b.name != cols[i].name || b.t != cols[i].t || b.nullable != cols[i].nullable)
      return error{"lake: batch column " + std::to_string(i) + " '" + b.name
                   + "' differs from the lake's '" + cols[i].name + "'"};
  }
  if (batch.empty())
    return {};
  if (!batch.from_kafka())
    return error{"lake: rows without Kafka positions"};

  // Check every row before taking any, so an error means "nothing taken".
  std::int64_t last = last_offset_;
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    const auto pos = batch.position(r);
    if (pos.partition != partition_)
      return error{"lake: row from Kafka partition " + std::to_string(pos.partition)
                   + " in the writer of partition " + std::to_string(partition_)};
    if (pos.offset <= last)
      return error{"lake: offset " + std::to_string(pos.offset) + " does not follow "
                   + std::to_string(last)};
    last = pos.offset;
  }
  if (auto ok = s.upload_pending(); !ok)
    return ok;
  if (s.fenced) { // another writer claimed the partition: the rows are its
    s.stats.fenced_rows += batch.rows();
    last_offset_ = last;
    return {};
  }

  s.row.resize(cols.size());
  for (std::size_t r = 0; r < batch.rows(); ++r) {
    s.path.clear();
    s.layout.append_path(s.path, batch, r);
    auto it = s.open.find(s.path);
    if (it == s.open.end()) {
      auto w =
        parquet::writer::make(parquet::schema{s.opts.columns}, s.opts.codec, s.opts.row_group_rows);
      if (!w) // only when out of memory: the schema was checked by make()
        return w.failure();
      it = s.open.emplace(s.path, open_file{std::move(*w), batch.position(r).offset, 0}).first;
    }
    auto& f = it->second;
    for (std::size_t i = 0; i < cols.size(); ++i)
      s.row[i] = batch.at(r, i);
    if (auto ok = f.w.append(s.row); !ok) // cannot fail: the schemas match
      return ok;
    f.last = batch.position(r).offset;
    const auto bytes = f.w.buffered_bytes();
    s.buffered = s.buffered - f.bytes + bytes; // a finished row group may shrink it
    f.bytes = bytes;
    if (f.w.rows() >= s.opts.max_file_rows || bytes >= s.opts.max_file_bytes) {
      if (auto ok = s.roll(it, partition_); !ok)
        return ok;
    }
    while (s.buffered > s.opts.max_buffered_bytes && !s.open.empty()) {
      auto largest = s.open.begin();
      for (auto j = s.open.begin(); j != s.open.end(); ++j)
        if (j->second.bytes > largest->second.bytes)
          largest = j;
      if (auto ok = s.roll(largest, partition_); !ok)
        return ok;
    }
  }
  last_offset_ = last;
  // The rows are taken; a failed upload stays pending for the next call.
  (void)s.upload_pending();
  return {};
}

expected<void> lake_writer::flush() {
  auto& s = *st_;
  if (s.fenced)
    return s.verify(); // deletes what is left of ours
  while (!s.open.empty())
    if (auto ok = s.roll(s.open.begin(), partition_); !ok)
      return ok;
  return s.upload_pending();
}

expected<std::size_t> lake_writer::forget_after(std::int32_t kafka_partition, std::int64_t offset) {
  auto& s = *st_;
  if (kafka_partition == partition_ && (!s.open.empty() || !s.pending.empty()))
    return error{"lake: forget_after with rows of partition " + std::to_string(partition_)
                 + " still buffered: call it before writing"};
  return raw::forget_after(s.client, s.opts.bucket, s.opts.prefix, kafka_partition, offset);
}

expected<std::size_t> lake_writer::claim(std::int64_t offset) {
  auto& s = *st_;
  if (!s.open.empty() || !s.pending.empty() || !s.unverified.empty())
    return error{"lake: claim of partition " + std::to_string(partition_)
                 + " with rows buffered: call it before writing"};
  std::string epoch = new_epoch();
  std::string owner_key = s.dir + "_weir/owner-p" + std::to_string(partition_);
  // The owner object first: a former owner still uploading either sees it
  // and deletes its files, or uploaded before it and the listing below
  // finds them.
  if (auto ok = s.client.put_object(s.opts.bucket, owner_key, epoch); !ok)
    return ok.failure();
  s.epoch = std::move(epoch);
  s.owner_key = std::move(owner_key);
  s.fenced = false;
  return raw::forget_after(s.client, s.opts.bucket, s.opts.prefix, partition_, offset);
}

expected<void> lake_writer::discard() {
  return st_->drop_unchecked();
}

bool lake_writer::fenced() const {
  return st_->fenced;
}

lake_stats lake_writer::stats() const {
  auto out = st_->stats;
  out.open = st_->open.size();
  out.pending = st_->pending.size();
  return out;
}

} // namespace weir::raw
