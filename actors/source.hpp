#pragma once

#include "actors/interfaces.hpp"
#include "jobs/event_reader.hpp"
#include "jobs/spec.hpp"
#include "jobs/window_operator.hpp"
#include "runtime/kafka.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <optional>

namespace weir {

struct source_state {
  static inline const char* name = "source";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  source_state() = default;

  // -- configuration (fixed for the actor's life) ------------------------------
  std::unique_ptr<jobs::job_spec> spec;
  std::unique_ptr<jobs::window_operator> op;
  sink_actor sink;
  static constexpr std::uint64_t max_in_flight = 4; // unacked batches before polling stops
  static constexpr int poll_timeout_ms = 100;

  // -- I/O -----------------------------------------------------------------------
  std::unique_ptr<kafka::consumer> consumer;
  std::unique_ptr<jobs::event_reader> reader;
  std::vector<rd_kafka_message_t*> messages; // reused poll buffer

  // -- state ---------------------------------------------------------------------
  std::map<std::int32_t, jobs::partition_state> partitions;
  std::uint64_t next_seq = 1;
  std::uint64_t in_flight = 0;
  bool poll_scheduled = false;

  // -- metrics ---------------------------------------------------------------------
  std::uint64_t events_since_report = 0;
  std::chrono::steady_clock::time_point last_report = std::chrono::steady_clock::now();
};

source_actor::behavior_type kafka_source(source_actor::stateful_pointer<source_state> self,
                                         jobs::job_spec spec, sink_actor sink);

} // namespace weir
