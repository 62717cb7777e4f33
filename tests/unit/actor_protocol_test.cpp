// The coordinator, worker, source and sink actors together under CAF's
// deterministic test scheduler: one thread, no wall clock for the protocol
// (timers fire when a test advances the test clock), no services. Kafka, the
// sinks' stores and the checkpoint store are fakes that record what the
// actors did (world::log); every actor is the real one.
//
// Each test walks one protocol of docs/architecture.md: a handoff with the
// old owner fenced, a worker lost mid-round then recovery, checkpoint rounds
// completing and failing, a drain, a refusal.
#include "actors/blocking.hpp"
#include "actors/coordinator.hpp"
#include "actors/sink.hpp"
#include "actors/source.hpp"
#include "actors/worker.hpp"
#include "base/logging.hpp"
#include "jobs/registry/pipelines.hpp"

#include <gtest/gtest.h>
#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <set>

using namespace weir;
using namespace std::chrono_literals;

namespace weir {
// Names, not bytes, in a failing test's output.
void PrintTo(round_outcome o, std::ostream* os) {
  *os << to_string(o);
}
void PrintTo(cluster_event_kind k, std::ostream* os) {
  *os << to_string(k);
}
} // namespace weir

namespace {

// A windowed job (its state moves with a partition) with checkpoints.
constexpr const char* windowed_spec = R"(
name: counts
source: {type: kafka, brokers: "127.0.0.1:1", topic: events,
         event_time: {field: ts, format: iso8601}}
window: {type: tumbling, size: 1m}
key: [user]
aggregations: [{fn: count, as: n}]
sink: {type: postgres, url: "postgresql://x@127.0.0.1:1/x", table: counts}
checkpoints: {url: "file:///nowhere", interval: 10s}
)";

// A raw job (a partition given up is dropped, its rows replayed) without checkpoints.
constexpr const char* raw_spec = R"(
name: rows
source: {type: kafka, brokers: "127.0.0.1:1", topic: events}
columns: [{name: id, type: string, nullable: false}]
sink: {type: postgres_raw, url: "postgresql://x@127.0.0.1:1/x", table: rows, key: id}
)";

// A raw job into a lake table: the coordinator commits what checkpoints cover.
constexpr const char* lake_spec = R"(
name: lake
source: {type: kafka, brokers: "127.0.0.1:1", topic: events}
columns: [{name: id, type: string, nullable: false}]
sink: {type: iceberg, url: "s3://b/t", catalog: "postgresql://x@127.0.0.1:1/x", table: weir.t}
checkpoints: {url: "file:///nowhere", interval: 10s}
)";

constexpr auto checkpoint_interval = 10s;

// What the fakes saw and what a test makes them do.
struct world {
  std::vector<std::string> log;                   // in order: "w1 reads 0", "w2 loads KEY", ...
  std::map<std::string, std::set<int>> reading;   // per worker: partitions its input reads
  std::set<std::string> sink_down;                // workers whose store refuses writes (for now)
  std::map<std::string, std::string> checkpoints; // the checkpoint store, shared like S3
  std::vector<lake::commit_request> commits;      // lake commits the coordinator ran
  int commit_failures = 0;                        // the next ones fail
  std::uint64_t listed_per_barrier = 0;           // bytes a sink lists per partition and barrier
  bool hold_barriers = false; // sinks take barriers (and what follows) without making them durable

  void note(std::string line) { log.push_back(std::move(line)); }
  // Position of the first line equal to `line`, or -1.
  long at(const std::string& line) const {
    auto it = std::find(log.begin(), log.end(), line);
    return it == log.end() ? -1 : it - log.begin();
  }
};

// Kafka as a source sees it: partitions come and go, and nothing arrives.
class fake_input final : public source_input {
public:
  fake_input(std::shared_ptr<world> w, std::string worker)
    : world_(std::move(w)), worker_(std::move(worker)) {}
  expected<void> reassign(const std::string&, const offsets& add,
                          const std::vector<std::int32_t>& remove) override {
    for (const auto& [p, from] : add) {
      world_->reading[worker_].insert(p);
      world_->note(worker_ + " reads " + std::to_string(p));
    }
    for (auto p : remove) {
      world_->reading[worker_].erase(p);
      world_->note(worker_ + " drops " + std::to_string(p));
    }
    return {};
  }
  expected<void> pause(const std::string&, std::int32_t) override { return {}; }
  size_t poll(std::vector<rd_kafka_message_t*>&, int) override { return 0; }
  void release(std::vector<rd_kafka_message_t*>&, size_t) override {}
  std::int64_t high_watermark(const std::string&, std::int32_t) const override { return -1; }
  expected<std::pair<std::int64_t, std::int64_t>> watermark_offsets(const std::string&,
                                                                    std::int32_t) override {
    return std::make_pair(std::int64_t{0}, std::int64_t{0});
  }

private:
  std::shared_ptr<world> world_;
  std::string worker_;
};

