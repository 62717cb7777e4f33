// The pure half of an Iceberg commit: from the current table metadata and
// the current snapshot's manifests, the bytes of the new manifests, the new
// manifest list and the new metadata JSON, at paths the caller chose. The
// caller writes the files, then swaps the catalog's pointer to the new
// metadata (the atomic step, not here); a lost swap means planning again
// from the winner's metadata.
//
// Also: a new table's metadata, snapshot expiry with the files it leaves
// unreachable, and the walk of a snapshot's ancestry.
#pragma once

#include "base/expected.hpp"
#include "lib/avro/container.hpp"
#include "lib/iceberg/manifest.hpp"
#include "lib/iceberg/metadata.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weir::iceberg {

struct new_table_options {
  iceberg::schema schema; // field ids from 1, unique
  partition_spec spec;    // field ids from 1000, unique
  sort_order order;       // order 0 unsorted, or fields and an id from 1
  std::string location;   // e.g. s3://bucket/warehouse/db/table (no trailing '/')
  std::string table_uuid;
  std::map<std::string, std::string> properties;
  std::int64_t timestamp_ms = 0;
};

// The metadata of an empty table (no snapshot); its JSON is the table's
// first metadata file. Fails on a schema, spec or order that does not fit.
expected<table_metadata> new_table(const new_table_options& options);

enum class operation {
  append,  // adds files
  replace, // compaction: removes files and adds files holding the same rows
  delete_, // removes files (and their rows)
};

// A manifest of the current snapshot: its manifest list entry, and its
// entries when the caller read them (read_manifest). Entries are needed for
// the manifests holding files a replace or delete removes, and for the
// manifests to merge; manifests without them are carried over unread.
struct existing_manifest {
  manifest_file file;
  std::optional<std::vector<manifest_entry>> entries;
};

struct commit_request {
  operation op = operation::append;
  std::vector<data_file> added;     // in the default spec, content 0
  std::vector<std::string> removed; // file paths, live in the current snapshot
  // Extra summary keys (a commit identity, a round): never Iceberg's own.
  std::map<std::string, std::string> summary;
  std::optional<std::int64_t> snapshot_id; // random (positive, unused) if not given
  std::int64_t timestamp_ms = 0;
  // New manifests are <manifest_prefix>-m0.avro, -m1.avro, ...
  std::string manifest_prefix;
  std::string manifest_list_path;
  // The metadata file `current` was read from, for the metadata log; empty
  // if it was never written.
  std::string previous_metadata_location;
  // When the new snapshot would list more manifests than this, the carried
  // ones with entries are merged into the new one as EXISTING entries (the
  // default spec's only); 0 never merges. Iceberg's default is 100.
  std::size_t merge_manifests_after = 0;
  avro::writer_options avro;
};

struct output_file {
  std::string path;
  std::string bytes;
};

struct commit_plan {
  table_metadata metadata; // the new table metadata
  std::string metadata_json;
  std::int64_t snapshot_id = 0;
  std::vector<output_file> manifests; // to write before the manifest list
  output_file manifest_list;
  // The new snapshot's manifests, as its manifest list holds them (the next
  // commit's existing manifests, without reading the list back).
  std::vector<manifest_file> manifest_files;
  // Manifests of the current snapshot the new one no longer lists
  // (rewritten, merged, or holding no live file).
  std::vector<std::string> replaced_manifests;
};

// Plans one snapshot on top of `current` (from new_table or read back).
// Sequence number: last-sequence-number + 1; parent: the current snapshot.
// The summary carries Iceberg's standard keys (added-data-files,
// added-records, added-files-size, deleted-data-files, deleted-records,
// removed-files-size, changed-partition-count, total-records,
// total-data-files, total-files-size, total-delete-files,
// total-position-deletes, total-equality-deletes, manifests-created,
// manifests-kept, manifests-replaced) and the caller's. Fails when a removed
// file is not live in the given entries, an added file is already live, a
// replace changes the row count, or the timestamp runs backwards by more
// than a minute.
expected<commit_plan> plan_commit(const table_metadata& current,
                                  const std::vector<existing_manifest>& existing,
                                  const commit_request& request);

// Reads a file for the planner (an S3 GET in the sink, a file in tests).
using file_reader = std::function<expected<std::string>(const std::string& path)>;

struct expire_request {
  // Snapshots older than this go, except the current one, the newest
  // `retain_last` of main's ancestry and every other ref's snapshot. A
  // branch's own min-snapshots-to-keep and max-snapshot-age-ms win.
  std::int64_t older_than_ms = 0;
  std::int32_t retain_last = 1;
  std::int64_t timestamp_ms = 0; // the new metadata's last-updated-ms
  std::string previous_metadata_location;
};

struct expiry_plan {
  table_metadata metadata; // snapshots, logs and refs without the expired
  std::string metadata_json;
  std::vector<std::int64_t> expired_snapshots;
  // Files no remaining snapshot reaches, to delete once the new metadata is
  // committed: manifest lists, manifests and data files.
  std::vector<std::string> manifest_lists;
  std::vector<std::string> manifests;
  std::vector<std::string> data_files;
};

// Expires snapshots. Reads (through `read`) the manifest lists of every
// snapshot and the manifests they list, to tell what stays reachable.
// Nothing expired: an empty plan whose metadata is `current`.
expected<expiry_plan> plan_expiry(const table_metadata& current, const expire_request& request,
                                  const file_reader& read);

// The current snapshot and its ancestors, newest first (up to the first
// parent that is gone, expired).
std::vector<const snapshot*> ancestors(const table_metadata& m);
// Newest first: `key`'s value in the summary of every ancestor that has it
// and whose summary also holds every pair of `where` (a commit identity).
std::vector<std::string> summary_values(const table_metadata& m, const std::string& key,
                                        const std::map<std::string, std::string>& where = {});

} // namespace weir::iceberg
