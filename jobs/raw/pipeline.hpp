// The raw kind: every event as a typed row of the job's columns, for a raw
// sink (PostgreSQL table, Parquet lake). Its state is only its cursor: a
// moved partition's new owner restores the checkpoint and replays, and what
// the old owner buffered is discarded.
#pragma once

#include "jobs/pipeline.hpp"
#include "jobs/raw/rows.hpp"

namespace weir::raw {

// The raw kind's output: one partition's rows since the last flush.
struct event_rows final : jobs::partition_output {
  row_batch rows;
  event_rows(partition_id p, row_batch r) : rows(std::move(r)) { partition = p; }
  std::size_t size() const override { return rows.rows(); }
};

class raw_pipeline final : public jobs::pipeline {
public:
  // Fails when the columns do not make a valid schema.
  static expected<std::unique_ptr<const raw_pipeline>> make(const jobs::job_spec& spec);

  static constexpr std::string_view name = "raw";
  std::string_view kind() const override { return name; }
  std::unique_ptr<partition> fresh(partition_id p) const override;
  expected<std::unique_ptr<partition>> restore(partition_id p, std::string_view bytes,
                                               const std::string& what) const override;
  std::string snapshot(const partition& p) const override;
  jobs::fold_result fold(partition& p, const jobs::event_view& ev, offset_t at,
                         bool emit) const override;
  millis watermark(const partition&) const override { return jobs::no_time; }
  std::shared_ptr<const jobs::partition_output> flush(partition& p) const override;
  std::optional<std::string> release(const partition& p) const override;
  bool moves_state() const override { return false; }

private:
  raw_pipeline(std::vector<jobs::column_spec> specs, std::vector<column> columns, bool refuse_nul,
               int time_column)
    : specs_(std::move(specs)), columns_(std::move(columns)), refuse_nul_(refuse_nul),
      time_column_(time_column) {}

  std::vector<jobs::column_spec> specs_;
  std::vector<column> columns_;
  bool refuse_nul_; // the store's text cannot hold NUL (PostgreSQL)
  int time_column_; // the timestamp column of the event-time field; -1: none
};

} // namespace weir::raw