// The checkpoint store every worker shares.
class fake_store final : public checkpoint_store {
public:
  fake_store(std::shared_ptr<world> w, std::string worker)
    : world_(std::move(w)), worker_(std::move(worker)) {}
  expected<void> put(const std::string& key, std::string_view bytes) override {
    world_->checkpoints[key] = std::string{bytes};
    world_->note(worker_ + " stores " + key);
    return {};
  }
  expected<std::string> get(const std::string& key) override {
    world_->note(worker_ + " loads " + key);
    auto it = world_->checkpoints.find(key);
    if (it == world_->checkpoints.end())
      return error{"no " + key};
    return it->second;
  }
  expected<std::vector<std::string>> list(const std::string& prefix) override {
    std::vector<std::string> out;
    for (const auto& [key, bytes] : world_->checkpoints)
      if (key.rfind(prefix, 0) == 0)
        out.push_back(key);
    return out;
  }
  expected<void> remove(const std::string& key) override {
    world_->checkpoints.erase(key);
    return {};
  }

private:
  std::shared_ptr<world> world_;
  std::string worker_;
};

// A job's store on one worker: takes every batch, unless the test took it down.
class fake_sink final : public sinks::sink {
public:
  fake_sink(std::shared_ptr<world> w, std::string worker)
    : world_(std::move(w)), worker_(std::move(worker)) {}
  sinks::write_result write(std::span<const jobs::sink_batch* const> batches) override {
    sinks::write_result out;
    if (world_->sink_down.count(worker_)) {
      out.failure = error{"store down"};
      return out;
    }
    if (held_ > 0 && !world_->hold_barriers) { // as the lake's flush finishes
      world_->note(worker_ + " makes " + std::to_string(held_) + " held batch(es) durable");
      out.done = std::exchange(held_, 0);
    }
    for (const auto* b : batches) {
      world_->note(worker_ + " writes batch " + std::to_string(b->seq));
      if ((b->barrier && world_->hold_barriers) || held_ > 0) {
        ++held_;
        continue;
      }
      if (b->barrier && world_->listed_per_barrier > 0) // as the lake lists its files
        for (const auto& pr : b->progress)
          out.listed[out.done].emplace_back(pr.partition, world_->listed_per_barrier);
      ++out.done;
    }
    out.held = held_;
    return out;
  }

private:
  std::shared_ptr<world> world_;
  std::string worker_;
  std::size_t held_ = 0;
};

struct test_config : caf::actor_system_config {
  test_config() { set("scheduler.policy", caf::atom("testing")); }
};

