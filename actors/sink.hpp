#pragma once

#include "actors/interfaces.hpp"
#include "jobs/spec.hpp"
#include "sinks/postgres.hpp"
#include "sinks/raw/postgres_raw.hpp"

#include <chrono>
#include <deque>
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

// Window results into PostgreSQL (sinks/postgres.hpp).
sink_actor::behavior_type result_sink(sink_actor::stateful_pointer<sink_state> self,
                                      jobs::job_spec spec, std::int32_t partitions);

// Every event of a raw job into PostgreSQL (sinks/raw/postgres_raw.hpp).
raw_sink_actor::behavior_type raw_sink(raw_sink_actor::stateful_pointer<raw_sink_state> self,
                                       jobs::job_spec spec);

} // namespace weir
