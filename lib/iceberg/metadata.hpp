// Iceberg v2 table metadata (format/spec.md, "Table Metadata" and Appendix
// C): schemas with field ids, partition specs, sort orders, snapshots,
// their logs and refs, read from and written as JSON. Reading accepts what
// pyiceberg and Java write: unknown keys are kept (and written back), types
// weir does not handle are kept verbatim as `other`.
#pragma once

#include "base/expected.hpp"
#include "lib/iceberg/transform.hpp"
#include "lib/iceberg/values.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::iceberg {

struct schema_field {
  std::int32_t id = 0;
  std::string name;
  bool required = false;
  iceberg::type t = type::string;
  std::string other_type; // the type's JSON as read, when t is other
  std::string doc;
};

struct schema {
  std::int32_t schema_id = 0;
  std::vector<schema_field> fields;
  std::vector<std::int32_t> identifier_field_ids;

  const schema_field* find(std::int32_t id) const;
  const schema_field* find(std::string_view name) const;
  // The highest field id, 0 for no fields.
  std::int32_t highest_field_id() const;
};

struct partition_field {
  std::int32_t source_id = 0;
  std::int32_t field_id = 0; // 1000 and up, unique across the table's specs
  std::string name;
  iceberg::transform transform;
};

struct partition_spec {
  std::int32_t spec_id = 0;
  std::vector<partition_field> fields;
};

// A partition field with the type of its values (the transform's result).
struct partition_column {
  std::int32_t field_id;
  std::string name;
  iceberg::type t;
};
// The partition tuple's columns under `s`; fails when a source column is
// missing or a transform does not apply to its type.
expected<std::vector<partition_column>> partition_type(const partition_spec& spec, const schema& s);

// The partition tuple of a row whose values are in the schema's field order:
// one value per spec field, its transform applied to the source column's.
// A source column missing from the schema gives NULL.
std::vector<datum> partition_of(const partition_spec& spec, const schema& s,
                                const std::vector<value_view>& row);

// "event_date=2026-01-01/event_hour=2026-01-01-10": names and values
// form-encoded (letters, digits and ".-*_" stay, space is '+', the rest %XX),
// as Java's URLEncoder does for Iceberg's partition paths.
std::string partition_path(const partition_spec& spec, const schema& s,
                           const std::vector<datum>& tuple);

struct sort_field {
  iceberg::transform transform;
  std::int32_t source_id = 0;
  bool descending = false;
  bool nulls_first = true;
};

struct sort_order {
  std::int32_t order_id = 0; // 0 is unsorted, with no fields
  std::vector<sort_field> fields;
};

struct snapshot {
  std::int64_t snapshot_id = 0;
  std::optional<std::int64_t> parent_snapshot_id;
  std::int64_t sequence_number = 0;
  std::int64_t timestamp_ms = 0;
  std::string manifest_list;
  // "operation" and every other key, as strings.
  std::map<std::string, std::string> summary;
  std::optional<std::int32_t> schema_id;
  std::string extra; // unknown keys, a JSON object ("" for none)

  const std::string* summary_value(std::string_view key) const;
};

struct snapshot_log_entry {
  std::int64_t timestamp_ms = 0;
  std::int64_t snapshot_id = 0;
};

struct metadata_log_entry {
  std::int64_t timestamp_ms = 0;
  std::string metadata_file;
};

struct snapshot_ref {
  std::int64_t snapshot_id = 0;
  std::string type = "branch"; // or "tag"
  std::optional<std::int32_t> min_snapshots_to_keep;
  std::optional<std::int64_t> max_snapshot_age_ms;
  std::optional<std::int64_t> max_ref_age_ms;
};

struct table_metadata {
  std::int32_t format_version = 2;
  std::string table_uuid;
  std::string location;
  std::int64_t last_sequence_number = 0;
  std::int64_t last_updated_ms = 0;
  std::int32_t last_column_id = 0;
  std::vector<iceberg::schema> schemas;
  std::int32_t current_schema_id = 0;
  std::vector<partition_spec> partition_specs;
  std::int32_t default_spec_id = 0;
  std::int32_t last_partition_id = 999; // no partition field yet
  std::vector<sort_order> sort_orders;
  std::int32_t default_sort_order_id = 0;
  std::map<std::string, std::string> properties;
  std::optional<std::int64_t> current_snapshot_id;
  std::vector<iceberg::snapshot> snapshots;
  std::vector<snapshot_log_entry> snapshot_log;
  std::vector<metadata_log_entry> metadata_log;
  std::map<std::string, snapshot_ref> refs;
  std::string extra; // unknown top-level keys, a JSON object ("" for none)

  const iceberg::schema* current_schema() const;
  const iceberg::schema* find_schema(std::int32_t id) const;
  const partition_spec* default_spec() const;
  const partition_spec* find_spec(std::int32_t id) const;
  const iceberg::snapshot* find_snapshot(std::int64_t id) const;
  const iceberg::snapshot* current_snapshot() const;
};

// Fails on JSON that is not v2 table metadata: another format-version, a
// missing required key, a current schema or spec that is not listed.
expected<table_metadata> parse_metadata(std::string_view json);
// Pretty-printed, keys in the spec's order, unknown keys after them.
std::string to_json(const table_metadata& m);

// Appendix C pieces, as manifests' key-value metadata carries them.
std::string to_json(const iceberg::schema& s);
std::string partition_fields_json(const partition_spec& spec);
expected<iceberg::schema> parse_schema(std::string_view json);
expected<partition_spec> parse_partition_fields(std::string_view json, std::int32_t spec_id);

} // namespace weir::iceberg