class ActorProtocol : public ::testing::Test {
protected:
  ActorProtocol() : sched(dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler())) {
    (void)log::init("protocol-test", "off");
  }

  ~ActorProtocol() override {
    if (std::getenv("WEIR_TEST_VERBOSE")) // what the fakes saw, for a failing test
      for (const auto& line : world_->log)
        std::cerr << "  " << line << "\n";
    for (auto& a : spawned)
      caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    settle();
    sys.await_actors_before_shutdown(false);
  }

  // Runs every message there is to run, but a source's poll of an input that
  // holds nothing: that one comes back forever (a real poll blocks instead).
  // While `hold_blocking`, work off the actors' threads (run_blocking: a
  // commit) is held too: it stays in flight.
  void settle() {
    sched.run_jobs_filtered([this](caf::resumable* job) {
      auto* a = dynamic_cast<caf::scheduled_actor*>(job);
      if (!a)
        return true;
      auto* next = a->mailbox().peek();
      if (hold_blocking && next && next->content().match_elements<blocking_atom>())
        return false;
      return a->mailbox().size() != 1 || !(next && next->content().match_elements<poll_atom>());
    });
  }

  // Advances the test clock (timers: checkpoint rounds, sink retries,
  // reconnects) and runs what that set off.
  void advance(caf::timespan by) {
    sched.advance_time(by);
    settle();
  }

  coordinator_actor start_coordinator(std::int32_t partitions, std::string secret = {}) {
    coordinator_config cfg;
    cfg.secret = std::move(secret);
    cfg.count_partitions = [partitions](const std::string&, const std::string&) {
      return expected<std::int32_t>{partitions};
    };
    cfg.commit = [w = world_](const jobs::job_spec&,
                              const lake::commit_request& req) -> expected<lake::commit_outcome> {
      w->commits.push_back(req);
      w->note("commit of round " + std::to_string(req.round));
      if (w->commit_failures > 0) {
        --w->commit_failures;
        return error{"catalog down"};
      }
      return lake::commit_outcome{};
    };
    coord = spawn_coordinator(sys, std::move(cfg), {});
    spawned.push_back(caf::actor_cast<caf::actor>(coord));
    settle();
    return coord;
  }

  // A worker whose jobs run the real source and sink actors over the fakes.
  worker_actor start_worker(const std::string& name, std::string secret = {}) {
    worker_config cfg;
    cfg.info = {name, "host", 1};
    cfg.secret = secret;
    cfg.report_interval = 0ms;
    cfg.coordinator = coord;
    cfg.start = [w = world_, name, secret](caf::actor_system& sys, const jobs::job_spec& spec,
                                           const sinks::context&,
                                           worker_actor parent) -> expected<job_actors> {
      auto pipeline = jobs::make_pipeline(spec);
      if (!pipeline)
        return pipeline.failure();
      source_io io;
      io.open_input = [w, name](const jobs::job_spec&) -> expected<std::unique_ptr<source_input>> {
        return std::unique_ptr<source_input>{std::make_unique<fake_input>(w, name)};
      };
      io.open_dead_letters = [](const jobs::job_spec&) {
        return expected<std::unique_ptr<dead_letter_queue>>{nullptr};
      };
      io.open_checkpoints = [w, name](const std::string&) {
        return expected<std::unique_ptr<checkpoint_store>>{std::make_unique<fake_store>(w, name)};
      };
      job_actors out;
      out.sink =
        sys.spawn(sink_driver, spec.name, std::make_shared<fake_sink>(w, name), parent, spec);
      out.sources.push_back(sys.spawn(kafka_source, spec,
                                      std::shared_ptr<const jobs::pipeline>{std::move(*pipeline)},
                                      out.sink, parent, secret, std::move(io)));
      return out;
    };
    auto w = sys.spawn(worker, std::move(cfg));
    w->attach_functor([gone = gone, name] { gone->insert(name); });
    spawned.push_back(caf::actor_cast<caf::actor>(w));
    settle();
    return w;
  }

  // One request to `dest` from an actor of the test; its answer, if any.
  template <class Reply, class Handle, class... Ts>
  std::optional<Reply> ask(const Handle& dest, Ts... xs) {
    auto out = std::make_shared<std::optional<Reply>>();
    sys.spawn([=](caf::event_based_actor* self) {
      self->request(dest, caf::infinite, xs...).then([out](Reply& r) { *out = std::move(r); });
    });
    settle();
    return *out;
  }

  submit_reply submit(const char* spec) {
    return ask<submit_reply>(coord, submit_atom::value, std::string{spec}, std::string{"test"})
      .value_or(submit_reply{{}, "no answer", refusal::unavailable});
  }

  cluster_view view() { return *ask<cluster_view>(coord, observe_atom::value); }

  // Who owns each partition of the only job, and its checkpoint round.
  std::vector<std::string> owners() {
    std::vector<std::string> out;
    const auto v = view();
    for (const auto& p : v->jobs.at(0).partitions)
      out.push_back(p.owner);
    return out;
  }

  std::vector<round_outcome> outcomes() {
    std::vector<round_outcome> out;
    const auto v = view();
    for (const auto& r : v->jobs.at(0).rounds)
      out.push_back(r.outcome);
    return out;
  }

  std::vector<std::string> members() {
    std::vector<std::string> out;
    const auto v = view();
    for (const auto& w : v->workers)
      out.push_back(w.name);
    return out;
  }

  bool hold_blocking = false;
  test_config cfg;
  caf::actor_system sys{cfg};
  caf::scheduler::test_coordinator& sched;
  std::shared_ptr<world> world_ = std::make_shared<world>();
  std::shared_ptr<std::set<std::string>> gone = std::make_shared<std::set<std::string>>();
  coordinator_actor coord;
  std::vector<caf::actor> spawned;
};

int other(int p) {
  return 1 - p;
}

} // namespace

