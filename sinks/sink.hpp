// The sink interface: how a job's results reach a store. One sink object per
// job per worker, driven by the kind-agnostic sink actor (actors/sink.cpp),
// which runs it on a thread of its own (stores block), keeps the batches its
// sources sent, acks them once durable and retries with backoff.
//
// A sink lives in a room of its own (sinks/postgres/, sinks/lake/, ...) with
// its own tests, and is listed once under its spec `sink.type` in
// sinks/registry/sinks.cpp (its factory) and jobs/connectors.cpp (what its
// spec takes). See docs/architecture.md, "The map: layers and rooms".
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace weir::sinks {

// What a sink needs beyond the spec.
struct context {
  std::int32_t partitions = 0; // of the job's topic: all must report before results appear
  // The job's lifetime id, kept by the coordinator: what a committing sink
  // (sinks/lake/) tags its commits with, so a job started afresh never takes
  // an earlier job's commits for its own.
  std::string commit_identity;
};

// A row the store refused for what it holds (a constraint, a trigger, a
// value outside a column's range): the rest of its batch lands, and the sink
// actor sends it to the job's dead-letter topic.
struct refused_row {
  partition_id partition = -1; // source partition; -1: merged from every partition
  offset_t offset = -1;        // the event's (raw rows); where its partition stood (window rows)
  std::string row;             // the row as a JSON object
  std::string reason;          // what the store said
};

struct write_result {
  std::size_t done = 0;         // batches from the front that are durable now: acked
  std::size_t rows = 0;         // rows they held
  std::optional<error> failure; // the rest waits, retried from the first not done
  // Rows of the done batches not written, each counted in the store's
  // <table>__progress.dropped (where it has one): for a window already final
  // (a replay), with a value the store cannot hold, or refused by the store.
  std::size_t dropped = 0;
  // Of those, the rows the store refused: dead-lettered before the ack.
  std::vector<refused_row> refused{};
  // Per done batch (by index), the data files its barrier listed for a
  // commit at checkpoints (the lake): acked with the batch.
  std::map<std::size_t, jobs::listed_bytes> listed{};
  // Batches after the done ones that the sink has taken and holds, not
  // durable yet (the lake, while a barrier's files upload in the
  // background). Their sources get their credit back now and their ack once
  // a later write counts them done; a write is handed only batches not
  // taken, and `done` counts from the first one held.
  std::size_t held = 0;
};

class sink {
public:
  virtual ~sink() = default;

  // Makes `batches` durable, in order: together in one transaction where the
  // store allows (fewer round trips when the store is slower than the
  // sources). Connects lazily and reconnects after a failure. After a
  // failure the next call starts with the first batch not done (nor held); a
  // sink that applies a batch in parts remembers how far it got. While it
  // holds batches it is called again, with new batches or none, every few
  // milliseconds until it counts them done.
  virtual write_result write(std::span<const jobs::sink_batch* const> batches) = 0;

  // Opens the store and checks what is there against the spec (a results
  // table made for another spec is a permanent error), before the job is
  // accepted. Nothing to check by default.
  virtual expected<void> check() { return {}; }
};

// A store connection opened on first use and dropped after a failure, so the
// next attempt reconnects.
template <class Store>
class lazy_store {
public:
  template <class Open>
  expected<Store*> get(Open open) {
    if (!store_) {
      auto made = open();
      if (!made)
        return made.failure();
      store_.emplace(std::move(*made));
    }
    return &*store_;
  }
  void reset() { store_.reset(); }

private:
  std::optional<Store> store_;
};

// The outputs of a batch as the type a sink consumes. The spec parser pairs
// every sink type with its job kind, so a mismatch is a bug: it throws.
template <class Output>
const Output& output_as(const jobs::partition_output& out) {
  return dynamic_cast<const Output&>(out);
}

} // namespace weir::sinks
