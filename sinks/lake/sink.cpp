#include "sinks/lake/sink.hpp"

#include "base/logging.hpp"
#include "jobs/raw/pipeline.hpp"
#include "jobs/raw/projection.hpp"
#include "lib/s3/env.hpp"
#include "sinks/lake/lake.hpp"

#include <map>
#include <set>

WEIR_LOG_MODULE("lake");

namespace weir::sinks {

namespace {

raw::lake_options lake_options_for(const jobs::job_spec& spec) {
  raw::lake_options o;
  auto rest = spec.sink.url.substr(5); // s3://
  auto slash = rest.find('/');
  o.bucket = rest.substr(0, slash);
  o.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  o.columns = raw::raw_schema(spec.columns);
  for (const auto& p : spec.sink.partition_by) {
    raw::path_part part;
    part.name = p.name;
    part.column = p.column;
    part.every_or_mod = p.every;
    switch (p.k) {
      case jobs::path_part_spec::date: part.k = raw::path_part::date; break;
      case jobs::path_part_spec::hour: part.k = raw::path_part::hour; break;
      case jobs::path_part_spec::modulo: part.k = raw::path_part::modulo; break;
      case jobs::path_part_spec::value: part.k = raw::path_part::value; break;
    }
    o.layout.push_back(std::move(part));
  }
  o.codec = spec.sink.codec == "snappy" ? parquet::codec::snappy
            : spec.sink.codec == "none" ? parquet::codec::uncompressed
                                        : parquet::codec::zstd;
  o.max_file_bytes = spec.sink.max_file_mb << 20;
  return o;
}

// One lake_writer per Kafka partition. A batch is applied part by part
// (dropped, restored, rows, barrier) and a cursor remembers how far the
// front batch got, so a retry never buffers rows twice.
class lake_sink final : public sink {
public:
  explicit lake_sink(const jobs::job_spec& spec)
    : name_(spec.name), options_(lake_options_for(spec)), s3_(s3_config_from_env()) {}

  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    write_result out;
    for (const auto* batch : batches) {
      if (auto ok = apply(*batch); !ok) {
        out.failure = ok.failure();
        return out;
      }
      ++out.done;
      out.rows += batch->rows();
      done_ = {};
    }
    return out;
  }

private:
  expected<raw::lake_writer*> writer_for(partition_id partition) {
    if (auto it = writers_.find(partition); it != writers_.end())
      return &it->second;
    auto made = raw::lake_writer::make(s3_, options_, partition);
    if (!made)
      return made.failure();
    return &writers_.emplace(partition, std::move(*made)).first->second;
  }

  expected<void> apply(const jobs::sink_batch& batch) {
    if (!done_.dropped) {
      for (auto p : batch.dropped) // the new owner replays these rows
        if (auto ok = forget(p); !ok)
          return ok;
      done_.dropped = true;
    }
    for (; done_.restored < batch.restored.size(); ++done_.restored) {
      auto [p, offset] = batch.restored[done_.restored];
      if (auto ok = forget(p); !ok)
        return ok;
      auto w = writer_for(p);
      if (!w)
        return w.failure();
      auto gone = (*w)->claim(offset);
      if (!gone)
        return gone.failure();
      if (*gone > 0)
        WEIR_INFO("job {}: partition {} resumes at offset {}: removed {} file(s) a former owner "
                  "wrote after it",
                  name_, p, offset, *gone);
    }
    for (; done_.rows < batch.outputs.size(); ++done_.rows) {
      const auto& out = *batch.outputs[done_.rows];
      auto w = writer_for(out.partition);
      if (!w)
        return w.failure();
      if (auto ok = (*w)->write(output_as<raw::event_rows>(out).rows); !ok)
        return ok; // nothing of these rows was taken
      warn_if_fenced(out.partition, **w);
    }
    if (batch.barrier)
      for (auto& [p, w] : writers_) {
        if (auto ok = w.flush(); !ok)
          return ok;
        warn_if_fenced(p, w);
      }
    return {};
  }

  // Drops partition p's writer and what of it no checkpoint covers.
  expected<void> forget(partition_id p) {
    if (auto it = writers_.find(p); it != writers_.end()) {
      if (auto ok = it->second.discard(); !ok)
        return ok;
      writers_.erase(it);
    }
    fenced_.erase(p);
    return {};
  }

  // A worker declared dead but still running (cut off, frozen) writes on
  // until it rejoins and loses the partition; its writer found the
  // successor's claim, deleted its own files and now discards the rows.
  void warn_if_fenced(partition_id p, const raw::lake_writer& w) {
    if (w.fenced() && fenced_.insert(p).second)
      WEIR_WARN("job {}: partition {} was claimed by another worker (this one was taken for "
                "dead): its files written since were deleted, its rows are discarded here",
                name_, p);
  }

  std::string name_;
  raw::lake_options options_;
  s3::config s3_;
  std::map<partition_id, raw::lake_writer> writers_;
  std::set<partition_id> fenced_; // warned about
  struct cursor {
    std::size_t restored = 0, rows = 0;
    bool dropped = false;
  } done_;
};

} // namespace

expected<std::unique_ptr<sink>> make_lake_sink(const jobs::job_spec& spec, const context&) {
  return std::unique_ptr<sink>{std::make_unique<lake_sink>(spec)};
}

} // namespace weir::sinks
