// The job spec model: what a user submits, after parsing and validation.
// A spec is plain data; operators are built from it (window_operator.hpp).
// It has two front ends, YAML (spec_parser.cpp) and SQL (sql/), which must
// produce equal models for equal jobs; both check a model with validate()
// (validate.hpp), where its rules are. Every `field` is a path into the JSON
// event: `a.b` is field b of the object in field a.
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

using weir::millis;

enum class time_format { epoch_ms, epoch_s, iso8601 };
enum class time_mode { event, processing };
enum class window_kind { tumbling, hopping, session };
enum class agg_kind { count, sum, min, max, avg, count_distinct, approx_count_distinct };
enum class filter_op { eq, ne, in, not_in, gt, ge, lt, le };
enum class column_type { int64, float64, string, boolean, timestamp };
// What a partition does when the offset it resumes from is gone from Kafka
// (retention deleted it): stop loudly, or skip to the earliest offset left,
// counting what it skipped.
enum class missing_offsets { fail, earliest };

struct source_spec {
  std::string brokers;
  std::string topic;
  std::string format = "json";
  std::string time_field;
  time_format time_fmt = time_format::epoch_ms;
  time_mode mode = time_mode::event;
  millis out_of_orderness = 0;  // watermark = max event time - this (raw jobs: none needed)
  millis idle_timeout = 10'000; // a partition silent this long stops holding windows back
  // A key field whose value is every event's Kafka message key: all events of
  // a key are in one partition, so a window's rows are final inside it and
  // are written once, with no cross-partition merge. Checked on every event
  // (a violation is dead-lettered). Empty: keys may span partitions.
  std::string partitioned_by;
  missing_offsets on_missing_offsets = missing_offsets::fail;

  bool operator==(const source_spec&) const = default;
};

struct window_spec {
  window_kind kind = window_kind::tumbling;
  millis size = 0;             // tumbling, hopping
  millis slide = 0;            // hopping (tumbling: = size)
  millis gap = 0;              // session
  millis allowed_lateness = 0; // late events within this update emitted results

  bool operator==(const window_spec&) const = default;
};

// A field read as decimal(precision, scale): its text is taken exactly, as an
// integer count of 10^-scale units (a value with more decimals is rounded
// half away from zero, as PostgreSQL does; one with more integer digits is
// malformed), and summed in 128 bits, so money adds up to the cent.
// precision 0: the field is a double.
struct decimal_type {
  static constexpr int max_precision = 18; // a value fits an int64 of units
  int precision = 0;
  int scale = 0;

  explicit operator bool() const { return precision > 0; }
  bool operator==(const decimal_type&) const = default;
};

struct aggregate_spec {
  agg_kind kind = agg_kind::count;
  std::string field;    // empty for count
  std::string as;       // output column
  decimal_type decimal; // sum, min, max, avg: the field's type when decimal

  bool operator==(const aggregate_spec&) const = default;
};

// An event takes part only if every filter holds. Comparisons of eq/ne/in use
// the field's text (numbers as written); gt/ge/lt/le need a number.
struct filter_spec {
  std::string field;
  filter_op op = filter_op::eq;
  std::vector<std::string> values; // eq/ne: one; in/not_in: several
  double number = 0;               // gt/ge/lt/le

  bool operator==(const filter_spec&) const = default;
};

// What JSON a key part must be. `any`: its text as written, so the number
// 17 and the string "17" are one key; `string` or `integer` tell them apart:
// a value of another JSON type is dead-lettered (integers are written in
// canonical decimal: 17, 17.0 and 1.7e1 are one key).
enum class key_type { any, string, integer };

// A group-by field: `field` is a path into the event (a.b is field b of
// object a), `name` its output column (default: the path's last part).
struct key_spec {
  std::string name;
  std::string field;
  key_type type = key_type::any;

  key_spec() = default;
  key_spec(std::string path) : name(path.substr(path.rfind('.') + 1)), field(std::move(path)) {}
  key_spec(const char* path) : key_spec(std::string{path}) {}
  key_spec(std::string name, std::string field, key_type type = key_type::any)
    : name(std::move(name)), field(std::move(field)), type(type) {}

