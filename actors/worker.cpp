#include "actors/worker.hpp"

#include "actors/blocking.hpp"
#include "actors/sink.hpp"
#include "actors/source.hpp"
#include "base/logging.hpp"
#include "jobs/registry/front_ends.hpp"
#include "jobs/registry/pipelines.hpp"
#include "jobs/spec.hpp"
#include "runtime/auth.hpp"
#include "sinks/registry/runs.hpp"
#include "sinks/registry/sinks.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <algorithm>

WEIR_LOG_MODULE("worker");

namespace weir {

namespace {

using self_ptr = worker_actor::stateful_pointer<worker_state>;
constexpr std::chrono::milliseconds reconnect_every{200};
constexpr std::chrono::seconds retry_refused{5}; // after the coordinator refused us

// Control messages come from the coordinator (or this process) only.
bool from_coordinator(self_ptr self, const char* what) {
  const auto& sender = self->current_sender();
  const auto& st = self->state;
  if (sender
      && (sender->node() == self->node()
          || (st.coordinator && sender->node() == st.coordinator.node())))
    return true;
  WEIR_WARN("ignored {} from {}: not the coordinator", what,
            sender ? to_string(sender->node()) : std::string{"an anonymous sender"});
  return false;
}

void stop_job(self_ptr self, const std::string& job_id) {
  auto it = self->state.jobs.find(job_id);
  if (it == self->state.jobs.end())
    return;
  // Demonitored first: only a child that ends on its own is a failure.
  for (auto& source : it->second.sources) {
    self->demonitor(source.address());
    self->send_exit(source, caf::exit_reason::user_shutdown);
  }
  if (it->second.sink) {
    self->demonitor(it->second.sink.address());
    self->send_exit(it->second.sink, caf::exit_reason::user_shutdown);
  }
  self->state.jobs.erase(it);
  self->state.handoffs.erase(job_id);
  WEIR_INFO("job {} stopped on this worker", job_id);
}

// Job `job_id` cannot run here (for `why`): its partitions here stop, and
// the coordinator, told so, shows them failed and assigns them again after a
// backoff. Never silent: the partitions would stay owned and unread.
void job_failed(self_ptr self, const std::string& job_id, std::vector<partition_id> parts,
                const std::string& why) {
  stop_job(self, job_id);
  WEIR_ERROR("job {}: {}; its {} partition(s) here stopped until the coordinator assigns them "
             "again",
             job_id, why, parts.size());
  if (self->state.coordinator)
    self->send(self->state.coordinator, job_failed_atom::value, self->state.info.name, job_id,
               std::move(parts), why);
}

// Why a child ended: its own words when it quit with a message (a sink the
// store refuses), else CAF's rendering.
std::string exit_reason(self_ptr self, const caf::error& reason) {
  const auto& ctx = reason.context();
  if (ctx.match_elements<std::string>())
    return ctx.get_as<std::string>(0);
  return self->system().render(reason);
}

std::vector<partition_id> partition_ids(const std::vector<partition_checkpoint>& parts) {
  std::vector<partition_id> out;
  for (const auto& pc : parts)
    out.push_back(pc.partition);
  return out;
}

// Opens the job's store and checks its tables against the spec, blocking:
// the store's refusal of the spec, or "" (also when it cannot be reached now:
// the sink retries with backoff once the job runs).
std::string probe_store(const jobs::job_spec& spec) {
  auto sink = sinks::make_sink(spec, {0});
  if (!sink)
    return sink.error_message();
  auto checked = (*sink)->check();
  if (checked || !checked.failure().permanent) {
    if (!checked)
      WEIR_INFO("job {}: its store could not be checked before it starts ({}); the sink will "
                "retry",
                spec.name, checked.error_message());
    return {};
  }
  return checked.error_message();
}

void register_with(self_ptr self, coordinator_actor coord) {
  auto& st = self->state;
  st.coordinator = coord;
  self->monitor(coord);
  // Right after a loss the middleman may still hand out the dead process's
  // proxy, which never answers: a short timeout makes that a quick retry.
  self->request(coord, std::chrono::seconds(1), register_atom::value, worker_actor{self}, st.info)
    .then(
      [self](const std::string& id) {
        auto& st = self->state;
        if (st.lost_at != std::chrono::steady_clock::time_point{}) {
          auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - st.lost_at)
                      .count();
          WEIR_INFO("registered with the coordinator again as {} after {} ms", id, ms);
          st.metrics.reconnects.inc();
        } else {
          WEIR_INFO("registered with the coordinator as {}", id);
        }
        st.attempts = 0;
        st.connecting = false;
        st.lost_at = {};
      },
      [self](caf::error& err) {
        WEIR_WARN("registration failed: {}; retrying", self->system().render(err));
        self->state.coordinator = nullptr;
        self->state.connecting = false;
        self->delayed_send(self, reconnect_every, reconnect_atom::value);
      });
}

void retry_later(self_ptr self, std::chrono::milliseconds after) {
  self->state.connecting = false;
  self->delayed_send(self, after, reconnect_atom::value);
}

// Proves the cluster secret to the coordinator (and checks its proof), then
// registers. Without a secret on either side this is one round trip.
void authenticate(self_ptr self, coordinator_actor coord) {
  auto nonce = auth::make_nonce();
  self->request(coord, std::chrono::seconds(2), hello_atom::value, nonce)
    .then(
      [self, coord, nonce](const auth_challenge& ch) {
        auto& st = self->state;
        auto proof = auth::answer(st.secret, ch.required, ch.nonce, ch.proof, nonce,
                                  to_string(coord.node()), to_string(self->node()));
        if (!proof) {
          WEIR_ERROR("coordinator at {}:{}: {}", st.coordinator_at.host, st.coordinator_at.port,
                     proof.error_message());
          retry_later(self, retry_refused);
          return;
        }
        if (!ch.required) {
          register_with(self, coord);
          return;
        }
        self->request(coord, std::chrono::seconds(2), auth_atom::value, *proof)
          .then(
            [self, coord](bool admitted) {
              if (!admitted) {
                WEIR_ERROR("the coordinator refused this worker: its cluster secret is missing "
                           "or wrong (--secret-file); retrying in {} s",
                           retry_refused.count());
                retry_later(self, retry_refused);
                return;
              }
              register_with(self, coord);
            },
            [self](caf::error& err) {
              WEIR_WARN("authentication failed: {}; retrying", self->system().render(err));
              retry_later(self, reconnect_every);
            });
      },
      [self](caf::error& err) {
        WEIR_WARN("the coordinator did not answer: {}; retrying", self->system().render(err));
        retry_later(self, reconnect_every);
      });
}

// Asks the middleman to connect without blocking this actor (or, in a test,
// goes straight to the coordinator it was given).
void connect(self_ptr self) {
  if (self->state.connecting || self->state.coordinator)
    return;
  self->state.connecting = true;
  if (self->state.direct) {
    authenticate(self, self->state.direct);
    return;
  }
  auto& at = self->state.coordinator_at;
  auto mm = self->system().middleman().actor_handle();
  self->request(mm, std::chrono::seconds(5), caf::connect_atom::value, at.host, at.port)
    .then(
      [self](const caf::node_id&, caf::strong_actor_ptr& ptr, const std::set<std::string>&) {
        if (!ptr) {
          self->state.connecting = false;
          self->delayed_send(self, reconnect_every, reconnect_atom::value);
          return;
        }
        authenticate(self, caf::actor_cast<coordinator_actor>(std::move(ptr)));
      },
      [self](caf::error& err) {
        auto& st = self->state;
        st.connecting = false;
        if (st.attempts++ % 25 == 0)
          WEIR_WARN("cannot reach the coordinator at {}:{}: {}; retrying", st.coordinator_at.host,
                    st.coordinator_at.port, self->system().render(err));
        self->delayed_send(self, reconnect_every, reconnect_atom::value);
      });
}

// What this worker runs, for the coordinator (runtime/report.hpp).
worker_report make_report(worker_state& st) {
  worker_report out;
  auto usage = read_process_usage();
  out.cpu_seconds = usage.cpu_seconds;
  out.rss_bytes = usage.rss_bytes;
  out.worker = st.metrics.take();
  for (auto& [id, job] : st.jobs) {
    job_report jr;
    jr.job = id;
    for (const auto& [from, r] : job.reports) {
      for (const auto& pr : r.partitions)
        if (job.placement.count(pr.partition)) // not one given up since
          jr.partitions.push_back(pr);
      metrics::merge(jr.source, r.source);
      metrics::merge(jr.sink, r.sink);
    }
    std::sort(jr.partitions.begin(), jr.partitions.end(),
              [](const auto& a, const auto& b) { return a.partition < b.partition; });
    jr.handoffs = std::exchange(job.handoffs, {});
    out.jobs.push_back(std::move(jr));
  }
  return out;
}

} // namespace

