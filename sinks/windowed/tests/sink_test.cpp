// The windowed sink's semantics, step by step, over in-memory stores: which
// rows a write takes (fencing, finality), when a window is published and
// when its partials go, merges, top-N, rollback on a store's failure, and
// the retry that isolates refused rows. The same sink over the real stores:
// sinks/postgres/tests/results_it.cpp and the ClickHouse and MariaDB rooms'.
#include "sinks/windowed/sink.hpp"

#include "tests/support/fold.hpp"

#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <set>
#include <tuple>

using namespace weir;
using namespace weir::sinks::windowed;

namespace {

// Progress and partials in memory; a transaction works on a copy that
// commit() keeps.
struct memory {
  std::map<partition_id, stored_progress> progress;
  std::map<partition_id, std::uint64_t> dropped;
  job_progress job;
  std::map<std::tuple<millis, std::string, partition_id>, jobs::partial> partials;
  std::map<std::pair<millis, std::string>, std::pair<std::int64_t, std::uint32_t>> results;
  int commits = 0;
};

class memory_txn final : public progress_txn {
public:
  memory_txn(memory& committed, memory& open) : committed_(committed), m_(open) { m_ = committed; }
  std::vector<stored_progress> read(job_progress& job) override {
    job = m_.job;
    std::vector<stored_progress> out;
    for (const auto& [p, s] : m_.progress)
      out.push_back(s);
    return out;
  }
  void put_progress(std::span<const jobs::partition_progress* const> latest) override {
    for (const auto* p : latest)
      m_.progress[p->partition] = {p->partition, p->watermark, p->idle, p->next_offset};
  }
  void add_dropped(const std::map<partition_id, std::uint64_t>& n) override {
    for (const auto& [p, k] : n)
      m_.dropped[p] += k;
  }
  void put_partials(std::span<const row_ref> rows) override {
    for (const auto& r : rows)
      m_.partials[{r.start(), std::string{r.key()}, r.partition()}] =
        {r.start(), r.end(), std::string{r.key()}, r.partition(),
         jobs::acc_row::of(r.rows->rows, r.i)};
  }
  std::vector<jobs::partial> partials(millis after, millis upto,
                                      std::span<const window_key> touched) override {
    std::vector<jobs::partial> out;
    for (const auto& [k, p] : m_.partials) {
      const bool in_range = p.end > after && p.end <= upto;
      const bool was_touched = std::any_of(touched.begin(), touched.end(), [&](const auto& w) {
        return w.start == p.start && (w.key.empty() || w.key == p.key);
      });
      if (in_range || was_touched)
        out.push_back(p);
    }
    return out;
  }
  void forget_partials(millis after, millis upto) override {
    std::erase_if(m_.partials,
                  [&](const auto& e) { return e.second.end > after && e.second.end <= upto; });
  }
  void put_job(const job_progress& job, std::uint64_t) override { m_.job = job; }
  void commit() override {
    ++m_.commits;
    committed_ = m_;
  }

private:
  memory& committed_;
  memory& m_;
};

// Both stores in one, as PostgreSQL is: results go into the open write.
struct memory_store final : progress_store, results_store {
  memory committed, open;
  bool fail = false;                  // the results store is down
  std::optional<std::int64_t> refuse; // a count the results refuse
  std::vector<bool> isolating;        // per begin()
  std::vector<std::uint64_t> versions;

