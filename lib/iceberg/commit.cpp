#include "lib/iceberg/commit.hpp"

#include "lib/iceberg/detail.hpp"

#include <algorithm>
#include <charconv>
#include <random>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace weir::iceberg {

namespace {

constexpr std::int64_t clock_slack_ms = 60'000;

std::int64_t fresh_snapshot_id(const table_metadata& m) {
  std::random_device rd;
  for (;;) {
    const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
    const auto id = static_cast<std::int64_t>(r & 0x7fffffffffffffff);
    if (id != 0 && !m.find_snapshot(id))
      return id;
  }
}

std::optional<std::int64_t> to_long(const std::string* s) {
  if (!s)
    return std::nullopt;
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc{} || end != s->data() + s->size())
    return std::nullopt;
  return v;
}

// Entries with what the manifest list says filled in, so every one carries
// its snapshot id and sequence numbers (needed to write it as EXISTING or
// DELETED).
std::vector<manifest_entry> inherited(const existing_manifest& m) {
  std::vector<manifest_entry> out = *m.entries;
  for (auto& e : out) {
    if (!e.snapshot_id)
      e.snapshot_id = m.file.added_snapshot_id;
    const std::int64_t seq = e.status == entry_status::added ? m.file.sequence_number : 0;
    if (!e.sequence_number)
      e.sequence_number = seq;
    if (!e.file_sequence_number)
      e.file_sequence_number = seq;
  }
  return out;
}

manifest_entry as_existing(manifest_entry e) {
  e.status = entry_status::existing;
  return e;
}

expected<void> check_schema(const iceberg::schema& s) {
  std::set<std::int32_t> ids;
  std::set<std::string> names;
  for (const auto& f : s.fields) {
    if (f.id <= 0)
      return error{"iceberg: column '" + f.name + "' has field id " + std::to_string(f.id)
                   + " (ids start at 1)"};
    if (!ids.insert(f.id).second)
      return error{"iceberg: field id " + std::to_string(f.id) + " appears twice"};
    if (f.name.empty() || !names.insert(f.name).second)
      return error{"iceberg: column name '" + f.name + "' is empty or appears twice"};
  }
  return {};
}

} // namespace

expected<table_metadata> new_table(const new_table_options& o) {
  return catching("new table", [&]() -> expected<table_metadata> {
    if (o.location.empty() || o.location.back() == '/')
      return error{"iceberg: a table location must be set and not end in '/'"};
    if (o.table_uuid.empty())
      return error{"iceberg: a table needs a uuid"};
    if (auto ok = check_schema(o.schema); !ok)
      return ok.failure();
    if (auto cols = partition_type(o.spec, o.schema); !cols)
      return cols.failure();
    std::set<std::int32_t> part_ids;
    std::set<std::string> part_names;
    std::int32_t last_partition_id = 999;
    for (const auto& f : o.spec.fields) {
      if (f.field_id < 1000 || !part_ids.insert(f.field_id).second)
        return error{"iceberg: partition field '" + f.name + "' needs a unique field id from 1000"};
      if (f.name.empty() || !part_names.insert(f.name).second)
        return error{"iceberg: partition field name '" + f.name + "' is empty or appears twice"};
      // Java refuses a partition named like a column, unless it is that
      // column's identity.
      if (const schema_field* col = o.schema.find(f.name);
          col && !(f.transform.k == transform::kind::identity && col->id == f.source_id))
        return error{"iceberg: partition field '" + f.name
                     + "' is named like a column it is not the identity of"};
      if (f.transform.k == transform::kind::unknown)
        return error{"iceberg: partition field '" + f.name + "' has unknown transform "
                     + f.transform.text};
      last_partition_id = std::max(last_partition_id, f.field_id);
    }
    if ((o.order.order_id == 0) != o.order.fields.empty())
      return error{"iceberg: sort order 0 is the unsorted order, and only it has no fields"};
    for (const auto& f : o.order.fields) {
      const schema_field* src = o.schema.find(f.source_id);
      if (!src)
        return error{"iceberg: sort field on column " + std::to_string(f.source_id)
                     + ", which the schema lacks"};
      if (auto t = f.transform.result_type(src->t); !t)
        return t.failure();
    }
    table_metadata m;
    m.table_uuid = o.table_uuid;
    m.location = o.location;
    m.last_updated_ms = o.timestamp_ms;
    m.last_column_id = o.schema.highest_field_id();
    m.schemas = {o.schema};
    m.current_schema_id = o.schema.schema_id;
    m.partition_specs = {o.spec};
    m.default_spec_id = o.spec.spec_id;
    m.last_partition_id = last_partition_id;
    m.sort_orders = {o.order};
    m.default_sort_order_id = o.order.order_id;
    m.properties = o.properties;
    return m;
  });
}