metrics::snapshot worker_metrics::take() const {
  metrics::snapshot s;
  append(s, "assignments", "assignments received", assignments);
  append(s, "jobs_started", "jobs started on this worker", jobs_started);
  append(s, "handoffs_received", "partition states shipped here and unpacked", handoffs_received);
  append(s, "handoffs_refused", "shipped states refused for a wrong proof", handoffs_refused);
  append(s, "reconnects", "registrations after losing the coordinator", reconnects);
  return s;
}

// The spec as this worker runs it: its secrets filled in, then parsed. The
// coordinator validated the text with the ${secret:NAME} references in it; a
// parse failure after that means a secret's value broke it, or mixed builds.
expected<jobs::job_spec> local_spec(self_ptr self, const std::string& job_id,
                                    const std::string& spec_text) {
  auto text = resolve_secrets(spec_text, job_id, self->state.spec_secrets);
  if (!text)
    return text.failure();
  return jobs::parse_job(*text, job_id);
}

namespace {

// -- running jobs --------------------------------------------------------------

// Starts job `job_id` here (worker_state::start), its actors supervised.
// Null when it cannot run here (reported: job_failed).
worker_state::running* start_job(self_ptr self, const std::string& job_id,
                                 const std::string& spec_text, const std::string& identity,
                                 std::int32_t partition_count,
                                 const std::vector<partition_checkpoint>& partitions) {
  auto& st = self->state;
  auto spec = local_spec(self, job_id, spec_text);
  if (!spec) {
    job_failed(self, job_id, partition_ids(partitions),
               "spec rejected on this worker: " + spec.error_message());
    return nullptr;
  }
  auto actors = st.start(self->system(), *spec, {partition_count, identity}, worker_actor{self});
  if (!actors) {
    job_failed(self, job_id, partition_ids(partitions),
               "cannot run here: " + actors.error_message());
    return nullptr;
  }
  worker_state::running job;
  job.partition_count = partition_count;
  job.sink = std::move(actors->sink);
  job.sources = std::move(actors->sources);
  // Supervised: a child that ends on its own fails the job here (down handler).
  self->monitor(job.sink);
  for (auto& source : job.sources)
    self->monitor(source);
  WEIR_INFO("job {} started on this worker with {} source(s)", job_id, job.sources.size());
  st.metrics.jobs_started.inc();
  return &st.jobs.emplace(job_id, std::move(job)).first->second;
}

// Splits an assignment over the job's sources: a partition kept stays on its
// source, a new one goes to the least loaded; each takes the state shipped
// for it if that is not older than its checkpoint, and the source that held
// a partition given up ships it to its target.
std::vector<source_assignment> share_out(self_ptr self, const std::string& job_id,
                                         worker_state::running& job,
                                         std::vector<partition_checkpoint> partitions,
                                         std::vector<handoff_target> targets) {
  auto& st = self->state;
  std::map<std::int32_t, size_t> placement;
  std::vector<size_t> load(job.sources.size(), 0);
  for (const auto& pc : partitions)
    if (auto kept = job.placement.find(pc.partition); kept != job.placement.end()) {
      placement[pc.partition] = kept->second;
      ++load[kept->second];
    }
  std::vector<source_assignment> share(job.sources.size());
  auto& stash = st.handoffs[job_id];
  for (auto& pc : partitions) {
    auto at = placement.find(pc.partition);
    if (at == placement.end()) {
      auto least = static_cast<size_t>(std::min_element(load.begin(), load.end()) - load.begin());
      at = placement.emplace(pc.partition, least).first;
      ++load[least];
    }
    auto& to = share[at->second];
    // Shipped state is used when it is at least as new as the partition's
    // checkpoint. Even a state its former owner confirmed as final can be
    // older: it may have waited here while the partition moved on (A to
    // here, then to U, which checkpointed further, then back here).
    if (auto h = stash.find(pc.partition); h != stash.end()) {
      if (pc.key.empty() || h->second.offset >= pc.offset)
        to.incoming.push_back(std::move(h->second));
      else
        WEIR_INFO("job {}: partition {}: shipped state at offset {} is older than its "
                  "checkpoint at {}, dropped",
                  job_id, pc.partition, h->second.offset, pc.offset);
      stash.erase(h);
    }
    to.parts.push_back(std::move(pc));
  }
  if (stash.empty())
    st.handoffs.erase(job_id);
  // Partitions given up are shipped by the source that held them.
  for (auto& t : targets)
    if (auto held = job.placement.find(t.partition); held != job.placement.end())
      share[held->second].outgoing.push_back(std::move(t));
  job.placement = std::move(placement);
  return share;
}

// Hands each source its share and answers once every one has released what
// it gave up; an empty assignment then stops the job here, unless a later
// assignment (which may give it partitions again) arrived meanwhile.
caf::result<bool> dispatch(self_ptr self, const std::string& job_id, worker_state::running& job,
                           std::vector<source_assignment> share, bool stop) {
  auto& st = self->state;
  const auto generation = job.latest_assignment = ++st.assignments;
  st.metrics.assignments.inc();
  auto rp = self->make_response_promise<bool>();
  auto remaining = std::make_shared<size_t>(job.sources.size());
  auto finish = [self, rp, remaining, stop, generation, job_id]() mutable {
    if (--*remaining > 0)
      return;
    if (auto j = self->state.jobs.find(job_id);
        stop && j != self->state.jobs.end() && j->second.latest_assignment == generation)
      stop_job(self, job_id);
    rp.deliver(true);
  };
  // No timeout: a source answers once it released what it gave up, and one
  // that stops answers too (or its request fails); answering before would
  // let a new owner start while this one may still write.
  for (size_t i = 0; i < job.sources.size(); ++i)
    self->request(job.sources[i], caf::infinite, assign_atom::value, std::move(share[i]))
      .then([finish](bool) mutable { finish(); }, [finish](caf::error&) mutable { finish(); });
  return rp;
}

caf::result<bool> on_assign(self_ptr self, const std::string& job_id, const std::string& spec_text,
                            const std::string& identity, std::int32_t partition_count,
                            std::vector<partition_checkpoint> partitions,
                            std::vector<handoff_target> targets) {
  if (!from_coordinator(self, "an assignment"))
    return false;
  auto& st = self->state;
  auto it = st.jobs.find(job_id);
  if (it != st.jobs.end() && it->second.partition_count != partition_count) {
    // The topic grew: the sink must know every partition (a window is final
    // only once all of them passed it), so the job starts again here, each
    // partition from its checkpoint; replaying gives the same results.
    WEIR_INFO("job {}: the topic has {} partitions now (was {}): restarting the job here", job_id,
              partition_count, it->second.partition_count);
    stop_job(self, job_id);
    it = st.jobs.end();
  }
  if (partitions.empty() && it == st.jobs.end())
    return true;
  auto* job = it != st.jobs.end()
                ? &it->second
                : start_job(self, job_id, spec_text, identity, partition_count, partitions);
  if (!job)
    return false;
  const bool stop = partitions.empty();
  auto share = share_out(self, job_id, *job, std::move(partitions), std::move(targets));
  return dispatch(self, job_id, *job, std::move(share), stop);
}

// -- handoffs -----------------------------------------------------------------------

// Whether shipped state `h` carries a proof of the cluster secret by its sender.
bool signed_by_member(self_ptr self, const std::string& job_id, const partition_handoff& h) {
  const auto& sender = self->current_sender();
  const auto node = sender ? to_string(sender->node()) : std::string{};
  if (sender
      && auth::verify_handoff(self->state.secret,
                              {job_id, node, h.partition, h.offset, h.released_at_ms, h.state},
                              h.proof))
    return true;
  self->state.metrics.handoffs_refused.inc();
  WEIR_WARN("refused the state of partition {} of job {} from {}: its proof does not match the "
            "cluster secret",
            h.partition, job_id, sender ? node : std::string{"an anonymous sender"});
  return false;
}

// Keeps shipped state `h` until the assignment that gives its partition here.
void stash_handoff(self_ptr self, const std::string& job_id, partition_handoff& h) {
  auto& stash = self->state.handoffs[job_id];
  if (h.state.empty()) { // the former owner stopped: catch up from its pre-copy
    auto it = stash.find(h.partition);
    if (it == stash.end() || it->second.offset > h.offset) {
      WEIR_WARN("job {}: partition {} released at offset {} without a usable pre-copy; it "
                "restores from its checkpoint",
                job_id, h.partition, h.offset);
      return;
    }
    it->second.emit_from = h.offset;
    it->second.released_at_ms = h.released_at_ms;
    return;
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto state =
    jobs::unpack_shipped(h.kind, h.partition, h.state,
                         "state of partition " + std::to_string(h.partition) + " of job " + job_id);
  if (!state) {
    WEIR_ERROR("{}; it restores from its checkpoint", state.error_message());
    return;
  }
  WEIR_INFO("job {}: received {:.1f} MB of state of partition {} at offset {} (unpacked in {} ms)",
            job_id, h.state.size() / 1e6, h.partition, h.offset,
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                  - t0)
              .count());
  stash[h.partition] = {h.partition,
                        h.offset,
                        h.offset,
                        h.released_at_ms,
                        std::shared_ptr<jobs::pipeline::partition>{std::move(*state)},
                        h.kind};
  self->state.metrics.handoffs_received.inc();
}

// Unpacked here, ahead of the assignment: off the moved partition's pause.
bool on_handoff(self_ptr self, const std::string& job_id, std::vector<partition_handoff>& states) {
  // Checked first: refused input leaves no trace in the stash.
  std::erase_if(states,
                [&](const partition_handoff& h) { return !signed_by_member(self, job_id, h); });
  for (auto& h : states)
    stash_handoff(self, job_id, h);
  return true;
}

// -- what the worker's children tell it --------------------------------------------

void on_child_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  if (st.coordinator && msg.source == st.coordinator.address()) {
    // Sources and sinks keep running: the data path does not need the
    // coordinator, only assignment changes and checkpoint bookkeeping do.
    WEIR_WARN("lost the coordinator ({}); processing continues, reconnecting",
              self->system().render(msg.reason));
    st.coordinator = nullptr;
    st.lost_at = std::chrono::steady_clock::now();
    connect(self);
    return;
  }
  for (auto& [job_id, job] : st.jobs) {
    const bool sink = job.sink && msg.source == job.sink.address();
    const bool source =
      std::any_of(job.sources.begin(), job.sources.end(),
                  [&](const source_actor& s) { return msg.source == s.address(); });
    if (!sink && !source)
      continue;
    std::vector<partition_id> parts;
    for (const auto& [p, at] : job.placement)
      parts.push_back(p);
    job_failed(self, std::string{job_id}, std::move(parts),
               std::string{sink ? "its sink" : "a source"}
                 + " stopped: " + exit_reason(self, msg.reason));
    return;
  }
}

