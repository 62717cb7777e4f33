#include "actors/sink.hpp"

#include "base/logging.hpp"

#include <caf/all.hpp>

WEIR_LOG_MODULE("sink");

namespace weir {

namespace {

using self_ptr = sink_actor::stateful_pointer<sink_state>;
constexpr std::chrono::milliseconds first_backoff{100};
constexpr std::chrono::milliseconds max_backoff{5000};
constexpr std::chrono::milliseconds held_poll{10};

// Sends the rows the store refused to the job's dead-letter topic and waits
// until Kafka has them: only then may their batches be acked, since a
// checkpoint after the ack would never write them again.
expected<void> dead_letter(self_ptr self, const std::vector<sinks::refused_row>& rows) {
  auto& st = self->state;
  if (!st.dead_letters) {
    auto made = dead_letter_queue::make(st.spec);
    if (!made)
      return made.failure();
    st.dead_letters = std::make_unique<dead_letter_queue>(std::move(*made));
  }
  auto sent = [&]() -> expected<void> {
    for (const auto& r : rows)
      if (auto ok = st.dead_letters->send_row(r.partition, r.offset, r.row, r.reason); !ok)
        return ok;
    return st.dead_letters->flush(10'000);
  }();
  if (!sent) // a fresh producer next time; the rows go again (at least once)
    st.dead_letters.reset();
  return sent;
}

void ack_front(self_ptr self, size_t n) {
  auto& st = self->state;
  for (size_t i = 0; i < n; ++i) {
    auto& [batch, source, listed] = st.pending.front();
    self->send(source, ack_atom::value, batch.seq, std::move(listed));
    st.pending.pop_front();
  }
  st.metrics.batches.inc(n);
}

// Frees the credit of the batches the sink took beyond the durable ones
// (front `done` acked already); their rows are the sink's now.
void credit_held(self_ptr self, size_t held_before, size_t held) {
  auto& st = self->state;
  for (size_t i = held_before; i < held; ++i) {
    auto& p = st.pending[i];
    self->send(p.source, credit_atom::value, p.batch.seq);
    jobs::sink_batch released;
    released.seq = p.batch.seq;
    p.batch = std::move(released);
  }
}

void retry_later(self_ptr self) {
  auto& st = self->state;
  st.retry_scheduled = true;
  self->delayed_send(self, st.backoff, retry_atom::value);
  st.backoff = std::min(st.backoff * 2, max_backoff);
}

// Writes every pending batch; acks those the sink made durable; on a failure
// schedules a retry of the rest with exponential backoff.
void drain(self_ptr self) {
  auto& st = self->state;
  // A write that committed, with rows refused that the dead-letter topic did
  // not take: only the sending is tried again, never the write (its merge
  // may have made their windows final: they would not be refused again).
  if (st.undelivered) {
    if (auto sent = dead_letter(self, st.undelivered->rows); !sent) {
      st.metrics.failures.inc();
      WEIR_WARN("job {}: {} row(s) the store refused cannot be dead-lettered to {}: {} (retrying "
                "in {} ms)",
                st.job, st.undelivered->rows.size(), st.spec.dead_letter_topic,
                sent.error_message(), st.backoff.count());
      retry_later(self);
      return;
    }
    st.metrics.refused.inc(st.undelivered->rows.size());
    ack_front(self, st.undelivered->done);
    st.undelivered.reset();
  }
  if (st.pending.empty())
    return;
  std::vector<const jobs::sink_batch*> batches;
  batches.reserve(st.pending.size() - st.held);
  for (size_t i = st.held; i < st.pending.size(); ++i)
    batches.push_back(&st.pending[i].batch);
  sinks::write_result written;
  const auto t0 = std::chrono::steady_clock::now();
  {
    metrics::scoped_timer timed{st.metrics.write};
    written = st.sink->write(batches);
  }
  WEIR_DEBUG("job {}: {} of {} batch(es), {} row(s) written in {} us", st.job, written.done,
             batches.size(), written.rows,
             std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now()
                                                                   - t0)
               .count());
  for (auto& [i, listed] : written.listed)
    if (i < written.done)
      st.pending[i].listed = std::move(listed);
  if (!written.refused.empty()) {
    if (auto sent = dead_letter(self, written.refused); sent) {
      st.metrics.refused.inc(written.refused.size());
    } else {
      // Durable, not acked until the dead-letter topic has the refused rows.
      st.undelivered = sink_state::refused_rows{written.done, std::move(written.refused)};
      written.done = 0;
      written.failure = error{"rows the store refused cannot be dead-lettered to "
                              + st.spec.dead_letter_topic + ": " + sent.error_message()};
    }
  }
  // Batches newly taken, by index in `pending` before the acks: credited.
  const size_t taken_from = std::max(st.held, written.done);
  ack_front(self, written.done);
  credit_held(self, taken_from - written.done, written.held);
  st.held = written.held;
  st.metrics.rows.inc(written.rows);
  st.metrics.dropped.inc(written.dropped);
  st.metrics.pending.set(static_cast<double>(st.pending.size()));
  if (st.parent && std::chrono::steady_clock::now() - st.last_status >= std::chrono::seconds(1)) {
    st.last_status = std::chrono::steady_clock::now();
    job_report r;
    r.job = st.job;
    r.sink = st.metrics.take();
    self->send(st.parent, report_atom::value, std::move(r));
  }
  if (!written.failure) {
    st.backoff = first_backoff;
    if (st.held > 0 && !st.retry_scheduled) { // ask again until the held are durable
      st.retry_scheduled = true;
      self->delayed_send(self, held_poll, retry_atom::value);
    }
    return;
  }
  st.metrics.failures.inc();
  if (written.failure->permanent) {
    // Retrying cannot help: the sink stops, and its worker reports the job
    // failed here (weir status) instead of the stream waiting forever.
    WEIR_ERROR("job {}: {}", st.job, written.failure->message);
    self->quit(caf::make_error(caf::sec::runtime_error, written.failure->message));
    return;
  }
  WEIR_WARN("job {}: {} (retrying in {} ms)", st.job, written.failure->message, st.backoff.count());
  retry_later(self);
}

} // namespace

metrics::snapshot sink_metrics::take() const {
  metrics::snapshot s;
  append(s, "batches", "batches made durable and acked", batches);
  append(s, "rows", "rows written", rows);
  append(s, "rows_dropped",
         "rows not written, each counted in the store's <table>__progress.dropped: "
         "for a window already final, or a value the store cannot hold",
         dropped);
  append(s, "rows_refused",
         "rows the store refused (a constraint, a trigger, a value out of "
         "range), sent to the dead-letter topic; counted in rows_dropped too",
         refused);
  append(s, "retries", "writes that failed and were retried", failures);
  append(s, "write_seconds", "one write of the pending batches", write);
  append(s, "pending", "batches waiting to be written", pending);
  return s;
}

sink_actor::behavior_type sink_driver(self_ptr self, std::string job,
                                      std::shared_ptr<sinks::sink> sink, worker_actor parent,
                                      jobs::job_spec spec) {
  self->state.job = std::move(job);
  self->state.spec = std::move(spec);
  self->state.parent = std::move(parent);
  self->state.sink = std::move(sink);
  return {
    // Queues a batch; the write runs after the batches already in the
    // mailbox have joined `pending`, so they share one round of writing.
    [self](write_atom, jobs::sink_batch& batch, source_actor source) {
      auto& st = self->state;
      st.pending.push_back({std::move(batch), std::move(source), {}});
      if (!st.retry_scheduled) {
        st.retry_scheduled = true;
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
