// Writes a small partitioned Iceberg table into a local directory with
// weir's own libraries only (lib/parquet for the data files, lib/iceberg for
// manifests, manifest lists and metadata), for check_iceberg.py to read with
// pyiceberg, fastavro and DuckDB:
//
//   weir_iceberg_sample DIR
//
// The table is DIR/table (location file://DIR/table): two appends, then a
// replace that compacts the partitions holding more than one file, then an
// expiry of the two appends. DIR/expect.json says what each metadata file
// and snapshot must read back: {"location", "metadata": [path, ...],
// "snapshots": [{"id", "operation", "metadata", "rows": [[event_id, user_id,
// action, event_time_us, score, user_bucket], ...]}], "expiry": {"metadata",
// "expired": [id, ...], "unreachable": [path, ...]}}.
#include "lib/iceberg/commit.hpp"
#include "lib/iceberg/metrics.hpp"
#include "lib/parquet/writer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace ice = weir::iceberg;
namespace pq = weir::parquet;
using json = nlohmann::json;

namespace {

struct row {
  std::int64_t event_id;
  std::int64_t user_id;
  std::optional<std::string> action;
  std::int64_t event_time; // microseconds, UTC
  std::optional<double> score;
  std::int64_t user_bucket; // user_id % 128, a real column as in seed 004
};

std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
  x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
  return x ^ (x >> 31);
}

const char* actions[] = {"login",  "view",     "buy",
                         "logout", "Zürich ☕", "a much longer action name than sixteen"};