// A partition moving between live workers starts on its new owner only once
// its old owner released it: everything it emitted is durable and its state
// reached the new owner.
TEST_F(ActorProtocol, AHandoffStartsTheNewOwnerOnlyOnceTheOldOneReleased) {
  start_coordinator(2);
  ASSERT_TRUE(submit(windowed_spec).accepted());
  world_->sink_down.insert("w1"); // what w1 emits does not become durable
  start_worker("w1");
  EXPECT_EQ(world_->reading["w1"], (std::set<int>{0, 1}));
  start_worker("w2");
  // w1 gives one partition up: it stopped reading it, but its output is not
  // durable, so it has not released it, and w2 must not start it.
  ASSERT_EQ(world_->reading["w1"].size(), 1u);
  const int moved = other(*world_->reading["w1"].begin());
  EXPECT_GE(world_->at("w1 drops " + std::to_string(moved)), 0);
  EXPECT_TRUE(world_->reading["w2"].empty());
  advance(1s); // sink retries: still down
  EXPECT_TRUE(world_->reading["w2"].empty());

  world_->sink_down.erase("w1");
  advance(5s); // the next retry writes
  EXPECT_EQ(world_->reading["w2"], (std::set<int>{moved}));
  EXPECT_LT(world_->at("w1 writes batch 1"), world_->at("w2 reads " + std::to_string(moved)));
  EXPECT_EQ(owners()[static_cast<size_t>(moved)], "w2");
}

// A worker cut off in the middle of a checkpoint round: its partitions go to
// the others, each restored from the round the coordinator points to, and
// the round it still finishes afterwards is not taken from it.
TEST_F(ActorProtocol, AWorkerLostMidRoundIsRecoveredAndItsLateReportIgnored) {
  start_coordinator(2);
  ASSERT_TRUE(submit(windowed_spec).accepted());
  start_worker("w1");
  auto w2 = start_worker("w2");
  ASSERT_EQ(world_->reading["w2"].size(), 1u);
  const int lost = *world_->reading["w2"].begin();
  advance(checkpoint_interval); // round 1: both store and report
  ASSERT_EQ(outcomes(), std::vector<round_outcome>{round_outcome::completed});
  const auto kept = view()->jobs[0].partitions[static_cast<size_t>(lost)].checkpoint;
  ASSERT_EQ(kept.id, 1u);

  world_->sink_down.insert("w2"); // w2's round 2 waits for its sink
  advance(checkpoint_interval);
  // The link to w2 goes down (w2 itself runs on, cut off).
  caf::anon_send(caf::actor_cast<caf::actor>(coord),
                 caf::down_msg{w2.address(), caf::exit_reason::remote_link_unreachable});
  settle();
  EXPECT_EQ(members(), std::vector<std::string>{"w1"});
  EXPECT_EQ(owners(), (std::vector<std::string>{"w1", "w1"}));
  // Recovery: w1 reads the lost partition from its checkpoint.
  EXPECT_EQ(world_->reading["w1"], (std::set<int>{0, 1}));
  EXPECT_GE(world_->at("w1 loads " + kept.key), 0);

  // w2 finishes round 2 after all and reports it: no longer the owner.
  world_->sink_down.erase("w2");
  advance(5s);
  const auto round2 = checkpoint_key("counts", lost, 2);
  ASSERT_GE(world_->at("w2 stores " + round2), 0);
  const auto v = view();
  const auto& p = v->jobs[0].partitions[static_cast<size_t>(lost)];
  EXPECT_EQ(p.checkpoint.id, 1u);
  EXPECT_EQ(p.checkpoint.key, kept.key);
  EXPECT_EQ(v->jobs[0].rounds.back().reported, 1u); // w1's only
}

// A round completes when every partition reported; one not complete when the
// next starts failed (here: the sink holds the snapshot's output back, so the
// source never stores it), and its partitions keep the previous round.
TEST_F(ActorProtocol, ACheckpointRoundCompletesAndOneNotCompleteFails) {
  start_coordinator(2);
  ASSERT_TRUE(submit(windowed_spec).accepted());
  start_worker("w1");
  advance(checkpoint_interval);
  EXPECT_EQ(outcomes(), std::vector<round_outcome>{round_outcome::completed});
  EXPECT_GE(world_->at("w1 stores " + checkpoint_key("counts", 0, 1)), 0);

  world_->sink_down.insert("w1");
  advance(checkpoint_interval); // round 2 starts; w1's source waits for its sink
  EXPECT_EQ(outcomes().back(), round_outcome::in_progress);
  EXPECT_LT(world_->at("w1 stores " + checkpoint_key("counts", 0, 2)), 0);
  advance(checkpoint_interval); // round 3 starts: round 2 failed
  using o = round_outcome;
  EXPECT_EQ(outcomes(), (std::vector<o>{o::completed, o::failed, o::in_progress}));
  auto v = view();
  EXPECT_EQ(v->jobs[0].checkpoints_failed, 1u);
  EXPECT_EQ(v->jobs[0].partitions[0].checkpoint.id, 1u);
  ASSERT_FALSE(v->events.empty());
  EXPECT_EQ(v->events.front().kind, cluster_event_kind::checkpoint_failed);
}