// The latest report of a local source or sink, kept by sender; handoff
// pauses accumulate until the next report to the coordinator.
void on_child_report(self_ptr self, job_report& r) {
  const auto& sender = self->current_sender();
  auto it = self->state.jobs.find(r.job);
  if (!sender || sender->node() != self->node() || it == self->state.jobs.end())
    return;
  auto& job = it->second;
  auto& pauses = job.handoffs;
  pauses.insert(pauses.end(), r.handoffs.begin(), r.handoffs.end());
  r.handoffs.clear();
  auto& kept = job.reports[sender->id()];
  if (r.partitions.empty() && r.source.samples.empty()) { // the sink's
    kept.sink = std::move(r.sink);
    return;
  }
  r.sink = std::move(kept.sink);
  kept = std::move(r);
}

void on_report_due(self_ptr self) {
  auto& st = self->state;
  self->delayed_send(self, st.report_interval, report_atom::value);
  if (st.coordinator)
    self->send(st.coordinator, report_atom::value, st.info.name, pack_report(make_report(st)));
}

void on_checkpoint(self_ptr self, const std::string& job_id, round_id id,
                   const std::vector<round_id>& pointed) {
  if (!from_coordinator(self, "a checkpoint request"))
    return;
  if (auto it = self->state.jobs.find(job_id); it != self->state.jobs.end())
    for (auto& source : it->second.sources)
      self->send(source, checkpoint_atom::value, id, pointed);
}

