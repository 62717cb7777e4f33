#include "sinks/lake/sink.hpp"

#include "base/logging.hpp"
#include "jobs/raw/pipeline.hpp"
#include "lib/s3/env.hpp"
#include "sinks/lake/commit.hpp"
#include "sinks/lake/table.hpp"
#include "sinks/lake/writer.hpp"

#include <algorithm>
#include <chrono>
#include <deque>
#include <future>
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
  lake_sink(lake::table_config cfg, s3::client s3, s3::client flush_s3, std::string job,
            std::string identity)
    : cfg_(std::move(cfg)), s3_(std::move(s3)), flush_s3_(std::move(flush_s3)),
      job_(std::move(job)), identity_(std::move(identity)) {}

  // Batches are taken in order. A barrier seals its source's partitions,
  // whose files are written on another thread while the next batches are
  // buffered; those are held (not acked) until the barrier's lists are
  // uploaded. Batches that move partitions wait until every flush is done,
  // and a barrier while the flushes queued hold more than the budget.
  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    write_result out;
    std::size_t durable = 0;
    if (auto ok = settle(out, durable); !ok) {
      out.failure = ok.failure();
      out.done = durable;
      out.held = held();
      return out;
    }
    for (const auto* batch : batches) {
      if (!flushes_.empty()
          && (!batch->dropped.empty() || !batch->restored.empty()
              || (batch->barrier && queued_ > budget)))
        break;
      if (auto ok = apply(*batch); !ok) {
        out.failure = ok.failure();
        break;
      }
      out.rows += batch->rows();
      done_ = {};
      if (!flushes_.empty())
        ++flushes_.back()->held;
      else
        ++durable;
    }
    out.done = durable;
    out.held = held();
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
      if (auto ok = pt.writer.roll(false); !ok)
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
      seal(batch);
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

  // A barrier's work off the sink's thread: each partition's sealed cells
  // become files, and the files of [start, next) a pending list for the
  // committer. A failure leaves what is done done; the retry goes on.
  struct round_flush {
    round_id round = 0;
    struct part {
      partition_id p;
      offset_t start, next;
      lake::sealed_cells sealed;
      bool listed = false;
    };
    std::vector<part> parts;
    std::size_t bytes = 0; // the sealed cells' (uncompressed)
    std::size_t held = 0;  // batches taken from its barrier on, until the next flush's
    std::future<expected<void>> task;
    std::chrono::steady_clock::time_point sealed_at;
  };

  expected<void> run(round_flush& f) {
    for (auto& pt : f.parts) {
      if (pt.listed)
        continue;
      if (auto ok = pt.sealed.write(cfg_, flush_s3_, pt.p); !ok)
        return ok;
      auto bytes = lake::write_file_list(cfg_, pt.sealed.files);
      if (!bytes)
        return bytes.failure();
      const auto key = lake::pending_key(cfg_, identity_, {pt.p, f.round, pt.start, pt.next});
      if (auto ok = flush_s3_.put_object(cfg_.bucket, key, *bytes); !ok)
        return ok;
      pt.listed = true;
    }
    return {};
  }

  // Seals the partitions a barrier reports (its source's) that read further
  // since their last list; the barrier is held behind the flush it makes,
  // or behind the last one queued.
  void seal(const jobs::sink_batch& barrier) {
    auto f = std::make_unique<round_flush>();
    f->round = barrier.round;
    for (const auto& pr : barrier.progress) {
      auto& pt = parts_.at(pr.partition);
      if (pt.next <= pt.start)
        continue;
      f->bytes += pt.writer.buffered_bytes();
      f->parts.push_back({pr.partition, pt.start, pt.next, pt.writer.seal()});
      pt.start = pt.next;
    }
    if (f->parts.empty())
      return;
    queued_ += f->bytes;
    WEIR_DEBUG("job {}: round {}: {} partition(s) sealed, {} MiB, {} flush(es) ahead", job_,
               f->round, f->parts.size(), f->bytes >> 20, flushes_.size());
    f->sealed_at = std::chrono::steady_clock::now();
    flushes_.push_back(std::move(f));
    if (flushes_.size() == 1)
      launch();
  }

  void launch() {
    auto* f = flushes_.front().get();
    f->task = std::async(std::launch::async, [this, f] { return run(*f); });
  }

  // Finishes the flushes that are done, in order: their barriers and the
  // batches held behind them become durable. A failed one is tried again on
  // the next call.
  expected<void> settle(write_result& out, std::size_t& durable) {
    while (!flushes_.empty()) {
      auto& f = *flushes_.front();
      if (!f.task.valid())
        launch();
      if (f.task.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
        return {};
      if (auto ok = f.task.get(); !ok)
        return ok;
      auto& listed = out.listed[durable];
      for (const auto& pt : f.parts) {
        std::uint64_t size = 0;
        for (const auto& file : pt.sealed.files)
          size += static_cast<std::uint64_t>(file.file_size_in_bytes);
        listed.emplace_back(pt.p, size);
      }
      WEIR_DEBUG("job {}: round {}: listed {} partition(s) {} ms after the barrier", job_, f.round,
                 f.parts.size(),
                 std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - f.sealed_at)
                   .count());
      durable += f.held;
      queued_ -= f.bytes;
      flushes_.pop_front();
      if (!flushes_.empty())
        launch();
    }
    return {};
  }

  std::size_t held() const {
    std::size_t n = 0;
    for (const auto& f : flushes_)
      n += f->held;
    return n;
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
  s3::client s3_, flush_s3_; // the sink's thread's, the flush's

  std::string job_, identity_;
  std::map<partition_id, part> parts_;
  // Barriers' flushes in order, the front one running.
  std::deque<std::unique_ptr<round_flush>> flushes_;
  std::size_t queued_ = 0; // bytes they hold
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
  auto flush_s3 = s3::client::make(s3_config_from_env());
  if (!flush_s3)
    return flush_s3.failure();
  return std::unique_ptr<sink>{std::make_unique<lake_sink>(std::move(*cfg), std::move(*s3),
                                                           std::move(*flush_s3), spec.name,
                                                           ctx.commit_identity)};
}

} // namespace weir::sinks
