#include "sinks/windowed/sink.hpp"

#include "base/logging.hpp"
#include "jobs/windowed/watermark.hpp"

#include <algorithm>
#include <set>
#include <tuple>

WEIR_LOG_MODULE("results");

namespace weir::sinks::windowed {

namespace {

// A results store other than the progress store failed: the transaction
// rolls back, and the store's own error is the write's.
struct store_failure {
  error why;
};

// Every row of `batches`, versioned by its batch's progress of its
// partition, sorted by (window, key, partition). Stable: of equal rows the
// one emitted last stays last. Sorted before any transaction opens: a
// window of millions of rows takes seconds to sort, and PostgreSQL ends a
// session idle in a transaction after 3 s.
expected<std::vector<row_ref>> sorted_rows(std::span<const jobs::sink_batch* const> batches,
                                           const jobs::job_spec& spec, bool need_versions) {
  std::vector<row_ref> out;
  for (const auto* b : batches)
    for (const auto& o : b->outputs) {
      const auto& rows = output_as<jobs::partition_rows>(*o);
      auto p = std::find_if(b->progress.begin(), b->progress.end(),
                            [&](const auto& x) { return x.partition == rows.partition; });
      if (p == b->progress.end() && need_versions) // a source sends progress with its rows
        return error{spec.sink.type + ": batch " + std::to_string(b->seq)
                       + " has rows of "
                         "partition "
                       + std::to_string(rows.partition) + " without its offset",
                     true};
      const auto version = p == b->progress.end() ? 0 : static_cast<std::uint64_t>(p->next_offset);
      for (std::size_t i = 0; i < rows.rows.size(); ++i)
        out.push_back({&rows, i, version});
    }
  std::stable_sort(out.begin(), out.end(), [](const row_ref& a, const row_ref& b) {
    return std::tuple(a.start(), a.key(), a.partition())
           < std::tuple(b.start(), b.key(), b.partition());
  });
  return out;
}

// The last of each run of rows `same` calls equal.
template <class Same>
void keep_last(std::vector<row_ref>& rows, Same same) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (i + 1 == rows.size() || !same(rows[i], rows[i + 1]))
      rows[kept++] = rows[i];
  rows.resize(kept);
}

// The latest progress of each partition in `batches`.
std::map<partition_id, const jobs::partition_progress*> latest_progress(
  std::span<const jobs::sink_batch* const> batches) {
  std::map<partition_id, const jobs::partition_progress*> out;
  for (const auto* b : batches)
    for (const auto& p : b->progress)
      out[p.partition] = &p;
  return out;
}

// One write through a progress store, step by step.
class write_step {
public:
  write_step(const jobs::job_spec& spec, const jobs::agg_layout& layout, std::int32_t partitions,
             progress_txn& txn, results_store& results, std::vector<refused_row>& refused)
    : spec_(spec), layout_(layout), partitions_(static_cast<std::size_t>(partitions)), txn_(txn),
      results_(results), refused_(refused), top_(spec.top.n > 0),
      direct_(!spec.source.partitioned_by.empty() && !top_),
      lateness_(spec.window.allowed_lateness) {}

  // -- fence -----------------------------------------------------------------------
  // A row is a function of its partition's input up to the offset reported
  // with it, so of two writers of a partition the one further along is
  // right: a former owner cut off that comes back, or a new owner replaying
  // from an older checkpoint, is skipped until it passes what is stored.
  void fence(std::span<const jobs::sink_batch* const> batches, std::set<partition_id>& fenced) {
    latest_ = latest_progress(batches);
    stored_ = txn_.read(job_);
    final_before_ = jobs::final_mark(marks(), partitions_);
    for (const auto& s : stored_) {
      auto it = latest_.find(s.partition);
      if (s.next_offset < 0 || it == latest_.end() || it->second->next_offset >= s.next_offset)
        continue;
      behind_.insert(s.partition);
      if (fenced.insert(s.partition).second)
        WEIR_INFO("job {}: partition {} has results up to offset {} already; rows of this "
                  "worker (at offset {}) are skipped until it gets there",
                  spec_.name, s.partition, s.next_offset, it->second->next_offset);
    }
    for (const auto& [part, p] : latest_)
      if (!behind_.count(part))
        fenced.erase(part);
  }

