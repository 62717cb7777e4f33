#pragma once

#include "actors/interfaces.hpp"
#include "base/metrics.hpp"
#include "jobs/event_reader.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "runtime/checkpoint_store.hpp"
#include "runtime/dead_letters.hpp"
#include "runtime/kafka.hpp"
#include "runtime/report.hpp"

#include <caf/typed_response_promise.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>

namespace weir {

// What a source counts; exported as a snapshot (base/metrics.hpp).
struct source_metrics {
  metrics::counter events;        // Kafka messages read (every kind of outcome)
  metrics::counter bytes;         // their payload bytes
  metrics::counter filtered;      // failed the job's `where`
  metrics::counter malformed;     // unreadable or unfit for the job
  metrics::counter late;          // too late for every window
  metrics::counter dead_lettered; // sent to the dead-letter topic
  metrics::counter batches;       // sent to the sink
  metrics::counter rows;          // in those batches
  metrics::counter polls;
  metrics::counter poll_wait_ns;   // blocked in librdkafka's poll
  metrics::counter credit_wait_ns; // no credit left: the sink holds the stream back
  metrics::stopwatch credit_wait;
  metrics::histogram checkpoint_put; // storing one partition's snapshot
  metrics::gauge live_keys;          // keys in window state, sampled with the 10 s report
  metrics::counter
    offsets_skipped; // gone from Kafka (retention), skipped by on_missing_offsets: earliest
  metrics::counter partitions_failed; // stopped by on_missing_offsets: fail

  metrics::snapshot take() const;
};

// Where a source reads its partitions: Kafka by default (kafka_io); a test
// puts a fake here.
class source_input {
public:
  using offsets = std::vector<std::pair<std::int32_t, std::int64_t>>;
  virtual ~source_input() = default;
  // As kafka::consumer: add these (partition, offset) pairs, remove these partitions.
  virtual expected<void> reassign(const std::string& topic, const offsets& add,
                                  const std::vector<std::int32_t>& remove) = 0;
  virtual expected<void> pause(const std::string& topic, std::int32_t partition) = 0;
  // Up to out.size() messages, each released with release().
  virtual size_t poll(std::vector<rd_kafka_message_t*>& out, int timeout_ms) = 0;
  virtual void release(std::vector<rd_kafka_message_t*>& msgs, size_t n) = 0;
  // The partition's end as last fetched (no request); -1: unknown.
  virtual std::int64_t high_watermark(const std::string& topic, std::int32_t partition) const = 0;
  // The partition's low and high watermarks, asked of the broker.
  virtual expected<std::pair<std::int64_t, std::int64_t>> watermark_offsets(
    const std::string& topic, std::int32_t partition) = 0;
};

// What a source opens besides its sink: the job's Kafka partitions, its
// dead-letter topic and its checkpoint store.
struct source_io {
  std::function<expected<std::unique_ptr<source_input>>(const jobs::job_spec&)> open_input;
  // Null: no dead-letter topic (a test that reads no event it would refuse).
  std::function<expected<std::unique_ptr<dead_letter_queue>>(const jobs::job_spec&)>
    open_dead_letters;
  std::function<expected<std::unique_ptr<checkpoint_store>>(const std::string& url)>
    open_checkpoints;
  // How often it tells the worker where its partitions stand: no less often
  // than the worker reports to the coordinator (--report-ms), or the API's
  // offsets lag the worker's reports.
  std::chrono::milliseconds status_every{1000};
};

// Kafka (a consumer with explicit assignment, a producer to the dead-letter
// topic, created if missing) and the store checkpoint_store::open picks.
source_io kafka_io();

struct source_state {
  static inline const char* name = "source";
  // Not an aggregate: CAF would try to build an aggregate state from `self`.
  source_state() = default;

  using clock = std::chrono::steady_clock;

  // -- configuration (fixed for the actor's life) ------------------------------
  std::unique_ptr<jobs::job_spec> spec;
  std::shared_ptr<const jobs::pipeline> pipeline; // the job kind: what events become
  sink_actor sink;
  bool partitioned = false;       // source.partitioned_by: checked on every event
  std::string partitioned_reason; // the dead letter's reason when it does not hold
  // Unacked batches before polling stops: enough that reading goes on while
  // the sink writes the rows of a closing window (4 made them alternate).
  static constexpr std::uint64_t max_in_flight = 16;
  // Short: messages (assignments, acks) wait behind a blocking poll.
  static constexpr int poll_timeout_ms = 20;
  static constexpr std::chrono::milliseconds progress_interval{250};
  std::chrono::milliseconds status_interval{1000}; // reports to the worker (source_io)