namespace {

expected<void> check_request(const table_metadata& current, const commit_request& req) {
  if (!current.current_schema() || !current.default_spec())
    return error{"iceberg: the table has no current schema or default spec"};
  if (req.op == operation::append && !req.removed.empty())
    return error{"iceberg: an append removes no files"};
  if (req.op != operation::append && req.removed.empty())
    return error{"iceberg: a replace or delete removes files"};
  if (req.op == operation::delete_ && !req.added.empty())
    return error{"iceberg: a delete adds no files"};
  // Java refuses snapshot and metadata logs running back more than a minute.
  if (req.timestamp_ms < current.last_updated_ms - clock_slack_ms)
    return error{"iceberg: commit time " + std::to_string(req.timestamp_ms)
                 + " is more than a minute before the table's last update "
                 + std::to_string(current.last_updated_ms)};
  if (req.manifest_prefix.empty() || req.manifest_list_path.empty())
    return error{"iceberg: the manifest prefix and manifest list path must be set"};
  if (req.snapshot_id && (*req.snapshot_id <= 0 || current.find_snapshot(*req.snapshot_id)))
    return error{"iceberg: snapshot id " + std::to_string(*req.snapshot_id)
                 + " is not positive or already used"};
  return {};
}

// What the new snapshot's manifests hold, and what changed.
struct manifest_changes {
  // Entries of the manifests to write, per partition spec.
  std::map<std::int32_t, std::vector<manifest_entry>> fresh;
  std::vector<std::size_t> carried; // existing manifests listed again as they are
  std::vector<std::string> replaced;
  std::int64_t added_records = 0, added_size = 0, deleted_records = 0, removed_size = 0;
  std::set<std::string> changed_partitions;
};

expected<manifest_changes> change_manifests(const table_metadata& current,
                                            const std::vector<existing_manifest>& existing,
                                            const commit_request& req, std::int64_t id) {
  const iceberg::schema& schema = *current.current_schema();
  const partition_spec& spec = *current.default_spec();
  manifest_changes c;
  auto partition_key = [&](std::int32_t spec_id, const data_file& f) {
    const partition_spec* s = current.find_spec(spec_id);
    return std::to_string(spec_id) + ":"
           + (s ? partition_path(*s, schema, f.partition) : std::string{});
  };

  // Live files of the manifests whose entries we have: path -> manifest index.
  std::vector<std::vector<manifest_entry>> entries(existing.size());
  std::unordered_map<std::string, std::size_t> live;
  for (std::size_t i = 0; i < existing.size(); ++i) {
    if (!existing[i].entries)
      continue;
    entries[i] = inherited(existing[i]);
    for (const auto& e : entries[i])
      if (e.status != entry_status::deleted)
        live.emplace(e.file.file_path, i);
  }
  std::unordered_set<std::string> added_paths;
  for (const auto& f : req.added) {
    if (f.content != 0)
      return error{"iceberg: file " + f.file_path + " is not a data file (content "
                   + std::to_string(f.content) + ")"};
    if (!added_paths.insert(f.file_path).second || live.contains(f.file_path))
      return error{"iceberg: file " + f.file_path + " is added twice or already in the table"};
    c.added_records += f.record_count;
    c.added_size += f.file_size_in_bytes;
  }
  const std::unordered_set<std::string> removed(req.removed.begin(), req.removed.end());
  if (removed.size() != req.removed.size())
    return error{"iceberg: a file is removed twice"};
  std::set<std::size_t> affected;
  for (const auto& path : req.removed) {
    auto it = live.find(path);
    if (it == live.end())
      return error{"iceberg: file " + path
                   + " is not live in the current snapshot's manifests given"};
    affected.insert(it->second);
  }

  // A manifest holding a removed file is rewritten: that file DELETED by
  // this snapshot, the others EXISTING, older deletes dropped.
  c.fresh[spec.spec_id]; // the default spec's manifest comes first
  for (std::size_t i = 0; i < existing.size(); ++i) {
    const auto& mf = existing[i].file;
    if (!affected.contains(i)) {
      if (mf.live_files() == 0 && mf.content == 0)
        c.replaced.push_back(mf.manifest_path); // only deletes of an older snapshot
      else
        c.carried.push_back(i);
      continue;
    }
    auto& out = c.fresh[mf.partition_spec_id];
    for (auto& e : entries[i]) {
      if (e.status == entry_status::deleted)
        continue;
      if (!removed.contains(e.file.file_path)) {
        out.push_back(as_existing(std::move(e)));
        continue;
      }
      c.deleted_records += e.file.record_count;
      c.removed_size += e.file.file_size_in_bytes;
      c.changed_partitions.insert(partition_key(mf.partition_spec_id, e.file));
      e.status = entry_status::deleted;
      e.snapshot_id = id;
      out.push_back(std::move(e));
    }
    c.replaced.push_back(mf.manifest_path);
  }
  if (req.op == operation::replace && c.deleted_records != c.added_records)
    return error{"iceberg: a replace must keep the rows: it removes "
                 + std::to_string(c.deleted_records) + " and adds "
                 + std::to_string(c.added_records)};
  for (const auto& f : req.added) {
    c.changed_partitions.insert(partition_key(spec.spec_id, f));
    c.fresh[spec.spec_id].push_back({entry_status::added, id, std::nullopt, std::nullopt, f});
  }

  // Merging: once the list would grow past the limit, carried manifests of
  // the default spec whose entries we have join the new one as EXISTING.
  std::size_t fresh_manifests = 0;
  for (const auto& [spec_id, list] : c.fresh)
    fresh_manifests += list.empty() ? 0 : 1;
  if (req.merge_manifests_after == 0
      || c.carried.size() + std::max<std::size_t>(fresh_manifests, 1) <= req.merge_manifests_after)
    return c;
  std::vector<std::size_t> kept;
  for (std::size_t i : c.carried) {
    const auto& mf = existing[i].file;
    if (!existing[i].entries || mf.partition_spec_id != spec.spec_id || mf.content != 0) {
      kept.push_back(i);
      continue;
    }
    for (const auto& e : entries[i])
      if (e.status != entry_status::deleted)
        c.fresh[spec.spec_id].push_back(as_existing(e));
    c.replaced.push_back(mf.manifest_path);
  }
  c.carried = std::move(kept);
  return c;
}

// The new manifests (the default spec's first), then the manifest list.
expected<void> write_manifests(const table_metadata& current,
                               const std::vector<existing_manifest>& existing,
                               const commit_request& req, std::int64_t id, std::int64_t seq,
                               const manifest_changes& c, commit_plan& plan) {
  const iceberg::schema& schema = *current.current_schema();
  std::vector<std::int32_t> specs{current.default_spec_id};
  for (const auto& [spec_id, list] : c.fresh)
    if (spec_id != current.default_spec_id)
      specs.push_back(spec_id);
  for (std::int32_t spec_id : specs) {
    const auto& list = c.fresh.at(spec_id);
    if (list.empty())
      continue;
    const partition_spec* s = current.find_spec(spec_id);
    if (!s)
      return error{"iceberg: a manifest has partition spec " + std::to_string(spec_id)
                   + ", which the table lacks"};
    const manifest_context ctx{schema, *s};
    output_file out{req.manifest_prefix + "-m" + std::to_string(plan.manifests.size()) + ".avro",
                    {}};
    auto bytes = write_manifest(ctx, list, req.avro);
    if (!bytes)
      return bytes.failure();
    out.bytes = std::move(*bytes);
    auto mf =
      describe_manifest(ctx, list, out.path, static_cast<std::int64_t>(out.bytes.size()), id, seq);
    if (!mf)
      return mf.failure();
    plan.manifest_files.push_back(std::move(*mf));
    plan.manifests.push_back(std::move(out));
  }
  for (std::size_t i : c.carried)
    plan.manifest_files.push_back(existing[i].file);
  auto list =
    write_manifest_list(plan.manifest_files, id, current.current_snapshot_id, seq, req.avro);
  if (!list)
    return list.failure();
  plan.manifest_list = {req.manifest_list_path, std::move(*list)};
  return {};
}

// Iceberg's standard summary keys (spec Appendix F), then the caller's.
expected<std::map<std::string, std::string>> summarize(
  const table_metadata& current, const std::vector<existing_manifest>& existing,
  const commit_request& req, const manifest_changes& c, const commit_plan& plan) {
  std::map<std::string, std::string> s;
  s["operation"] = req.op == operation::append    ? "append"
                   : req.op == operation::replace ? "replace"
                                                  : "delete";
  if (!req.added.empty()) {
    s["added-data-files"] = std::to_string(req.added.size());
    s["added-records"] = std::to_string(c.added_records);
    s["added-files-size"] = std::to_string(c.added_size);
  }
  if (!req.removed.empty()) {
    s["deleted-data-files"] = std::to_string(req.removed.size());
    s["deleted-records"] = std::to_string(c.deleted_records);
    s["removed-files-size"] = std::to_string(c.removed_size);
  }
  s["changed-partition-count"] = std::to_string(c.changed_partitions.size());
  const snapshot* parent = current.current_snapshot();
  auto previous = [&](const char* key) -> std::optional<std::int64_t> {
    return parent ? to_long(parent->summary_value(key)) : std::optional<std::int64_t>{0};
  };
  // A parent without totals (another engine's): live files and rows from
  // the manifest list; their size is then unknown and left out.
  auto records = previous("total-records");
  auto files = previous("total-data-files");
  if (!records || !files) {
    records = files = 0;
    for (const auto& m : existing)
      if (m.file.content == 0) {
        *records += m.file.added_rows_count + m.file.existing_rows_count;
        *files += m.file.live_files();
      }
  }
  const auto added = static_cast<std::int64_t>(req.added.size());
  const auto removed = static_cast<std::int64_t>(req.removed.size());
  s["total-records"] = std::to_string(*records + c.added_records - c.deleted_records);
  s["total-data-files"] = std::to_string(*files + added - removed);
  if (auto size = previous("total-files-size"))
    s["total-files-size"] = std::to_string(*size + c.added_size - c.removed_size);
  s["total-delete-files"] = "0";
  s["total-position-deletes"] = "0";
  s["total-equality-deletes"] = "0";
  s["manifests-created"] = std::to_string(plan.manifests.size());
  s["manifests-kept"] = std::to_string(c.carried.size());
  s["manifests-replaced"] = std::to_string(c.replaced.size());
  for (const auto& [k, v] : req.summary)
    if (!s.emplace(k, v).second)
      return error{"iceberg: summary key '" + k + "' is Iceberg's own"};
  return s;
}

// The metadata log gains the file `m` was read from; Java keeps
// write.metadata.previous-versions-max (100) entries.
void log_previous(table_metadata& m, const std::string& previous,
                  std::int64_t previous_updated_ms) {
  if (previous.empty())
    return;
  m.metadata_log.push_back({previous_updated_ms, previous});
  std::size_t keep = 100;
  if (auto it = m.properties.find("write.metadata.previous-versions-max"); it != m.properties.end())
    if (auto n = to_long(&it->second); n && *n > 0)
      keep = static_cast<std::size_t>(*n);
  if (m.metadata_log.size() > keep)
    m.metadata_log.erase(m.metadata_log.begin(),
                         m.metadata_log.end() - static_cast<std::ptrdiff_t>(keep));
}

} // namespace

