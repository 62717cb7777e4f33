// The coordinator's parts without an actor (actors/coordinator/): membership
// and admission, placement and its handoff fencing, checkpoint rounds,
// scheduling and observation. Time is a parameter here, never the clock.
#include "actors/coordinator/membership.hpp"
#include "actors/coordinator/observation.hpp"
#include "actors/coordinator/placement.hpp"
#include "actors/coordinator/rounds.hpp"
#include "actors/coordinator/schedule.hpp"
#include "runtime/auth.hpp"

#include <gtest/gtest.h>

using namespace weir;
using namespace weir::coordinator;

namespace {

job_record job_of(std::int32_t partitions, std::string checkpoint_url = {}) {
  jobs::job_spec spec;
  spec.name = "j";
  spec.source.topic = "t";
  spec.checkpoints.url = std::move(checkpoint_url);
  return make_record(spec, "text", partitions);
}

membership members_of(std::initializer_list<const char*> names) {
  membership m;
  for (const auto* n : names)
    m.join(n, {n, "host", 1});
  return m;
}

std::vector<partition_id> ids(const std::vector<partition_checkpoint>& parts) {
  std::vector<partition_id> out;
  for (const auto& pc : parts)
    out.push_back(pc.partition);
  return out;
}

partition_checkpoint stored(partition_id p, round_id id, offset_t offset) {
  return {p, offset, "key", id, 10};
}

} // namespace

// -- membership ----------------------------------------------------------------

TEST(Membership, ARejoinReplacesTheMemberAndEndsItsDrain) {
  membership m;
  EXPECT_FALSE(m.join("a", {"a", "h1", 1}));
  EXPECT_FALSE(m.join("b", {"b", "h1", 2}));
  EXPECT_TRUE(m.drain("a", true).draining());
  EXPECT_TRUE(m.join("a", {"a", "h2", 3}));
  EXPECT_FALSE(m.find("a")->draining);
  EXPECT_EQ(m.find("a")->info.host, "h2");
}

TEST(Membership, DrainRefusesAnUnknownWorkerAndTheLastOneServingWhileJobsRun) {
  auto m = members_of({"a", "b"});
  EXPECT_EQ(m.drain("x", true).why, refusal::not_found);
  EXPECT_TRUE(m.drain("a", true).draining());
  EXPECT_EQ(m.drain("b", true).why, refusal::conflict);
  EXPECT_FALSE(m.find("b")->draining);
  EXPECT_TRUE(m.drain("b", false).draining()); // nothing runs: nothing needs it
}