  // -- I/O -----------------------------------------------------------------------
  std::unique_ptr<source_input> consumer;
  std::unique_ptr<dead_letter_queue> dead_letters;
  std::unique_ptr<jobs::event_reader> reader;
  std::unique_ptr<checkpoint_store> checkpoints; // absent: the job takes none
  std::string secret;                        // the cluster secret: signs the state it hands over
  worker_actor parent;                       // receives finished checkpoints
  std::vector<rd_kafka_message_t*> messages; // reused poll buffer

  // -- state ---------------------------------------------------------------------
  // The pipeline's state per owned partition, plus what only this process
  // needs to know about it.
  struct owned {
    std::shared_ptr<jobs::pipeline::partition> part;
    clock::time_point last_message = clock::now();
    bool idle = false;
    bool failed = false; // stopped (on_missing_offsets: fail): not read until reassigned
    bool reported = false;
    jobs::millis reported_watermark = jobs::no_time;
    bool reported_idle = false;
    // Taken over from a former owner: events before this offset were emitted
    // by it (a pre-copied state catching up): fold them, emit nothing.
    offset_t emit_from = 0;
    // When that owner stopped reading (wall clock ms), to report the pause at
    // the first event emitted here.
    std::int64_t handoff_released_at_ms = 0;
    std::int64_t since_ms = 0; // wall clock when this source took it
  };
  std::map<partition_id, owned> partitions;
  std::uint64_t next_seq = 1;
  std::uint64_t acked_through = 0;    // the sink acks batches in order
  std::uint64_t credited_through = 0; // and credits them (taken, not durable) in order
  std::uint64_t in_flight = 0;

  // A checkpoint round waiting for the sink to have every row emitted before
  // its snapshot: only then does the snapshot describe durable output.
  struct pending_checkpoint {
    round_id id = 0;
    std::uint64_t needs_seq = 0;
    std::vector<std::pair<partition_id, std::string>> snapshots; // partition, msgpack state
    std::vector<offset_t> offsets;
    std::vector<round_id> pointed; // per partition: the coordinator's round, kept by pruning
  };
  std::optional<pending_checkpoint> checkpoint;
  // Per partition, the data files the sink listed for a commit since the
  // last stored checkpoint (bytes): reported with the next one.
  std::map<partition_id, std::uint64_t> listed;
  // What the next batch tells the sink besides rows.
  std::vector<std::pair<partition_id, offset_t>> restored;
  std::vector<partition_id> dropped;
  bool barrier = false;
  round_id barrier_round = 0; // the round the barrier is for
  // Assignments that gave partitions up, answered once the sink has acked the
  // batch that released them (kinds that do not move state: after it
  // discarded their rows) and their state reached its new owners.
  struct release {
    std::uint64_t seq = 0;
    std::vector<caf::typed_response_promise<bool>> done;
    std::map<caf::strong_actor_ptr, std::vector<partition_handoff>> ship; // by new owner
  };
  std::vector<release> releases;
  // Moving a partition whose kind moves state: its state is first pre-copied
  // to the new owner while this source keeps reading it; the assignment is
  // applied (the partition released, only the stop offset sent) once the
  // copies arrived.
  std::optional<source_assignment> deferred; // the latest assignment, not applied yet
  std::vector<caf::typed_response_promise<bool>> deferred_replies;
  size_t precopies_in_flight = 0;
  std::map<partition_id, caf::strong_actor_ptr> precopied; // partition -> holder of its copy
  bool poll_scheduled = false;
  clock::time_point last_progress = clock::now();
  bool unreported = false; // events read since progress was last sent

  // -- metrics ---------------------------------------------------------------------
  source_metrics metrics;
  clock::time_point last_status{};           // last report to the worker
  std::vector<handoff_pause> handoff_pauses; // since then
  // The periodic log line reports rates since the last one.
  struct {
    clock::time_point at = clock::now();
    std::uint64_t events = 0, polls = 0, poll_wait_ns = 0, credit_wait_ns = 0;
  } last_report;
};

source_actor::behavior_type kafka_source(source_actor::stateful_pointer<source_state> self,
                                         jobs::job_spec spec,
                                         std::shared_ptr<const jobs::pipeline> pipeline,
                                         sink_actor sink, worker_actor parent, std::string secret,
                                         source_io io);

// Key of a partition's checkpoint of round `id`: sorts by round within the partition.
std::string checkpoint_key(const job_id& job, partition_id partition, round_id id);

} // namespace weir
