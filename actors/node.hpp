// Entry points of the weir subcommands that run or talk to actors. Each returns
// the process exit code: 0 ok, 1 runtime failure, 2 rejected input.
#pragma once

#include "runtime/system.hpp"

#include <string>

namespace weir {

struct coordinator_options {
  endpoint listen{"127.0.0.1", 17000};
  node_options node;
  std::string state_url; // file:///dir or s3://bucket/prefix; empty: nothing survives a restart
};

struct worker_options {
  endpoint coordinator{"127.0.0.1", 17000};
  node_options node;
  std::string name; // unique in the cluster; defaults to host:pid
  std::uint32_t threads = 0; // sources per job; 0: one per core
};

int run_coordinator(const coordinator_options& opts);
int run_worker(const worker_options& opts);
int run_submit(const endpoint& coordinator, const std::string& spec_path);
int run_cancel(const endpoint& coordinator, const std::string& job_id);
int run_drain(const endpoint& coordinator, const std::string& worker_name);

enum class status_view { all, jobs, workers };
int run_status(const endpoint& coordinator, status_view view = status_view::all);

} // namespace weir