TEST(Membership, PartitionsGoToServingMembersElseToDrainingOnes) {
  auto m = members_of({"a", "b", "c"});
  m.drain("b", true);
  EXPECT_EQ(m.placeable(), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(m.serving(), (std::vector<std::string>{"a", "c"}));
  m.leave("a");
  m.leave("c");
  EXPECT_EQ(m.placeable(), (std::vector<std::string>{"b"}));
  EXPECT_TRUE(m.serving().empty());
}

TEST(Membership, CpuShareIsCpuTimeBetweenTwoReportsOverTheirDistance) {
  auto m = members_of({"a"});
  worker_report r;
  r.cpu_seconds = 10;
  m.take_report("a", r, 1'000);
  EXPECT_EQ(m.find("a")->cpu_percent, -1);
  r.cpu_seconds = 11;
  m.take_report("a", r, 3'000);
  EXPECT_DOUBLE_EQ(m.find("a")->cpu_percent, 50);
  m.take_report("nobody", r, 4'000); // ignored
}

// -- admission -------------------------------------------------------------------

TEST(Admission, WithoutASecretEveryProcessIsAdmitted) {
  admission gate;
  EXPECT_TRUE(gate.open());
  EXPECT_FALSE(gate.challenge("n", "nonce", "c").required);
  EXPECT_TRUE(gate.admits("anyone", admission::clock::now()));
}

TEST(Admission, AProofOverTheNonceGivenAdmitsAClientForAMinute) {
  admission gate{"s3cret"};
  const auto t0 = admission::clock::time_point{} + std::chrono::hours(1);
  EXPECT_FALSE(gate.admits("n", t0));
  auto ch = gate.challenge("n", "their-nonce", "coord");
  ASSERT_TRUE(ch.required);
  EXPECT_TRUE(auth::verify("s3cret", auth::role::coordinator, "their-nonce", "coord", ch.proof));
  auto proof = auth::proof("s3cret", auth::role::member, ch.nonce, "n");
  EXPECT_EQ(gate.prove("n", proof, t0), admission::verdict::admitted);
  EXPECT_TRUE(gate.admits("n", t0 + std::chrono::seconds(59)));
  EXPECT_FALSE(gate.admits("n", t0 + std::chrono::seconds(61)));
  EXPECT_FALSE(gate.admits("other", t0));
}

TEST(Admission, AWrongOrMissingProofOrNoChallengeIsRefused) {
  admission gate{"s3cret"};
  const auto t0 = admission::clock::now();
  EXPECT_EQ(gate.prove("n", "x", t0), admission::verdict::no_challenge);
  auto ch = gate.challenge("n", "nonce", "coord");
  EXPECT_EQ(gate.prove("n", auth::proof("other", auth::role::member, ch.nonce, "n"), t0),
            admission::verdict::wrong_secret);
  gate.challenge("n", "nonce", "coord");
  EXPECT_EQ(gate.prove("n", "", t0), admission::verdict::no_secret);
  // A proof made for another node does not admit this one.
  ch = gate.challenge("n", "nonce", "coord");
  EXPECT_EQ(gate.prove("n", auth::proof("s3cret", auth::role::member, ch.nonce, "m"), t0),
            admission::verdict::wrong_secret);
  EXPECT_FALSE(gate.admits("n", t0));
}

TEST(Admission, AMemberStaysAdmittedUntilForgotten) {
  admission gate{"s3cret"};
  gate.admit_member("w");
  EXPECT_TRUE(gate.admits("w", admission::clock::now() + std::chrono::hours(24 * 365)));
  gate.forget("w");
  EXPECT_FALSE(gate.admits("w", admission::clock::now()));
}

// -- placement -------------------------------------------------------------------

TEST(Placement, ANewJobIsSpreadAndEveryOwnerStartsAtOnce) {
  placement pl;
  auto m = members_of({"a", "b"});
  auto job = job_of(4);
  auto plan = pl.rebalance("j", job, m);
  EXPECT_TRUE(plan.changed);
  EXPECT_TRUE(plan.releases.empty());
  EXPECT_EQ(plan.start_now, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(pl.startable("j", job, "a").size(), 2u);
  EXPECT_EQ(pl.startable("j", job, "b").size(), 2u);
  EXPECT_FALSE(pl.rebalance("j", job, m).changed); // balanced: nothing moves
}

TEST(Placement, APartitionMovingBetweenLiveWorkersStartsOnlyOnceReleased) {
  placement pl;
  auto m = members_of({"a"});
  auto job = job_of(4);
  pl.rebalance("j", job, m);
  m.join("b", {"b", "h", 2});
  auto plan = pl.rebalance("j", job, m);
  ASSERT_EQ(plan.releases.size(), 1u);
  const auto& moved = plan.releases.at("a");
  EXPECT_EQ(moved.size(), 2u);
  EXPECT_EQ(plan.start_now, (std::set<std::string>{"b"})); // told at once: to start nothing yet
  EXPECT_TRUE(pl.releasing("a"));
  EXPECT_TRUE(pl.startable("j", job, "b").empty());
  EXPECT_EQ(pl.startable("j", job, "a").size(), 2u); // a keeps the rest
  EXPECT_EQ(pl.released("j", &job, "a", moved), (std::set<std::string>{"b"}));
  EXPECT_FALSE(pl.releasing("a"));
  EXPECT_EQ(ids(pl.startable("j", job, "b")), moved);
}

TEST(Placement, APartitionMovedTwiceWaitsForEveryReleaseUnderWay) {
  placement pl;
  auto m = members_of({"a"});
  auto job = job_of(2);
  pl.rebalance("j", job, m);
  m.join("b", {"b", "h", 2});
  const auto first = pl.rebalance("j", job, m).releases.at("a"); // a -> b
  ASSERT_EQ(first.size(), 1u);
  const auto p = first.front();
  // b drains before a released p: p moves on to c, and b releases it too.
  m.drain("b", true);
  m.join("c", {"c", "h", 3});
  auto second = pl.rebalance("j", job, m);
  EXPECT_EQ(job.owner(p), "c");
  ASSERT_EQ(second.releases.count("b"), 1u);
  EXPECT_TRUE(pl.startable("j", job, "c").empty());
  EXPECT_TRUE(pl.released("j", &job, "b", second.releases.at("b")).empty()); // a still holds it
  EXPECT_TRUE(pl.startable("j", job, "c").empty());
  EXPECT_EQ(pl.released("j", &job, "a", first), (std::set<std::string>{"c"}));
  EXPECT_EQ(ids(pl.startable("j", job, "c")), std::vector<partition_id>{p});
}

TEST(Placement, ALostOwnersPartitionsNeedNoRelease) {
  placement pl;
  auto m = members_of({"a", "b"});
  auto job = job_of(4);
  pl.rebalance("j", job, m);
  m.leave("a");
  auto plan = pl.rebalance("j", job, m);
  EXPECT_TRUE(plan.releases.empty());
  EXPECT_EQ(plan.start_now, (std::set<std::string>{"b"}));
  EXPECT_EQ(pl.startable("j", job, "b").size(), 4u);
}

TEST(Placement, NothingMovesWhileRecoveringOrForAStoppedJob) {
  placement pl;
  auto m = members_of({"a"});
  auto job = job_of(2);
  pl.recovering = true;
  EXPECT_FALSE(pl.rebalance("j", job, m).changed);
  pl.recovering = false;
  job.data.stopped = "why";
  EXPECT_FALSE(pl.rebalance("j", job, m).changed);
  EXPECT_TRUE(job.partitions_of("a").empty());
}

TEST(Placement, ADrainingWorkerLeavesOnceItHoldsAndReleasesNothing) {
  placement pl;
  auto m = members_of({"a", "b"});
  catalog jobs;
  jobs["j"] = job_of(2);
  pl.rebalance("j", jobs["j"], m);
  m.drain("a", true);
  EXPECT_TRUE(pl.drained(m, jobs).empty()); // it still owns a partition
  auto plan = pl.rebalance("j", jobs["j"], m);
  ASSERT_EQ(plan.releases.count("a"), 1u);
  EXPECT_TRUE(pl.drained(m, jobs).empty()); // it still releases it
  pl.released("j", &jobs["j"], "a", plan.releases.at("a"));
  EXPECT_EQ(pl.drained(m, jobs), (std::vector<std::string>{"a"}));
}

TEST(Placement, ACancelledJobsReleasesAreNotWaitedFor) {
  placement pl;
  auto m = members_of({"a"});
  auto job = job_of(2);
  pl.rebalance("j", job, m);
  m.join("b", {"b", "h", 2});
  auto plan = pl.rebalance("j", job, m);
  pl.forget("j");
  EXPECT_FALSE(pl.startable("j", job, "b").empty());
  EXPECT_TRUE(pl.released("j", nullptr, "a", plan.releases.at("a")).empty());
  EXPECT_FALSE(pl.releasing("a"));
}

// -- checkpoint rounds -----------------------------------------------------------

TEST(CheckpointRounds, ARoundCountsTheLiveOwnedPartitionsAndCompletesWithTheirReports) {
  auto m = members_of({"a", "b"});
  auto job = job_of(3);
  job.data.owners = {"a", "b", "gone"};
  coordinator_metrics metrics;
  event_log events;
  checkpoint_rounds rounds{7};
  auto start = rounds.start("j", job, m, 1'000, metrics, events);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->id, 7u);
  EXPECT_EQ(start->owners, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(start->pointed, (std::vector<round_id>{0, 0, 0}));
  ASSERT_EQ(job.rounds.size(), 1u);
  EXPECT_EQ(job.rounds.back().partitions, 2u);
  EXPECT_TRUE(rounds.report(job, "a", 7, {stored(0, 7, 100)}, 1'100, metrics));
  EXPECT_EQ(job.rounds.back().outcome, round_outcome::in_progress);
  EXPECT_TRUE(rounds.report(job, "b", 7, {stored(1, 7, 200)}, 1'300, metrics));
  EXPECT_EQ(job.rounds.back().outcome, round_outcome::completed);
  EXPECT_EQ(job.rounds.back().finished_ms, 1'300);
  EXPECT_EQ(job.rounds.back().bytes, 20u);
  EXPECT_EQ(job.data.checkpoints[1].offset, 200);
  EXPECT_EQ(metrics.checkpoints_completed.value(), 1u);
  // The next round points every partition at its latest stored round.
  EXPECT_EQ(rounds.start("j", job, m, 2'000, metrics, events)->pointed,
            (std::vector<round_id>{7, 7, 0}));
}

TEST(CheckpointRounds, OnlyTheCurrentOwnersNewerCheckpointsCount) {
  auto m = members_of({"a", "b"});
  auto job = job_of(1);
  job.data.owners = {"b"};
  coordinator_metrics metrics;
  event_log events;
  checkpoint_rounds rounds;
  auto start = rounds.start("j", job, m, 0, metrics, events);
  // a owned it before and finished the round after losing it.
  EXPECT_FALSE(rounds.report(job, "a", start->id, {stored(0, start->id, 50)}, 10, metrics));
  EXPECT_EQ(job.data.checkpoints[0].id, 0u);
  EXPECT_EQ(job.rounds.back().reported, 0u);
  EXPECT_TRUE(rounds.report(job, "b", start->id, {stored(0, start->id, 60)}, 10, metrics));
  // An older round reported late changes nothing.
  EXPECT_FALSE(rounds.report(job, "b", 0, {stored(0, 0, 70)}, 20, metrics));
  EXPECT_EQ(job.data.checkpoints[0].offset, 60);
  // Out-of-range partitions are ignored.
  EXPECT_FALSE(rounds.report(job, "b", start->id, {stored(5, start->id + 1, 1)}, 20, metrics));
}

TEST(CheckpointRounds, ARoundNotCompleteWhenTheNextStartsFailed) {
  auto m = members_of({"a"});
  auto job = job_of(2);
  job.data.owners = {"a", "a"};
  coordinator_metrics metrics;
  event_log events;
  checkpoint_rounds rounds;
  auto first = rounds.start("j", job, m, 0, metrics, events);
  rounds.report(job, "a", first->id, {stored(0, first->id, 5)}, 1, metrics);
  rounds.start("j", job, m, 10, metrics, events);
  ASSERT_EQ(job.rounds.size(), 2u);
  EXPECT_EQ(job.rounds.front().outcome, round_outcome::failed);
  EXPECT_EQ(job.rounds.back().outcome, round_outcome::in_progress);
  EXPECT_EQ(job.checkpoints_failed, 1u);
  ASSERT_EQ(events.events().size(), 1u);
  EXPECT_EQ(events.events().front().kind, cluster_event_kind::checkpoint_failed);
  EXPECT_EQ(events.events().front().message,
            "checkpoint 1: 1 of 2 partitions stored before the next round");
}

TEST(CheckpointRounds, ACheckpointFurtherOnClearsAFailureAndAStoppedJobHasNoRound) {
  auto m = members_of({"a"});
  auto job = job_of(1);
  job.data.owners = {"a"};
  job.failed[0] = "stopped";
  coordinator_metrics metrics;
  event_log events;
  checkpoint_rounds rounds;
  auto start = rounds.start("j", job, m, 0, metrics, events);
  EXPECT_TRUE(job.rounds.empty()); // no partition to wait for
  rounds.report(job, "a", start->id, {stored(0, start->id, 9)}, 1, metrics);
  EXPECT_TRUE(job.failed.empty());
  job.data.stopped = "for good";
  EXPECT_FALSE(rounds.start("j", job, m, 2, metrics, events));
}

TEST(CheckpointRounds, TheSnapshotHoldsEveryJobAndTheNextRound) {
  catalog jobs;
  jobs["j"] = job_of(2);
  jobs["j"].data.owners = {"a", "b"};
  checkpoint_rounds rounds{42};
  auto snap = rounds.snapshot(jobs);
  EXPECT_EQ(snap.next_checkpoint, 42u);
  ASSERT_EQ(snap.jobs.count("j"), 1u);
  EXPECT_EQ(snap.jobs["j"].owners, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(snap.jobs["j"].spec_text, "text");
}

// -- schedule --------------------------------------------------------------------

TEST(Schedule, RunsAreDueAtEachMultipleOfTheirPeriod) {
  const std::int64_t t = 1'767'261'905'123; // 2026-01-01T10:05:05.123Z
  EXPECT_EQ(due_run(60'000, t), "2026-01-01T10:05:00Z");
  EXPECT_EQ(until_next_run(60'000, t).count(), 60'000 - 5'123 + 1);
  EXPECT_EQ(run_timeout(1'000).count(), 60'000);
  EXPECT_EQ(run_timeout(300'000).count(), 300'000);
}

TEST(Schedule, CheckpointsOnlyWithAStoreAndABackoffThatDoublesToAMinute) {
  EXPECT_FALSE(checkpoint_delay(job_of(1).spec));
  auto spec = job_of(1, "file:///tmp/x").spec;
  spec.checkpoints.interval = 2'500;
  EXPECT_EQ(checkpoint_delay(spec)->count(), 2'500);
  EXPECT_EQ(restart_backoff(0).count(), 1);
  EXPECT_EQ(restart_backoff(1).count(), 2);
  EXPECT_EQ(restart_backoff(5).count(), 32);
  EXPECT_EQ(restart_backoff(6).count(), 60);
  EXPECT_EQ(restart_backoff(40).count(), 60);
}

TEST(JobRecord, AFailedStartMarksTheWorkersPartitionsAndBacksOff) {
  auto job = job_of(2);
  job.data.owners = {"a", "b"};
  auto f = job.failed_on("a", {0, 1}, "no sink");
  EXPECT_EQ(f.backoff.count(), 1);
  EXPECT_EQ(f.shown, "on a: no sink (assigned again in 1 s)");
  EXPECT_EQ(job.failed.count(0), 1u);
  EXPECT_EQ(job.failed.count(1), 0u); // b's
  EXPECT_EQ(job.failed_on("a", {0}, "again").backoff.count(), 2);
  EXPECT_EQ(job.failed_starts, 2u);
}

// -- observation -------------------------------------------------------------------

namespace {

worker_report report_of(const std::string& job, partition_id p, std::uint64_t events,
                        bool idle = false, std::int64_t since = 0) {
  partition_report pr;
  pr.partition = p;
  pr.events = events;
  pr.idle = idle;
  pr.owned_since_ms = since;
  worker_report r;
  r.jobs.push_back({job, {pr}, {}, {}, {}});
  return r;
}

} // namespace

TEST(Observation, StatusShowsWhereEachPartitionStands) {
  auto m = members_of({"a", "b"});
  catalog jobs;
  auto& job = jobs["j"] = job_of(5);
  job.data.owners = {"a", "a", "b", "", "a"};
  job.failed[4] = "offsets gone";
  observation obs;
  coordinator_metrics metrics;
  // b has reported (nothing of j yet); a reports partition 0 reading, 1 idle.
  obs.take_report(jobs, m, "b", {}, 1'000, metrics);
  auto r = report_of("j", 0, 5);
  r.jobs[0].partitions.push_back(report_of("j", 1, 5, true).jobs[0].partitions[0]);
  obs.take_report(jobs, m, "a", r, 1'000, metrics);
  auto st = obs.status(jobs, m);
  ASSERT_EQ(st.jobs.size(), 1u);
  using ps = partition_phase;
  auto states = [](const job_status& j) {
    std::vector<ps> out;
    for (const auto& p : j.partitions)
      out.push_back(p.phase);
    return out;
  };
  EXPECT_EQ(states(st.jobs[0]),
            (std::vector<ps>{ps::reading, ps::idle, ps::restoring, ps::unassigned, ps::failed}));
  EXPECT_EQ(st.jobs[0].partitions[4].failed, "offsets gone");
  EXPECT_EQ(st.workers.size(), 2u);
  m.join("c", {"c", "h", 3});
  job.data.owners[3] = "c";
  EXPECT_EQ(obs.status(jobs, m).jobs[0].partitions[3].phase, ps::assigned);
  job.data.stopped = "for good";
  st = obs.status(jobs, m);
  EXPECT_EQ(st.jobs[0].partitions[0].phase, ps::stopped);
  EXPECT_EQ(st.jobs[0].partitions[0].failed, "job stopped: for good");
}

TEST(Observation, ARecoveryEndsWhenEveryPartitionOfTheLostWorkerReadsAgain) {
  auto m = members_of({"a", "b"});
  catalog jobs;
  auto& job = jobs["j"] = job_of(2);
  job.data.owners = {"a", "a"};
  observation obs;
  coordinator_metrics metrics;
  obs.worker_lost("a", jobs, 1'000);
  m.leave("a");
  EXPECT_EQ(obs.recoveries_under_way(), 1u);
  job.data.owners = {"b", "b"};
  obs.take_report(jobs, m, "b", report_of("j", 0, 1, false, 1'200), 1'300, metrics);
  EXPECT_EQ(obs.recoveries_under_way(), 1u);
  obs.take_report(jobs, m, "b", report_of("j", 1, 1, false, 1'400), 1'500, metrics);
  EXPECT_EQ(obs.recoveries_under_way(), 0u);
  EXPECT_EQ(job.restarts, 1u);
  ASSERT_FALSE(obs.events.events().empty());
  const auto& e = obs.events.events().front();
  EXPECT_EQ(e.kind, cluster_event_kind::recovery);
  EXPECT_EQ(e.duration_ms, 400);
}

TEST(Observation, RatesComeFromConsecutiveReportsOfTheOwnerOnly) {
  auto m = members_of({"a", "b"});
  catalog jobs;
  auto& job = jobs["j"] = job_of(1);
  job.data.owners = {"a"};
  job.failed[0] = "its worker failed the job";
  observation obs;
  coordinator_metrics metrics;
  obs.take_report(jobs, m, "a", report_of("j", 0, 100), 1'000, metrics);
  EXPECT_TRUE(job.failed.empty()); // it reads again
  obs.take_report(jobs, m, "a", report_of("j", 0, 300), 3'000, metrics);
  obs.take_report(jobs, m, "b", report_of("j", 0, 9'999), 3'000, metrics); // not the owner
  EXPECT_DOUBLE_EQ(job.rates[0].per_second, 100);
  auto view = obs.observe(jobs, m, metrics, false, 4'000);
  ASSERT_EQ(view->jobs.size(), 1u);
  EXPECT_DOUBLE_EQ(view->jobs[0].partitions[0].records_per_second, 100);
  EXPECT_EQ(view->jobs[0].kind, "windowed");
  EXPECT_DOUBLE_EQ(
    obs.observe(jobs, m, metrics, false, 20'000)->jobs[0].partitions[0].records_per_second,
    0); // stale
  obs.sample(jobs, m, 4'000);
  ASSERT_EQ(job.history.size(), 1u);
  EXPECT_DOUBLE_EQ(job.history.back().records_per_second, 100);
}

TEST(Observation, HandoffsReportedAreCountedAndLogged) {
  auto m = members_of({"a"});
  catalog jobs;
  jobs["j"] = job_of(1);
  observation obs;
  coordinator_metrics metrics;
  worker_report r;
  r.jobs.push_back({"j", {}, {}, {}, {{0, 250}}});
  obs.take_report(jobs, m, "a", r, 1'000, metrics);
  EXPECT_EQ(metrics.handoffs.value(), 1u);
  ASSERT_EQ(obs.events.events().size(), 1u);
  EXPECT_EQ(obs.events.events().front().kind, cluster_event_kind::handoff);
  EXPECT_EQ(obs.events.events().front().duration_ms, 250);
}

TEST(Observation, AJobOfRunsShowsWhatItReadsAndWritesAndNoPartitions) {
  membership m;
  catalog jobs;
  jobs::job_spec spec;
  spec.name = "e";
  spec.export_job = jobs::export_spec{};
  spec.export_job->table = "bets";
  spec.export_job->bucket = "lake";
  jobs["e"] = make_record(spec, "text", 0);
  jobs["e"].data.last_run = "2026-01-01T10:05:00Z";
  EXPECT_FALSE(jobs["e"].partitioned());
  observation obs;
  auto st = obs.status(jobs, m);
  ASSERT_EQ(st.jobs.size(), 1u);
  EXPECT_EQ(st.jobs[0].topic, "(export of bets)");
  EXPECT_EQ(st.jobs[0].sink, "s3://lake/raw");
  EXPECT_TRUE(st.jobs[0].partitions.empty());
  auto view = obs.observe(jobs, m, coordinator_metrics{}, false, 0);
  EXPECT_EQ(view->jobs[0].kind, "export");
  EXPECT_TRUE(view->jobs[0].runs);
  EXPECT_EQ(view->jobs[0].topic, "");
  EXPECT_EQ(view->jobs[0].last_run, "2026-01-01T10:05:00Z");
  obs.sample(jobs, m, 5'000);
  EXPECT_TRUE(jobs["e"].history.empty()); // nothing to sample
}

TEST(EventLog, KeepsTheNewestFirstAndIsBounded) {
  event_log log;
  for (int i = 0; i < 250; ++i)
    log.record(cluster_event_kind::join, {}, "w" + std::to_string(i), "joined", i);
  EXPECT_EQ(log.events().size(), event_log::capacity);
  EXPECT_EQ(log.events().front().worker, "w249");
  EXPECT_EQ(to_string(log.events().front().kind), "join");
}
