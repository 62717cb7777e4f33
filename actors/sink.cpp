#include "actors/sink.hpp"

#include "runtime/logging.hpp"

#include <caf/all.hpp>

namespace weir {

namespace {

using self_ptr = sink_actor::stateful_pointer<sink_state>;
constexpr std::chrono::milliseconds max_backoff{5000};

// Writes pending batches in order; on the first failure schedules a retry with
// exponential backoff. Sources stop polling when their credits run out, so an
// unreachable store holds the stream back instead of dropping or buffering it.
void drain(self_ptr self) {
  auto& st = self->state;
  while (!st.pending.empty()) {
    if (!st.store) {
      auto made = sinks::postgres_results::make(st.spec);
      if (!made) {
        WEIR_WARN("sink {}: {} (retrying in {} ms)", st.spec.sink.table, made.error_message(),
                  st.backoff.count());
        break;
      }
      st.store.emplace(std::move(*made));
    }
    auto& [batch, source] = st.pending.front();
    auto written = st.store->write(batch.partition, batch.rows);
    if (!written) {
      WEIR_WARN("sink {}: {} (retrying in {} ms)", st.spec.sink.table, written.error_message(),
                st.backoff.count());
      st.store.reset();
      break;
    }
    st.rows_written += batch.rows.size();
    self->send(source, ack_atom::value, batch.seq);
    st.pending.pop_front();
    st.backoff = std::chrono::milliseconds{100};
  }
  if (!st.pending.empty() && !st.retry_scheduled) {
    st.retry_scheduled = true;
    self->delayed_send(self, st.backoff, retry_atom::value);
    st.backoff = std::min(st.backoff * 2, max_backoff);
  }
}

} // namespace

sink_actor::behavior_type result_sink(self_ptr self, jobs::job_spec spec) {
  self->state.spec = std::move(spec);
  return {
    [self](write_atom, result_batch& batch, source_actor source) {
      self->state.pending.emplace_back(std::move(batch), std::move(source));
      if (!self->state.retry_scheduled)
        drain(self);
    },
    [self](retry_atom) {
      self->state.retry_scheduled = false;
      drain(self);
    },
  };
}

} // namespace weir
