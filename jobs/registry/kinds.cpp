#include "jobs/registry/kinds.hpp"

namespace weir::jobs {

namespace {

class partitioned : public job_kind {
public:
  job_form form() const override { return job_form::partitions; }
  std::string reads(const job_spec& spec) const override { return spec.source.topic; }
  std::string writes(const job_spec& spec) const override {
    // The table (an iceberg sink: its name in the catalog), else its place.
    return spec.sink.type + " " + (spec.sink.table.empty() ? spec.sink.url : spec.sink.table);
  }
};

// Keyed windows (jobs/windowed/).
class windowed_kind final : public partitioned {
public:
  std::string_view name() const override { return "windowed"; }
};

// Events kept as rows (jobs/raw/).
class raw_kind final : public partitioned {
public:
  std::string_view name() const override { return "raw"; }
};

// A raw table's new rows to Parquet on S3, or into an Iceberg table (sinks/export/).
class export_kind final : public job_kind {
public:
  std::string_view name() const override { return "export"; }
  job_form form() const override { return job_form::runs; }
  millis every(const job_spec& spec) const override { return spec.export_job->every; }
  std::string reads(const job_spec& spec) const override {
    return "(export of " + spec.export_job->table + ")";
  }
  std::string writes(const job_spec& spec) const override {
    if (spec.export_job->to_lake) // as a raw job's iceberg sink shows it
      return spec.sink.type + " " + spec.sink.table;
    return "s3://" + spec.export_job->bucket + "/" + spec.export_job->prefix;
  }
};

} // namespace

const job_kind& kind_of(const job_spec& spec) {
  static const windowed_kind windowed;
  static const raw_kind raw;
  static const export_kind exports;
  if (is_export(spec))
    return exports;
  if (is_raw(spec))
    return raw;
  return windowed;
}

} // namespace weir::jobs