  // -- rows ------------------------------------------------------------------------
  // The rows this write takes from `sorted`: none of a partition behind, the
  // latest per (window, key, partition). Keys across partitions: a row that
  // comes for a final window can only be a replay re-emitting what is
  // stored (or a partition idle past the watermark waking with old events):
  // dropped, counted per partition. Rows final per partition drop nothing.
  std::vector<row_ref> take(const std::vector<row_ref>& sorted, std::set<partition_id>& dropping) {
    std::vector<row_ref> out;
    std::map<partition_id, std::uint64_t> dropped;
    for (const auto& r : sorted) {
      if (behind_.count(r.partition()))
        continue;
      if (!direct_ && jobs::is_final(r.end(), lateness_, final_before_)) {
        ++dropped[r.partition()];
        ++dropped_;
        continue;
      }
      out.push_back(r);
    }
    keep_last(out, [](const row_ref& a, const row_ref& b) {
      return a.start() == b.start() && a.key() == b.key() && a.partition() == b.partition();
    });
    for (const auto& [part, n] : dropped)
      if (dropping.insert(part).second)
        WEIR_WARN("job {}: partition {} sent {} row(s) for windows already final (a replay "
                  "re-emitting them, or a partition idle past the watermark waking with old "
                  "events): dropped, counted in {}__progress.dropped",
                  spec_.name, part, n, spec_.sink.table);
    if (!dropped.empty())
      txn_.add_dropped(dropped);
    return out;
  }

  void put(const std::vector<row_ref>& rows) {
    if (!direct_) {
      txn_.put_partials(rows);
    } else if (!rows.empty()) {
      final_rows f{rows, {}};
      dropped_rows unused;
      if (auto n = results_.write_final(f, unused, refused_); !n)
        throw store_failure{n.failure()};
    }
    std::vector<const jobs::partition_progress*> ahead;
    for (const auto& [part, p] : latest_)
      if (!behind_.count(part))
        ahead.push_back(p);
    if (!ahead.empty())
      txn_.put_progress(ahead);
  }

  // -- the job watermark -------------------------------------------------------------
  // Where publication (job_watermark) and finality stand after this write's
  // progress: the stored progress with this write's laid over it.
  millis advance() {
    std::map<partition_id, stored_progress> now;
    for (const auto& s : stored_)
      now[s.partition] = s;
    for (const auto& [part, p] : latest_)
      if (!behind_.count(part))
        now[part] = {p->partition, p->watermark, p->idle, p->next_offset};
    stored_.clear();
    for (const auto& [part, s] : now)
      stored_.push_back(s);
    const auto all = marks();
    final_after_ = jobs::final_mark(all, partitions_);
    after_ = jobs::job_watermark(all, partitions_, job_.materialized);
    return after_;
  }

  // -- merge -------------------------------------------------------------------------
  // The rows of windows published now (end in (materialized, after]) and of
  // published windows whose partials this write changed (late updates
  // within the allowed lateness), merged, finalized, ranked; then the
  // partials of windows final now are forgotten.
  void merge(const std::vector<row_ref>& rows) {
    if (direct_)
      return;
    std::vector<window_key> touched;
    std::set<std::pair<millis, std::string_view>> seen;
    for (const auto& r : rows) {
      if (job_.materialized == jobs::no_time || r.end() > job_.materialized)
        continue;
      const window_key w{r.start(), top_ ? std::string_view{} : r.key()};
      if (seen.insert({w.start, w.key}).second)
        touched.push_back(w);
    }
    if (after_ != job_.materialized || !touched.empty())
      publish(jobs::combine(txn_.partials(job_.materialized, after_, touched), layout_));
    if (final_after_ != jobs::no_time && final_after_ != final_before_)
      txn_.forget_partials(final_before_ == jobs::no_time ? jobs::no_time
                                                          : final_before_ - lateness_,
                           final_after_ - lateness_);
  }

  void finish() {
    if (after_ != job_.materialized || merged_now_) {
      job_.materialized = after_;
      txn_.put_job(job_, dropped_merged_);
    }
    if (!refused_.empty()) {
      std::map<partition_id, std::uint64_t> n;
      for (const auto& r : refused_)
        ++n[r.partition];
      txn_.add_dropped(n);
      WEIR_WARN("job {}: {} refused {} row(s) ({}): dead-lettered, counted in {}__progress.dropped",
                spec_.name, spec_.sink.table, refused_.size(), refused_.front().reason,
                spec_.sink.table);
    }
    txn_.commit();
  }

  millis materialized() const { return job_.materialized; }
  std::size_t dropped() const { return dropped_ + dropped_merged_ + refused_.size(); }

private:
  std::vector<jobs::partition_mark> marks() const {
    std::vector<jobs::partition_mark> out;
    for (const auto& s : stored_)
      out.push_back({s.watermark, s.idle});
    return out;
  }

  void publish(const std::vector<jobs::combined>& rows) {
    std::vector<std::vector<jobs::cell>> values(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i)
      jobs::values_of(spec_.aggregations, layout_, rows[i].acc.view(), values[i]);
    std::vector<merged_row> out;
    std::vector<millis> windows;
    if (top_) {
      std::size_t by = 0;
      while (spec_.aggregations[by].as != spec_.top.by)
        ++by;
      auto ranked = jobs::rank_windows(rows, values, by, spec_.top.n);
      for (auto i : ranked.keep)
        out.push_back({rows[i].start, rows[i].end, rows[i].key, &values[i], ranked.rank[i]});
      windows = std::move(ranked.windows);
    } else {
      for (std::size_t i = 0; i < rows.size(); ++i)
        out.push_back({rows[i].start, rows[i].end, rows[i].key, &values[i]});
    }
    if (out.empty() && windows.empty())
      return;
    // In this transaction, before it commits: if the commit fails, the retry
    // merges the same partials (or more) again, at a version no lower.
    auto n = results_.write_merged(out, job_.merges + 1, windows, refused_);
    if (!n)
      throw store_failure{n.failure()};
    ++job_.merges;
    merged_now_ = true;
    dropped_merged_ += *n;
  }

