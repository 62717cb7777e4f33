// The kind-agnostic sink actor against a fake sinks::sink: acks only what the
// sink made durable, in order, and retries the rest starting at the first
// batch not done; and stops, with the store's reason, on a permanent failure.
#include "actors/sink.hpp"

#include <gtest/gtest.h>
#include <caf/all.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

using namespace weir;

namespace {

struct recorder {
  std::mutex mtx;
  std::condition_variable cv;
  std::vector<std::uint64_t> acks, credits;
  std::vector<std::vector<std::uint64_t>> calls; // seqs handed to each write

  void record(std::span<const jobs::sink_batch* const> batches) {
    std::vector<std::uint64_t> seqs;
    for (const auto* b : batches)
      seqs.push_back(b->seq);
    std::lock_guard<std::mutex> guard{mtx};
    calls.push_back(std::move(seqs));
  }

  bool wait_for_acks(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, std::chrono::seconds(10), [&] { return acks.size() >= n; });
  }
};

// Fails its first write after making the first batch durable.
class flaky_sink final : public sinks::sink {
public:
  explicit flaky_sink(std::shared_ptr<recorder> rec) : rec_(std::move(rec)) {}
  sinks::write_result write(std::span<const jobs::sink_batch* const> batches) override {
    rec_->record(batches);
    if (failed_)
      return {batches.size(), 0, std::nullopt};
    failed_ = true;
    return {1, 0, error{"store went away"}};
  }

private:
  std::shared_ptr<recorder> rec_;
  bool failed_ = false;
};

source_actor::behavior_type fake_source(source_actor::pointer, std::shared_ptr<recorder> rec) {
  return {
    [](assign_atom, source_assignment&) { return true; },
    [](checkpoint_atom, round_id, const std::vector<round_id>&) {},
    [](poll_atom) {},
    [rec](ack_atom, std::uint64_t seq, const jobs::listed_bytes&) {
      std::lock_guard<std::mutex> guard{rec->mtx};
      rec->acks.push_back(seq);
      rec->cv.notify_all();
    },
    [rec](credit_atom, std::uint64_t seq) {
      std::lock_guard<std::mutex> guard{rec->mtx};
      rec->credits.push_back(seq);
    },
  };
}

sink_actor spawn_driver(caf::actor_system& sys, std::shared_ptr<sinks::sink> sink) {
  return sys.spawn(sink_driver, std::string{"job"}, std::move(sink), worker_actor{},
                   jobs::job_spec{});
}

// Batches 1..n, each from `source`.
void send_batches(const sink_actor& sink, const source_actor& source, std::uint64_t n) {
  for (std::uint64_t seq = 1; seq <= n; ++seq) {
    jobs::sink_batch b;
    b.seq = seq;
    caf::anon_send(sink, write_atom::value, std::move(b), source);
  }
}

} // namespace

TEST(SinkDriver, AcksWhatIsDurableAndRetriesTheRest) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto rec = std::make_shared<recorder>();
  auto source = sys.spawn(fake_source, rec);
  auto sink = spawn_driver(sys, std::make_shared<flaky_sink>(rec));
  send_batches(sink, source, 3);
  ASSERT_TRUE(rec->wait_for_acks(3));
  std::lock_guard<std::mutex> guard{rec->mtx};
  EXPECT_EQ(rec->acks, (std::vector<std::uint64_t>{1, 2, 3}));
  ASSERT_GE(rec->calls.size(), 2u);
  EXPECT_EQ(rec->calls[0].front(), 1u);
  EXPECT_EQ(rec->calls[1].front(), 2u); // batch 1 was done: not written again
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
}

namespace {

// Takes every batch at once but makes them durable only on its third call
// (a lake flushing a barrier's files in the background).
class holding_sink final : public sinks::sink {
public:
  explicit holding_sink(std::shared_ptr<recorder> rec) : rec_(std::move(rec)) {}
  sinks::write_result write(std::span<const jobs::sink_batch* const> batches) override {
    rec_->record(batches);
    held_ += batches.size();
    if (++calls_ < 3)
      return {.done = 0, .held = held_};
    return {.done = std::exchange(held_, 0)};
  }

private:
  std::shared_ptr<recorder> rec_;
  std::size_t held_ = 0, calls_ = 0;
};

} // namespace