  std::unique_ptr<progress_txn> begin(bool isolate) override {
    isolating.push_back(isolate);
    return std::make_unique<memory_txn>(committed, open);
  }
  expected<std::size_t> write_final(const final_rows& rows, dropped_rows&,
                                    std::vector<sinks::refused_row>& refused) override {
    for (const auto& r : rows.rows) {
      const auto n = jobs::acc_row::of(r.rows->rows, r.i).slots[0].count;
      if (!take(n, r.partition(), refused))
        continue;
      open.results[{r.start(), std::string{r.key()}}] = {n, 0};
    }
    return rows.rows.size();
  }
  expected<std::size_t> write_merged(std::span<const merged_row> rows, std::uint64_t version,
                                     std::span<const millis> windows,
                                     std::vector<sinks::refused_row>& refused) override {
    versions.push_back(version);
    if (fail)
      return error{"store down"};
    std::erase_if(open.results, [&](const auto& e) {
      return std::find(windows.begin(), windows.end(), e.first.first) != windows.end();
    });
    for (const auto& r : rows)
      if (take((*r.values)[0].i, -1, refused))
        open.results[{r.start, std::string{r.key}}] = {(*r.values)[0].i, r.rank};
    return std::size_t{0};
  }

private:
  // A refused count throws until the write isolates; then it is listed.
  bool take(std::int64_t n, partition_id p, std::vector<sinks::refused_row>& refused) {
    if (!refuse || n != *refuse)
      return true;
    if (!isolating.back())
      throw rows_refused{"CHECK (n <> " + std::to_string(n) + ")"};
    refused.push_back({p, -1, "", "refused"});
    return false;
  }
};

jobs::job_spec make_spec(bool partitioned = false) {
  jobs::job_spec s;
  s.name = "t";
  s.key = {"k"};
  s.window = {jobs::window_kind::tumbling, 1000, 1000, 0, 5000};
  s.aggregations = {{jobs::agg_kind::count, "", "n"}};
  s.sink.type = "postgres";
  s.sink.table = "t";
  if (partitioned)
    s.source.partitioned_by = "k";
  return s;
}

struct harness {
  explicit harness(jobs::job_spec s, std::int32_t partitions = 1) : spec(std::move(s)) {
    store = std::make_shared<memory_store>();
    sink = make_sink(spec, {partitions}, [st = store]() -> expected<stores> {
      return stores{st, st};
    });
  }
  sinks::write_result write(const test_support::folded& f) {
    auto b = test_support::batch_of(f);
    const jobs::sink_batch* one[] = {&b};
    return sink->write(one);
  }
  // The count stored for window `start` of key a (-1: none).
  std::int64_t n(millis start = 0) const {
    auto it = store->committed.results.find({start, "a"});
    return it == store->committed.results.end() ? -1 : it->second.first;
  }
  std::size_t partials(millis start) const {
    std::size_t k = 0;
    for (const auto& [key, p] : store->committed.partials)
      k += p.start == start;
    return k;
  }

  jobs::job_spec spec;
  std::shared_ptr<memory_store> store;
  std::unique_ptr<sinks::sink> sink;
};

using test_support::fold;

} // namespace

TEST(WindowedSink, AWriterBehindIsFencedUntilItCatchesUp) {
  for (bool partitioned : {false, true}) {
    harness h{make_spec(partitioned)};
    EXPECT_EQ(h.write(fold(h.spec, 17)).done, 1u); // window 0: 11 with the late event
    EXPECT_EQ(h.n(), 11);
    h.write(fold(h.spec, 12)); // a former owner flushing what it held: 10
    EXPECT_EQ(h.n(), 11) << "partitioned " << partitioned;
    EXPECT_EQ(h.store->committed.progress[0].next_offset, 17);
    h.write(fold(h.spec, 18)); // caught up: taken again
    EXPECT_EQ(h.store->committed.progress[0].next_offset, 18);
  }
}

TEST(WindowedSink, AWindowIsPublishedWhenEveryPartitionPassedIt) {
  harness h{make_spec(), 2};
  h.write(fold(h.spec, 17, 0));
  EXPECT_EQ(h.n(), -1) << "partition 1 has not reported";
  EXPECT_EQ(h.partials(0), 1u);
  h.write(fold(h.spec, 17, 1));
  EXPECT_EQ(h.n(), 22) << "both partitions' partials merged";
  EXPECT_EQ(h.store->committed.job.materialized, 1600) << "both watermarks: t = 1600";
  EXPECT_EQ(h.partials(0), 2u) << "kept: within the allowed lateness";
}

TEST(WindowedSink, PartialsGoWhenFinalAndLaterRowsForThemAreDropped) {
  harness h{make_spec(), 2};
  h.write(fold(h.spec, 75, 0)); // t = 7400: window 0's end + lateness passed
  h.write(fold(h.spec, 75, 1));
  EXPECT_EQ(h.n(), 22);
  EXPECT_EQ(h.partials(0), 0u) << "final: forgotten";
  auto replay = h.write(fold(h.spec, 76, 1)); // re-sends every window, further along
  EXPECT_GT(replay.dropped, 0u);
  EXPECT_EQ(h.store->committed.dropped[1], replay.dropped);
  EXPECT_EQ(h.n(), 22) << "never merged alone";
}