// Rows of one round: events over `days` days from 2026-01-01, at 5 hours
// of each.
std::vector<row> rows_of(std::int64_t first_id, int n, int days) {
  const std::int64_t day0 = 20454LL * 86'400'000'000; // 2026-01-01
  std::vector<row> out;
  for (int i = 0; i < n; ++i) {
    const std::uint64_t h = mix(static_cast<std::uint64_t>(first_id + i));
    const std::int64_t user = 1 + static_cast<std::int64_t>(h % 3000);
    const std::int64_t t =
      day0 + static_cast<std::int64_t>(h % static_cast<std::uint64_t>(days)) * 86'400'000'000
      + static_cast<std::int64_t>((h >> 8) % 5) * 3'600'000'000
      + static_cast<std::int64_t>((h >> 16) % 3'600'000'000);
    out.push_back(
      {first_id + i, user,
       h % 11 == 0 ? std::nullopt : std::optional<std::string>{actions[(h >> 24) % 6]}, t,
       h % 7 == 0 ? std::nullopt : std::optional<double>{static_cast<double>(h % 1000) / 8},
       user % 128});
  }
  return out;
}

ice::schema table_schema() {
  ice::schema s;
  s.fields = {{1, "event_id", true, ice::type::int64, {}, {}},
              {2, "user_id", true, ice::type::int64, {}, {}},
              {3, "action", false, ice::type::string, {}, {}},
              {4, "event_time", true, ice::type::timestamptz, {}, {}},
              {5, "score", false, ice::type::float64, {}, {}},
              {6, "user_bucket", true, ice::type::int64, {}, {}}};
  return s;
}

std::vector<ice::value_view> views(const row& r) {
  return {r.event_id,
          r.user_id,
          r.action ? ice::value_view{std::string_view{*r.action}} : ice::value_view{},
          r.event_time,
          r.score ? ice::value_view{*r.score} : ice::value_view{},
          r.user_bucket};
}

std::vector<pq::writer::value> parquet_row(const row& r) {
  return {r.event_id,
          r.user_id,
          r.action ? pq::writer::value{std::string_view{*r.action}} : pq::writer::value{},
          r.event_time,
          r.score ? pq::writer::value{*r.score} : pq::writer::value{},
          r.user_bucket};
}

bool write_file(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << bytes;
  return static_cast<bool>(out);
}

std::string local(const std::string& uri) {
  return uri.substr(std::string{"file://"}.size());
}

struct table_writer {
  std::string location;
  ice::table_metadata metadata;
  std::string metadata_path; // of `metadata`
  int version = 0;
  std::int64_t clock_ms = 1'767'225'600'000; // 2026-01-01, a second per commit
  std::vector<std::string> metadata_files;

  // One Parquet file of rows (all of one partition), sorted as the table is.
  weir::expected<ice::data_file> data_file(std::vector<row> rows, const std::string& name) {
    const auto& schema = *metadata.current_schema();
    const auto& spec = *metadata.default_spec();
    std::sort(rows.begin(), rows.end(), [](const row& a, const row& b) {
      return std::tie(a.user_bucket, a.user_id, a.event_id)
             < std::tie(b.user_bucket, b.user_id, b.event_id);
    });
    auto w = pq::writer::make({{{"event_id", pq::type::int64, false, 1},
                                {"user_id", pq::type::int64, false, 2},
                                {"action", pq::type::string, true, 3},
                                {"event_time", pq::type::timestamp_us, false, 4},
                                {"score", pq::type::float64, true, 5},
                                {"user_bucket", pq::type::int64, false, 6}}},
                              pq::codec::zstd, 64);
    if (!w)
      return w.failure();
    ice::file_metrics metrics(schema);
    for (const auto& r : rows) {
      if (auto ok = w->append(parquet_row(r)); !ok)
        return ok.failure();
      metrics.add(views(r));
    }
    auto bytes = w->finish();
    if (!bytes)
      return bytes.failure();
    ice::data_file f;
    f.partition = ice::partition_of(spec, schema, views(rows.front()));
    f.file_path = location + "/data/" + ice::partition_path(spec, schema, f.partition) + "/" + name;
    f.record_count = static_cast<std::int64_t>(rows.size());
    f.file_size_in_bytes = static_cast<std::int64_t>(bytes->size());
    metrics.fill(f);
    for (std::size_t i = 0; i < schema.fields.size(); ++i)
      f.column_sizes[schema.fields[i].id] = w->column_sizes()[i];
    f.split_offsets = w->row_group_offsets();
    f.sort_order_id = metadata.default_sort_order_id;
    if (!write_file(local(f.file_path), *bytes))
      return weir::error{"cannot write " + f.file_path};
    return f;
  }

  // Java's and pyiceberg's naming: NNNNN-<uuid>.metadata.json.
  std::string next_metadata_path() {
    char n[8];
    std::snprintf(n, sizeof n, "%05d", version % 100000);
    ++version;
    return location + "/metadata/" + n + "-0d9c3a51-7a0e-4c21-9d4b-0000000" + n + ".metadata.json";
  }

  bool write_metadata(const std::string& text) {
    metadata_path = next_metadata_path();
    metadata_files.push_back(local(metadata_path));
    return write_file(local(metadata_path), text);
  }

  // Reads back the current snapshot's manifests from the files, as a sink
  // restarting would.
  weir::expected<std::vector<ice::existing_manifest>> existing() {
    std::vector<ice::existing_manifest> out;
    const auto* snap = metadata.current_snapshot();
    if (!snap)
      return out;
    auto read = [](const std::string& uri) {
      std::ifstream in(local(uri), std::ios::binary);
      return std::string{std::istreambuf_iterator<char>(in), {}};
    };
    auto list = ice::read_manifest_list(read(snap->manifest_list));
    if (!list)
      return list.failure();
    for (auto& mf : *list) {
      auto m = ice::read_manifest(read(mf.manifest_path), &mf);
      if (!m)
        return m.failure();
      out.push_back({mf, std::move(m->entries)});
    }
    return out;
  }

  weir::expected<ice::commit_plan> commit(ice::commit_request r) {
    auto existing_manifests = existing();
    if (!existing_manifests)
      return existing_manifests.failure();
    clock_ms += 1000;
    r.timestamp_ms = clock_ms;
    r.manifest_prefix = location + "/metadata/" + std::to_string(version) + "-manifest";
    r.manifest_list_path = location + "/metadata/snap-" + std::to_string(version) + ".avro";
    r.previous_metadata_location = metadata_path;
    auto plan = ice::plan_commit(metadata, *existing_manifests, r);
    if (!plan)
      return plan.failure();
    for (const auto& m : plan->manifests)
      if (!write_file(local(m.path), m.bytes))
        return weir::error{"cannot write " + m.path};
    if (!write_file(local(plan->manifest_list.path), plan->manifest_list.bytes))
      return weir::error{"cannot write the manifest list"};
    // The commit point: the new metadata file (a catalog would swap to it).
    if (!write_metadata(plan->metadata_json))
      return weir::error{"cannot write metadata"};
    metadata = plan->metadata;
    return plan;
  }
};

json rows_json(const std::map<std::int64_t, row>& rows) {
  json out = json::array();
  for (const auto& [id, r] : rows)
    out.push_back({r.event_id, r.user_id, r.action ? json(*r.action) : json(nullptr), r.event_time,
                   r.score ? json(*r.score) : json(nullptr), r.user_bucket});
  return out;
}

// Groups rows by partition tuple (as its path) and writes a file of each.
weir::expected<std::vector<ice::data_file>> write_round(table_writer& t,
                                                        const std::vector<row>& rows,
                                                        const std::string& round) {
  std::map<std::string, std::vector<row>> cells;
  const auto& schema = *t.metadata.current_schema();
  const auto& spec = *t.metadata.default_spec();
  for (const auto& r : rows)
    cells[ice::partition_path(spec, schema, ice::partition_of(spec, schema, views(r)))].push_back(
      r);
  std::vector<ice::data_file> files;
  for (auto& [path, cell] : cells) {
    auto f = t.data_file(cell, round + "-" + std::to_string(files.size()) + ".parquet");
    if (!f)
      return f.failure();
    files.push_back(std::move(*f));
  }
  return files;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "weir_iceberg_sample: %s\n", what.c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = std::filesystem::absolute(argv[1]).string();
  table_writer t;
  t.location = "file://" + dir + "/table";

  ice::new_table_options o;
  o.schema = table_schema();
  o.spec = {0,
            {{4, 1000, "event_date", ice::transform::parse("day")},
             {4, 1001, "event_hour", ice::transform::parse("hour")},
             {2, 1002, "user_id_bucket", ice::transform::parse("bucket[4]")}}};
  o.order = {1,
             {{ice::transform::parse("identity"), 6, false, true},
              {ice::transform::parse("identity"), 2, false, true}}};
  o.location = t.location;
  o.table_uuid = "0d9c3a51-7a0e-4c21-9d4b-5e1f00c0ffee";
  o.timestamp_ms = t.clock_ms;
  auto created = ice::new_table(o);
  if (!created)
    return fail(created.error_message());
  t.metadata = *created;
  if (!t.write_metadata(ice::to_json(t.metadata)))
    return fail("cannot write the first metadata file");

  json snapshots = json::array();
  std::map<std::int64_t, row> live; // event_id -> row, what the table holds
  auto record = [&](const ice::commit_plan& p, const char* op) {
    snapshots.push_back({{"id", p.snapshot_id},
                         {"operation", op},
                         {"metadata", t.metadata_files.back()},
                         {"rows", rows_json(live)}});
  };

  // Two appends, one file per partition cell each; the second touches only
  // the first day, so compaction leaves the second day's files alone.
  for (int round = 1; round <= 2; ++round) {
    auto rows = rows_of(round * 100000, round == 1 ? 600 : 400, round == 1 ? 2 : 1);
    auto files = write_round(t, rows, "round" + std::to_string(round));
    if (!files)
      return fail(files.error_message());
    ice::commit_request r;
    r.added = std::move(*files);
    r.summary = {{"weir.commit-user", "sample"}, {"weir.round", std::to_string(round)}};
    auto p = t.commit(std::move(r));
    if (!p)
      return fail(p.error_message());
    for (const auto& x : rows)
      live[x.event_id] = x;
    record(*p, "append");
  }

  // Compaction: every partition with more than one file becomes one file.
  auto existing = t.existing();
  if (!existing)
    return fail(existing.error_message());
  std::map<std::string, std::vector<const ice::data_file*>> by_cell;
  const auto& schema = *t.metadata.current_schema();
  const auto& spec = *t.metadata.default_spec();
  for (const auto& m : *existing)
    for (const auto& e : *m.entries)
      if (e.status != ice::entry_status::deleted)
        by_cell[ice::partition_path(spec, schema, e.file.partition)].push_back(&e.file);
  ice::commit_request compact;
  compact.op = ice::operation::replace;
  for (const auto& [cell, files] : by_cell) {
    if (files.size() < 2)
      continue;
    std::vector<row> rows;
    for (const auto& [id, r] : live)
      if (ice::partition_path(spec, schema, ice::partition_of(spec, schema, views(r))) == cell)
        rows.push_back(r);
    auto f = t.data_file(rows, "compacted-" + std::to_string(compact.added.size()) + ".parquet");
    if (!f)
      return fail(f.error_message());
    compact.added.push_back(std::move(*f));
    for (const auto* old : files)
      compact.removed.push_back(old->file_path);
  }
  if (compact.added.empty())
    return fail("no partition has two files to compact");
  auto p = t.commit(std::move(compact));
  if (!p)
    return fail(p.error_message());
  record(*p, "replace");

  // Expiry: only the replace stays. The files only the expired snapshots
  // reached are listed for check_iceberg.py to delete (after it has read
  // the old versions), then to read the table without them.
  const auto versions = t.metadata_files;
  ice::expire_request expire;
  expire.older_than_ms = t.metadata.current_snapshot()->timestamp_ms;
  expire.retain_last = 1;
  expire.timestamp_ms = t.clock_ms + 1000;
  expire.previous_metadata_location = t.metadata_path;
  auto expired =
    ice::plan_expiry(t.metadata, expire, [](const std::string& uri) -> weir::expected<std::string> {
      std::ifstream in(local(uri), std::ios::binary);
      if (!in)
        return weir::error{"cannot read " + uri};
      return std::string{std::istreambuf_iterator<char>(in), {}};
    });
  if (!expired)
    return fail(expired.error_message());
  if (!t.write_metadata(expired->metadata_json))
    return fail("cannot write metadata");
  json unreachable = json::array();
  for (const auto* list : {&expired->data_files, &expired->manifests, &expired->manifest_lists})
    for (const auto& uri : *list)
      unreachable.push_back(local(uri));

  json expect = {{"location", t.location},
                 {"metadata", versions},
                 {"snapshots", snapshots},
                 {"expiry",
                  {{"metadata", t.metadata_files.back()},
                   {"expired", expired->expired_snapshots},
                   {"unreachable", unreachable}}}};
  if (!write_file(dir + "/expect.json", expect.dump(1)))
    return fail("cannot write expect.json");
  std::printf("wrote %s: %zu metadata files, %zu snapshots\n", t.location.c_str(),
              t.metadata_files.size(), snapshots.size());
  return 0;
}
