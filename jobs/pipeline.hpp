// The pipeline interface: what a job kind does with the events of one Kafka
// partition. The source actor (actors/source.cpp) is kind-agnostic: it reads
// Kafka, parses each event with the job's event_reader, and hands it to the
// job's pipeline; it runs the checkpoint and handoff protocols on the
// snapshots the pipeline gives it. Each kind lives in a room of its own
// (jobs/windowed/, jobs/raw/) and is chosen by jobs/registry/.
//
// A pipeline is const and built from the spec; everything it mutates is a
// `partition` object, one per owned Kafka partition, whose snapshot is the
// msgpack bytes a checkpoint stores and a handoff ships.
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"
#include "jobs/event_reader.hpp"
#include "jobs/spec.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::jobs {

inline constexpr millis no_time = std::numeric_limits<millis>::min();

// Where a partition's input stands. Every kind keeps one, inside its
// snapshot, so a restored partition resumes its offsets and counters.
struct partition_cursor {
  offset_t next_offset = 0;        // first offset not yet folded
  millis max_event_time = no_time; // largest event time folded
  std::uint64_t events = 0;        // folded
  std::uint64_t filtered = 0;      // failed the job's `where`
  std::uint64_t malformed = 0;     // unreadable or unfit for the job (dead-lettered)
  std::uint64_t late = 0;          // after every window it belongs to expired (dead-lettered)
  std::uint64_t skipped = 0; // offsets gone from Kafka, skipped (on_missing_offsets: earliest)
  MSGPACK_DEFINE(next_offset, max_event_time, events, filtered, malformed, late, skipped)
};

// Where one source partition stands; reported to the sink with every batch.
struct partition_progress {
  partition_id partition = 0;
  millis watermark = no_time;
  bool idle = false; // silent longer than the idle timeout: does not hold windows back
  offset_t next_offset = 0;
  std::uint64_t events = 0, filtered = 0, malformed = 0, late = 0, skipped = 0;
};

// What a pipeline emitted for one partition since its last flush. Each kind
// has its own output type; a sink declares which kind it consumes
// (sinks/sink.hpp) and reads that type.
struct partition_output {
  partition_id partition = 0;
  virtual ~partition_output() = default;
  virtual std::size_t size() const = 0; // rows
};

// From a source to its sink: what its partitions emitted, and where they
// stand. Never leaves the process.
struct sink_batch {
  std::uint64_t seq = 0; // per source, increasing; acked in order
  std::vector<std::shared_ptr<const partition_output>> outputs;
  std::vector<partition_progress> progress;
  // Partitions the source took over, with the offset it resumes from: a sink
  // that buffers by partition (the lake) first forgets what a former owner
  // wrote from there on.
  std::vector<std::pair<partition_id, offset_t>> restored;
  // Partitions given up without shipping their state: discard what is
  // buffered for them (their new owner replays it).
  std::vector<partition_id> dropped;
  // A checkpoint follows: everything before must be durable when acked.
  bool barrier = false;
  round_id round = 0; // the checkpoint round of a barrier

  std::size_t rows() const {
    std::size_t n = 0;
    for (const auto& o : outputs)
      n += o->size();
    return n;
  }
};

// Per partition, the bytes of data files a sink listed for a commit at a
// barrier (the lake's pending lists); from the sink back to the source.
using listed_bytes = std::vector<std::pair<partition_id, std::uint64_t>>;

// What folding one event did.
enum class fold_status {
  ok,      // folded
  late,    // too late for every window it belongs to: dead-letter it
  rejected // does not fit the job (reason set): dead-letter it as malformed
};

struct fold_result {
  fold_status status = fold_status::ok;
  std::string reason; // rejected only
};

class pipeline {
public:
  // One owned partition's mutable state, plus what it emitted since the last
  // flush. Created by fresh() or restore().
  struct partition {
    virtual ~partition() = default;
    // The source advances next_offset and the filtered/malformed counters
    // itself, once per event; the pipeline keeps the rest.
    virtual partition_cursor& cursor() = 0;
  };

  virtual ~pipeline() = default;

  // The kind's name ("windowed", "raw"): shipped with a handoff, so the new
  // owner can unpack the state before it has the job (jobs/registry/).
  virtual std::string_view kind() const = 0;

  // A partition read from its first offset.
  virtual std::unique_ptr<partition> fresh(partition_id p) const = 0;

  // A partition from a snapshot (a checkpoint or a handoff); the error names `what`.
  virtual expected<std::unique_ptr<partition>> restore(partition_id p, std::string_view bytes,
                                                       const std::string& what) const = 0;

  // The partition's state as msgpack bytes: what restore() takes back.
  virtual std::string snapshot(const partition& p) const = 0;

  // Folds one event (already parsed and past the job's filters). With `emit`
  // false the state changes but nothing is emitted: the partition is catching
  // up on events a former owner already emitted.
  virtual fold_result fold(partition& p, const event_view& ev, offset_t at, bool emit) const = 0;

  // Processing time: the clock reached `now` without events; close what it passed.
  virtual void advance_clock(partition& p, millis now) const {}

  // Keys held in the partition's state (for the operator's view of memory).
  virtual std::size_t live_keys(const partition& p) const { return 0; }

  // The partition's watermark (no_time for kinds without windows).
  virtual millis watermark(const partition& p) const = 0;

  // Takes what the partition emitted since the last flush (null: nothing).
  virtual std::shared_ptr<const partition_output> flush(partition& p) const = 0;

  // The partition is given up. Returns the state its new owner continues
  // from (flush first: the state describes only what was sent), or nothing
  // when the kind does not move state: then what it buffered is discarded
  // and the new owner restores the checkpoint and replays.
  virtual std::optional<std::string> release(const partition& p) const = 0;

  // Whether a moved partition's state goes to its new owner (pre-copy and
  // release, see docs/architecture.md) rather than through the checkpoint.
  virtual bool moves_state() const = 0;
};

} // namespace weir::jobs
