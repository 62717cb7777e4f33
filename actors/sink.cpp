#include "actors/sink.hpp"

#include "runtime/logging.hpp"

#include <caf/all.hpp>

namespace weir {

namespace {

using self_ptr = sink_actor::stateful_pointer<sink_state>;
constexpr std::chrono::milliseconds max_backoff{5000};

// Writes every pending batch in one transaction (fewer round trips when the
// store is slower than the sources); on failure schedules a retry with
// exponential backoff. Sources stop polling when their credits run out, so an
// unreachable store holds the stream back instead of dropping or buffering it.
void drain(self_ptr self) {
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
    auto made = sinks::postgres_results::make(st.spec, st.partitions);
    if (!made)
      return fail(made.error_message());
    st.store.emplace(std::move(*made));
  }
  std::vector<const jobs::partition_rows*> rows;
  std::vector<const jobs::partition_progress*> progress;
  size_t n = 0;
  for (const auto& [batch, source] : st.pending) {
    for (const auto& r : batch.rows) {
      rows.push_back(&r);
      n += r.rows.size();
    }
    for (const auto& p : batch.progress)
      progress.push_back(&p);
  }
  if (auto written = st.store->write(rows, progress); !written) {
    st.store.reset(); // reconnect on the next attempt
    return fail(written.error_message());
  }
  st.rows_written += n;
  for (auto& [batch, source] : st.pending)
    self->send(source, ack_atom::value, batch.seq);
  st.pending.clear();
  st.backoff = std::chrono::milliseconds{100};
}

} // namespace

sink_actor::behavior_type result_sink(self_ptr self, jobs::job_spec spec,
                                      std::int32_t partitions) {
  self->state.spec = std::move(spec);
  self->state.partitions = partitions;
  return {
    [self](write_atom, result_batch& batch, source_actor source) {
      self->state.pending.emplace_back(std::move(batch), std::move(source));
      // Flush after the writes already queued in the mailbox have joined
      // `pending`, so they share one transaction.
      if (!self->state.retry_scheduled) {
        self->state.retry_scheduled = true;
        self->send(self, retry_atom::value);
      }
    },
    [self](retry_atom) {
      self->state.retry_scheduled = false;
      drain(self);
    },
  };
}

} // namespace weir
