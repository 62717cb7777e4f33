// The one list of job kinds, by how the cluster runs them:
//   - a job of partitions (windowed, raw) reads a Kafka topic; each partition
//     has one owner, a worker, which runs the kind's pipeline on it
//     (pipelines.hpp) and checkpoints it;
//   - a job of runs (export) has no stream: the coordinator schedules a run
//     at each multiple of its period, on one worker at a time, which does
//     the run's work (sinks/registry/runs.hpp).
// The coordinator and the workers ask the kind; none of them names one.
// A new kind adds its room under jobs/ and one line in kinds.cpp.
#pragma once

#include "jobs/spec.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

enum class job_form { partitions, runs };

class job_kind {
public:
  virtual ~job_kind() = default;

  // windowed, raw, export: what the operator's window calls it (docs/api.yaml).
  virtual std::string_view name() const = 0;
  virtual job_form form() const = 0;

  // A job of runs: its period (a run is due at each multiple of it since the
  // epoch). 0 for a job of partitions.
  virtual millis every(const job_spec&) const { return 0; }

  // What the job reads, as `weir status` shows it: the topic, or for a job of
  // runs what its rows come from.
  virtual std::string reads(const job_spec& spec) const = 0;
  // Where it writes, as the operator sees it; never a URL that may hold a password.
  virtual std::string writes(const job_spec& spec) const = 0;
};

// The kind of `spec`.
const job_kind& kind_of(const job_spec& spec);

// How one run of a job of runs went (the worker's answer to the coordinator).
struct run_result {
  std::string summary;                // for the log: what it wrote, and where
  std::vector<std::string> recovered; // earlier runs that had not finished, finished first
};

} // namespace weir::jobs
