#include "sinks/lake/sink.hpp"

#include "base/logging.hpp"
#include "jobs/raw/pipeline.hpp"
#include "lib/s3/env.hpp"
#include "sinks/lake/commit.hpp"
#include "sinks/lake/table.hpp"
#include "sinks/lake/writer.hpp"

#include <algorithm>
#include <map>
#include <utility>

WEIR_LOG_MODULE("lake");

namespace weir::sinks {

namespace {

using lake::partition_writer;

// A batch is applied part by part (dropped, restored, rows, barrier) and a
// cursor remembers how far the front batch got, so a retry never buffers
// rows twice.
class lake_sink final : public sink {
public:
  lake_sink(lake::table_config cfg, s3::client s3, std::string job, std::string identity)
    : cfg_(std::move(cfg)), s3_(std::move(s3)), job_(std::move(job)),
      identity_(std::move(identity)) {}

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
      if (!listed_.empty())
        out.listed[out.done - 1] = std::exchange(listed_, {});
    }
    return out;
  }

  expected<void> check() override {
    auto c = committed();
    if (!c)
      return c.failure();
    return {};
  }

private:
  struct part {
    partition_writer writer;
    offset_t start = 0; // first offset not in a pending list yet
    offset_t next = 0;  // where the source stands
  };

  // The table's committed offsets for this job (opens the catalog and the
  // table, creating it on first use).
  expected<lake::offsets> committed() {
    auto catalog = lake::sql_catalog::make(cfg_.catalog_url);
    if (!catalog)
      return catalog.failure();
    auto t = lake::table::open(cfg_, s3_, *catalog);
    if (!t)
      return t.failure();
    return lake::committed_offsets(t->metadata(), identity_);
  }

  part& part_of(partition_id p, offset_t start) {
    auto it = parts_.find(p);
    if (it == parts_.end())
      it = parts_.emplace(p, part{partition_writer(cfg_, s3_, p), start, start}).first;
    return it->second;
  }

  expected<void> apply(const jobs::sink_batch& batch) {
    if (!done_.dropped) {
      for (auto p : batch.dropped) // the new owner replays these rows
        forget(p);
      done_.dropped = true;
    }
    if (done_.restored < batch.restored.size()) {
      auto c = committed(); // once per batch that restores
      if (!c)
        return c.failure();
      for (; done_.restored < batch.restored.size(); ++done_.restored)
        restore(batch.restored[done_.restored], *c);
    }
    for (; done_.rows < batch.outputs.size(); ++done_.rows) {
      const auto& out = output_as<raw::event_rows>(*batch.outputs[done_.rows]);
      auto first = out.rows.rows() ? out.rows.position(0).offset : 0;
      auto& pt = part_of(out.partition, first);
      pt.writer.write(out.rows, pt.start);
    }
    for (const auto& pr : batch.progress)
      part_of(pr.partition, pr.next_offset).next = pr.next_offset;
    for (auto& [p, pt] : parts_)
      if (auto ok = pt.writer.roll(batch.barrier); !ok)
        return ok;
    // One budget for the whole sink: the partition holding most writes first.
    while (buffered() > budget) {
      auto most = std::max_element(parts_.begin(), parts_.end(), [](auto& a, auto& b) {
        return a.second.writer.buffered_bytes() < b.second.writer.buffered_bytes();
      });
      if (auto ok = most->second.writer.roll(true); !ok)
        return ok;
    }
    if (batch.barrier)
      for (auto& [p, pt] : parts_)
        if (auto ok = list(p, pt, batch.round); !ok)
          return ok;
    return {};
  }

  std::size_t buffered() const {
    std::size_t n = 0;
    for (const auto& [p, pt] : parts_)
      n += pt.writer.buffered_bytes();
    return n;
  }

  void restore(std::pair<partition_id, offset_t> r, const lake::offsets& committed) {
    auto [p, offset] = r;
    forget(p);
    auto c = committed.find(p);
    // A checkpoint older than the commits (one that failed to load was
    // skipped): the rows up to the committed offset are in the table.
    const auto start = c != committed.end() ? std::max(offset, c->second) : offset;
    if (start > offset)
      WEIR_INFO("job {}: partition {} resumes at {}, rows up to {} are committed already", job_, p,
                offset, start);
    part_of(p, start);
  }

  // The files of [start, next) become a pending list for the committer.
  expected<void> list(partition_id p, part& pt, round_id round) {
    if (pt.next <= pt.start)
      return {};
    auto files = pt.writer.take_files();
    auto bytes = lake::write_file_list(cfg_, files);
    expected<void> ok =
      bytes
        ? s3_.put_object(cfg_.bucket,
                         lake::pending_key(cfg_, identity_, {p, round, pt.start, pt.next}), *bytes)
        : expected<void>{bytes.failure()};
    if (!ok) {
      pt.writer.restore_files(std::move(files));
      return ok;
    }
    pt.start = pt.next;
    std::uint64_t size = 0;
    for (const auto& f : files)
      size += static_cast<std::uint64_t>(f.file_size_in_bytes);
    listed_.emplace_back(p, size);
    return {};
  }

  void forget(partition_id p) {
    if (auto it = parts_.find(p); it != parts_.end()) {
      it->second.writer.discard();
      parts_.erase(it);
    }
  }

  // Rows buffered by all partitions together (uncompressed estimate): the
  // worker's memory, whatever the number of partitions it owns.
  static constexpr std::size_t budget = 256u << 20;

  lake::table_config cfg_;
  s3::client s3_;
  std::string job_, identity_;
  std::map<partition_id, part> parts_;
  // Lists the front batch wrote so far (a retry goes on from the cursor).
  jobs::listed_bytes listed_;
  struct cursor {
    std::size_t restored = 0, rows = 0;
    bool dropped = false;
  } done_;
};

} // namespace

expected<std::unique_ptr<sink>> make_lake_sink(const jobs::job_spec& spec, const context& ctx) {
  auto cfg = lake::table_config_of(spec);
  if (!cfg)
    return error{"job " + spec.name + ": " + cfg.error_message()};
  auto s3 = s3::client::make(s3_config_from_env());
  if (!s3)
    return s3.failure();
  return std::unique_ptr<sink>{
    std::make_unique<lake_sink>(std::move(*cfg), std::move(*s3), spec.name, ctx.commit_identity)};
}

} // namespace weir::sinks
