#pragma once

#include "actors/interfaces.hpp"
#include "jobs/event_reader.hpp"
#include "jobs/spec.hpp"
#include "jobs/window_operator.hpp"
#include "runtime/checkpoint_store.hpp"
#include "runtime/kafka.hpp"
#include "sinks/raw/rows.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>

namespace weir {

struct source_state {
  static inline const char* name = "source";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  source_state() = default;

  using clock = std::chrono::steady_clock;

  // -- configuration (fixed for the actor's life) ------------------------------
  std::unique_ptr<jobs::job_spec> spec;
  std::unique_ptr<jobs::window_operator> op; // windowed jobs
  sink_actor sink;                           // windowed jobs
  raw_sink_actor raw_sink;                   // raw jobs
  std::vector<raw::column> raw_columns;      // raw jobs
  static constexpr std::uint64_t max_in_flight = 4; // unacked batches before polling stops
  // Short: messages (assignments, acks) wait behind a blocking poll.
  static constexpr int poll_timeout_ms = 20;
  static constexpr std::chrono::milliseconds progress_interval{250};

  // -- I/O -----------------------------------------------------------------------
  std::unique_ptr<kafka::consumer> consumer;
  std::unique_ptr<kafka::producer> dead_letters;
  std::unique_ptr<jobs::event_reader> reader;
  std::unique_ptr<checkpoint_store> checkpoints; // absent: the job takes none
  std::string secret; // the cluster secret: signs the state it hands over
  worker_actor parent;                           // receives finished checkpoints
  std::vector<rd_kafka_message_t*> messages; // reused poll buffer
  std::vector<raw::row_batch::value> row_scratch;

  // -- state ---------------------------------------------------------------------
  // Serializable operator state per owned partition, plus what only this
  // process needs to know about it.
  struct owned {
    jobs::partition_state state;
    jobs::window_results out; // rows emitted since the last batch
    std::optional<raw::row_batch> raw_rows; // raw jobs: events since the last batch
    clock::time_point last_message = clock::now();
    bool idle = false;
    bool reported = false;
    jobs::millis reported_watermark = jobs::no_time;
    bool reported_idle = false;
    // Taken over from a former owner: events before this offset were emitted
    // by it (a pre-copied state catching up): fold them, emit nothing.
    std::int64_t emit_from = 0;
    // When that owner stopped reading (wall clock ms), to report the pause at
    // the first event emitted here.
    std::int64_t handoff_released_at_ms = 0;
  };
  std::map<std::int32_t, owned> partitions;
  std::uint64_t next_seq = 1;
  std::uint64_t acked_through = 0; // the sink acks batches in order
  std::uint64_t in_flight = 0;

  // A checkpoint round waiting for the sink to have every row emitted before
  // its snapshot: only then does the snapshot describe durable output.
  struct pending_checkpoint {
    std::uint64_t id = 0;
    std::uint64_t needs_seq = 0;
    std::vector<std::pair<std::int32_t, std::string>> snapshots; // partition, msgpack state
    std::vector<std::int64_t> offsets;
  };
  std::optional<pending_checkpoint> checkpoint;
  // Raw jobs: what the next batch tells the sink besides rows.
  std::vector<std::pair<std::int32_t, std::int64_t>> restored;
  std::vector<std::int32_t> dropped;
  bool barrier = false;
  // Assignments that gave partitions up, answered once the sink has acked the
  // batch that released them (raw jobs: after it discarded their rows) and
  // their state reached its new owners.
  struct release {
    std::uint64_t seq = 0;
    std::vector<caf::typed_response_promise<bool>> done;
    std::map<caf::strong_actor_ptr, std::vector<partition_handoff>> ship; // by new owner
  };
  std::vector<release> releases;
  // Moving a windowed partition: its state is first pre-copied to the new
  // owner while this source keeps reading it; the assignment is applied (the
  // partition released, only the stop offset sent) once the copies arrived.
  std::optional<source_assignment> deferred; // the latest assignment, not applied yet
  std::vector<caf::typed_response_promise<bool>> deferred_replies;
  size_t precopies_in_flight = 0;
  std::map<std::int32_t, caf::strong_actor_ptr> precopied; // partition -> holder of its copy
  bool poll_scheduled = false;
  clock::time_point last_progress = clock::now();

  // -- metrics ---------------------------------------------------------------------
  std::uint64_t events_since_report = 0;
  std::uint64_t dead_lettered = 0;
  clock::duration poll_wait{};    // time spent blocked in librdkafka's poll
  std::uint64_t polls = 0;
  clock::time_point last_report = clock::now();
};

// Exactly one of `sink` (windowed jobs) and `raw_sink` (raw jobs) is set.
source_actor::behavior_type kafka_source(source_actor::stateful_pointer<source_state> self,
                                         jobs::job_spec spec, sink_actor sink,
                                         raw_sink_actor raw_sink, worker_actor parent,
                                         std::string secret);

// Key of a partition's checkpoint of round `id`: sorts by round within the partition.
std::string checkpoint_key(const std::string& job, std::int32_t partition, std::uint64_t id);

} // namespace weir
