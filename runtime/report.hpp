// What a worker tells the coordinator every second about itself and the
// partitions it runs: the figures behind the coordinator's REST API,
// /metrics and dashboard (web/). It travels as msgpack bytes inside one CAF
// message, so a field added at the end is read as its default by an older
// peer, and the coordinator bounds what it unpacks (base/bounded_unpack.hpp).
#pragma once

#include "base/expected.hpp"
#include "base/metrics.hpp"
#include "base/types.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace weir {

inline constexpr millis no_watermark = INT64_MIN; // as jobs::no_time

// Where one partition stands on its owner, and what it counted (the counters
// live in the partition's state, so they survive restores and moves).
struct partition_report {
  partition_id partition = 0;
  offset_t next_offset = 0;
  offset_t high_watermark = -1; // Kafka's end of the partition as last fetched; -1: unknown
  millis watermark = no_watermark;
  bool idle = false;
  bool failed = false;
  std::uint64_t events = 0, filtered = 0, malformed = 0, late = 0;
  millis owned_since_ms = 0; // wall clock when this owner started it (restored or taken over)
  std::uint64_t skipped = 0; // offsets gone from Kafka, skipped (on_missing_offsets: earliest)
  MSGPACK_DEFINE(partition, next_offset, high_watermark, watermark, idle, failed, events, filtered,
                 malformed, late, owned_since_ms, skipped)
};

// A moved partition's pause on its new owner: from when the former owner
// stopped reading to the first event emitted here.
struct handoff_pause {
  partition_id partition = 0;
  std::int64_t pause_ms = 0;
  MSGPACK_DEFINE(partition, pause_ms)
};

struct job_report {
  job_id job;
  std::vector<partition_report> partitions;
  metrics::snapshot source; // the job's sources on this worker, merged
  metrics::snapshot sink;
  std::vector<handoff_pause> handoffs; // since the last report
  MSGPACK_DEFINE(job, partitions, source, sink, handoffs)
};

struct worker_report {
  double cpu_seconds = 0; // user + system, since the process started
  double rss_bytes = 0;
  metrics::snapshot worker;
  std::vector<job_report> jobs;
  MSGPACK_DEFINE(cpu_seconds, rss_bytes, worker, jobs)
};

std::string pack_report(const worker_report& r);
expected<worker_report> unpack_report(const std::string& bytes);

// This process's CPU time (user + system, seconds) and resident set (bytes),
// from /proc/self.
struct process_usage {
  double cpu_seconds = 0;
  double rss_bytes = 0;
};
process_usage read_process_usage();

} // namespace weir
