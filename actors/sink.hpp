#pragma once

#include "actors/interfaces.hpp"
#include "base/metrics.hpp"
#include "runtime/dead_letters.hpp"
#include "sinks/sink.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <optional>

namespace weir {

// What a sink actor counts; exported as a snapshot (base/metrics.hpp).
struct sink_metrics {
  metrics::counter batches;  // acked
  metrics::counter rows;     // written (as the store counts them)
  metrics::counter dropped;  // not written, counted in the store (sinks::write_result)
  metrics::counter refused;  // of those, refused by the store: dead-lettered
  metrics::counter failures; // writes that failed and were retried
  metrics::histogram write;  // one write of the pending batches, success or not
  metrics::gauge pending;    // batches waiting

  metrics::snapshot take() const;
};

struct sink_state {
  static inline const char* name = "sink";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  sink_state() = default;

  // -- configuration ---------------------------------------------------------------
  std::string job;
  std::shared_ptr<sinks::sink> sink; // the store behind sinks::sink (sinks/registry/)
  jobs::job_spec spec;               // where refused rows are dead-lettered

  // -- state -------------------------------------------------------------------------
  // Batches waiting to be written, with the source to ack, in arrival order.
  struct pending_batch {
    jobs::sink_batch batch;
    source_actor source;
    jobs::listed_bytes listed; // once written: what its barrier listed
  };
  std::deque<pending_batch> pending;
  // The front `held` of them the sink took but has not made durable
  // (write_result::held): credited to their sources, their rows released.
  std::size_t held = 0;
  std::chrono::milliseconds backoff{100};
  bool retry_scheduled = false;
  worker_actor parent; // gets the metrics every second while writing; may be null
  std::chrono::steady_clock::time_point last_status{};
  std::unique_ptr<dead_letter_queue> dead_letters; // made for the first refused row
  // The front `done` batches are durable, but their refused rows have not
  // reached the dead-letter topic yet: acked once they have.
  struct refused_rows {
    size_t done = 0;
    std::vector<sinks::refused_row> rows;
  };
  std::optional<refused_rows> undelivered;

  // -- metrics ---------------------------------------------------------------------
  sink_metrics metrics;
};

// Drives `sink` for job `job`: writes what sources send, acks it once
// durable, retries with exponential backoff (100 ms doubling to 5 s) while
// sources wait for credits, so an unreachable store holds the stream back
// instead of dropping or buffering it. Rows the store refused go to the
// spec's dead-letter topic before their batches are acked.
sink_actor::behavior_type sink_driver(sink_actor::stateful_pointer<sink_state> self,
                                      std::string job, std::shared_ptr<sinks::sink> sink,
                                      worker_actor parent, jobs::job_spec spec);

} // namespace weir