expected<commit_plan> plan_commit(const table_metadata& current,
                                  const std::vector<existing_manifest>& existing,
                                  const commit_request& req) {
  return catching("commit", [&]() -> expected<commit_plan> {
    if (auto ok = check_request(current, req); !ok)
      return ok.failure();
    const std::int64_t id = req.snapshot_id ? *req.snapshot_id : fresh_snapshot_id(current);
    const std::int64_t seq = current.last_sequence_number + 1;
    auto changes = change_manifests(current, existing, req, id);
    if (!changes)
      return changes.failure();
    commit_plan plan;
    plan.snapshot_id = id;
    plan.replaced_manifests = changes->replaced;
    if (auto ok = write_manifests(current, existing, req, id, seq, *changes, plan); !ok)
      return ok.failure();
    auto summary = summarize(current, existing, req, *changes, plan);
    if (!summary)
      return summary.failure();

    table_metadata& m = plan.metadata = current;
    m.snapshots.push_back({id,
                           current.current_snapshot_id,
                           seq,
                           req.timestamp_ms,
                           req.manifest_list_path,
                           std::move(*summary),
                           current.current_schema_id,
                           {}});
    m.current_snapshot_id = id;
    auto& main = m.refs["main"];
    main.snapshot_id = id;
    main.type = "branch";
    m.last_sequence_number = seq;
    m.snapshot_log.push_back({req.timestamp_ms, id});
    log_previous(m, req.previous_metadata_location, current.last_updated_ms);
    m.last_updated_ms = std::max(current.last_updated_ms, req.timestamp_ms);
    plan.metadata_json = to_json(m);
    return plan;
  });
}