// To the coordinator, if it is there; else the log says it and the source
// reports again on the next assignment (a checkpoint: the next round).
template <class... Ts>
void tell_coordinator(self_ptr self, Ts&&... xs) {
  if (self->state.coordinator)
    self->send(self->state.coordinator, std::forward<Ts>(xs)...);
}

// -- blocking requests of the coordinator ----------------------------------------

// A run of a job of runs (jobs/registry/kinds.hpp): its work is the kind's
// (sinks/registry/runs.hpp), blocking.
caf::result<run_outcome> on_run(self_ptr self, const std::string& job_id,
                                const std::string& spec_text, const std::string& run) {
  if (!from_coordinator(self, "a run"))
    return run_outcome{false, "not the coordinator", {}, {}};
  auto spec = local_spec(self, job_id, spec_text);
  if (!spec)
    return run_outcome{false, spec.error_message(), {}, {}};
  auto rp = self->make_response_promise<run_outcome>();
  run_blocking(
    self, caf::infinite, [spec = *spec, run] { return sinks::run_once(spec, run); },
    [rp](expected<jobs::run_result> done) mutable {
      if (done)
        rp.deliver(run_outcome{true, {}, std::move(done->summary), std::move(done->recovered)});
      else
        rp.deliver(run_outcome{false, done.error_message(), {}, {}});
    },
    [rp](const std::string& why) mutable {
      rp.deliver(run_outcome{false, why, {}, {}});
    });
  return rp;
}

