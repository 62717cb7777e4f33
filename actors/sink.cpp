#include "actors/sink.hpp"

#include "runtime/logging.hpp"
#include "sinks/projection.hpp"

#include <caf/all.hpp>

namespace weir {

namespace {

constexpr std::chrono::milliseconds max_backoff{5000};

// Writes every pending batch (in one transaction where the store allows:
// fewer round trips when the store is slower than the sources); on failure
// schedules a retry with exponential backoff. Sources stop polling when their
// credits run out, so an unreachable store holds the stream back instead of
// dropping or buffering it. `open` makes a store, `write` writes all pending
// batches and returns how many rows.
template <class Self, class Open, class Write>
void drain(Self self, Open open, Write write) {
  auto& st = self->state;
  if (st.pending.empty())
    return;
  auto fail = [&](const std::string& why) {
    WEIR_WARN("sink {}: {} (retrying in {} ms)", st.spec.sink.table, why, st.backoff.count());
    if (!st.retry_scheduled) {
      st.retry_scheduled = true;
      self->delayed_send(self, st.backoff, retry_atom::value);
      st.backoff = std::min(st.backoff * 2, max_backoff);
    }
  };
  if (!st.store) {
    auto made = open();
    if (!made)
      return fail(made.error_message());
    st.store.emplace(std::move(*made));
  }
  auto written = write(*st.store);
  if (!written) {
    st.store.reset(); // reconnect on the next attempt
    return fail(written.error_message());
  }
  st.rows_written += *written;
  for (auto& [batch, source] : st.pending)
    self->send(source, ack_atom::value, batch.seq);
  st.pending.clear();
  st.backoff = std::chrono::milliseconds{100};
}

// Queues a batch; the flush runs after the writes already in the mailbox have
// joined `pending`, so they share one round of writing.
template <class Self, class Batch>
void enqueue(Self self, Batch& batch, source_actor& source) {
  self->state.pending.emplace_back(std::move(batch), std::move(source));
  if (!self->state.retry_scheduled) {
    self->state.retry_scheduled = true;
    self->send(self, retry_atom::value);
  }
}

} // namespace

sink_actor::behavior_type result_sink(sink_actor::stateful_pointer<sink_state> self,
                                      jobs::job_spec spec, std::int32_t partitions) {
  self->state.spec = std::move(spec);
  self->state.partitions = partitions;
  auto flush = [self] {
    drain(
      self, [self] { return sinks::postgres_results::make(self->state.spec, self->state.partitions); },
      [self](sinks::postgres_results& store) -> expected<size_t> {
        std::vector<const jobs::partition_rows*> rows;
        std::vector<const jobs::partition_progress*> progress;
        size_t n = 0;
        for (const auto& [batch, source] : self->state.pending) {
          for (const auto& r : batch.rows) {
            rows.push_back(&r);
            n += r.rows.size();
          }
          for (const auto& p : batch.progress)
            progress.push_back(&p);
        }
        if (auto ok = store.write(rows, progress); !ok)
          return ok.failure();
        return n;
      });
  };
  return {
    [self](write_atom, result_batch& batch, source_actor source) { enqueue(self, batch, source); },
    [self, flush](retry_atom) {
      self->state.retry_scheduled = false;
      flush();
    },
  };
}

raw_sink_actor::behavior_type raw_sink(raw_sink_actor::stateful_pointer<raw_sink_state> self,
                                       jobs::job_spec spec) {
  self->state.spec = std::move(spec);
  auto flush = [self] {
    drain(
      self,
      [self] {
        const auto& spec = self->state.spec;
        return raw::postgres_raw::make(spec.sink.url, spec.sink.table,
                                       sinks::raw_schema(spec.columns), spec.sink.key);
      },
      [self](raw::postgres_raw& store) -> expected<size_t> {
        // Each write is one transaction that skips keys already present, so
        // retrying after a partial failure inserts nothing twice.
        size_t n = 0;
        for (const auto& [batch, source] : self->state.pending)
          for (const auto& [partition, rows] : batch.rows) {
            auto ok = store.write(rows);
            if (!ok)
              return ok.failure();
            n += *ok;
          }
        return n;
      });
  };
  return {
    [self](write_atom, raw_batch& batch, source_actor source) { enqueue(self, batch, source); },
    [self, flush](retry_atom) {
      self->state.retry_scheduled = false;
      flush();
    },
  };
}

} // namespace weir
