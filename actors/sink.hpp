#pragma once

#include "actors/interfaces.hpp"
#include "jobs/spec.hpp"
#include "sinks/postgres.hpp"
#include "sinks/raw/lake.hpp"
#include "sinks/raw/postgres_raw.hpp"

#include <chrono>
#include <deque>
#include <map>
#include <optional>

namespace weir {

// What both sinks share: batches waiting to be written (with the source to
// ack), and the retry schedule. `Store` is the connection to the store,
// opened lazily and dropped after a failure so the next attempt reconnects.
template <class Batch, class Store>
struct sink_state_base {
  jobs::job_spec spec;
  std::optional<Store> store;
  std::deque<std::pair<Batch, source_actor>> pending;
  std::chrono::milliseconds backoff{100};
  bool retry_scheduled = false;
  std::uint64_t rows_written = 0;
};

struct sink_state : sink_state_base<result_batch, sinks::postgres_results> {
  static inline const char* name = "sink";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  sink_state() = default;
  std::int32_t partitions = 0; // of the job's topic: all must report before results appear
};

struct raw_sink_state : sink_state_base<raw_batch, raw::postgres_raw> {
  static inline const char* name = "raw-sink";
  raw_sink_state() = default;
};

// Lake sink: one lake_writer per Kafka partition (they are not a store opened
// once, so the state differs from the others).
struct lake_sink_state {
  static inline const char* name = "lake-sink";
  lake_sink_state() = default;
  jobs::job_spec spec;
  raw::lake_options options;
  s3::config s3;
  std::map<std::int32_t, raw::lake_writer> writers;
  std::deque<std::pair<raw_batch, source_actor>> pending;
  // How far the front batch got, so a retry does not apply a part twice.
  struct cursor {
    size_t restored = 0, rows = 0;
    bool dropped = false;
  } done;
  std::chrono::milliseconds backoff{100};
  bool retry_scheduled = false;
};

// Window results into PostgreSQL (sinks/postgres.hpp).
sink_actor::behavior_type result_sink(sink_actor::stateful_pointer<sink_state> self,
                                      jobs::job_spec spec, std::int32_t partitions);

// Every event of a raw job as partitioned Parquet files on S3
// (sinks/raw/lake.hpp): files are uploaded at checkpoint barriers and when
// they reach their size; a partition taken over first loses the files written
// after the checkpoint it resumes from.
raw_sink_actor::behavior_type lake_sink(raw_sink_actor::stateful_pointer<lake_sink_state> self,
                                        jobs::job_spec spec);

// Every event of a raw job into PostgreSQL (sinks/raw/postgres_raw.hpp).
raw_sink_actor::behavior_type raw_sink(raw_sink_actor::stateful_pointer<raw_sink_state> self,
                                       jobs::job_spec spec);

} // namespace weir
