// How a raw job's rows become an Iceberg table (sink.type iceberg): the
// table's schema (the job's columns, then the derived ones, field ids from
// 1 in that order), its partition spec, its sort order, and the row of the
// table an event makes.
#pragma once

#include "base/expected.hpp"
#include "jobs/raw/rows.hpp"
#include "jobs/spec.hpp"
#include "lib/iceberg/metadata.hpp"
#include "lib/parquet/writer.hpp"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weir::lake {

struct table_config {
  std::string bucket, prefix; // the table's location, s3://bucket/prefix
  std::string catalog_url;    // PostgreSQL of the SQL catalog
  std::string ns, name;       // the table in the catalog
  iceberg::schema schema;
  iceberg::partition_spec spec;
  iceberg::sort_order order;
  // The table's columns as data files hold them (field ids set), and as a
  // writer buffers them (timestamps in microseconds).
  std::vector<parquet::column> columns;
  std::vector<jobs::column_spec> job_columns;
  std::vector<jobs::derived_column_spec> derive;
  std::vector<std::size_t> derive_source; // job column of each derived one
  std::vector<std::size_t> sort_columns;  // table columns, in sort order
  // Job columns a writer reads to place and sort rows (partition sources,
  // sort columns, what derived columns come from): only these are staged.
  std::vector<bool> keyed;
  parquet::codec codec = parquet::codec::zstd;
  std::size_t target_file_bytes = 128u << 20;
  std::uint32_t commit_every = 1;
  std::uint32_t snapshots_kept = 100;
  std::int64_t orphan_age_ms = 3'600'000; // an unlisted file younger than this may still be listed

  // What a job column's values are multiplied by in the table: timestamps
  // (milliseconds in the job) are microseconds there.
  std::int64_t scale(std::size_t job_column) const {
    return job_columns[job_column].type == jobs::column_type::timestamp ? 1000 : 1;
  }
  std::string location() const { return "s3://" + bucket + "/" + prefix; }
  // Object key of a path under the location ("data/x.parquet").
  std::string key(const std::string& relative) const { return prefix + "/" + relative; }
  // The key of a full s3:// path of this bucket; "" for another bucket.
  std::string key_of(const std::string& path) const;
  // The full s3:// path of a key of this bucket.
  std::string url_of(const std::string& key) const { return "s3://" + bucket + "/" + key; }
};

// Fails on a spec the validator would refuse (a bug) or a transform that
// does not fit its column.
expected<table_config> table_config_of(const jobs::job_spec& spec);
// The same for rows of `columns` (an export's) into the table of `sink`.
expected<table_config> table_config_of(const std::vector<jobs::column_spec>& columns,
                                       const jobs::sink_spec& sink);

// Appends to `out` (a batch of the table's columns) the table's rows for
// rows `rows` of a raw batch (the job's columns), column by column: the
// job's values, timestamps in microseconds, then the derived columns. With
// `keyed_only` the job columns not `t.keyed` are left empty (a writer takes
// those straight from the batch).
void table_rows(const table_config& t, const raw::row_batch& batch,
                std::span<const std::uint32_t> rows, raw::row_batch& out, bool keyed_only = false);

// The Iceberg view of a value of a table row (for statistics and partitions).
iceberg::value_view ice_value(const raw::row_batch::value& v);

} // namespace weir::lake
