#include "actors/source.hpp"

#include "base/logging.hpp"
#include "runtime/auth.hpp"

#include <thread>

#include <caf/all.hpp>

#include <chrono>
#include <set>

WEIR_LOG_MODULE("source");

namespace weir {

namespace {

using self_ptr = source_actor::stateful_pointer<source_state>;
using clock = source_state::clock;
constexpr size_t poll_batch = 4096;

jobs::millis wall_clock_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void schedule_poll(self_ptr self) {
  auto& st = self->state;
  if (st.poll_scheduled || st.partitions.empty() || st.in_flight >= source_state::max_in_flight)
    return;
  st.poll_scheduled = true;
  self->send(self, poll_atom::value);
}

// Sends what the partitions emitted, and progress when it changed (at most
// every progress_interval unless rows go too, or at once when `caught_up`:
// the source read all there is, so where it stands is worth telling now), to
// the sink.
void flush(self_ptr self, clock::time_point now, bool caught_up = false) {
  auto& st = self->state;
  jobs::sink_batch batch;
  bool due = now - st.last_progress >= source_state::progress_interval || st.barrier
             || !st.restored.empty() || !st.dropped.empty() || (caught_up && st.unreported);
  for (auto& [p, o] : st.partitions)
    if (auto out = st.pipeline->flush(*o.part)) {
      batch.outputs.push_back(std::move(out));
      due = true;
    }
  if (!due)
    return;
  const bool has_rows =
    !batch.outputs.empty() || st.barrier || !st.restored.empty() || !st.dropped.empty();
  for (auto& [p, o] : st.partitions) {
    const auto wm = st.pipeline->watermark(*o.part);
    if (o.reported && o.reported_watermark == wm && o.reported_idle == o.idle && !has_rows)
      continue;
    const auto& c = o.part->cursor();
    batch.progress.push_back(
      {p, wm, o.idle, c.next_offset, c.events, c.filtered, c.malformed, c.late, c.skipped});
    o.reported = true;
    o.reported_watermark = wm;
    o.reported_idle = o.idle;
  }
  st.last_progress = now;
  st.unreported = false;
  if (!has_rows && batch.progress.empty())
    return;
  batch.restored = std::exchange(st.restored, {});
  batch.dropped = std::exchange(st.dropped, {});
  batch.barrier = std::exchange(st.barrier, false);
  batch.round = batch.barrier ? st.barrier_round : 0;
  batch.seq = st.next_seq++;
  st.metrics.batches.inc();
  st.metrics.rows.inc(batch.rows());
  if (++st.in_flight >= source_state::max_in_flight)
    st.metrics.credit_wait.start();
  self->send(st.sink, write_atom::value, std::move(batch), source_actor{self});
}

void dead_letter(self_ptr self, const rd_kafka_message_t* msg, std::string_view reason) {
  auto& st = self->state;
  if (!st.dead_letters)
    WEIR_ERROR("job {}: partition {} offset {}: {}, and there is no dead-letter topic",
               st.spec->name, msg->partition, msg->offset, reason);
  else if (auto sent = st.dead_letters->send(*msg, reason); !sent)
    WEIR_ERROR("job {}: dead-letter topic {}: {}", st.spec->name, st.dead_letters->topic(),
               sent.error_message());
  st.metrics.dead_lettered.inc();
}

// An event the job cannot take: counted, and dead-lettered unless a former
// owner already did (a catching-up partition).
void reject(self_ptr self, const rd_kafka_message_t* msg, jobs::partition_cursor& cur,
            std::string_view reason, bool replay) {
  auto& st = self->state;
  if (cur.malformed++ < 10 && !replay)
    WEIR_WARN("job {}: partition {} offset {}: {} (sent to {})", st.spec->name, msg->partition,
              msg->offset, reason, st.spec->dead_letter_topic);
  if (replay)
    return;
  st.metrics.malformed.inc();
  dead_letter(self, msg, reason);
}

// Stops partition `p` for `why`: it is not read until it is assigned again,
// holds its job's windows back, and shows in `weir status`.
void fail_partition(self_ptr self, partition_id p, source_state::owned& o, const std::string& why) {
  auto& st = self->state;
  o.failed = true;
  o.idle = false;
  st.metrics.partitions_failed.inc();
  WEIR_ERROR("job {}: partition {} stopped: {}", st.spec->name, p, why);
  self->send(st.parent, partition_failed_atom::value, st.spec->name, p, why);
}

// The offset partition `p` resumes from is not in Kafka (retention deleted
// it, or the topic was recreated). Policy on_missing_offsets: `earliest`
// skips to the earliest offset left when what is missing lies before it,
// counting the skipped offsets; anything else stops the partition, loudly, and
// it holds windows back until an operator acts (cancel, or resubmit with
// earliest).
void missing_offsets(self_ptr self, partition_id p) {
  auto& st = self->state;
  auto it = st.partitions.find(p);
  if (it == st.partitions.end() || it->second.failed)
    return;
  auto& o = it->second;
  auto& cur = o.part->cursor();
  const auto& topic = st.spec->source.topic;
  auto range = st.consumer->watermark_offsets(topic, p);
  std::string why;
  if (!range) {
    why = "offset " + std::to_string(cur.next_offset)
          + " is not in Kafka, and its range is "
            "unknown: "
          + range.error_message();
  } else if (auto [lo, hi] = *range;
             st.spec->source.on_missing_offsets == jobs::missing_offsets::earliest
             && cur.next_offset < lo) {
    const auto skipped = lo - cur.next_offset;
    // A partition in this error state takes no seek: assign it afresh at lo.
    if (auto ok = st.consumer->reassign(topic, {{p, lo}}, {p}); ok) {
      WEIR_WARN("job {}: partition {}: offsets {} to {} are gone from Kafka (retention); {} "
                "offset(s) skipped, reading on from {} (on_missing_offsets: earliest)",
                st.spec->name, p, cur.next_offset, lo - 1, skipped, lo);
      st.metrics.offsets_skipped.inc(static_cast<std::uint64_t>(skipped));
      cur.skipped += static_cast<std::uint64_t>(skipped);
      cur.next_offset = lo;
      return;
    } else {
      why = ok.error_message();
    }
  } else {
    why = "offset " + std::to_string(cur.next_offset) + " is not in Kafka, which holds "
          + std::to_string(lo) + " to " + std::to_string(hi - 1)
          + (cur.next_offset < lo ? " (retention deleted what this partition had not read; "
                                    "on_missing_offsets: earliest would skip it)"
                                  : " (the topic was recreated or truncated?)");
  }
  if (auto paused = st.consumer->pause(topic, p); !paused)
    WEIR_WARN("job {}: partition {}: {}", st.spec->name, p, paused.error_message());
  fail_partition(self, p, o, why);
}

// Where this source's partitions stand, with its metrics, for the worker's
// report to the coordinator (runtime/report.hpp).
void report_status(self_ptr self, clock::time_point now) {
  auto& st = self->state;
  st.last_status = now;
  job_report r;
  r.job = st.spec->name;
  for (const auto& [p, o] : st.partitions) {
    const auto& c = o.part->cursor();
    r.partitions.push_back({p, c.next_offset, st.consumer->high_watermark(st.spec->source.topic, p),
                            st.pipeline->watermark(*o.part), o.idle, o.failed, c.events, c.filtered,
                            c.malformed, c.late, o.since_ms, c.skipped});
  }
  r.source = st.metrics.take();
  r.handoffs = std::exchange(st.handoff_pauses, {});
  self->send(st.parent, report_atom::value, std::move(r));
}

// Parses and folds the `n` messages of one poll, with no allocation per
// event (reader and pipeline state reuse their buffers).
void fold_polled(self_ptr self, size_t n, clock::time_point now, jobs::millis wall) {
  auto& st = self->state;
  std::int32_t cached_partition = -1;
  source_state::owned* o = nullptr;
  jobs::partition_cursor* cur = nullptr;
  jobs::event_view ev;
  for (size_t i = 0; i < n; ++i) {
    const rd_kafka_message_t* msg = st.messages[i];
    if (msg->err) {
      if (msg->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET)
        missing_offsets(self, msg->partition);
      else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        WEIR_WARN("job {}: {}", st.spec->name, rd_kafka_message_errstr(msg));
      continue;
    }
    if (msg->partition != cached_partition) {
      auto it = st.partitions.find(msg->partition);
      if (it == st.partitions.end()) // revoked while in flight
        continue;
      cached_partition = msg->partition;
      o = &it->second;
      cur = &o->part->cursor();
      o->last_message = now;
      o->idle = false;
    }
    if (msg->offset < cur->next_offset) // already folded (re-delivery after reassign)
      continue;
    cur->next_offset = msg->offset + 1;
    st.metrics.bytes.inc(msg->len);
    // Catching up on what a former owner already emitted: fold, emit nothing.
    const bool replay = msg->offset < o->emit_from;
    if (o->handoff_released_at_ms != 0 && !replay) {
      const auto pause = wall_clock_ms() - o->handoff_released_at_ms;
      WEIR_INFO("job {}: partition {} resumed {} ms after its former owner stopped", st.spec->name,
                msg->partition, pause);
      st.handoff_pauses.push_back({msg->partition, pause});
      o->handoff_released_at_ms = 0;
    }
    auto status = st.reader->read({static_cast<const char*>(msg->payload), msg->len}, ev, wall);
    if (status == jobs::read_status::filtered) {
      ++cur->filtered;
      st.metrics.filtered.inc();
      continue;
    }
    if (status != jobs::read_status::ok) {
      reject(self, msg, *cur, jobs::to_string(status), replay);
      continue;
    }
    // The spec promises every event of a key is in one partition; an event
    // that breaks it would make rows written as final wrong: refuse it.
    if (st.partitioned
        && ev.partition_key
             != std::string_view{static_cast<const char*>(msg->key), msg->key ? msg->key_len : 0}) {
      reject(self, msg, *cur, st.partitioned_reason, replay);
      continue;
    }
    auto folded = st.pipeline->fold(*o->part, ev, msg->offset, !replay);
    switch (folded.status) {
      case jobs::fold_status::ok: break;
      case jobs::fold_status::late:
        if (!replay) {
          st.metrics.late.inc();
          dead_letter(self, msg, "late");
        }
        break;
      case jobs::fold_status::rejected: reject(self, msg, *cur, folded.reason, replay); break;
    }
  }
}

// Every 10 s, the log line with the rates since the last one.
void log_rates(self_ptr self, clock::time_point now) {
  auto& st = self->state;
  if (now - st.last_report.at < std::chrono::seconds(10))
    return;
  auto& m = st.metrics;
  auto& last = st.last_report;
  auto secs = std::chrono::duration<double>(now - last.at).count();
  auto share = [secs](std::uint64_t ns) {
    return 100 * (ns / 1e9) / secs;
  };
  std::size_t keys = 0;
  for (const auto& [p, owned] : st.partitions)
    keys += st.pipeline->live_keys(*owned.part);
  m.live_keys.set(static_cast<double>(keys));
  WEIR_INFO("job {}: {:.0f} events/s over {} partition(s), {} live keys, {} dead-lettered, "
            "{} polls, {:.0f}% of the time waiting in poll, {:.0f}% waiting for the sink",
            st.spec->name, (m.events.value() - last.events) / secs, st.partitions.size(), keys,
            m.dead_lettered.value(), m.polls.value() - last.polls,
            share(m.poll_wait_ns.value() - last.poll_wait_ns),
            share(m.credit_wait_ns.value() - last.credit_wait_ns));
  last = {now, m.events.value(), m.polls.value(), m.poll_wait_ns.value(), m.credit_wait_ns.value()};
}

// The hot loop: one poll, then per message parse -> fold.
void poll_once(self_ptr self) {
  auto& st = self->state;
  const auto before = clock::now();
  const size_t n = st.consumer->poll(st.messages, source_state::poll_timeout_ms);
  const auto now = clock::now();
  st.metrics.poll_wait_ns.inc(std::chrono::nanoseconds(now - before).count());
  st.metrics.polls.inc();
  const bool processing_time = st.spec->source.mode == jobs::time_mode::processing;
  const jobs::millis wall = processing_time ? wall_clock_ms() : 0;
  fold_polled(self, n, now, wall);
  st.consumer->release(st.messages, n);
  st.metrics.events.inc(n);
  st.unreported = st.unreported || n > 0;
  const auto idle_after = std::chrono::milliseconds(st.spec->source.idle_timeout);
  for (auto& [p, owned] : st.partitions) {
    if (now - owned.last_message >= idle_after && !owned.failed) // a stopped one holds windows back
      owned.idle = true;
    // Processing time advances without events: close what the clock passed.
    if (processing_time)
      st.pipeline->advance_clock(*owned.part, wall);
  }
  flush(self, now, n == 0);
  if (now - st.last_status >= st.status_interval)
    report_status(self, now);
  log_rates(self, now);
  if (st.dead_letters)
    st.dead_letters->serve();
}

// Stores a snapshot round whose output the sink has made durable, prunes old
// rounds, reports to the worker. Blocking (file or S3): fine on this detached
// actor, and only this job's partitions on this worker wait meanwhile.
void finish_checkpoint(self_ptr self) {
  auto& st = self->state;
  auto round = std::move(*st.checkpoint);
  st.checkpoint.reset();
  std::vector<partition_checkpoint> done;
  for (size_t i = 0; i < round.snapshots.size(); ++i) {
    const auto& [partition, bytes] = round.snapshots[i];
    auto key = checkpoint_key(st.spec->name, partition, round.id);
    {
      metrics::scoped_timer timed{st.metrics.checkpoint_put};
      if (auto ok = st.checkpoints->put(key, bytes); !ok) {
        WEIR_WARN("job {}: checkpoint {} of partition {}: {}", st.spec->name, round.id, partition,
                  ok.error_message());
        continue; // the previous round stays the restore point
      }
    }
    auto prefix = key.substr(0, key.rfind('/') + 1);
    // Never the round the coordinator points to (a report of a later one may
    // have been lost), nor a later one.
    const auto p = static_cast<size_t>(partition);
    const auto keep = p < round.pointed.size() && round.pointed[p] > 0
                        ? checkpoint_key(st.spec->name, partition, round.pointed[p])
                        : key;
    if (auto ok = prune(*st.checkpoints, prefix, st.spec->checkpoints.retain, keep); !ok)
      WEIR_WARN("job {}: pruning {}: {}", st.spec->name, prefix, ok.error_message());
    auto listed = st.listed.extract(partition); // the next stored round reports what failed
    done.push_back({partition, round.offsets[i], std::move(key), round.id, bytes.size(),
                    listed ? listed.mapped() : 0});
  }
  if (!done.empty())
    self->send(st.parent, checkpointed_atom::value, st.spec->name, round.id, std::move(done));
}

// One checkpoint, the store retried with backoff (a transient S3 error must
// not cost the partition its state); a snapshot that does not unpack is not
// retried.
expected<std::unique_ptr<jobs::pipeline::partition>> load_checkpoint(self_ptr self, partition_id p,
                                                                     const std::string& key) {
  auto& st = self->state;
  std::chrono::milliseconds wait{100};
  for (int attempt = 1;; ++attempt) {
    auto bytes = st.checkpoints->get(key);
    if (bytes)
      return st.pipeline->restore(p, *bytes, "checkpoint " + key);
    if (attempt == 4)
      return bytes.failure();
    WEIR_WARN("job {}: partition {}: {} (attempt {}); retrying in {} ms", st.spec->name, p,
              bytes.error_message(), attempt, wait.count());
    std::this_thread::sleep_for(wait); // a detached actor: only this source waits
    wait *= 4;
  }
}

// Restores a partition from the state its former owner shipped, else from its
// checkpoint, else from the newest older round still kept. A partition that
// has a checkpoint never silently starts over from offset 0: if no round
// loads, it stops (o.failed) instead.
source_state::owned restore(self_ptr self, const partition_checkpoint& pc,
                            const incoming_state* handed) {
  auto& st = self->state;
  source_state::owned o;
  if (handed && handed->state) {
    if (handed->kind == st.pipeline->kind()) {
      o.part = handed->state;
      o.emit_from = handed->emit_from;
      o.handoff_released_at_ms = handed->released_at_ms;
      WEIR_INFO("job {}: partition {} taken over at offset {} (emitting from {})", st.spec->name,
                pc.partition, o.part->cursor().next_offset, o.emit_from);
      return o;
    }
    WEIR_ERROR("job {}: partition {}: shipped state is of kind {}, the job is {}; it restores "
               "from its checkpoint",
               st.spec->name, pc.partition, handed->kind, st.pipeline->kind());
  }
  o.part = st.pipeline->fresh(pc.partition);
  if (pc.key.empty())
    return o;
  if (!st.checkpoints) {
    WEIR_WARN("job {}: partition {} has checkpoint {} but the job has no store; reading from "
              "the start",
              st.spec->name, pc.partition, pc.key);
    return o;
  }
  auto part = load_checkpoint(self, pc.partition, pc.key);
  std::string key = pc.key;
  if (!part) {
    std::string why = part.error_message();
    WEIR_ERROR("job {}: partition {}: {}; trying the older rounds kept", st.spec->name,
               pc.partition, why);
    // Keys sort by round: the older ones kept, newest first.
    auto keys = st.checkpoints->list(pc.key.substr(0, pc.key.rfind('/') + 1));
    if (keys)
      for (auto k = keys->rbegin(); k != keys->rend() && !part; ++k)
        if (*k < pc.key) {
          part = load_checkpoint(self, pc.partition, *k);
          key = *k;
        }
    if (!part) {
      fail_partition(self, pc.partition, o,
                     "no checkpoint loads (" + pc.key + ": " + why + "; "
                       + (keys ? "no older round loads either" : keys.error_message())
                       + "), and starting over from offset 0 would write it all again");
      return o;
    }
    WEIR_WARN("job {}: partition {}: restored from the older round {} instead of {}", st.spec->name,
              pc.partition, key, pc.key);
  }
  o.part = std::move(*part);
  WEIR_INFO("job {}: partition {} restored from {} at offset {}", st.spec->name, pc.partition, key,
            o.part->cursor().next_offset);
  return o;
}

// A partition's state for its new owner (`pack` is the pipeline's snapshot or
// release), logging how long packing stalled this source (bench/handoff.py
// reads these lines).
template <class Pack>
std::string pack_logged(self_ptr self, partition_id partition, const source_state::owned& o,
                        const char* what, Pack pack, const char* suffix = "") {
  const auto t0 = clock::now();
  std::string bytes = pack(*o.part);
  WEIR_INFO("job {}: partition {} {} at offset {}: {:.1f} MB of state packed in {} ms{}",
            self->state.spec->name, partition, what, o.part->cursor().next_offset,
            bytes.size() / 1e6,
            std::chrono::duration_cast<std::chrono::milliseconds>(clock::now() - t0).count(),
            suffix);
  return bytes;
}

// Sends `states` to worker `to`; `then(bool)` runs with whether it holds them.
template <class Then>
void ship_to(self_ptr self, const caf::strong_actor_ptr& to, std::vector<partition_handoff> states,
             Then then) {
  const auto node = to_string(self->node());
  for (auto& h : states) {
    h.kind = std::string{self->state.pipeline->kind()};
    h.proof = auth::handoff_proof(self->state.secret, {self->state.spec->name, node, h.partition,
                                                       h.offset, h.released_at_ms, h.state});
  }
  self
    ->request(caf::actor_cast<worker_actor>(to), std::chrono::seconds(60), handoff_atom::value,
              self->state.spec->name, std::move(states))
    .then([then](bool ok) mutable { then(ok); },
          [self, then](caf::error& err) mutable {
            WEIR_WARN("job {}: handing state over failed ({}); the new owner restores from "
                      "its checkpoint",
                      self->state.spec->name, to_string(err));
            then(false);
          });
}

// Answers the releases whose batches the sink has acked, after shipping the
// partitions' state to their new owners (who confirm they hold it).
void settle_releases(self_ptr self) {
  auto& st = self->state;
  for (auto it = st.releases.begin(); it != st.releases.end();) {
    if (it->seq > st.acked_through) {
      ++it;
      continue;
    }
    auto done = std::move(it->done);
    auto ship = std::move(it->ship);
    it = st.releases.erase(it);
    auto remaining = std::make_shared<size_t>(ship.size());
    auto finish = [done, remaining](bool) mutable {
      if (*remaining > 0 && --*remaining > 0)
        return;
      for (auto& rp : done)
        rp.deliver(true);
    };
    if (ship.empty()) {
      finish(true);
      continue;
    }
    for (auto& [to, states] : ship)
      ship_to(self, to, std::move(states), finish);
  }
}

// Applies the latest assignment: restores the partitions gained, releases
// those given up (kinds that move state: after flushing their rows, shipping
// their state, or only their stop offset if a pre-copy went before) and
// answers every assignment received meanwhile once that is done.
void apply_assignment(self_ptr self) {
  auto& st = self->state;
  auto a = std::move(*st.deferred);
  st.deferred.reset();
  auto replies = std::move(st.deferred_replies);
  st.deferred_replies.clear();
  const bool moves = st.pipeline->moves_state();
  std::map<partition_id, source_state::owned> next;
  std::vector<std::pair<partition_id, offset_t>> added;
  std::vector<partition_id> removed;
  std::map<partition_id, const incoming_state*> incoming;
  for (const auto& h : a.incoming)
    incoming[h.partition] = &h;
  // Kinds that move state: rows emitted for a partition given up go to the
  // sink now, so that what is shipped below describes only durable output.
  // (The others discard the rows of partitions given up instead.) Before the
  // partitions kept are moved to `next`: flush reads every partition.
  if (moves)
    flush(self, clock::now());
  for (const auto& pc : a.parts) {
    auto p = pc.partition;
    if (auto it = st.partitions.find(p); it != st.partitions.end()) {
      // A partition kept from before has newer state than any checkpoint.
      next[p] = std::move(it->second);
      continue;
    }
    auto h = incoming.find(p);
    auto& o = next[p] = restore(self, pc, h == incoming.end() ? nullptr : h->second);
    o.since_ms = wall_clock_ms();
    if (o.failed) // not read: it stays where its checkpoint says
      continue;
    const auto from = o.part->cursor().next_offset;
    st.restored.emplace_back(p, from);
    added.emplace_back(p, from > 0 ? from : RD_KAFKA_OFFSET_BEGINNING);
  }
  std::map<partition_id, caf::strong_actor_ptr> targets;
  if (moves)
    for (const auto& t : a.outgoing)
      if (t.to)
        targets[t.partition] = t.to;
  std::map<caf::strong_actor_ptr, std::vector<partition_handoff>> ship;
  for (const auto& [p, o] : st.partitions) {
    if (next.count(p))
      continue;
    removed.push_back(p);
    if (!moves) {
      st.dropped.push_back(p);
      continue;
    }
    auto t = targets.find(p);
    if (t == targets.end())
      continue;
    const auto at = o.part->cursor().next_offset;
    auto pre = st.precopied.find(p);
    if (pre != st.precopied.end() && pre->second == t->second) {
      // The new owner holds a pre-copy: it catches up from there and emits
      // from the offset this source stops at.
      WEIR_INFO("job {}: partition {} released at offset {} (its state went ahead)", st.spec->name,
                p, at);
      ship[t->second].push_back({p, at, {}, wall_clock_ms(), {}, {}});
      continue;
    }
    auto release = [&](const jobs::pipeline::partition& part) {
      return st.pipeline->release(part).value_or(std::string{});
    };
    ship[t->second].push_back({p,
                               at,
                               pack_logged(self, p, o, "released", release, " for its new owner"),
                               wall_clock_ms(),
                               {},
                               {}});
  }
  st.precopied.clear();
  st.partitions = std::move(next);
  report_status(self, clock::now()); // the coordinator sees a move at once
  if (!added.empty() || !removed.empty()) {
    if (auto ok = st.consumer->reassign(st.spec->source.topic, added, removed); !ok)
      WEIR_ERROR("job {}: {}", st.spec->name, ok.error_message());
    WEIR_INFO("job {}: reading {} partition(s) of {} ({} new, {} given up)", st.spec->name,
              st.partitions.size(), st.spec->source.topic, added.size(), removed.size());
    schedule_poll(self);
  }
  if (removed.empty()) {
    // A release still under way (this assignment repeats an earlier one, or
    // keeps what it kept): answered with it, never before.
    if (!st.releases.empty()) {
      auto& last = st.releases.back().done;
      last.insert(last.end(), replies.begin(), replies.end());
      return;
    }
    for (auto& rp : replies)
      rp.deliver(true);
    return;
  }
  // Fencing: the release is answered once the sink acked every batch sent
  // before it (for kinds that do not move state: the one telling it to
  // discard the partitions' rows) and the state reached its new owners; only
  // then may they start.
  flush(self, clock::now());
  st.releases.push_back({st.next_seq - 1, std::move(replies), std::move(ship)});
  settle_releases(self);
}

// Pre-copies the state of partitions the deferred assignment gives up to
// their new owners, while this source keeps reading them; applies the
// assignment once every copy is answered. False: nothing to pre-copy.
bool start_precopies(self_ptr self) {
  auto& st = self->state;
  if (!st.pipeline->moves_state() || !st.deferred)
    return false;
  std::set<partition_id> kept;
  for (const auto& pc : st.deferred->parts)
    kept.insert(pc.partition);
  auto snapshot = [&](const jobs::pipeline::partition& part) {
    return st.pipeline->snapshot(part);
  };
  std::map<caf::strong_actor_ptr, std::vector<partition_handoff>> copies;
  for (const auto& t : st.deferred->outgoing) {
    auto o = st.partitions.find(t.partition);
    if (!t.to || o == st.partitions.end() || kept.count(t.partition))
      continue;
    copies[t.to].push_back({t.partition,
                            o->second.part->cursor().next_offset,
                            pack_logged(self, t.partition, o->second, "pre-copied", snapshot),
                            0,
                            {},
                            {}});
  }
  if (copies.empty())
    return false;
  st.precopies_in_flight = copies.size();
  for (auto& [to, states] : copies) {
    std::vector<partition_id> parts;
    for (const auto& h : states)
      parts.push_back(h.partition);
    ship_to(self, to, std::move(states), [self, to = to, parts = std::move(parts)](bool ok) {
      auto& st = self->state;
      if (ok)
        for (auto p : parts)
          st.precopied[p] = to;
      if (--st.precopies_in_flight == 0)
        apply_assignment(self);
    });
  }
  return true;
}

// -- messages -----------------------------------------------------------------

// Only the latest assignment counts; each is answered once applied.
caf::result<bool> on_assign(self_ptr self, source_assignment& a) {
  auto& st = self->state;
  auto rp = self->make_response_promise<bool>();
  st.deferred_replies.push_back(rp);
  st.deferred = std::move(a);
  if (st.precopies_in_flight == 0 && !start_precopies(self))
    apply_assignment(self);
  return rp;
}

void on_poll(self_ptr self) {
  self->state.poll_scheduled = false;
  if (self->state.in_flight >= source_state::max_in_flight || self->state.partitions.empty())
    return;
  poll_once(self);
  schedule_poll(self);
}

void free_credit(self_ptr self) {
  auto& st = self->state;
  if (--st.in_flight < source_state::max_in_flight)
    st.metrics.credit_wait.stop(st.metrics.credit_wait_ns); // no-op unless it waited
}

void on_credit(self_ptr self, std::uint64_t seq) {
  self->state.credited_through = seq;
  free_credit(self);
  schedule_poll(self);
}

void on_ack(self_ptr self, std::uint64_t seq, const jobs::listed_bytes& listed) {
  auto& st = self->state;
  for (const auto& [p, bytes] : listed)
    st.listed[p] += bytes;
  if (seq > st.credited_through)
    free_credit(self);
  st.acked_through = std::max(st.acked_through, seq);
  settle_releases(self);
  if (st.checkpoint && st.acked_through >= st.checkpoint->needs_seq)
    finish_checkpoint(self);
  schedule_poll(self);
}

void on_checkpoint(self_ptr self, round_id id, const std::vector<round_id>& pointed) {
  auto& st = self->state;
  if (!st.checkpoints || st.partitions.empty())
    return;
  if (st.checkpoint) {
    WEIR_DEBUG("job {}: checkpoint {} skipped, {} still waits for the sink", st.spec->name, id,
               st.checkpoint->id);
    return;
  }
  // Everything emitted so far goes to the sink first, with a barrier (a sink
  // that buffers, the lake, uploads its files before the ack); the snapshot
  // is the state right after it, at a poll boundary.
  st.barrier = true;
  st.barrier_round = id;
  flush(self, clock::now());
  source_state::pending_checkpoint round;
  round.id = id;
  round.pointed = pointed;
  round.needs_seq = st.next_seq - 1;
  for (const auto& [p, o] : st.partitions) {
    if (o.failed)
      continue; // stopped: its last good checkpoint stays the one to resume from
    round.snapshots.emplace_back(p, st.pipeline->snapshot(*o.part));
    round.offsets.push_back(o.part->cursor().next_offset);
  }
  st.checkpoint = std::move(round);
  if (st.acked_through >= st.checkpoint->needs_seq)
    finish_checkpoint(self);
}

// Dead letters still queued in librdkafka go out before the source stops;
// assignments still held are answered (false: not applied): CAF 0.17 drops
// an undelivered promise silently, and the worker would wait for it.
void on_exit(self_ptr self, const caf::exit_msg& msg) {
  auto& st = self->state;
  if (st.dead_letters)
    (void)st.dead_letters->flush(5000);
  for (auto& rp : st.deferred_replies)
    rp.deliver(false);
  for (auto& r : st.releases)
    for (auto& rp : r.done)
      rp.deliver(false);
  st.deferred_replies.clear();
  st.releases.clear();
  self->quit(msg.reason);
}

// -- I/O ---------------------------------------------------------------------------

// Opens what the source reads and writes besides its sink; the error ends it.
expected<void> open_io(self_ptr self, const source_io& io) {
  auto& st = self->state;
  auto input = io.open_input(*st.spec);
  if (!input)
    return input.failure();
  st.consumer = std::move(*input);
  auto dead_letters = io.open_dead_letters(*st.spec);
  if (!dead_letters)
    return dead_letters.failure();
  st.dead_letters = std::move(*dead_letters);
  if (!st.spec->checkpoints.url.empty()) {
    auto store = io.open_checkpoints(st.spec->checkpoints.url);
    if (!store)
      return store.failure();
    st.checkpoints = std::move(*store);
  }
  return {};
}

class kafka_input final : public source_input {
public:
  explicit kafka_input(kafka::consumer c) : consumer_(std::move(c)) {}
  expected<void> reassign(const std::string& topic, const offsets& add,
                          const std::vector<std::int32_t>& remove) override {
    return consumer_.reassign(topic, add, remove);
  }
  expected<void> pause(const std::string& topic, std::int32_t partition) override {
    return consumer_.pause(topic, partition);
  }
  size_t poll(std::vector<rd_kafka_message_t*>& out, int timeout_ms) override {
    return consumer_.poll(out, timeout_ms);
  }
  void release(std::vector<rd_kafka_message_t*>& msgs, size_t n) override {
    kafka::consumer::release(msgs, n);
  }
  std::int64_t high_watermark(const std::string& topic, std::int32_t partition) const override {
    return consumer_.high_watermark(topic, partition);
  }
  expected<std::pair<std::int64_t, std::int64_t>> watermark_offsets(
    const std::string& topic, std::int32_t partition) override {
    return kafka::watermark_offsets(consumer_.raw(), topic, partition);
  }

private:
  kafka::consumer consumer_;
};

} // namespace

metrics::snapshot source_metrics::take() const {
  metrics::snapshot s;
  append(s, "events", "Kafka messages read", events);
  append(s, "bytes", "payload bytes read", bytes);
  append(s, "filtered", "events that failed the job's where", filtered);
  append(s, "malformed", "events unreadable or unfit for the job", malformed);
  append(s, "late", "events too late for every window", late);
  append(s, "dead_lettered", "events sent to the dead-letter topic", dead_lettered);
  append(s, "batches", "batches sent to the sink", batches);
  append(s, "rows", "rows sent to the sink", rows);
  append(s, "polls", "librdkafka polls", polls);
  append_seconds(s, "poll_wait_seconds", "time blocked in librdkafka's poll", poll_wait_ns);
  append_seconds(s, "credit_wait_seconds", "time with no sink credit left (backpressure)",
                 credit_wait_ns);
  append(s, "checkpoint_put_seconds", "storing one partition's snapshot", checkpoint_put);
  append(s, "live_keys", "keys held in window state (sampled every 10 s)", live_keys);
  append(s, "offsets_skipped", "offsets gone from Kafka, skipped (on_missing_offsets: earliest)",
         offsets_skipped);
  append(s, "partitions_failed", "partitions stopped (on_missing_offsets: fail)",
         partitions_failed);
  return s;
}

std::string checkpoint_key(const job_id& job, partition_id partition, round_id id) {
  char round[24];
  std::snprintf(round, sizeof round, "%020llu", static_cast<unsigned long long>(id));
  return job + "/p" + std::to_string(partition) + "/" + round + ".ckpt";
}

source_io kafka_io() {
  source_io io;
  io.open_input = [](const jobs::job_spec& spec) -> expected<std::unique_ptr<source_input>> {
    auto consumer = kafka::consumer::make(spec.source.brokers);
    if (!consumer)
      return consumer.failure();
    if (auto ok = consumer->warm_up(spec.source.topic); !ok)
      WEIR_WARN("job {}: {}", spec.name, ok.error_message());
    return std::unique_ptr<source_input>{std::make_unique<kafka_input>(std::move(*consumer))};
  };
  io.open_dead_letters =
    [](const jobs::job_spec& spec) -> expected<std::unique_ptr<dead_letter_queue>> {
    auto made = dead_letter_queue::make(spec);
    if (!made)
      return made.failure();
    return std::make_unique<dead_letter_queue>(std::move(*made));
  };
  io.open_checkpoints = [](const std::string& url) {
    return checkpoint_store::open(url);
  };
  return io;
}

source_actor::behavior_type kafka_source(self_ptr self, jobs::job_spec spec,
                                         std::shared_ptr<const jobs::pipeline> pipeline,
                                         sink_actor sink, worker_actor parent, std::string secret,
                                         source_io io) {
  auto& st = self->state;
  st.secret = std::move(secret);
  st.spec = std::make_unique<jobs::job_spec>(std::move(spec));
  st.pipeline = std::move(pipeline);
  st.reader = std::make_unique<jobs::event_reader>(*st.spec);
  st.partitioned = !st.spec->source.partitioned_by.empty();
  st.partitioned_reason = st.spec->source.partitioned_by
                          + " is not the message key (the job is "
                            "partitioned_by "
                          + st.spec->source.partitioned_by + ")";
  st.sink = std::move(sink);
  st.parent = std::move(parent);
  st.messages.resize(poll_batch);
  st.status_interval = io.status_every;
  if (auto opened = open_io(self, io); !opened) {
    WEIR_ERROR("job {}: {}", st.spec->name, opened.error_message());
    self->quit(caf::make_error(caf::sec::runtime_error, opened.error_message()));
    return source_actor::behavior_type::make_empty_behavior();
  }
  // (An exit handler, not an attached functor: those run after the state is gone.)
  self->set_exit_handler([self](const caf::exit_msg& msg) { on_exit(self, msg); });
  return {
    [self](assign_atom, source_assignment& a) { return on_assign(self, a); },
    [self](poll_atom) { on_poll(self); },
    [self](ack_atom, std::uint64_t seq, const jobs::listed_bytes& listed) {
      on_ack(self, seq, listed);
    },
    [self](credit_atom, std::uint64_t seq) { on_credit(self, seq); },
    [self](checkpoint_atom, round_id id, const std::vector<round_id>& pointed) {
      on_checkpoint(self, id, pointed);
    },
  };
}

} // namespace weir
