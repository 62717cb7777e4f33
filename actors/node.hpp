// Entry points of the weir subcommands that run or talk to actors. Each returns
// the process exit code: 0 ok, 1 runtime failure, 2 rejected input.
#pragma once

#include "actors/interfaces.hpp"
#include "actors/system.hpp"
#include "base/expected.hpp"

#include <functional>
#include <memory>
#include <string>

namespace weir {

// How a process reaches the coordinator: address and the cluster secret it
// proves (empty: none; a cluster with a secret then refuses it).
struct coordinator_link {
  endpoint at{"127.0.0.1", 17000};
  std::string secret;
};

// A service the coordinator process runs beside its actor, started once the
// actor is up (the app adds web/'s HTTP server); the handle it returns is
// dropped, stopping it, before the actor system goes down.
using coordinator_service =
  std::function<expected<std::shared_ptr<void>>(caf::actor_system&, coordinator_actor)>;

struct coordinator_options {
  endpoint listen{"127.0.0.1", 17000};
  std::string secret; // every process must prove it; empty: an open cluster
  node_options node;
  std::string state_url; // file:///dir or s3://bucket/prefix; empty: nothing survives a restart
  coordinator_service service; // empty: none
};

struct worker_options {
  coordinator_link coordinator;
  node_options node;
  std::string name;               // unique in the cluster; defaults to host:pid
  std::uint32_t threads = 0;      // sources per job; 0: one per core
  std::string secrets_file;       // NAME=value lines for ${secret:NAME} in specs; "": none
  std::uint32_t report_ms = 1000; // how often it reports to the coordinator; 0: never
};

int run_coordinator(const coordinator_options& opts);
int run_worker(const worker_options& opts);
int run_submit(const coordinator_link& coordinator, const std::string& spec_path);
int run_cancel(const coordinator_link& coordinator, const std::string& job_id);
int run_drain(const coordinator_link& coordinator, const std::string& worker_name);

enum class status_view { all, jobs, workers };
int run_status(const coordinator_link& coordinator, status_view view = status_view::all);

} // namespace weir
