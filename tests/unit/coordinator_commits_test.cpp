// When the coordinator commits a lake table (actors/coordinator/commits.hpp):
// the decisions step by step, events in, "commit now?" out. The actor's
// wiring of them is actor_protocol_test's.
#include "actors/coordinator/commits.hpp"

#include <gtest/gtest.h>

using namespace weir::coordinator;
using namespace std::chrono_literals;

namespace {

// A round that starts, is stored by every partition, and completes: whether
// it started a commit (at its start or its completion).
bool full_round(commit_schedule& s, const commit_policy& p, std::uint64_t listed = 0) {
  bool at_start = on_round_started(s, p);
  if (at_start)
    started(s);
  on_reported(s, listed);
  bool at_end = on_round_completed(s, p);
  if (at_end)
    started(s);
  return at_start || at_end;
}

} // namespace

TEST(CommitSchedule, EveryCompletedRoundCommitsByDefault) {
  commit_schedule s;
  const commit_policy p{1, 0};
  EXPECT_FALSE(on_round_started(s, p)); // nothing moved yet
  on_reported(s, 0);
  ASSERT_TRUE(on_round_completed(s, p));
  started(s);
  EXPECT_TRUE(s.running);
  EXPECT_FALSE(on_finished(s, true));
  EXPECT_TRUE(full_round(s, p));
}

TEST(CommitSchedule, CommitEveryCountsRounds) {
  commit_schedule s;
  const commit_policy p{3, 0};
  EXPECT_FALSE(full_round(s, p));
  EXPECT_FALSE(full_round(s, p));
  EXPECT_TRUE(full_round(s, p));
  EXPECT_FALSE(on_finished(s, true));
  EXPECT_FALSE(full_round(s, p));
}

// Under load no round completes, but pointers move: once more than `every`
// rounds started since the last commit, a round's start commits.
TEST(CommitSchedule, AnIntervalWithMovedPointersCommitsWithoutACompleteRound) {
  commit_schedule s;
  const commit_policy p{2, 0};
  EXPECT_FALSE(on_round_started(s, p));
  on_reported(s, 0); // a partition stored round 1; another did not
  EXPECT_FALSE(on_round_started(s, p));
  EXPECT_TRUE(on_round_started(s, p)); // a third round: more than 2 since the last commit
  started(s);
  EXPECT_FALSE(on_finished(s, true));
  // Nothing moved since: rounds pass, no commit.
  for (int i = 0; i < 5; ++i)
    EXPECT_FALSE(on_round_started(s, p));
}

TEST(CommitSchedule, NeverTwoInFlight) {
  commit_schedule s;
  const commit_policy p{1, 0};
  ASSERT_TRUE(full_round(s, p));
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(on_round_started(s, p));
    on_reported(s, 0);
    EXPECT_FALSE(on_round_completed(s, p));
  }
  EXPECT_FALSE(on_finished(s, true));
  // What the rounds moved meanwhile is committed at the next round.
  EXPECT_TRUE(on_round_started(s, p));
}

// A failed commit is tried again after a backoff that doubles up to 60 s;
// no round starts one meanwhile; what it would have taken is pending again.
TEST(CommitSchedule, AFailedCommitIsRetriedWithBackoff) {
  commit_schedule s;
  const commit_policy p{1, 0};
  ASSERT_TRUE(full_round(s, p, 100));
  EXPECT_EQ(s.in_flight_bytes, 100u);
  EXPECT_EQ(on_finished(s, false), 1000ms);
  EXPECT_EQ(s.pending_bytes, 100u);
  EXPECT_FALSE(full_round(s, p)); // backing off
  ASSERT_TRUE(on_retry_due(s));
  started(s);
  EXPECT_EQ(on_finished(s, false), 2000ms);
  ASSERT_TRUE(on_retry_due(s));
  started(s);
  EXPECT_EQ(on_finished(s, false), 4000ms);
  ASSERT_TRUE(on_retry_due(s));
  started(s);
  EXPECT_FALSE(on_finished(s, true));
  EXPECT_EQ(s.failures, 0);
  EXPECT_TRUE(full_round(s, p));
  EXPECT_EQ(commit_backoff(7), 60s);
  EXPECT_EQ(commit_backoff(100), 60s);
}

// sink.commit_mb: a table that lists much commits as soon as its bytes are
// reached; a small one waits, but never longer than commit_every rounds.
TEST(CommitSchedule, PendingBytesCommitEarlyAndRoundsBoundTheWait) {
  const commit_policy p{10, 1000};
  commit_schedule big;
  EXPECT_FALSE(full_round(big, p, 400));
  EXPECT_FALSE(full_round(big, p, 400));
  EXPECT_TRUE(full_round(big, p, 400)); // 1200 bytes listed
  EXPECT_EQ(big.in_flight_bytes, 1200u);
  EXPECT_EQ(big.pending_bytes, 0u);
  EXPECT_FALSE(on_finished(big, true));

  commit_schedule small;
  for (int i = 1; i < 10; ++i)
    EXPECT_FALSE(full_round(small, p, 10)) << i;
  EXPECT_TRUE(full_round(small, p, 10)); // the tenth round: the bound
  // Under load (no round completes) the bytes commit at a round's start.
  commit_schedule loaded;
  EXPECT_FALSE(on_round_started(loaded, p));
  on_reported(loaded, 1500);
  EXPECT_TRUE(on_round_started(loaded, p));
}

// Orphan sweeps: none in the steady state; after a failure, once its files
// are older than the window; then not again within a window.
TEST(CommitSchedule, AnOrphanSweepFollowsAFailureOnceItsFilesAreOld) {
  commit_policy p{1, 0, 60'000};
  commit_schedule s;
  EXPECT_FALSE(sweep_due(s, p, 1'000'000, 999'000)); // no failure: never

  on_failure(s, 100'000);                          // a worker lost
  EXPECT_FALSE(sweep_due(s, p, 150'000, 140'000)); // its files are younger than 60 s
  EXPECT_FALSE(sweep_due(s, p, 170'000, 0));       // no round complete yet
  auto cutoff = sweep_due(s, p, 170'000, 165'000);
  ASSERT_TRUE(cutoff);
  EXPECT_EQ(*cutoff, 110'000);                           // older than the window
  EXPECT_EQ(sweep_due(s, p, 170'000, 105'000), 105'000); // before the latest complete round

  // A commit that fails does not sweep: still due.
  started(s, cutoff);
  EXPECT_TRUE(on_finished(s, false, false, 171'000));
  EXPECT_TRUE(sweep_due(s, p, 172'000, 165'000));
  ASSERT_TRUE(on_retry_due(s));
  started(s, sweep_due(s, p, 172'000, 165'000));
  EXPECT_FALSE(on_finished(s, true, true, 173'000));
  EXPECT_FALSE(sweep_due(s, p, 500'000, 490'000)); // nothing failed since

  // Failures again: one sweep per window at most, covering them all.
  on_failure(s, 180'000);
  on_failure(s, 200'000);
  EXPECT_FALSE(sweep_due(s, p, 232'000, 230'000)); // within a window of the last sweep
  cutoff = sweep_due(s, p, 241'000, 240'000);
  ASSERT_TRUE(cutoff);
  EXPECT_EQ(*cutoff, 181'000);
  started(s, cutoff);
  EXPECT_FALSE(on_finished(s, true, true, 242'000));
  // The failure at 200 s is past that cutoff: its files may be younger.
  EXPECT_FALSE(sweep_due(s, p, 290'000, 280'000));
  EXPECT_EQ(sweep_due(s, p, 302'000, 300'000), 242'000);
}