  bool operator==(const key_spec&) const = default;
};

// Keep only the n keys with the largest `by` per window (rank 1 = largest).
struct top_spec {
  std::uint32_t n = 0; // 0: keep every key
  std::string by;      // an aggregate's output column

  bool operator==(const top_spec&) const = default;
};

// Raw jobs keep every event: a typed projection of its top-level fields.
struct column_spec {
  std::string name;  // output column
  std::string field; // JSON field (default: name)
  column_type type = column_type::string;
  bool nullable = true; // false: an event without the field is malformed

  bool operator==(const column_spec&) const = default;
};

// A column an iceberg sink adds, computed from a column of the job (seed
// 004's event_date, event_hour and user_bucket).
struct derived_column_spec {
  enum kind { date, hour, modulo };
  std::string name;   // the new column
  std::string column; // the job's column it is computed from
  kind k = date;      // date: "YYYY-MM-DD" (string); hour: "HH" floored to `every`
                      // hours (string); modulo: int64 column % `every` (int64)
  int every = 1;

  bool operator==(const derived_column_spec&) const = default;
};

// One partition field of an iceberg sink, parsed from "column" or
// "transform(column)"; nullopt when the text is neither.
struct partition_term {
  std::string transform; // "identity", "year", ..., "bucket[16]", "truncate[4]"
  std::string column;
};
std::optional<partition_term> parse_partition_term(std::string_view text);

struct sink_spec {
  // postgres, clickhouse, mysql (window results) | postgres_raw (every
  // event) | iceberg (every event into an Iceberg v2 table on S3)
  std::string type = "postgres";
  std::string url;   // postgres, mysql: connection URL; clickhouse: http://host:port/db; iceberg:
                     // s3://bucket/prefix, the table's location
  std::string table; // iceberg: "namespace.name" in the catalog
  // clickhouse, mysql with keys across partitions: the PostgreSQL that keeps
  // each partition's partials until a window is final (the merge path)
  std::string partials_url;
  std::string key;            // postgres_raw: the column that identifies an event (no duplicates)
  std::string codec = "zstd"; // iceberg: zstd | snappy | none
  std::uint64_t max_file_mb = 128; // iceberg: roll a data file at this size

  // iceberg (every event into an Apache Iceberg v2 table, sinks/lake/): `url`
  // is the table's location (s3://bucket/prefix), `table` is
  // "namespace.name" in the SQL catalog at `catalog` (a PostgreSQL URL).
  std::string catalog;
  std::vector<derived_column_spec> derive; // real columns computed from others
  // Partition fields: "column" (identity) or "transform(column)" with an
  // Iceberg transform: year, month, day, hour, bucket[N], truncate[W].
  std::vector<std::string> partitioned_by;
  std::vector<std::string> sort_by; // data files sorted by these columns, ascending
  std::uint32_t commit_every = 1;   // checkpoint rounds per snapshot (1 to 1000)
  // Commit once the data files checkpoints cover but no snapshot holds
  // reach this many MiB, or after commit_every rounds, whichever is first.
  std::optional<std::uint64_t> commit_mb;
  std::uint32_t snapshots_kept = 100; // older snapshots are expired (at least 1)
  // Data files nothing references (a worker killed between a file roll and
  // its barrier) are deleted once older than this.
  millis orphan_age = 3'600'000;

  bool operator==(const sink_spec&) const = default;
};

// Periodic snapshots of every partition's state, so a partition that changes
// owner resumes from its last checkpoint instead of the start of the topic.
struct checkpoint_spec {
  std::string url; // file:///dir or s3://bucket/prefix; empty: none
  millis interval = 10'000;
  std::uint32_t retain = 3; // per partition, at least 2

  bool operator==(const checkpoint_spec&) const = default;
};