caf::result<std::string> on_probe(self_ptr self, const std::string& job_id,
                                  const std::string& spec_text) {
  if (!from_coordinator(self, "a store probe"))
    return std::string{"not the coordinator"};
  auto spec = local_spec(self, job_id, spec_text);
  if (!spec) // the coordinator parsed it: only this worker's secrets can fail
    return std::string{};
  auto rp = self->make_response_promise<std::string>();
  run_blocking(
    self, caf::infinite, [spec = *spec] { return probe_store(spec); },
    [rp](std::string why) mutable { rp.deliver(std::move(why)); },
    [rp](const std::string&) mutable { rp.deliver(std::string{}); });
  return rp;
}

void stop_all(self_ptr self) {
  for (auto& [id, job] : std::map{self->state.jobs})
    stop_job(self, id);
}

void on_drain(self_ptr self) {
  if (!from_coordinator(self, "a drain"))
    return;
  WEIR_INFO("drained by the coordinator: leaving");
  stop_all(self);
  self->quit();
}

} // namespace

job_starter kafka_jobs(std::uint32_t threads, std::string secret,
                       std::chrono::milliseconds report_interval) {
  const auto status_every =
    report_interval.count() > 0
      ? std::min<std::chrono::milliseconds>(report_interval, std::chrono::seconds(1))
      : std::chrono::milliseconds(1000);
  return [threads, secret, status_every](caf::actor_system& sys, const jobs::job_spec& spec,
                                         const sinks::context& ctx,
                                         worker_actor parent) -> expected<job_actors> {
    auto pipeline = jobs::make_pipeline(spec);
    if (!pipeline)
      return pipeline.failure();
    auto sink = sinks::make_sink(spec, ctx);
    const auto partition_count = ctx.partitions;
    if (!sink)
      return sink.failure();
    job_actors out;
    out.sink =
      sys.spawn<caf::detached>(sink_driver, spec.name,
                               std::shared_ptr<sinks::sink>{std::move(*sink)}, parent, spec);
    std::shared_ptr<const jobs::pipeline> shared{std::move(*pipeline)};
    const auto n = std::min<std::uint32_t>(threads, static_cast<std::uint32_t>(partition_count));
    auto io = kafka_io();
    io.status_every = status_every;
    for (std::uint32_t i = 0; i < n; ++i)
      out.sources.push_back(
        sys.spawn<caf::detached>(kafka_source, spec, shared, out.sink, parent, secret, io));
    return out;
  };
}

