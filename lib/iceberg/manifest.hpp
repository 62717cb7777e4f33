// Manifests and manifest lists (format/spec.md, "Manifests", "Manifest
// Lists"): Avro container files whose embedded schemas carry a field-id on
// every field, written and read with lib/avro. A manifest lists data files
// (with status ADDED, EXISTING or DELETED) of one partition spec; a manifest
// list lists the manifests of one snapshot.
#pragma once

#include "base/expected.hpp"
#include "lib/avro/container.hpp"
#include "lib/iceberg/metadata.hpp"
#include "lib/iceberg/values.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::iceberg {

// A data file as a manifest describes it (the data_file struct; v2 fields
// weir writes: no delete files, no encryption keys).
struct data_file {
  std::int32_t content = 0; // 0 data; 1 and 2 (delete files) are only read
  std::string file_path;    // the full URI, e.g. s3://bucket/table/data/...
  std::string file_format = "PARQUET";
  std::vector<datum> partition; // one value per spec field, in spec order
  std::int64_t record_count = 0;
  std::int64_t file_size_in_bytes = 0;
  // Keyed by field id; an empty map is written as null.
  std::map<std::int32_t, std::int64_t> column_sizes;
  std::map<std::int32_t, std::int64_t> value_counts;
  std::map<std::int32_t, std::int64_t> null_value_counts;
  std::map<std::int32_t, std::int64_t> nan_value_counts;
  std::map<std::int32_t, std::string> lower_bounds; // single-value serialization
  std::map<std::int32_t, std::string> upper_bounds;
  std::vector<std::int64_t> split_offsets; // row group offsets, ascending
  std::optional<std::int32_t> sort_order_id;
};

enum class entry_status { existing = 0, added = 1, deleted = 2 };

struct manifest_entry {
  entry_status status = entry_status::added;
  // Null on ADDED entries: inherited from the manifest list (the snapshot
  // that commits them). EXISTING and DELETED entries carry them.
  std::optional<std::int64_t> snapshot_id;
  std::optional<std::int64_t> sequence_number; // data sequence number
  std::optional<std::int64_t> file_sequence_number;
  data_file file;
};

// What to write into a manifest's key-value metadata and schema.
struct manifest_context {
  const iceberg::schema& schema;
  const partition_spec& spec;
};

// A whole manifest (content "data"). Fails when a file's partition tuple
// does not match the spec (count or types) or the spec does not fit the
// schema. `options` is lib/avro's (codec deflate by default).
expected<std::string> write_manifest(const manifest_context& ctx,
                                     const std::vector<manifest_entry>& entries,
                                     const avro::writer_options& options = {});

struct manifest_field_summary {
  bool contains_null = false;
  std::optional<bool> contains_nan;
  std::optional<std::string> lower_bound; // single-value serialization
  std::optional<std::string> upper_bound;
};

// An entry of a manifest list: a manifest and what it holds.
struct manifest_file {
  std::string manifest_path;
  std::int64_t manifest_length = 0;
  std::int32_t partition_spec_id = 0;
  std::int32_t content = 0; // 0 data, 1 deletes
  std::int64_t sequence_number = 0;
  std::int64_t min_sequence_number = 0;
  std::int64_t added_snapshot_id = 0;
  std::int32_t added_files_count = 0;
  std::int32_t existing_files_count = 0;
  std::int32_t deleted_files_count = 0;
  std::int64_t added_rows_count = 0;
  std::int64_t existing_rows_count = 0;
  std::int64_t deleted_rows_count = 0;
  std::vector<manifest_field_summary> partitions; // one per spec field

  // ADDED and EXISTING: the files a snapshot reading this manifest sees.
  std::int64_t live_files() const { return std::int64_t{added_files_count} + existing_files_count; }
};

// The manifest_file of a manifest just written: counts from the entries,
// partition summaries from their tuples. `sequence_number` is the snapshot's
// (ADDED entries inherit it), `snapshot_id` the snapshot adding the manifest.
expected<manifest_file> describe_manifest(const manifest_context& ctx,
                                          const std::vector<manifest_entry>& entries,
                                          std::string path, std::int64_t length,
                                          std::int64_t snapshot_id, std::int64_t sequence_number);

// A whole manifest list for snapshot `snapshot_id`.
expected<std::string> write_manifest_list(const std::vector<manifest_file>& manifests,
                                          std::int64_t snapshot_id,
                                          std::optional<std::int64_t> parent_snapshot_id,
                                          std::int64_t sequence_number,
                                          const avro::writer_options& options = {});

struct manifest {
  std::int32_t partition_spec_id = 0;
  std::string content = "data";
  std::string schema_json;         // the "schema" key
  std::string partition_spec_json; // the "partition-spec" key (fields only)
  std::vector<manifest_entry> entries;
};

// Reads a manifest written by weir, pyiceberg or Java; fields are found by
// field id, partition values by the partition fields' ids and decoded by
// their Avro types. With `listed` (its manifest list entry), null snapshot
// ids and sequence numbers of ADDED entries are inherited from it, as the
// spec asks; every entry then carries both.
expected<manifest> read_manifest(std::string_view bytes, const manifest_file* listed = nullptr);
expected<std::vector<manifest_file>> read_manifest_list(std::string_view bytes);

} // namespace weir::iceberg