// A sink that takes a barrier without making it durable (the lake while the
// barrier's files upload) holds the checkpoint back until it counts the
// barrier done; the driver asks it again without handing the batch twice.
TEST_F(ActorProtocol, AHeldBarrierIsCheckpointedOnceTheSinkCountsItDone) {
  start_coordinator(2);
  ASSERT_TRUE(submit(windowed_spec).accepted());
  start_worker("w1");
  world_->hold_barriers = true;
  advance(checkpoint_interval);
  EXPECT_EQ(outcomes().back(), round_outcome::in_progress);
  EXPECT_LT(world_->at("w1 stores " + checkpoint_key("counts", 0, 1)), 0);
  advance(100ms); // the driver asks every 10 ms
  EXPECT_LT(world_->at("w1 stores " + checkpoint_key("counts", 0, 1)), 0);
  std::set<std::string> written;
  for (const auto& line : world_->log)
    if (line.rfind("w1 writes batch ", 0) == 0)
      EXPECT_TRUE(written.insert(line).second) << line << " handed twice";
  world_->hold_barriers = false;
  advance(10ms);
  const auto durable = world_->at("w1 makes 1 held batch(es) durable");
  ASSERT_GE(durable, 0);
  EXPECT_GT(world_->at("w1 stores " + checkpoint_key("counts", 0, 1)), durable);
  EXPECT_EQ(outcomes(), std::vector<round_outcome>{round_outcome::completed});
}

// A drained worker hands its partitions over (fenced like any move) and
// leaves once it holds, and releases, nothing.
TEST_F(ActorProtocol, ADrainedWorkerLeavesOnceItHoldsNothing) {
  start_coordinator(2);
  ASSERT_TRUE(submit(raw_spec).accepted());
  start_worker("w1");
  start_worker("w2");
  ASSERT_EQ(world_->reading["w1"].size(), 1u);
  const int given = *world_->reading["w1"].begin();
  world_->sink_down.insert("w1"); // the batch releasing it cannot be written yet
  auto reply = ask<drain_reply>(coord, drain_atom::value, std::string{"w1"});
  ASSERT_TRUE(reply && reply->draining());
  EXPECT_TRUE(world_->reading["w1"].empty());
  EXPECT_EQ(world_->reading["w2"].count(given), 0u); // not released yet
  EXPECT_EQ(gone->count("w1"), 0u);                  // so it stays
  EXPECT_EQ(ask<drain_reply>(coord, drain_atom::value, std::string{"w2"})->why,
            refusal::conflict); // the last one not draining

  world_->sink_down.erase("w1");
  advance(5s);
  EXPECT_EQ(world_->reading["w2"], (std::set<int>{0, 1}));
  EXPECT_EQ(gone->count("w1"), 1u);
  EXPECT_EQ(members(), std::vector<std::string>{"w2"});
}

// With a cluster secret, a worker that cannot prove it is refused (and keeps
// being refused when it retries); one that can joins.
TEST_F(ActorProtocol, AWorkerWithoutTheClusterSecretIsRefused) {
  start_coordinator(2, "s3cret");
  start_worker("member", "s3cret");
  EXPECT_EQ(members(), std::vector<std::string>{"member"});
  start_worker("intruder");
  advance(5s); // it retries
  EXPECT_EQ(members(), std::vector<std::string>{"member"});
  double refusals = 0;
  const auto v = view();
  for (const auto& s : v->coordinator.samples)
    if (s.name == "refusals")
      refusals = s.value;
  EXPECT_EQ(refusals, 2);
}

