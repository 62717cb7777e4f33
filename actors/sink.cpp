#include "actors/sink.hpp"

#include "runtime/logging.hpp"
#include "runtime/s3_env.hpp"
#include "sinks/projection.hpp"

#include <caf/all.hpp>

#include <cstdlib>

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

namespace {

raw::lake_options lake_options_for(const jobs::job_spec& spec) {
  raw::lake_options o;
  auto rest = spec.sink.url.substr(5); // s3://
  auto slash = rest.find('/');
  o.bucket = rest.substr(0, slash);
  o.prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  o.columns = sinks::raw_schema(spec.columns);
  for (const auto& p : spec.sink.partition_by) {
    raw::path_part part;
    part.name = p.name;
    part.column = p.column;
    part.every_or_mod = p.every;
    switch (p.k) {
      case jobs::path_part_spec::date: part.k = raw::path_part::date; break;
      case jobs::path_part_spec::hour: part.k = raw::path_part::hour; break;
      case jobs::path_part_spec::modulo: part.k = raw::path_part::modulo; break;
      case jobs::path_part_spec::value: part.k = raw::path_part::value; break;
    }
    o.layout.push_back(std::move(part));
  }
  o.codec = spec.sink.codec == "snappy" ? parquet::codec::snappy
            : spec.sink.codec == "none" ? parquet::codec::uncompressed
                                        : parquet::codec::zstd;
  o.max_file_bytes = spec.sink.max_file_mb << 20;
  return o;
}

using lake_self = raw_sink_actor::stateful_pointer<lake_sink_state>;

expected<raw::lake_writer*> writer_for(lake_self self, std::int32_t partition) {
  auto& st = self->state;
  if (auto it = st.writers.find(partition); it != st.writers.end())
    return &it->second;
  auto made = raw::lake_writer::make(st.s3, st.options, partition);
  if (!made)
    return made.failure();
  return &st.writers.emplace(partition, std::move(*made)).first->second;
}

// Applies the front batch part by part (the cursor remembers what is done, so
// a retry never buffers rows twice), acks it, and goes on; on a failure it
// retries with backoff and the source waits.
void drain_lake(lake_self self) {
  auto& st = self->state;
  while (!st.pending.empty()) {
    auto& [batch, source] = st.pending.front();
    auto fail = [&](const std::string& why) {
      WEIR_WARN("lake sink {}: {} (retrying in {} ms)", st.spec.name, why, st.backoff.count());
      st.retry_scheduled = true;
      self->delayed_send(self, st.backoff, retry_atom::value);
      st.backoff = std::min(st.backoff * 2, std::chrono::milliseconds{5000});
    };
    if (!st.done.dropped) {
      for (auto p : batch.dropped)
        st.writers.erase(p); // the new owner replays these rows
      st.done.dropped = true;
    }
    for (; st.done.restored < batch.restored.size(); ++st.done.restored) {
      auto [p, offset] = batch.restored[st.done.restored];
      st.writers.erase(p);
      auto w = writer_for(self, p);
      if (!w)
        return fail(w.error_message());
      auto gone = (*w)->forget_after(p, offset);
      if (!gone)
        return fail(gone.error_message());
      if (*gone > 0)
        WEIR_INFO("lake sink {}: partition {} resumes at offset {}: removed {} file(s) a former "
                  "owner wrote after it", st.spec.name, p, offset, *gone);
    }
    for (; st.done.rows < batch.rows.size(); ++st.done.rows) {
      auto& [p, rows] = batch.rows[st.done.rows];
      auto w = writer_for(self, p);
      if (!w)
        return fail(w.error_message());
      if (auto ok = (*w)->write(rows); !ok)
        return fail(ok.error_message()); // nothing of `rows` was taken
    }
    if (batch.barrier)
      for (auto& [p, w] : st.writers)
        if (auto ok = w.flush(); !ok)
          return fail(ok.error_message());
    self->send(source, ack_atom::value, batch.seq);
    st.pending.pop_front();
    st.done = {};
    st.backoff = std::chrono::milliseconds{100};
  }
}

} // namespace

raw_sink_actor::behavior_type lake_sink(lake_self self, jobs::job_spec spec) {
  auto& st = self->state;
  st.options = lake_options_for(spec);
  st.s3 = s3_config_from_env();
  st.spec = std::move(spec);
  return {
    [self](write_atom, raw_batch& batch, source_actor source) {
      self->state.pending.emplace_back(std::move(batch), std::move(source));
      if (!self->state.retry_scheduled)
        drain_lake(self);
    },
    [self](retry_atom) {
      self->state.retry_scheduled = false;
      drain_lake(self);
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
