#include "sinks/lake/table.hpp"

#include "base/logging.hpp"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <random>

WEIR_LOG_MODULE("lake");

namespace weir::lake {

void failpoint(const char* name) {
  const char* set = std::getenv("WEIR_FAILPOINT");
  if (set && std::string_view{set} == name) {
    WEIR_WARN("failpoint {}: killing this process", name);
    std::raise(SIGKILL);
  }
}

namespace {

bool same_columns(const iceberg::schema& a, const iceberg::schema& b) {
  if (a.fields.size() != b.fields.size())
    return false;
  for (std::size_t i = 0; i < a.fields.size(); ++i)
    if (a.fields[i].id != b.fields[i].id || a.fields[i].name != b.fields[i].name
        || a.fields[i].t != b.fields[i].t)
      return false;
  return true;
}

bool same_spec(const iceberg::partition_spec& a, const iceberg::partition_spec& b) {
  if (a.fields.size() != b.fields.size())
    return false;
  for (std::size_t i = 0; i < a.fields.size(); ++i)
    if (a.fields[i].source_id != b.fields[i].source_id
        || !(a.fields[i].transform == b.fields[i].transform))
      return false;
  return true;
}

} // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::string random_uuid() {
  static thread_local std::mt19937_64 gen{std::random_device{}()};
  auto a = gen(), b = gen();
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  char out[37];
  std::snprintf(out, sizeof out, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return out;
}

expected<table> table::open(const table_config& cfg, s3::client& s3, sql_catalog& catalog) {
  table t(cfg, s3, catalog);
  auto at = catalog.load(cfg.ns, cfg.name);
  if (!at)
    return at.failure();
  if (!*at) {
    if (auto made = t.create(); !made)
      return made.failure();
    return t;
  }
  if (auto ok = t.load(**at); !ok)
    return ok.failure();
  const auto* schema = t.metadata_.current_schema();
  const auto* spec = t.metadata_.default_spec();
  if (!schema || !same_columns(*schema, cfg.schema) || !spec || !same_spec(*spec, cfg.spec))
    return error{"iceberg table " + cfg.ns + "." + cfg.name + " at " + **at
                   + " has other columns or another partition spec than this job's sink",
                 true};
  return t;
}

expected<void> table::create() {
  iceberg::new_table_options o;
  o.schema = cfg_->schema;
  o.spec = cfg_->spec;
  o.order = cfg_->order;
  o.location = cfg_->location();
  o.table_uuid = random_uuid();
  o.properties = {{"write.format.default", "parquet"}, {"write.parquet.compression-codec", "zstd"}};
  o.timestamp_ms = now_ms();
  auto m = iceberg::new_table(o);
  if (!m)
    return m.failure();
  metadata_ = std::move(*m);
  const auto path = next_metadata_path();
  if (auto ok = write(path, iceberg::to_json(metadata_)); !ok)
    return ok;
  auto created = catalog_->create(cfg_->ns, cfg_->name, path);
  if (!created)
    return created.failure();
  if (!*created) { // another worker created it first
    (void)remove(path);
    return reload();
  }
  WEIR_INFO("created iceberg table {}.{} at {}", cfg_->ns, cfg_->name, cfg_->location());
  location_ = path;
  return {};
}

expected<void> table::load(const std::string& location) {
  auto json = read(location);
  if (!json)
    return json.failure();
  auto m = iceberg::parse_metadata(*json);
  if (!m)
    return error{location + ": " + m.error_message()};
  metadata_ = std::move(*m);
  location_ = location;
  return {};
}

expected<void> table::reload() {
  auto at = catalog_->load(cfg_->ns, cfg_->name);
  if (!at)
    return at.failure();
  if (!*at)
    return error{"iceberg table " + cfg_->ns + "." + cfg_->name + " is gone from the catalog"};
  return load(**at);
}

std::string table::next_metadata_path() const {
  char n[8];
  std::snprintf(n, sizeof n, "%05zu", (metadata_.metadata_log.size() + 1) % 100000);
  return cfg_->location() + "/metadata/" + n + "-" + random_uuid() + ".metadata.json";
}

expected<std::vector<iceberg::existing_manifest>> table::manifests(bool entries) {
  std::vector<iceberg::existing_manifest> out;
  const auto* snap = metadata_.current_snapshot();
  if (!snap)
    return out;
  auto bytes = read(snap->manifest_list);
  if (!bytes)
    return bytes.failure();
  auto list = iceberg::read_manifest_list(*bytes);
  if (!list)
    return error{snap->manifest_list + ": " + list.error_message()};
  for (auto& mf : *list) {
    iceberg::existing_manifest e{mf, std::nullopt};
    if (entries) {
      auto m = read(mf.manifest_path);
      if (!m)
        return m.failure();
      auto parsed = iceberg::read_manifest(*m, &mf);
      if (!parsed)
        return error{mf.manifest_path + ": " + parsed.error_message()};
      e.entries = std::move(parsed->entries);
    }
    out.push_back(std::move(e));
  }
  return out;
}

expected<std::set<std::string>> table::live_files() {
  auto all = manifests(true);
  if (!all)
    return all.failure();
  std::set<std::string> live;
  for (const auto& m : *all)
    for (const auto& e : *m.entries)
      if (e.status != iceberg::entry_status::deleted)
        live.insert(e.file.file_path);
  return live;
}

expected<bool> table::publish(const std::string& json, const iceberg::table_metadata& next,
                              const sql_catalog::along* with) {
  const auto path = next_metadata_path();
  if (auto ok = write(path, json); !ok)
    return ok.failure();
  failpoint("lake.before_swap");
  auto swapped = catalog_->swap(cfg_->ns, cfg_->name, location_, path, with);
  if (!swapped)
    return swapped.failure(); // the swap may have happened: the caller reloads
  if (!*swapped) {
    (void)remove(path);
    return false;
  }
  metadata_ = next;
  location_ = path;
  return true;
}

expected<std::optional<std::int64_t>> table::commit(const planner& plan, bool entries,
                                                    const sql_catalog::along* with) {
  // Merging needs every manifest's entries: read them only once they pile up.
  constexpr std::size_t merge_after = 40;
  for (int attempt = 0; attempt < 8; ++attempt) {
    auto existing = manifests(entries);
    if (!existing)
      return existing.failure();
    if (!entries && existing->size() >= merge_after) {
      existing = manifests(true);
      if (!existing)
        return existing.failure();
    }
    auto request = plan(metadata_, *existing);
    if (!request)
      return request.failure();
    if (!*request)
      return std::optional<std::int64_t>{};
    auto& r = **request;
    const auto uuid = random_uuid();
    r.timestamp_ms = std::max(now_ms(), metadata_.last_updated_ms);
    r.manifest_prefix = cfg_->location() + "/metadata/" + uuid;
    r.manifest_list_path = cfg_->location() + "/metadata/snap-" + uuid + ".avro";
    r.previous_metadata_location = location_;
    r.merge_manifests_after = merge_after;
    auto p = iceberg::plan_commit(metadata_, *existing, r);
    if (!p)
      return p.failure();
    for (const auto& f : p->manifests)
      if (auto ok = write(f.path, f.bytes); !ok)
        return ok.failure();
    if (auto ok = write(p->manifest_list.path, p->manifest_list.bytes); !ok)
      return ok.failure();
    auto won = publish(p->metadata_json, p->metadata, with);
    if (!won)
      return won.failure();
    if (*won) // replaced manifests stay: older snapshots list them until expired
      return std::optional<std::int64_t>{p->snapshot_id};
    WEIR_INFO("iceberg table {}.{}: another commit won the swap; planning again", cfg_->ns,
              cfg_->name);
    for (const auto& f : p->manifests)
      (void)remove(f.path);
    (void)remove(p->manifest_list.path);
    if (auto ok = reload(); !ok)
      return ok.failure();
  }
  return error{"iceberg table " + cfg_->ns + "." + cfg_->name
               + ": 8 commits in a row lost the catalog swap"};
}

expected<std::size_t> table::expire(std::uint32_t keep, std::int64_t now) {
  if (metadata_.snapshots.size() <= keep)
    return std::size_t{0};
  iceberg::expire_request r;
  r.older_than_ms = now;
  r.retain_last = static_cast<std::int32_t>(keep);
  r.timestamp_ms = std::max(now, metadata_.last_updated_ms);
  r.previous_metadata_location = location_;
  auto p =
    iceberg::plan_expiry(metadata_, r, [this](const std::string& path) { return read(path); });
  if (!p)
    return p.failure();
  if (p->expired_snapshots.empty())
    return std::size_t{0};
  auto won = publish(p->metadata_json, p->metadata);
  if (!won)
    return won.failure();
  if (!*won)
    return std::size_t{0}; // another commit won: the next expiry tries again
  std::size_t deleted = 0;
  for (const auto* group : {&p->data_files, &p->manifests, &p->manifest_lists})
    for (const auto& path : *group)
      if (remove(path))
        ++deleted;
  WEIR_INFO("iceberg table {}.{}: expired {} snapshot(s), deleted {} unreachable file(s)", cfg_->ns,
            cfg_->name, p->expired_snapshots.size(), deleted);
  return deleted;
}

expected<std::string> table::read(const std::string& path) {
  auto key = cfg_->key_of(path);
  if (key.empty())
    return error{"not in bucket " + cfg_->bucket + ": " + path};
  return s3_->get_object(cfg_->bucket, key);
}

expected<void> table::write(const std::string& path, const std::string& bytes) {
  auto key = cfg_->key_of(path);
  if (key.empty())
    return error{"not in bucket " + cfg_->bucket + ": " + path};
  return s3_->put_large(cfg_->bucket, key, bytes);
}

expected<void> table::remove(const std::string& path) {
  auto key = cfg_->key_of(path);
  if (key.empty())
    return error{"not in bucket " + cfg_->bucket + ": " + path};
  return s3_->delete_object(cfg_->bucket, key);
}

} // namespace weir::lake
