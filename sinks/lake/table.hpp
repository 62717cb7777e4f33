// One Iceberg table on S3 behind the SQL catalog: opened (created on first
// use), read, and committed to. A commit writes its manifests, manifest list
// and metadata file, then swaps the catalog's pointer; a lost swap reloads
// the winner's metadata and plans again, so concurrent committers (a
// compaction beside the appends) never lose each other's snapshots.
#pragma once

#include "base/expected.hpp"
#include "lib/iceberg/commit.hpp"
#include "lib/s3/client.hpp"
#include "sinks/lake/catalog.hpp"
#include "sinks/lake/layout.hpp"

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace weir::lake {

// A random version-4 UUID, as Iceberg names files and tables.
std::string random_uuid();
// Wall-clock milliseconds since the epoch: Iceberg's timestamps.
std::int64_t now_ms();
// WEIR_FAILPOINT=<name> (tests only): the process dies (SIGKILL) here, the
// crash a fault test needs at exactly one step. lake.before_swap: after a
// commit's metadata file, before the catalog swap; export.before_list: an
// export try's files uploaded, not listed; export.before_mark: its
// snapshot committed, its rows not marked.
void failpoint(const char* name);

class table {
public:
  // Opens cfg's table, creating it when the catalog does not know it. An
  // existing table must have the configured columns (names, types, field
  // ids) and partition spec: one made by another spec is refused.
  static expected<table> open(const table_config& cfg, s3::client& s3, sql_catalog& catalog);

  const iceberg::table_metadata& metadata() const { return metadata_; }
  const std::string& metadata_location() const { return location_; }
  expected<void> reload();

  // The current snapshot's manifests; with their entries when `entries`.
  expected<std::vector<iceberg::existing_manifest>> manifests(bool entries);
  // The paths of the data files the current snapshot holds.
  expected<std::set<std::string>> live_files();

  // What to commit on top of the current metadata (its manifests given);
  // nullopt: nothing, no snapshot.
  using planner = std::function<expected<std::optional<iceberg::commit_request>>(
    const iceberg::table_metadata&, std::vector<iceberg::existing_manifest>&)>;
  // Commits what `plan` asks, re-planning on a lost swap. Returns the new
  // snapshot's id, or nullopt when there was nothing to commit. `entries`:
  // the planner gets every manifest's entries (a replace needs them).
  // `with`: a statement of the catalog's database committed with the swap.
  expected<std::optional<std::int64_t>> commit(const planner& plan, bool entries = false,
                                               const sql_catalog::along* with = nullptr);

  // Expires snapshots beyond the newest `keep` and deletes the files no
  // snapshot left reaches. Returns the number of files deleted.
  expected<std::size_t> expire(std::uint32_t keep, std::int64_t now_ms);

  // S3 access by full s3:// path.
  expected<std::string> read(const std::string& path);
  expected<void> write(const std::string& path, const std::string& bytes);
  expected<void> remove(const std::string& path);

private:
  table(const table_config& cfg, s3::client& s3, sql_catalog& catalog)
    : cfg_(&cfg), s3_(&s3), catalog_(&catalog) {}
  expected<void> load(const std::string& location);
  expected<void> create();
  expected<bool> publish(const std::string& json, const iceberg::table_metadata& next,
                         const sql_catalog::along* with = nullptr);
  std::string next_metadata_path() const;

  const table_config* cfg_;
  s3::client* s3_;
  sql_catalog* catalog_;
  iceberg::table_metadata metadata_;
  std::string location_;
};

} // namespace weir::lake
