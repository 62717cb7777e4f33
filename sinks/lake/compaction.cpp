#include "sinks/lake/compaction.hpp"

#include "base/logging.hpp"
#include "lib/parquet/concat.hpp"
#include "sinks/lake/commit.hpp"

#include <algorithm>

WEIR_LOG_MODULE("lake");

namespace weir::lake {

namespace {

// Keeps the smaller (lower) or larger (upper) serialized bound.
void widen(std::map<std::int32_t, std::string>& into, const std::map<std::int32_t, std::string>& b,
           const iceberg::schema& s, bool lower) {
  for (auto it = into.begin(); it != into.end();) {
    auto other = b.find(it->first);
    const auto* f = s.find(it->first);
    if (other == b.end() || !f) {
      it = into.erase(it);
      continue;
    }
    auto x = iceberg::from_bytes(f->t, it->second), y = iceberg::from_bytes(f->t, other->second);
    if (!x || !y) {
      it = into.erase(it);
      continue;
    }
    const int c = iceberg::compare(f->t, iceberg::view(*x), iceberg::view(*y));
    if (lower ? c > 0 : c < 0)
      it->second = other->second;
    ++it;
  }
}

void add(std::map<std::int32_t, std::int64_t>& into,
         const std::map<std::int32_t, std::int64_t>& b) {
  for (auto it = into.begin(); it != into.end();) {
    auto other = b.find(it->first);
    if (other == b.end()) {
      it = into.erase(it);
      continue;
    }
    it->second += other->second;
    ++it;
  }
}

struct group {
  std::vector<iceberg::data_file> files;
  std::int64_t bytes = 0;
};

// Per partition, small files packed in order into groups up to the target.
std::vector<group> plan_groups(const std::vector<iceberg::existing_manifest>& manifests,
                               const table_config& cfg) {
  const auto target = static_cast<std::int64_t>(cfg.target_file_bytes);
  std::map<std::string, std::vector<iceberg::data_file>> small;
  for (const auto& m : manifests)
    for (const auto& e : *m.entries)
      if (e.status != iceberg::entry_status::deleted && e.file.content == 0
          && e.file.file_size_in_bytes < target * 3 / 4)
        small[iceberg::partition_path(cfg.spec, cfg.schema, e.file.partition)].push_back(e.file);
  std::vector<group> out;
  for (auto& [_, files] : small) {
    group g;
    auto flush = [&] {
      if (g.files.size() >= 2)
        out.push_back(std::move(g));
      g = {};
    };
    for (auto& f : files) {
      if (g.bytes + f.file_size_in_bytes > target)
        flush();
      g.bytes += f.file_size_in_bytes;
      g.files.push_back(std::move(f));
    }
    flush();
  }
  return out;
}

} // namespace

iceberg::data_file merged_file(const iceberg::schema& s,
                               const std::vector<iceberg::data_file>& parts) {
  iceberg::data_file f = parts.front();
  f.split_offsets.clear();
  f.sort_order_id.reset(); // row groups are sorted, the file as a whole is not
  for (std::size_t i = 1; i < parts.size(); ++i) {
    const auto& p = parts[i];
    f.record_count += p.record_count;
    add(f.column_sizes, p.column_sizes);
    add(f.value_counts, p.value_counts);
    add(f.null_value_counts, p.null_value_counts);
    add(f.nan_value_counts, p.nan_value_counts);
    widen(f.lower_bounds, p.lower_bounds, s, true);
    widen(f.upper_bounds, p.upper_bounds, s, false);
  }
  return f;
}

expected<compaction_outcome> compact(table& t, const table_config& cfg, const std::string& identity,
                                     std::int64_t budget) {
  compaction_outcome out;
  auto manifests = t.manifests(true);
  if (!manifests)
    return manifests.failure();
  auto groups = plan_groups(*manifests, cfg);
  std::vector<iceberg::data_file> added;
  std::vector<std::string> removed;
  for (auto& g : groups) {
    if (out.bytes_in >= budget)
      break;
    std::vector<std::string> bytes;
    for (const auto& f : g.files) {
      auto b = t.read(f.file_path);
      if (!b)
        return b.failure();
      bytes.push_back(std::move(*b));
    }
    auto joined = parquet::concat({bytes.begin(), bytes.end()});
    if (!joined)
      return error{"compacting " + g.files.front().file_path + ": " + joined.error_message()};
    auto f = merged_file(cfg.schema, g.files);
    auto dir = f.file_path.substr(0, f.file_path.rfind('/') + 1);
    f.file_path = dir + "c-" + random_uuid() + ".parquet";
    f.file_size_in_bytes = static_cast<std::int64_t>(joined->bytes.size());
    f.split_offsets = joined->row_group_offsets;
    if (auto ok = t.write(f.file_path, joined->bytes); !ok)
      return ok.failure();
    for (const auto& in : g.files)
      removed.push_back(in.file_path);
    out.files_in += g.files.size();
    out.bytes_in += g.bytes;
    added.push_back(std::move(f));
  }
  if (added.empty())
    return out;
  auto committed = t.commit(
    [&](const iceberg::table_metadata& m, std::vector<iceberg::existing_manifest>&)
      -> expected<std::optional<iceberg::commit_request>> {
      iceberg::commit_request r;
      r.op = iceberg::operation::replace;
      r.added = added;
      r.removed = removed;
      if (auto o = committed_offsets(m, identity); !o.empty())
        r.summary = {{"weir.commit-id", identity}, {"weir.offsets", format_offsets(o)}};
      return std::optional{std::move(r)};
    },
    true);
  if (!committed) {
    for (const auto& f : added) // in no snapshot: nothing else will delete them
      (void)t.remove(f.file_path);
    return committed.failure();
  }
  out.files_out = added.size();
  WEIR_INFO("iceberg table {}.{}: compacted {} small file(s) ({} bytes) into {}", cfg.ns, cfg.name,
            out.files_in, out.bytes_in, out.files_out);
  return out;
}

} // namespace weir::lake