// Lake commits (actors/coordinator/commits.hpp, wired by the actor): a round
// that completes commits once, what its pointers cover.
TEST_F(ActorProtocol, ACompletedRoundCommitsTheLakeTableOnce) {
  start_coordinator(2);
  ASSERT_TRUE(submit(lake_spec).accepted());
  start_worker("w1");
  advance(checkpoint_interval);
  ASSERT_EQ(outcomes(), std::vector<round_outcome>{round_outcome::completed});
  ASSERT_EQ(world_->commits.size(), 1u);
  EXPECT_EQ(world_->commits[0].round, 1u);
  EXPECT_EQ(world_->commits[0].checkpointed.size(), 2u);
  EXPECT_EQ(view()->jobs[0].lake->commits, 0u); // the fake committed nothing new
  advance(checkpoint_interval);
  EXPECT_EQ(world_->commits.size(), 2u);
}

// Under load rounds do not complete, yet pointers move: once an interval
// more than commit_every passed, the next round's start commits them.
TEST_F(ActorProtocol, AnIntervalWithMovedPointersCommitsWithoutACompleteRound) {
  start_coordinator(2);
  ASSERT_TRUE(submit(lake_spec).accepted());
  start_worker("w1");
  start_worker("w2");
  world_->sink_down.insert("w2"); // w2's partition never stores a round
  advance(checkpoint_interval);   // round 1: w1's partition stored, the round not complete
  EXPECT_EQ(outcomes(), std::vector<round_outcome>{round_outcome::in_progress});
  EXPECT_TRUE(world_->commits.empty());
  advance(checkpoint_interval); // round 2 starts: round 1 failed, pointers moved
  ASSERT_EQ(world_->commits.size(), 1u);
  ASSERT_EQ(world_->commits[0].checkpointed.size(), 1u);
  EXPECT_EQ(world_->commits[0].checkpointed.begin()->first, *world_->reading["w1"].begin());
}

// A failing commit is tried again after 1 s, then 2 s, not at every round;
// a commit in flight (held here) is never joined by a second one.
TEST_F(ActorProtocol, AFailingCommitIsRetriedWithBackoffNeverTwoInFlight) {
  start_coordinator(1);
  ASSERT_TRUE(submit(lake_spec).accepted());
  start_worker("w1");
  world_->commit_failures = 2;
  advance(checkpoint_interval); // round 1 completes: commit 1 fails
  ASSERT_EQ(world_->commits.size(), 1u);
  advance(1s); // its backoff: commit 2 fails
  ASSERT_EQ(world_->commits.size(), 2u);
  advance(1s); // backing off 2 s now
  EXPECT_EQ(world_->commits.size(), 2u);
  advance(1s);
  ASSERT_EQ(world_->commits.size(), 3u); // succeeds
  EXPECT_EQ(view()->jobs[0].lake->commit_failures, 2u);

  hold_blocking = true;
  advance(checkpoint_interval); // round 2 completes: commit 4 starts, held in flight
  advance(checkpoint_interval); // rounds 3 and 4 complete meanwhile
  advance(checkpoint_interval);
  EXPECT_EQ(outcomes().back(), round_outcome::completed);
  hold_blocking = false;
  settle(); // commit 4 ends: only it ran
  EXPECT_EQ(world_->commits.size(), 4u);
  EXPECT_EQ(world_->commits.back().round, 2u);
  // Rounds 3 and 4 moved pointers and more than one round passed since
  // commit 4 started: round 5's start commits them.
  advance(checkpoint_interval);
  ASSERT_EQ(world_->commits.size(), 5u);
  EXPECT_EQ(world_->commits.back().round, 4u);
}

// sink.commit_mb: the bytes each barrier listed travel with the acks and
// checkpoint reports to the coordinator, which commits once they reach it,
// before commit_every rounds passed.
TEST_F(ActorProtocol, ListedBytesCommitBeforeCommitEveryRounds) {
  start_coordinator(2);
  std::string spec = lake_spec;
  spec.replace(spec.find("table: weir.t}"), 14, "table: weir.t, commit_every: 10, commit_mb: 1}");
  ASSERT_TRUE(submit(spec.c_str()).accepted());
  start_worker("w1");
  world_->listed_per_barrier = 300 << 10; // 600 KiB a round over two partitions
  advance(checkpoint_interval);
  EXPECT_TRUE(world_->commits.empty());
  advance(checkpoint_interval); // 1.2 MiB listed
  ASSERT_EQ(world_->commits.size(), 1u);
  EXPECT_EQ(world_->commits[0].round, 2u);
  world_->listed_per_barrier = 0; // nothing more: commit_every bounds the wait
  for (int i = 0; i < 9; ++i)
    advance(checkpoint_interval);
  EXPECT_EQ(world_->commits.size(), 1u);
  advance(checkpoint_interval);
  EXPECT_EQ(world_->commits.size(), 2u);
}
