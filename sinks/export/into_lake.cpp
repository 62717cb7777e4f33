#include "sinks/export/into_lake.hpp"

#include "base/logging.hpp"
#include "jobs/raw/projection.hpp"
#include "lib/iceberg/commit.hpp"
#include "sinks/lake/commit.hpp"
#include "sinks/lake/orphans.hpp"
#include "sinks/lake/table.hpp"
#include "sinks/lake/writer.hpp"

#include <algorithm>
#include <charconv>
#include <set>

WEIR_LOG_MODULE("export");

namespace weir::raw {

namespace {

constexpr const char* from_key = "weir.export-from";
constexpr const char* run_key = "weir.export-run";
// Rows handed to the writer at a time; it rolls files at the table's target
// size, so a run's memory does not grow with its rows.
constexpr std::size_t chunk_rows = 8192;

// Deletes files no snapshot took (best effort: an orphan left is harmless).
void drop_files(lake::table& t, const std::vector<iceberg::data_file>& files) {
  for (const auto& f : files)
    if (auto ok = t.remove(f.file_path); !ok)
      WEIR_WARN("could not delete uncommitted file {}: {}", f.file_path, ok.error_message());
}

// A try names its files here before its commit, with those of earlier tries
// of the run still listed (a crashed or a frozen one's).
std::string try_key(const lake::table_config& cfg, const std::string& from,
                    const std::string& run) {
  return cfg.key("weir/export/" + from + "/" + run + ".avro");
}

// The files earlier tries of the run listed; none when there is no list, or
// it cannot be read (then its files stay, orphans no reader sees).
std::vector<iceberg::data_file> listed_files(s3::client& s3, const lake::table_config& cfg,
                                             const std::string& key) {
  auto there = s3.exists(cfg.bucket, key);
  if (!there || !*there)
    return {};
  auto bytes = s3.get_object(cfg.bucket, key);
  auto files = bytes ? lake::read_file_list(*bytes)
                     : expected<std::vector<iceberg::data_file>>{bytes.failure()};
  if (!files) {
    WEIR_WARN("{}: the files it lists stay: {}", key, files.error_message());
    return {};
  }
  return std::move(*files);
}

// Before uploading a data file a try names it in its own object under
// here (keys, a line each): a try killed before its list leaves no file
// that nothing names.
std::string names_prefix(const lake::table_config& cfg, const std::string& from,
                         const std::string& run) {
  return cfg.key("weir/export/" + from + "/" + run + "/");
}

struct named_files {
  std::vector<std::string> objects; // the tries' names objects
  std::vector<std::string> keys;    // the data files they name
};

// What the run's tries named; a names object that cannot be read keeps its
// files (orphans no reader sees) and itself.
named_files read_names(s3::client& s3, const lake::table_config& cfg, const std::string& prefix) {
  named_files out;
  auto objects = s3.list(cfg.bucket, prefix);
  if (!objects) {
    WEIR_WARN("{}: the files named there stay: {}", prefix, objects.error_message());
    return out;
  }
  for (const auto& key : *objects) {
    auto bytes = s3.get_object(cfg.bucket, key);
    if (!bytes) {
      WEIR_WARN("{}: the files it names stay: {}", key, bytes.error_message());
      continue;
    }
    out.objects.push_back(key);
    for (std::size_t at = 0; at < bytes->size();) {
      auto end = std::min(bytes->find('\n', at), bytes->size());
      if (end > at)
        out.keys.push_back(bytes->substr(at, end - at));
      at = end + 1;
    }
  }
  return out;
}

// Once the run is committed no other try of it can commit (its swap would
// lose, and its plan find the run), so the files its tries listed or named
// that no snapshot holds are orphans: they are deleted, then the list and
// the names. `mine` (this try's names object, its files all committed) and
// no other try's: nothing to look up.
// Returns whether other tries named files: one was killed, or frozen.
bool drop_listed(lake::table& t, s3::client& s3, const lake::table_config& cfg,
                 const std::string& key, std::vector<iceberg::data_file> files,
                 const std::string& prefix, const std::string& mine = {}) {
  auto names = read_names(s3, cfg, prefix);
  const bool only_mine = names.objects.empty() || names.objects == std::vector{mine};
  if (!files.empty() || !only_mine) {
    auto live = t.live_files();
    if (!live) {
      WEIR_WARN("{}: the files it lists stay: {}", key, live.error_message());
      return !only_mine;
    }
    // Listed and named alike, each path once.
    std::set<std::string> gone;
    for (const auto& f : files)
      if (!live->contains(f.file_path))
        gone.insert(f.file_path);
    for (const auto& k : names.keys)
      if (const auto path = cfg.url_of(k); !live->contains(path))
        gone.insert(path);
    std::size_t deleted = 0;
    for (const auto& path : gone)
      if (auto ok = t.remove(path); ok)
        ++deleted;
      else
        WEIR_WARN("could not delete uncommitted file {}: {}", path, ok.error_message());
    if (deleted > 0)
      WEIR_INFO("{}: deleted {} file(s) of other tries, in no snapshot", key, deleted);
  }
  (void)s3.delete_object(cfg.bucket, key);
  for (const auto& object : names.objects)
    (void)s3.delete_object(cfg.bucket, object);
  return !only_mine;
}

// A try killed before its swap also leaves a manifest, a manifest list and a
// metadata file that no snapshot names, and no list names them. What a later
// try finds of it (a list, names) says so: that time goes into an object of
// the export's, and once the table's orphan window has passed since, a run
// sweeps the table (lake::sweep_orphans) and deletes the object. The sweep
// lists data/ and metadata/ and reads every kept manifest, so it runs only
// after such a failure, as the coordinator's does for streaming jobs.
void sweep_when_due(lake::table& t, s3::client& s3, const lake::table_config& cfg,
                    const std::string& from, bool failed_tries) {
  const auto key = cfg.key("weir/export/" + from + "/sweep-due");
  const auto now = lake::now_ms();
  if (failed_tries) {
    if (auto ok = s3.put_object(cfg.bucket, key, std::to_string(now)); !ok)
      WEIR_WARN("{}: not written, so no sweep will delete the orphan metadata of failed tries: {}",
                key, ok.error_message());
    return;
  }
  auto there = s3.exists(cfg.bucket, key);
  if (!there || !*there)
    return;
  auto since = s3.get_object(cfg.bucket, key);
  if (!since)
    return;
  std::int64_t at = 0; // unreadable: as old as can be
  std::from_chars(since->data(), since->data() + since->size(), at);
  if (now - at < cfg.orphan_age_ms)
    return;
  auto swept = lake::sweep_orphans(t, cfg, s3, now - cfg.orphan_age_ms);
  if (!swept) {
    WEIR_WARN("export into {}.{}: orphan sweep failed, tried again next run: {}", cfg.ns, cfg.name,
              swept.error_message());
    return;
  }
  WEIR_INFO("export into {}.{}: orphan sweep: {}", cfg.ns, cfg.name, lake::describe(*swept));
  // A try that failed meanwhile wrote a later time: its orphans wait for it.
  if (auto again = s3.get_object(cfg.bucket, key); again && *again == *since)
    (void)s3.delete_object(cfg.bucket, key);
}

} // namespace

bool has_export_run(const iceberg::table_metadata& m, const std::string& from,
                    const std::string& run_id) {
  return !iceberg::summary_values(m, run_key, {{from_key, from}, {run_key, run_id}}).empty();
}

expected<lake_export_result> export_into_lake(exporter& ex, const lake::table_config& cfg,
                                              s3::client& s3, const std::string& from,
                                              const std::string& run_id, bool same_database) {
  auto run = canonical_run_id(run_id);
  if (!run)
    return run.failure();
  if (auto c = ex.claim(*run); !c)
    return c.failure();
  auto catalog = lake::sql_catalog::make(cfg.catalog_url);
  if (!catalog)
    return catalog.failure();
  auto t = lake::table::open(cfg, s3, *catalog);
  if (!t)
    return t.failure();
  lake_export_result out;
  const auto listed = try_key(cfg, from, *run);
  const auto prefix = names_prefix(cfg, from, *run);
  auto earlier = listed_files(s3, cfg, listed);
  // The run needs no snapshot of this try's: the other tries' files go (a
  // sweep is due if one failed), and the rows are marked.
  auto mark_only = [&]() -> expected<lake_export_result> {
    bool failed = !earlier.empty();
    failed = drop_listed(*t, s3, cfg, listed, std::move(earlier), prefix) || failed;
    sweep_when_due(*t, s3, cfg, from, failed);
    if (auto m = ex.mark(*run); !m)
      return m.failure();
    return out;
  };
  // An earlier try committed and crashed before marking (another database).
  if (has_export_run(t->metadata(), from, *run))
    return mark_only();

  lake::partition_writer writer(cfg, s3, 0);
  const auto mine = prefix + lake::random_uuid();
  std::string names;
  writer.before_upload([&](const std::string& key) {
    names += key;
    names += '\n';
    return s3.put_object(cfg.bucket, mine, names);
  });
  // This try's files are gone (or were never uploaded): so are its names.
  auto forget_names = [&] {
    if (!names.empty())
      (void)s3.delete_object(cfg.bucket, mine);
  };
  auto batch = row_batch::make(raw_schema(cfg.job_columns));
  if (!batch)
    return batch.failure();
  auto flush = [&]() -> expected<void> {
    writer.write(*batch, 0);
    batch->clear();
    return writer.roll(false);
  };
  auto rows = ex.read(*run, [&](const export_row& row) -> expected<void> {
    if (auto ok = batch->append(row); !ok)
      return ok;
    return batch->rows() < chunk_rows ? expected<void>{} : flush();
  });
  expected<void> rolled = rows ? flush() : expected<void>{};
  if (rolled)
    rolled = writer.roll(true);
  if (!rows || !rolled) {
    writer.discard();
    forget_names();
    return rows ? rolled.failure() : rows.failure();
  }
  auto files = writer.take_files();
  out.rows = *rows;
  if (files.empty()) // nothing claimed, or all of it exported already: no snapshot
    return mark_only();
  lake::failpoint("export.before_list");

  auto all = earlier;
  all.insert(all.end(), files.begin(), files.end());
  auto list = lake::write_file_list(cfg, all);
  if (auto ok = list ? s3.put_object(cfg.bucket, listed, *list) : expected<void>{list.failure()};
      !ok) {
    drop_files(*t, files);
    forget_names();
    return ok.failure();
  }

  auto plan = [&](const iceberg::table_metadata& m,
                  auto&) -> expected<std::optional<iceberg::commit_request>> {
    if (has_export_run(m, from, *run)) // a swap whose outcome was lost, then retried
      return std::optional<iceberg::commit_request>{};
    iceberg::commit_request r;
    r.op = iceberg::operation::append;
    r.added = files;
    r.summary = {{from_key, from}, {run_key, *run}};
    return std::optional{std::move(r)};
  };
  const lake::sql_catalog::along marks{ex.mark_sql(), *run};
  auto snap = t->commit(plan, false, same_database ? &marks : nullptr);
  if (!snap) {
    // This try's files, when its commit did not land, are dropped; when its
    // outcome is unknown they stay, listed for the next try.
    if (auto again = t->reload(); again && !has_export_run(t->metadata(), from, *run)) {
      drop_files(*t, files);
      forget_names();
    }
    return snap.failure();
  }
  out.snapshot = *snap; // none: another try committed the run first
  bool failed = !*snap || !earlier.empty();
  if (*snap && earlier.empty())
    failed = drop_listed(*t, s3, cfg, listed, {}, prefix, mine) || failed;
  else
    failed = drop_listed(*t, s3, cfg, listed, std::move(all), prefix) || failed;
  if (!same_database && *snap)
    lake::failpoint("export.before_mark");
  // The marks, where the swap did not take them (a no-op where it did).
  if (auto m = ex.mark(*run); !m)
    return m.failure();
  if (auto gone = t->expire(cfg.snapshots_kept, lake::now_ms()); !gone)
    WEIR_WARN("export into {}.{}: snapshot expiry failed, tried again next run: {}", cfg.ns,
              cfg.name, gone.error_message());
  sweep_when_due(*t, s3, cfg, from, failed);
  return out;
}

} // namespace weir::raw