TEST(SinkDriver, HeldBatchesAreCreditedAtOnceAndAckedOnceDurable) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto rec = std::make_shared<recorder>();
  auto source = sys.spawn(fake_source, rec);
  auto sink = spawn_driver(sys, std::make_shared<holding_sink>(rec));
  send_batches(sink, source, 2);
  ASSERT_TRUE(rec->wait_for_acks(2));
  std::lock_guard<std::mutex> guard{rec->mtx};
  EXPECT_EQ(rec->acks, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(rec->credits, (std::vector<std::uint64_t>{1, 2})); // before the acks, once each
  ASSERT_GE(rec->calls.size(), 3u);
  for (std::size_t i = 1; i < rec->calls.size(); ++i) // a held batch is never handed again
    for (auto seq : rec->calls[i])
      for (std::size_t j = 0; j < i; ++j)
        EXPECT_EQ(std::count(rec->calls[j].begin(), rec->calls[j].end(), seq), 0) << seq;
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
}

namespace {

// The store refuses the job itself (a results table made for another spec).
class refusing_sink final : public sinks::sink {
public:
  sinks::write_result write(std::span<const jobs::sink_batch* const>) override {
    ++writes;
    return {0, 0, error{"results table t: column n is integer, the spec needs bigint", true}};
  }
  std::atomic<int> writes{0};
};

} // namespace

TEST(SinkDriver, StopsOnAPermanentFailureInsteadOfRetrying) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto rec = std::make_shared<recorder>();
  auto source = sys.spawn(fake_source, rec);
  auto store = std::make_shared<refusing_sink>();
  auto sink = spawn_driver(sys, store);
  caf::scoped_actor self{sys};
  self->monitor(sink);
  jobs::sink_batch b;
  b.seq = 1;
  caf::anon_send(sink, write_atom::value, std::move(b), source);
  std::string why;
  self->receive([&](const caf::down_msg& msg) {
    const auto& ctx = msg.reason.context();
    if (ctx.match_elements<std::string>())
      why = ctx.get_as<std::string>(0);
  });
  // Its reason is the store's (the worker reports it); one write, no retry, no ack.
  EXPECT_EQ(why, "results table t: column n is integer, the spec needs bigint");
  EXPECT_EQ(store->writes.load(), 1);
  std::lock_guard<std::mutex> guard{rec->mtx};
  EXPECT_TRUE(rec->acks.empty());
  caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
}

namespace {

// Writes everything but refuses one row of each write.
class one_row_refused final : public sinks::sink {
public:
  sinks::write_result write(std::span<const jobs::sink_batch* const> batches) override {
    ++writes;
    sinks::write_result out;
    out.done = batches.size();
    out.dropped = 1;
    out.refused.push_back({2, 40, "{\"k\":\"x\"}", "the store refused the row: check"});
    return out;
  }
  std::atomic<int> writes{0};
};

} // namespace

// A refused row is acked only once the dead-letter topic has it: with no
// Kafka to take it, the batch is not acked, and the write, which committed,
// is not made again (only the sending is retried).
TEST(SinkDriver, RefusedRowsThatCannotBeDeadLetteredAreNotAcked) {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  auto rec = std::make_shared<recorder>();
  auto source = sys.spawn(fake_source, rec);
  auto store = std::make_shared<one_row_refused>();
  jobs::job_spec spec;
  spec.name = "job";
  spec.source.brokers = "127.0.0.1:1"; // nothing listens
  spec.dead_letter_topic = "job.dlq";
  auto sink = sys.spawn(sink_driver, std::string{"job"}, std::shared_ptr<sinks::sink>{store},
                        worker_actor{}, spec);
  jobs::sink_batch b;
  b.seq = 1;
  caf::anon_send(sink, write_atom::value, std::move(b), source);
  // The topic lookup gives up after 10 s; then the sending is tried again.
  std::this_thread::sleep_for(std::chrono::seconds(12));
  EXPECT_EQ(store->writes.load(), 1);
  {
    std::lock_guard<std::mutex> guard{rec->mtx};
    EXPECT_TRUE(rec->acks.empty());
  }
  caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
}
