#include "sinks/lake/orphans.hpp"

#include "lib/iceberg/manifest.hpp"
#include "sinks/lake/commit.hpp"

namespace weir::lake {

std::vector<std::string> orphans(const std::vector<s3::client::object_info>& objects,
                                 const std::set<std::string>& referenced, std::int64_t before_ms) {
  std::vector<std::string> out;
  for (const auto& o : objects)
    if (o.modified_ms >= 0 && o.modified_ms < before_ms && !referenced.contains(o.key))
      out.push_back(o.key);
  return out;
}

std::string describe(const sweep_outcome& o) {
  return std::to_string(o.seen) + " data file(s), " + std::to_string(o.unreferenced)
         + " unreferenced, " + std::to_string(o.deleted)
         + " of them older than the window deleted; " + std::to_string(o.metadata_deleted)
         + " metadata file(s) of no snapshot deleted";
}

namespace {

// The data files a manifest (or a list of files, one too) names, as keys.
expected<void> add_files(const std::string& bytes, const std::string& what, const table_config& cfg,
                         std::set<std::string>& keys) {
  auto files = read_file_list(bytes);
  if (!files)
    return error{what + ": " + files.error_message()};
  for (const auto& f : *files)
    keys.insert(cfg.key_of(f.file_path));
  return {};
}

// Every data file a kept snapshot reaches, whatever its entry's status
// (an older snapshot still reads a file a later one removed), and into
// `meta` every metadata object a reader reaches: the current metadata file,
// those of its log, each kept snapshot's manifest list and manifests.
expected<void> add_snapshot_files(table& t, const table_config& cfg, std::set<std::string>& keys,
                                  std::set<std::string>& meta) {
  meta.insert(cfg.key_of(t.metadata_location()));
  for (const auto& e : t.metadata().metadata_log)
    meta.insert(cfg.key_of(e.metadata_file));
  std::set<std::string> manifests;
  for (const auto& snap : t.metadata().snapshots) {
    meta.insert(cfg.key_of(snap.manifest_list));
    auto bytes = t.read(snap.manifest_list);
    if (!bytes)
      return bytes.failure();
    auto list = iceberg::read_manifest_list(*bytes);
    if (!list)
      return error{snap.manifest_list + ": " + list.error_message()};
    for (const auto& mf : *list)
      manifests.insert(mf.manifest_path);
  }
  for (const auto& path : manifests) {
    meta.insert(cfg.key_of(path));
    auto bytes = t.read(path);
    if (!bytes)
      return bytes.failure();
    if (auto ok = add_files(*bytes, path, cfg, keys); !ok)
      return ok;
  }
  return {};
}

// Every list's files under weir/: pending lists of any identity, an
// export's lists (sinks/export/), none committed yet.
expected<void> add_listed_files(s3::client& s3, const table_config& cfg,
                                std::set<std::string>& keys) {
  auto lists = s3.list(cfg.bucket, cfg.key("weir/"));
  if (!lists)
    return lists.failure();
  for (const auto& key : *lists) {
    if (!key.ends_with(".avro"))
      continue;
    auto bytes = s3.get_object(cfg.bucket, key);
    if (!bytes)
      return bytes.failure();
    if (auto ok = add_files(*bytes, key, cfg, keys); !ok)
      return ok;
  }
  return {};
}

} // namespace

expected<sweep_outcome> sweep_orphans(table& t, const table_config& cfg, s3::client& s3,
                                      std::int64_t before_ms) {
  // Listed first: a file uploaded and listed after this listing is not in it.
  auto objects = s3.list_objects(cfg.bucket, cfg.key("data/"));
  if (!objects)
    return objects.failure();
  auto meta_objects = s3.list_objects(cfg.bucket, cfg.key("metadata/"));
  if (!meta_objects)
    return meta_objects.failure();
  std::set<std::string> referenced, meta;
  if (auto ok = add_listed_files(s3, cfg, referenced); !ok)
    return ok.failure();
  if (auto ok = add_snapshot_files(t, cfg, referenced, meta); !ok)
    return ok.failure();
  sweep_outcome out;
  out.seen = objects->size();
  for (const auto& o : *objects)
    out.unreferenced += !referenced.contains(o.key);
  for (const auto& key : orphans(*objects, referenced, before_ms))
    if (s3.delete_object(cfg.bucket, key))
      ++out.deleted;
  // Only what weir writes there: another tool's files (statistics, hints)
  // are not ours to judge.
  std::erase_if(*meta_objects, [](const auto& o) {
    return !o.key.ends_with(".metadata.json") && !o.key.ends_with(".avro");
  });
  for (const auto& key : orphans(*meta_objects, meta, before_ms))
    if (s3.delete_object(cfg.bucket, key))
      ++out.metadata_deleted;
  return out;
}

} // namespace weir::lake
