#pragma once

#include "actors/interfaces.hpp"
#include "jobs/spec.hpp"
#include "sinks/postgres.hpp"

#include <chrono>
#include <deque>
#include <optional>

namespace weir {

struct sink_state {
  static inline const char* name = "sink";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  sink_state() = default;

  jobs::job_spec spec;
  std::int32_t partitions = 0; // of the job's topic: all must report before results appear
  std::optional<sinks::postgres_results> store; // connected lazily, reconnected on failure
  std::deque<std::pair<result_batch, source_actor>> pending;
  std::chrono::milliseconds backoff{100};
  bool retry_scheduled = false;
  std::uint64_t rows_written = 0;
};

sink_actor::behavior_type result_sink(sink_actor::stateful_pointer<sink_state> self,
                                      jobs::job_spec spec, std::int32_t partitions);

} // namespace weir