  const jobs::job_spec& spec_;
  const jobs::agg_layout& layout_;
  const std::size_t partitions_;
  progress_txn& txn_;
  results_store& results_;
  std::vector<refused_row>& refused_;
  const bool top_, direct_;
  const millis lateness_;
  std::map<partition_id, const jobs::partition_progress*> latest_;
  std::vector<stored_progress> stored_;
  job_progress job_;
  std::set<partition_id> behind_;
  millis final_before_ = jobs::no_time, final_after_ = jobs::no_time, after_ = jobs::no_time;
  std::uint64_t dropped_ = 0, dropped_merged_ = 0;
  bool merged_now_ = false;
};

class windowed_sink final : public sink {
public:
  windowed_sink(jobs::job_spec spec, context ctx, opener open)
    : spec_(std::move(spec)), ctx_(ctx), layout_(spec_.aggregations), open_(std::move(open)) {}

  expected<void> check() override {
    auto s = stores_.get(open_);
    if (!s)
      return s.failure();
    return {};
  }

  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    auto s = stores_.get(open_);
    if (!s)
      return {0, 0, s.failure()};
    std::size_t rows = 0;
    for (const auto* b : batches)
      rows += b->rows();
    auto done = (*s)->progress ? through_progress(**s, batches) : versioned(**s, batches);
    if (!done) {
      stores_.reset();
      return {0, 0, done.failure()};
    }
    return {batches.size(), rows, std::nullopt, *done, std::move(refused_)};
  }

private:
  // Rows final per partition into a store that keeps the highest version.
  expected<std::size_t> versioned(stores& s, std::span<const jobs::sink_batch* const> batches) {
    auto sorted = sorted_rows(batches, spec_, true);
    if (!sorted)
      return sorted.failure();
    final_rows f{std::move(*sorted), latest_progress(batches),
                 std::any_of(batches.begin(), batches.end(), [](auto* b) { return b->barrier; })};
    // A key lives in one partition, whose emissions come in order; two in one
    // batch share a version, so only the last of them may be written.
    keep_last(f.rows, [](const row_ref& a, const row_ref& b) {
      return a.start() == b.start() && a.key() == b.key();
    });
    refused_.clear();
    const auto before = total(dropped_);
    auto n = s.results->write_final(f, dropped_, refused_);
    if (!n)
      return n.failure();
    return total(dropped_) - before;
  }

  expected<std::size_t> through_progress(stores& s,
                                         std::span<const jobs::sink_batch* const> batches) {
    auto sorted = sorted_rows(batches, spec_, false);
    if (!sorted)
      return sorted.failure();
    std::size_t dropped = 0;
    auto attempt = [&](bool isolate) {
      refused_.clear();
      auto txn = s.progress->begin(isolate);
      write_step w{spec_, layout_, ctx_.partitions, *txn, *s.results, refused_};
      w.fence(batches, fenced_);
      const auto rows = w.take(*sorted, dropping_);
      w.put(rows);
      w.advance();
      w.merge(rows);
      w.finish();
      dropped = w.dropped();
    };
    try {
      auto ok = guarded(spec_.sink.type + " write", [&] {
        try {
          attempt(false);
        } catch (const rows_refused& e) {
          // Nothing of the first try stayed: write again, isolating them.
          WEIR_WARN("job {}: {}: writing again, isolating the rows refused", spec_.name, e.what());
          attempt(true);
        }
      });
      if (!ok)
        return ok.failure();
    } catch (const store_failure& f) { // guarded() takes std::exceptions only
      return f.why;
    }
    return dropped;
  }

  static std::size_t total(const dropped_rows& d) {
    std::size_t n = 0;
    for (const auto& [part, count] : d)
      n += count;
    return n;
  }

  jobs::job_spec spec_;
  context ctx_;
  jobs::agg_layout layout_;
  opener open_;
  lazy_store<stores> stores_;
  dropped_rows dropped_;             // versioned stores: per partition, since the sink started
  std::vector<refused_row> refused_; // the last write's
  std::set<partition_id> fenced_;    // partitions skipped for being behind (logged once)
  std::set<partition_id> dropping_;  // partitions that sent rows for final windows (logged once)
};

} // namespace

std::unique_ptr<sink> make_sink(const jobs::job_spec& spec, const context& ctx, opener open) {
  return std::make_unique<windowed_sink>(spec, ctx, std::move(open));
}

} // namespace weir::sinks::windowed
