#include "actors/source.hpp"

#include "runtime/logging.hpp"

#include <caf/all.hpp>

namespace weir {

namespace {

using self_ptr = source_actor::stateful_pointer<source_state>;
constexpr size_t poll_batch = 4096;

void schedule_poll(self_ptr self) {
  auto& st = self->state;
  if (st.poll_scheduled || st.partitions.empty() || st.in_flight >= source_state::max_in_flight)
    return;
  st.poll_scheduled = true;
  self->send(self, poll_atom::value);
}

void emit(self_ptr self, std::int32_t partition, jobs::partition_state& ps) {
  auto& st = self->state;
  result_batch batch;
  st.op->close_windows(ps, batch.rows);
  if (batch.rows.empty())
    return;
  batch.seq = st.next_seq++;
  batch.partition = partition;
  batch.next_offset = ps.next_offset;
  ++st.in_flight;
  self->send(st.sink, write_atom::value, std::move(batch), source_actor{self});
}

// The hot loop: one poll, then per message parse -> key -> fold, with no
// allocation per event (reader and state reuse their buffers).
void poll_once(self_ptr self) {
  auto& st = self->state;
  const size_t n = st.consumer->poll(st.messages, source_state::poll_timeout_ms);
  std::int32_t cached_partition = -1;
  jobs::partition_state* ps = nullptr;
  std::vector<std::int32_t> touched; // few entries: partitions seen in this batch
  jobs::event_view ev;
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_message_t* msg = st.messages[i];
    if (msg->err) {
      if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        WEIR_WARN("source {}: {}", st.spec->name, rd_kafka_message_errstr(msg));
      continue;
    }
    if (msg->partition != cached_partition) {
      auto it = st.partitions.find(msg->partition);
      if (it == st.partitions.end()) // revoked while in flight
        continue;
      cached_partition = msg->partition;
      ps = &it->second;
      if (std::find(touched.begin(), touched.end(), cached_partition) == touched.end())
        touched.push_back(cached_partition);
    }
    if (msg->offset < ps->next_offset) // already folded (re-delivery after reassign)
      continue;
    ps->next_offset = msg->offset + 1;
    auto status = st.reader->read(
      {static_cast<const char*>(msg->payload), msg->len}, ev);
    if (status != jobs::read_status::ok) {
      if (ps->malformed++ < 10)
        WEIR_WARN("source {}: partition {} offset {}: {}", st.spec->name, msg->partition,
                  msg->offset, jobs::to_string(status));
      continue;
    }
    st.op->add(*ps, ev);
  }
  kafka::consumer::release(st.messages, n);
  st.events_since_report += n;
  for (auto p : touched)
    if (auto it = st.partitions.find(p); it != st.partitions.end())
      emit(self, p, it->second);
  auto now = std::chrono::steady_clock::now();
  if (now - st.last_report >= std::chrono::seconds(10)) {
    auto secs = std::chrono::duration<double>(now - st.last_report).count();
    WEIR_INFO("source {}: {:.0f} events/s over {} partition(s)", st.spec->name,
              st.events_since_report / secs, st.partitions.size());
    st.events_since_report = 0;
    st.last_report = now;
  }
}

} // namespace

source_actor::behavior_type kafka_source(self_ptr self, jobs::job_spec spec, sink_actor sink) {
  auto& st = self->state;
  st.spec = std::make_unique<jobs::job_spec>(std::move(spec));
  st.op = std::make_unique<jobs::window_operator>(*st.spec);
  st.reader = std::make_unique<jobs::event_reader>(*st.spec);
  st.sink = std::move(sink);
  st.messages.resize(poll_batch);
  auto consumer = kafka::consumer::make(st.spec->source.brokers);
  if (!consumer) {
    WEIR_ERROR("source {}: {}", st.spec->name, consumer.error_message());
    self->quit(caf::make_error(caf::sec::runtime_error, consumer.error_message()));
    return source_actor::behavior_type::make_empty_behavior();
  }
  st.consumer = std::make_unique<kafka::consumer>(std::move(*consumer));
  return {
    [self](assign_atom, std::vector<std::int32_t> parts) {
      auto& st = self->state;
      std::map<std::int32_t, jobs::partition_state> next;
      std::vector<std::pair<std::int32_t, std::int64_t>> offsets;
      for (auto p : parts) {
        auto it = st.partitions.find(p);
        if (it != st.partitions.end())
          next.emplace(p, std::move(it->second));
        else
          next.emplace(p, jobs::partition_state{}); // no checkpoint yet: from the start
        auto& ps = next[p];
        offsets.emplace_back(p, ps.next_offset > 0 ? ps.next_offset : RD_KAFKA_OFFSET_BEGINNING);
      }
      st.partitions = std::move(next);
      if (auto ok = st.consumer->assign(st.spec->source.topic, offsets); !ok)
        WEIR_ERROR("source {}: {}", st.spec->name, ok.error_message());
      WEIR_INFO("source {}: reading {} partition(s) of {}", st.spec->name, parts.size(),
                st.spec->source.topic);
      schedule_poll(self);
    },
    [self](poll_atom) {
      self->state.poll_scheduled = false;
      if (self->state.in_flight >= source_state::max_in_flight || self->state.partitions.empty())
        return;
      poll_once(self);
      schedule_poll(self);
    },
    [self](ack_atom, std::uint64_t) {
      --self->state.in_flight;
      schedule_poll(self);
    },
  };
}

} // namespace weir