TEST(WindowedSink, AnIdlePartitionHoldsFinalityNotPublication) {
  harness h{make_spec(), 2};
  h.write(fold(h.spec, 75, 0));
  auto quiet = fold(h.spec, 6, 1);
  quiet.progress.idle = true;
  h.write(quiet);
  EXPECT_EQ(h.n(), 11) << "published without the idle partition";
  EXPECT_EQ(h.partials(0), 1u) << "not final: partition 1 may wake";
  auto woken = h.write(fold(h.spec, 75, 1));
  EXPECT_EQ(woken.dropped, 0u);
  EXPECT_EQ(h.n(), 22) << "its backlog merged into the published window";
}

TEST(WindowedSink, TopNReplacesItsWindowsRanked) {
  auto spec = make_spec();
  spec.top = {1, "n"};
  harness h{spec, 2};
  h.write(fold(h.spec, 17, 0));
  h.write(fold(h.spec, 12, 1));
  const auto& r = h.store->committed.results.at({0, "a"});
  EXPECT_EQ(r, std::make_pair(std::int64_t{21}, std::uint32_t{1}));
}

TEST(WindowedSink, AStoreThatFailsRollsTheWriteBack) {
  harness h{make_spec(), 2};
  h.write(fold(h.spec, 17, 0));
  h.store->fail = true;
  auto failed = h.write(fold(h.spec, 17, 1));
  ASSERT_TRUE(failed.failure);
  EXPECT_EQ(failed.done, 0u);
  EXPECT_EQ(failed.failure->message, "store down");
  EXPECT_EQ(h.store->committed.progress.count(1), 0u) << "partition 1's progress rolled back";
  h.store->fail = false;
  EXPECT_EQ(h.write(fold(h.spec, 17, 1)).done, 1u);
  EXPECT_EQ(h.n(), 22);
  EXPECT_EQ(h.store->versions, (std::vector<std::uint64_t>{1, 1}))
    << "the retry merges at the version the failed write had";
  EXPECT_EQ(h.store->committed.job.merges, 1u);
}

TEST(WindowedSink, RefusedRowsAreIsolatedByWritingAgain) {
  for (bool partitioned : {false, true}) {
    harness h{make_spec(partitioned)};
    h.store->refuse = 9; // window [1 s, 2 s) has 9 events
    auto w = h.write(fold(h.spec, 40));
    EXPECT_EQ(w.done, 1u);
    EXPECT_EQ(h.store->isolating, (std::vector<bool>{false, true}));
    ASSERT_EQ(w.refused.size(), 1u);
    EXPECT_EQ(w.refused[0].partition, partitioned ? 0 : -1);
    EXPECT_EQ(h.n(1000), -1);
    EXPECT_EQ(h.n(0), 11);
    EXPECT_EQ(h.store->committed.dropped[partitioned ? 0 : -1], 1u) << "counted";
  }
}

// Without a progress store (ClickHouse, MariaDB), rows final per partition
// go to the results store, the latest per (window, key), with versions.
TEST(WindowedSink, VersionedStoresGetTheLatestRowOfEachWindowAndKey) {
  struct recording final : results_store {
    std::vector<std::tuple<millis, std::int64_t, std::uint64_t>> rows;
    bool barrier = false;
    expected<std::size_t> write_final(const final_rows& f, dropped_rows&,
                                      std::vector<sinks::refused_row>&) override {
      for (const auto& r : f.rows)
        rows.emplace_back(r.start(), jobs::acc_row::of(r.rows->rows, r.i).slots[0].count,
                          r.version);
      barrier = f.barrier;
      return f.rows.size();
    }
    expected<std::size_t> write_merged(std::span<const merged_row>, std::uint64_t,
                                       std::span<const millis>,
                                       std::vector<sinks::refused_row>&) override {
      return error{"not here"};
    }
  };
  auto spec = make_spec(true);
  auto store = std::make_shared<recording>();
  auto sink = make_sink(spec, {1}, [store]() -> expected<stores> {
    return stores{nullptr, store};
  });
  auto b = test_support::batch_of(fold(spec, 17)); // window 0 emitted with 10, then with 11
  b.barrier = true;
  const jobs::sink_batch* one[] = {&b};
  EXPECT_EQ(sink->write(one).done, 1u);
  ASSERT_EQ(store->rows.size(), 1u);
  EXPECT_EQ(store->rows[0], std::make_tuple(millis{0}, std::int64_t{11}, std::uint64_t{17}));
  EXPECT_TRUE(store->barrier);
}