worker_actor::behavior_type worker(self_ptr self, worker_config cfg) {
  auto& st = self->state;
  st.report_interval = cfg.report_interval;
  if (st.report_interval.count() > 0)
    self->delayed_send(self, st.report_interval, report_atom::value);
  st.threads = std::max<std::uint32_t>(1, cfg.threads);
  st.secret = std::move(cfg.secret);
  st.spec_secrets = std::move(cfg.spec_secrets);
  st.coordinator_at = std::move(cfg.coordinator_at);
  st.info = std::move(cfg.info);
  st.direct = std::move(cfg.coordinator);
  st.start =
    cfg.start ? std::move(cfg.start) : kafka_jobs(st.threads, st.secret, cfg.report_interval);
  self->set_down_handler([self](const caf::down_msg& msg) { on_child_down(self, msg); });
  // Children do not outlive their worker. (An exit handler, not an attached
  // functor: those run after the actor's state is gone.)
  self->set_exit_handler([self](const caf::exit_msg& msg) {
    stop_all(self);
    self->quit(msg.reason);
  });
  connect(self);
  return {
    [self](assign_atom, const std::string& job_id, const std::string& spec_text,
           const std::string& identity, std::int32_t partition_count,
           std::vector<partition_checkpoint> partitions, std::vector<handoff_target> targets) {
      return on_assign(self, job_id, spec_text, identity, partition_count, std::move(partitions),
                       std::move(targets));
    },
    [self](handoff_atom, const std::string& job_id, std::vector<partition_handoff>& states) {
      return on_handoff(self, job_id, states);
    },
    [self](checkpoint_atom, const std::string& job_id, round_id id,
           const std::vector<round_id>& pointed) { on_checkpoint(self, job_id, id, pointed); },
    [self](checkpointed_atom, const std::string& job_id, round_id id,
           std::vector<partition_checkpoint> parts) {
      tell_coordinator(self, checkpointed_atom::value, self->state.info.name, job_id, id,
                       std::move(parts));
    },
    [self](reconnect_atom) { connect(self); },
    [self](report_atom, job_report& r) { on_child_report(self, r); },
    [self](report_atom) { on_report_due(self); },
    [self](partition_failed_atom, const std::string& job_id, partition_id p,
           const std::string& why) {
      tell_coordinator(self, partition_failed_atom::value, self->state.info.name, job_id, p, why);
    },
    [self](run_atom, const std::string& job_id, const std::string& spec_text,
           const std::string& run) { return on_run(self, job_id, spec_text, run); },
    [self](probe_atom, const std::string& job_id, const std::string& spec_text) {
      return on_probe(self, job_id, spec_text);
    },
    [self](drain_atom) { on_drain(self); },
    [self](cancel_atom, const std::string& job_id) {
      if (from_coordinator(self, "a cancel"))
        stop_job(self, job_id);
    },
  };
}

} // namespace weir
