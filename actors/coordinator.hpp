// The coordinator: one per cluster. Its parts (membership, placement, checkpoint
// rounds, scheduling, observation) live in actors/coordinator/, with no CAF in
// them; the actor there routes messages to them and performs the sends.
#pragma once

#include "actors/interfaces.hpp"
#include "base/expected.hpp"
#include "sinks/registry/commits.hpp"

#include <msgpack.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace caf {
class actor_system;
}

namespace weir {

// What the coordinator persists (msgpack) so a restarted coordinator resumes
// every job where it was.
struct coordinator_snapshot {
  struct persisted_job {
    std::string spec_text;
    std::vector<std::string> owners;               // worker name per partition
    std::vector<partition_checkpoint> checkpoints; // latest stored, per partition
    std::string last_run;                          // jobs of runs: the last run that finished
    // Why the coordinator stopped the job for good (its results could no
    // longer be exact); empty while it runs. A stopped job runs nowhere
    // until it is cancelled.
    std::string stopped;
    // The job's lifetime id, fresh for every submission: what its lake
    // commits are tagged with (sinks/lake/commit.hpp).
    std::string commit_identity;
    MSGPACK_DEFINE(spec_text, owners, checkpoints, last_run, stopped, commit_identity)
  };
  std::uint64_t next_checkpoint = 1;
  std::map<std::string, persisted_job> jobs;
  MSGPACK_DEFINE(next_checkpoint, jobs)
};

struct coordinator_config {
  // Where the snapshot lives (file:///dir or s3://bucket/prefix); empty: memory only.
  std::string state_url;
  // After a restart, how long workers have to reconnect before what they held
  // is reassigned.
  std::chrono::milliseconds rejoin_grace{3000};
  // Cluster secret every process must prove (runtime/auth.hpp); empty: none.
  std::string secret;
  // How the partitions of a job's topic are counted (a Kafka metadata call,
  // blocking: it runs off the actor); empty: Kafka. Tests put a fake here.
  std::function<expected<std::int32_t>(const std::string& brokers, const std::string& topic)>
    count_partitions;
  // How a job's lake table is committed (blocking: it runs off the actor);
  // empty: sinks::commit_checkpoints. Tests put a fake here.
  std::function<expected<lake::commit_outcome>(const jobs::job_spec&, const lake::commit_request&)>
    commit;
};

// Reads the last snapshot at `state_url` (empty snapshot if none).
expected<coordinator_snapshot> load_coordinator_snapshot(const std::string& state_url);

// Spawns the coordinator actor (actors/coordinator/actor.cpp), resuming `restored`.
coordinator_actor spawn_coordinator(caf::actor_system& sys, coordinator_config cfg,
                                    coordinator_snapshot restored);

} // namespace weir
