// Entry points of the weir subcommands that run or talk to actors. Each returns
// the process exit code: 0 ok, 1 runtime failure, 2 rejected input.
#pragma once

#include "actors/system.hpp"

#include <string>

namespace weir {

// How a process reaches the coordinator: address and the cluster secret it
// proves (empty: none; a cluster with a secret then refuses it).
struct coordinator_link {
  endpoint at{"127.0.0.1", 17000};
  std::string secret;
};

struct coordinator_options {
  endpoint listen{"127.0.0.1", 17000};
  std::string secret; // every process must prove it; empty: an open cluster
  node_options node;
  std::string state_url; // file:///dir or s3://bucket/prefix; empty: nothing survives a restart
};

struct worker_options {
  coordinator_link coordinator;
  node_options node;
  std::string name; // unique in the cluster; defaults to host:pid
  std::uint32_t threads = 0; // sources per job; 0: one per core
  std::string secrets_file;  // NAME=value lines for ${secret:NAME} in specs; "": none
};

int run_coordinator(const coordinator_options& opts);
int run_worker(const worker_options& opts);
int run_submit(const coordinator_link& coordinator, const std::string& spec_path);
int run_cancel(const coordinator_link& coordinator, const std::string& job_id);
int run_drain(const coordinator_link& coordinator, const std::string& worker_name);

enum class status_view { all, jobs, workers };
int run_status(const coordinator_link& coordinator, status_view view = status_view::all);

} // namespace weir