std::vector<const snapshot*> ancestors(const table_metadata& m) {
  std::vector<const snapshot*> out;
  std::set<std::int64_t> seen; // a corrupt cycle must not loop
  for (const snapshot* s = m.current_snapshot(); s && seen.insert(s->snapshot_id).second;
       s = s->parent_snapshot_id ? m.find_snapshot(*s->parent_snapshot_id) : nullptr)
    out.push_back(s);
  return out;
}

std::vector<std::string> summary_values(const table_metadata& m, const std::string& key,
                                        const std::map<std::string, std::string>& where) {
  std::vector<std::string> out;
  for (const snapshot* s : ancestors(m)) {
    const std::string* v = s->summary_value(key);
    if (!v)
      continue;
    bool match = true;
    for (const auto& [k, want] : where) {
      const std::string* got = s->summary_value(k);
      match = match && got && *got == want;
    }
    if (match)
      out.push_back(*v);
  }
  return out;
}

namespace {

// The snapshots to keep (spec, "Snapshot Retention Policy"): every ref's,
// and along each branch the newest min-snapshots-to-keep ancestors and those
// younger than its age limit. `refs` gets the refs that stay.
std::set<std::int64_t> retained_snapshots(const table_metadata& current, const expire_request& req,
                                          std::map<std::string, snapshot_ref>& refs) {
  std::set<std::int64_t> retained;
  for (const auto& [name, ref] : current.refs) {
    const snapshot* head = current.find_snapshot(ref.snapshot_id);
    if (!head)
      continue;
    if (name != "main" && ref.max_ref_age_ms
        && head->timestamp_ms < req.timestamp_ms - *ref.max_ref_age_ms)
      continue; // the ref itself expires
    refs[name] = ref;
    retained.insert(head->snapshot_id);
    if (ref.type != "branch")
      continue;
    const std::int64_t keep =
      std::max<std::int64_t>(1, ref.min_snapshots_to_keep.value_or(req.retain_last));
    const std::int64_t cutoff =
      ref.max_snapshot_age_ms ? req.timestamp_ms - *ref.max_snapshot_age_ms : req.older_than_ms;
    std::int64_t n = 0;
    std::set<std::int64_t> seen;
    for (const snapshot* s = head; s && seen.insert(s->snapshot_id).second;
         s = s->parent_snapshot_id ? current.find_snapshot(*s->parent_snapshot_id) : nullptr) {
      if (n >= keep && s->timestamp_ms < cutoff)
        break;
      retained.insert(s->snapshot_id);
      ++n;
    }
  }
  return retained;
}

} // namespace