// A scheduled export (the seeds' Airflow DAG): every `every`, the rows of a
// raw table not exported yet go to S3 as one Parquet file,
// <prefix>/YYYY-MM-DD/part-HHMMSS.parquet, or as one snapshot of the
// iceberg table of the job's sink (to_lake), and are marked exported.
struct export_spec {
  std::string pg_url;
  std::string table;
  std::string key;                  // the table's primary key
  std::vector<column_spec> columns; // what goes into the files
  std::string bucket;               // files: export.to
  std::string prefix = "raw";
  millis every = 300'000;
  // The rows go to the job's `sink` (type iceberg: the lake's fields) instead
  // of files under export.to.
  bool to_lake = false;

  bool operator==(const export_spec&) const = default;
};

// Sets e.bucket and e.prefix from s3://bucket/prefix; false if malformed.
bool set_export_target(export_spec& e, const std::string& url);

struct job_spec {
  std::string name;
  std::optional<export_spec> export_job; // set: an export job; only `sink` (to_lake) applies
  source_spec source;
  std::vector<column_spec> columns; // raw jobs only; then no key, window or aggregations
  std::vector<key_spec> key;        // in order; become key columns
  window_spec window;
  std::vector<filter_spec> filters;
  std::vector<aggregate_spec> aggregations;
  top_spec top;
  sink_spec sink;
  std::string dead_letter_topic; // malformed and too-late events; default "<name>.dlq"
  checkpoint_spec checkpoints;

  bool operator==(const job_spec&) const = default;
};

const char* to_string(agg_kind k);

// An aggregate's output column when `as` is not given: fn_field, a nested
// field's dots as _ (count alone is "count").
std::string unnamed_column(const aggregate_spec& agg);

// The decimal(precision, scale) type of an aggregate's result, or precision
// 0 if it is no decimal. A sum is decimal(38, s) (128 bits hold 38 digits);
// min and max keep the field's type; an average has max(s, 6) decimals
// (as Flink's AVG on DECIMAL), rounded half away from zero.
decimal_type result_decimal(const aggregate_spec& agg);

inline bool is_export(const job_spec& spec) {
  return spec.export_job.has_value();
}

// An export into an iceberg table (spec.sink) rather than Parquet files.
inline bool exports_to_lake(const job_spec& spec) {
  return spec.export_job && spec.export_job->to_lake;
}

// True for jobs that keep every event instead of aggregating windows.
inline bool is_raw(const job_spec& spec) {
  return !spec.columns.empty();
}

// Length of the slices a window is built from: gcd(size, slide). Each event
// updates one slice, so its cost does not depend on size or slide.
millis slice_length(const window_spec& w);

// " (did you mean 'x'?)" for the known name within two edits of `name`, or "".
std::string did_you_mean(std::string_view name, std::initializer_list<std::string_view> known);

// The spec as YAML that parse_spec reads back into an equal spec: what
// `weir explain` prints for a job written in any front end.
std::string to_yaml(const job_spec& spec);

// Parses a YAML spec and validates its model (validate.hpp). Errors read
// "<origin>:<line>: <field>: <why>".
expected<job_spec> parse_spec(std::string_view yaml, std::string_view origin = "spec");

// Replaces ${VAR} and ${VAR:-default} with what `lookup` finds (the
// environment, in runtime/spec_file.hpp), so one spec serves several
// deployments. An unset variable without a default is an error naming the
// variable and its line. ${secret:NAME} is left as it is: secrets are
// resolved on the workers (expand_secrets), so they never cross the network.
// No I/O here: jobs/ stays pure.
using variable_lookup = std::function<std::optional<std::string>(const std::string&)>;
expected<std::string> expand_variables(std::string_view text, std::string_view origin,
                                       const variable_lookup& lookup);

// Replaces ${secret:NAME} with lookup(NAME) and leaves everything else; a
// secret that is not found is an error naming it and its line.
expected<std::string> expand_secrets(std::string_view text, std::string_view origin,
                                     const variable_lookup& lookup);

// The lines of URLs with a password written out (scheme://user:password@),
// which would cross the network in the spec text: write ${secret:NAME}.
std::vector<int> plain_password_lines(std::string_view text);

} // namespace weir::jobs