expected<expiry_plan> plan_expiry(const table_metadata& current, const expire_request& req,
                                  const file_reader& read) {
  return catching("expiry", [&]() -> expected<expiry_plan> {
    std::map<std::string, snapshot_ref> refs;
    const std::set<std::int64_t> retained = retained_snapshots(current, req, refs);
    expiry_plan plan;
    for (const auto& s : current.snapshots)
      if (!retained.contains(s.snapshot_id) && s.timestamp_ms < req.older_than_ms)
        plan.expired_snapshots.push_back(s.snapshot_id);
    plan.metadata = current;
    if (plan.expired_snapshots.empty()) {
      plan.metadata_json = to_json(plan.metadata);
      return plan;
    }
    const std::set<std::int64_t> expired(plan.expired_snapshots.begin(),
                                         plan.expired_snapshots.end());

    // What the remaining snapshots reach, and what only the expired ones did.
    std::set<std::string> kept_lists, kept_manifests, gone_manifests;
    std::vector<std::string> gone_lists;
    std::map<std::string, manifest_file> listed; // for reading manifests with inheritance
    for (const auto& s : current.snapshots) {
      auto bytes = read(s.manifest_list);
      if (!bytes)
        return error{"iceberg: reading manifest list " + s.manifest_list + ": "
                     + bytes.error_message()};
      auto files = read_manifest_list(*bytes);
      if (!files)
        return files.failure();
      const bool gone = expired.contains(s.snapshot_id);
      if (gone)
        gone_lists.push_back(s.manifest_list);
      else
        kept_lists.insert(s.manifest_list);
      for (const auto& f : *files) {
        (gone ? gone_manifests : kept_manifests).insert(f.manifest_path);
        listed.emplace(f.manifest_path, f);
      }
    }
    std::set<std::string> live_files, candidates;
    auto entries_of = [&](const std::string& path) -> expected<manifest> {
      auto bytes = read(path);
      if (!bytes)
        return error{"iceberg: reading manifest " + path + ": " + bytes.error_message()};
      return read_manifest(*bytes, &listed.at(path));
    };
    for (const auto& path : kept_manifests) {
      auto m = entries_of(path);
      if (!m)
        return m.failure();
      for (const auto& e : m->entries)
        if (e.status != entry_status::deleted)
          live_files.insert(e.file.file_path);
    }
    for (const auto& path : gone_manifests) {
      if (kept_manifests.contains(path))
        continue;
      plan.manifests.push_back(path);
      auto m = entries_of(path);
      if (!m)
        return m.failure();
      for (const auto& e : m->entries)
        candidates.insert(e.file.file_path);
    }
    for (const auto& path : candidates)
      if (!live_files.contains(path))
        plan.data_files.push_back(path);
    for (const auto& path : gone_lists)
      if (!kept_lists.contains(path))
        plan.manifest_lists.push_back(path);

    // The metadata without them: the snapshot log keeps only what follows the
    // last entry of an expired snapshot.
    table_metadata& m = plan.metadata;
    std::erase_if(m.snapshots, [&](const snapshot& s) { return expired.contains(s.snapshot_id); });
    std::size_t first = 0;
    for (std::size_t i = 0; i < m.snapshot_log.size(); ++i)
      if (expired.contains(m.snapshot_log[i].snapshot_id))
        first = i + 1;
    m.snapshot_log.erase(m.snapshot_log.begin(),
                         m.snapshot_log.begin() + static_cast<std::ptrdiff_t>(first));
    m.refs = std::move(refs);
    log_previous(m, req.previous_metadata_location, current.last_updated_ms);
    m.last_updated_ms = std::max(current.last_updated_ms, req.timestamp_ms);
    plan.metadata_json = to_json(m);
    return plan;
  });
}

} // namespace weir::iceberg
