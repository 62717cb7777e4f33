// The coordinator actor: routes each message to its parts (membership,
// placement, rounds, schedule, observation) and performs the sends they ask
// for. Decisions live in the parts; what is left here is CAF: handles,
// requests and their replies, timers, monitors.
#include "actors/coordinator/state.hpp"

#include "actors/blocking.hpp"
#include "actors/coordinator/commits.hpp"
#include "actors/coordinator/schedule.hpp"
#include "base/bounded_unpack.hpp"
#include "base/logging.hpp"
#include "jobs/registry/front_ends.hpp"
#include "runtime/checkpoint_store.hpp"
#include "runtime/kafka.hpp"
#include "sinks/registry/commits.hpp"

#include <caf/all.hpp>

WEIR_LOG_MODULE("coordinator");

namespace weir {

namespace coordinator {

namespace {

using self_ptr = coordinator_actor::stateful_pointer<coordinator_state>;
using steady = std::chrono::steady_clock;
constexpr const char* snapshot_key = "coordinator.state";
constexpr std::chrono::seconds assign_timeout{60};
constexpr std::chrono::seconds probe_timeout{10};
constexpr std::chrono::seconds lookup_timeout{15};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

const worker_actor* handle_of(self_ptr self, const std::string& name) {
  auto it = self->state.handles.find(name);
  return it == self->state.handles.end() ? nullptr : &it->second;
}

// -- admission ----------------------------------------------------------------

std::string sender_name(self_ptr self) {
  const auto& sender = self->current_sender();
  return sender ? to_string(sender->node()) : std::string{"an anonymous sender"};
}

// Whether the current message comes from this process or one that proved the
// cluster secret; refusals are logged.
bool admitted(self_ptr self, const char* what) {
  auto& st = self->state;
  const auto& sender = self->current_sender();
  if (st.gate.open() || (sender && sender->node() == self->node())
      || (sender && st.gate.admits(to_string(sender->node()), steady::now())))
    return true;
  WEIR_WARN("refused {} from {}: it has not proved the cluster secret", what, sender_name(self));
  st.metrics.refusals.inc();
  st.observed.events.record(cluster_event_kind::refusal, {}, {},
                            std::string{"refused "} + what + " from " + sender_name(self)
                              + ": secret not proved",
                            now_ms());
  return false;
}

std::string refusal_text(const char* what) {
  return std::string{"refused "} + what
         + ": this process has not proved the cluster secret (--secret-file)";
}

auth_challenge on_hello(self_ptr self, const std::string& their_nonce) {
  const auto& sender = self->current_sender();
  if (!sender)
    return auth_challenge{!self->state.gate.open(), {}, {}};
  return self->state.gate.challenge(to_string(sender->node()), their_nonce,
                                    to_string(self->node()));
}

bool on_auth(self_ptr self, const std::string& proof) {
  auto& st = self->state;
  const auto& sender = self->current_sender();
  if (st.gate.open())
    return true;
  auto verdict = sender ? st.gate.prove(to_string(sender->node()), proof, steady::now())
                        : admission::verdict::no_challenge;
  if (verdict != admission::verdict::admitted) {
    WEIR_WARN("refused {}: {}", sender_name(self), to_string(verdict));
    st.metrics.refusals.inc();
    return false;
  }
  WEIR_DEBUG("{} proved the cluster secret", sender_name(self));
  return true;
}

// -- persistence ----------------------------------------------------------------

void persist(self_ptr self) {
  auto& st = self->state;
  if (!st.state_writer)
    return;
  msgpack::sbuffer buf;
  msgpack::pack(buf, st.rounds.snapshot(st.jobs));
  caf::anon_send(st.state_writer, std::string{buf.data(), buf.size()});
}

// Writes snapshots; detached because stores block (fsync, HTTP).
caf::behavior state_writer(caf::event_based_actor*, std::shared_ptr<checkpoint_store> store) {
  return {[store](const std::string& bytes) {
    if (auto ok = store->put(snapshot_key, bytes); !ok)
      WEIR_ERROR("cannot persist the coordinator state: {}", ok.error_message());
  }};
}

// -- assignments ----------------------------------------------------------------

// Tells worker `name` which partitions of `job_id` it may run, as they are
// when this runs (placement::startable); `then` runs once the worker has
// released what it gave up and shipped it to `targets`, or failed to answer.
void send_assignment(
  self_ptr self, const std::string& name, const std::string& job_id,
  std::function<void()> then = [] {}, std::vector<handoff_target> targets = {}) {
  auto& st = self->state;
  const auto* w = handle_of(self, name);
  auto j = st.jobs.find(job_id);
  if (!w || j == st.jobs.end()) {
    then();
    return;
  }
  auto parts = st.placing.startable(job_id, j->second, name);
  WEIR_INFO("job {}: worker {} owns {} partition(s)", job_id, name, parts.size());
  const auto handle = *w;
  self
    ->request(handle, assign_timeout, assign_atom::value, job_id, j->second.data.spec_text,
              j->second.data.commit_identity,
              static_cast<std::int32_t>(j->second.partition_count()), std::move(parts), targets)
    .then([then](bool) { then(); },
          [self, then, job_id, name, handle, targets](caf::error& err) {
            // A live worker slow to release (its sink cannot write) still holds
            // the partitions: their new owners keep waiting, or both would
            // write. Asked again, it answers once that release is done
            // (sources chain a repeated assignment to the release under way).
            // Only a worker that is gone (down_msg) has released.
            const auto* now = handle_of(self, name);
            if (err == caf::sec::request_timeout && now && *now == handle) {
              WEIR_WARN("job {}: worker {} has not confirmed its assignment after 60 s; partitions "
                        "it releases wait",
                        job_id, name);
              send_assignment(self, name, job_id, then, targets);
              return;
            }
            WEIR_WARN("job {}: worker {} did not confirm its assignment: {}", job_id, name,
                      to_string(err));
            then();
          });
}

// Every owner of `job_id` is told its partitions again.
void tell_owners(self_ptr self, const std::string& job_id) {
  if (auto j = self->state.jobs.find(job_id); j != self->state.jobs.end())
    for (const auto& name : j->second.owners())
      send_assignment(self, name, job_id);
}

// Drained workers that hold nothing any more, and release nothing, may go.
void retire_drained(self_ptr self) {
  auto& st = self->state;
  for (const auto& name : st.placing.drained(st.members, st.jobs)) {
    WEIR_INFO("worker {} drained: it leaves the cluster", name);
    st.observed.events.record(cluster_event_kind::drained, {}, name,
                              "drained: it leaves the cluster", now_ms());
    if (const auto* w = handle_of(self, name)) {
      self->demonitor(w->address());
      self->send(*w, drain_atom::value);
    }
    st.members.leave(name);
    st.handles.erase(name);
  }
}

// `from` released `parts` of `job_id` (or can no longer answer): their new
// owners may start them.
void on_released(self_ptr self, const std::string& job_id, const std::string& from,
                 const std::vector<partition_id>& parts) {
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  for (const auto& owner :
       st.placing.released(job_id, j == st.jobs.end() ? nullptr : &j->second, from, parts))
    send_assignment(self, owner, job_id);
  retire_drained(self);
}

// Carries out one job's move: former owners first, each shipping the state
// of what it gives up straight to the new owners; the new owners of what
// needs no release at once.
void carry_out(self_ptr self, const std::string& job_id, const move_plan& plan) {
  const auto& job = self->state.jobs.at(job_id);
  for (const auto& [from, parts] : plan.releases) {
    std::vector<handoff_target> targets;
    for (auto p : parts)
      if (const auto* to = handle_of(self, job.owner(p)))
        targets.push_back({p, caf::actor_cast<caf::strong_actor_ptr>(*to)});
    send_assignment(
      self, from, job_id,
      [self, job_id, from = from, parts = parts] { on_released(self, job_id, from, parts); },
      std::move(targets));
  }
  for (const auto& name : plan.start_now)
    send_assignment(self, name, job_id);
}

// Recomputes every job's assignment over the live workers (placement).
void reassign(self_ptr self) {
  auto& st = self->state;
  if (st.placing.recovering)
    return;
  if (st.members.serving().empty() && !st.members.empty())
    WEIR_WARN("no worker but draining ones left: they keep their partitions");
  bool changed = false;
  for (auto& [job_id, job] : st.jobs) {
    auto plan = st.placing.rebalance(job_id, job, st.members);
    if (!plan.changed)
      continue;
    changed = true;
    carry_out(self, job_id, plan);
  }
  if (changed) {
    st.metrics.rebalances.inc();
    persist(self);
  }
  retire_drained(self);
}

// -- checkpoint rounds ------------------------------------------------------------

void schedule_checkpoint(self_ptr self, const std::string& job_id) {
  auto j = self->state.jobs.find(job_id);
  if (j == self->state.jobs.end())
    return;
  if (auto delay = checkpoint_delay(j->second.spec))
    self->delayed_send(self, *delay, checkpoint_atom::value, job_id);
}

void start_commit(self_ptr self, const std::string& job_id);

void on_checkpoint_due(self_ptr self, const std::string& job_id) {
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  if (j == st.jobs.end())
    return; // cancelled
  auto round =
    st.rounds.start(job_id, j->second, st.members, now_ms(), st.metrics, st.observed.events);
  if (!round)
    return; // stopped: no round again, nothing of it runs
  for (const auto& name : round->owners)
    self->send(*handle_of(self, name), checkpoint_atom::value, job_id, round->id, round->pointed);
  schedule_checkpoint(self, job_id);
  auto& job = j->second;
  if (sinks::commits_at_checkpoints(job.spec)
      && on_round_started(job.commits, commit_policy_of(job.spec)))
    start_commit(self, job_id);
}

// -- commits of sinks that commit at checkpoints (a lake table) ------------------

// A round of `job` just completed (commits.hpp decides whether to commit).
void commit_if_due(self_ptr self, const std::string& job_id, job_record& job, round_id id) {
  if (!sinks::commits_at_checkpoints(job.spec))
    return;
  auto r = std::find_if(job.rounds.begin(), job.rounds.end(),
                        [id](const checkpoint_record& c) { return c.id == id; });
  if (r == job.rounds.end() || r->outcome != round_outcome::completed || r->finished_ms == 0
      || r->reported != r->partitions)
    return;
  if (on_round_completed(job.commits, commit_policy_of(job.spec)))
    start_commit(self, job_id);
}

void on_committed(self_ptr self, const std::string& job_id, round_id round,
                  const expected<lake::commit_outcome>& out) {
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  if (j == st.jobs.end())
    return;
  auto& job = j->second;
  if (auto backoff = on_finished(job.commits, out.has_value(), out && out->swept, now_ms())) {
    st.metrics.lake_commit_failures.inc();
    ++job.lake.commit_failures;
    WEIR_WARN("job {}: lake commit of round {} failed (tried again in {} ms): {}", job_id, round,
              backoff->count(), out.error_message());
    self->delayed_send(self, *backoff, commit_atom::value, job_id);
    return;
  }
  st.metrics.lake_commit_duration.observe(out->seconds);
  st.metrics.lake_files_expired.inc(out->expired_files);
  st.metrics.lake_files_aborted.inc(out->aborted_files);
  st.metrics.lake_files_compacted.inc(out->compacted_files);
  if (out->compacted)
    st.metrics.lake_compactions.inc();
  auto& lake = job.lake;
  lake.snapshots = out->snapshots;
  lake.files_expired += out->expired_files;
  lake.files_aborted += out->aborted_files;
  lake.files_compacted += out->compacted_files;
  lake.compactions += out->compacted ? 1 : 0;
  if (out->swept) {
    st.metrics.lake_orphan_sweeps.inc();
    st.metrics.lake_files_orphaned.inc(out->orphan_files);
    ++lake.orphan_sweeps;
    lake.files_orphaned += out->orphan_files;
  }
  if (!out->snapshot)
    return;
  lake.last_commit_ms = now_ms();
  ++lake.commits;
  lake.files += out->files;
  lake.rows += out->rows;
  st.metrics.lake_commits.inc();
  st.metrics.lake_files.inc(out->files);
  st.metrics.lake_rows.inc(out->rows);
  WEIR_INFO("job {}: snapshot {} committed for round {}: {} file(s), {} row(s) in {:.3f} s", job_id,
            *out->snapshot, round, out->files, out->rows, out->seconds);
}

// Commits what the partitions' stored checkpoints cover, off the actor.
void start_commit(self_ptr self, const std::string& job_id) {
  auto j = self->state.jobs.find(job_id);
  if (j == self->state.jobs.end() || j->second.commits.running || j->second.stopped())
    return;
  auto& job = j->second;
  lake::commit_request req;
  req.identity = job.data.commit_identity;
  for (const auto& pc : job.data.checkpoints)
    if (pc.id > 0) {
      req.checkpointed[pc.partition] = pc.offset;
      req.round = std::max(req.round, pc.id);
    }
  if (req.checkpointed.empty())
    return;
  std::int64_t round_started = 0; // of the latest round every partition stored
  for (auto r = job.rounds.rbegin(); r != job.rounds.rend() && round_started == 0; ++r)
    if (r->outcome == round_outcome::completed)
      round_started = r->started_ms;
  req.sweep_before_ms = sweep_due(job.commits, commit_policy_of(job.spec), now_ms(), round_started);
  started(job.commits, req.sweep_before_ms);
  const auto round = req.round;
  run_blocking(
    self, caf::infinite,
    [commit = self->state.commit, spec = job.spec, req = std::move(req)] {
      return commit(spec, req);
    },
    [self, job_id, round](expected<lake::commit_outcome> out) {
      on_committed(self, job_id, round, out);
    },
    [self, job_id, round](const std::string& why) {
      on_committed(self, job_id, round, error{why});
    });
}

void on_checkpointed(self_ptr self, const std::string& name, const std::string& job_id, round_id id,
                     const std::vector<partition_checkpoint>& parts) {
  if (!admitted(self, "a checkpoint report"))
    return;
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  if (j == st.jobs.end() || !st.rounds.report(j->second, name, id, parts, now_ms(), st.metrics))
    return;
  WEIR_DEBUG("job {}: checkpoint {} from {} ({} partitions)", job_id, id, name, parts.size());
  persist(self);
  commit_if_due(self, job_id, j->second, id);
}

// The backoff after a failed commit ended.
void on_commit_due(self_ptr self, const std::string& job_id) {
  auto j = self->state.jobs.find(job_id);
  if (j != self->state.jobs.end() && on_retry_due(j->second.commits))
    start_commit(self, job_id);
}

// -- jobs of runs -------------------------------------------------------------

void schedule_run(self_ptr self, const std::string& job_id) {
  auto j = self->state.jobs.find(job_id);
  if (j == self->state.jobs.end() || j->second.partitioned())
    return;
  self->delayed_send(self, until_next_run(j->second.kind().every(j->second.spec), now_ms()),
                     run_atom::value, job_id);
}

void on_run_done(self_ptr self, const std::string& job_id, const std::string& run,
                 const run_outcome& out) {
  auto j = self->state.jobs.find(job_id);
  const auto kind = j == self->state.jobs.end() ? "job" : std::string{j->second.kind().name()};
  if (!out.ok) {
    WEIR_WARN("{} {} run {}: {} (its rows go with the next run)", kind, job_id, run, out.error);
    return;
  }
  for (const auto& r : out.recovered)
    WEIR_INFO("{} {}: finished run {} that had crashed", kind, job_id, r);
  WEIR_INFO("{} {} run {}: {}", kind, job_id, run, out.summary);
  if (j != self->state.jobs.end()) {
    j->second.data.last_run = run;
    persist(self);
  }
}

// A run of job `job_id` is due: one serving worker does it, in turn.
void on_run_due(self_ptr self, const std::string& job_id) {
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  if (j == st.jobs.end())
    return; // cancelled
  schedule_run(self, job_id);
  const auto serving = st.members.serving();
  if (serving.empty()) {
    WEIR_WARN("{} {}: no worker to run it; the next run takes its rows", j->second.kind().name(),
              job_id);
    return;
  }
  const auto every = j->second.kind().every(j->second.spec);
  auto run = due_run(every, now_ms());
  const auto& worker = *handle_of(self, serving[st.next_runner++ % serving.size()]);
  self->request(worker, run_timeout(every), run_atom::value, job_id, j->second.data.spec_text, run)
    .then([self, job_id, run](const run_outcome& out) { on_run_done(self, job_id, run, out); },
          [job_id, run](caf::error& err) {
            WEIR_WARN("job {} run {}: {}", job_id, run, to_string(err));
          });
}

// -- membership -------------------------------------------------------------------

caf::result<std::string> on_register(self_ptr self, worker_actor handle, worker_info info) {
  if (!admitted(self, "a worker registration"))
    return caf::make_error(caf::sec::runtime_error, refusal_text("a worker registration"));
  auto& st = self->state;
  st.gate.admit_member(to_string(handle.node())); // while it is registered
  auto name = info.name;
  if (const auto* old = handle_of(self, name)) {
    // The same worker reconnecting (or restarted) before its loss was noticed.
    self->demonitor(old->address());
    WEIR_INFO("worker {} rejoined (host {}, pid {})", name, info.host, info.pid);
    st.observed.events.record(cluster_event_kind::rejoin, {}, name, "rejoined from " + info.host,
                              now_ms());
  } else {
    WEIR_INFO("worker {} joined (host {}, pid {})", name, info.host, info.pid);
    st.observed.events.record(cluster_event_kind::join, {}, name, "joined from " + info.host,
                              now_ms());
  }
  self->monitor(handle);
  st.metrics.joins.inc();
  st.members.join(name, std::move(info));
  st.handles[name] = std::move(handle);
  reassign(self);
  // A full picture for the newcomer, every job included: a worker that was
  // frozen or cut off may still run partitions that moved meanwhile, and an
  // empty set tells it to stop them. Sources ignore unchanged sets.
  for (const auto& [job_id, job] : st.jobs)
    if (job.partitioned())
      send_assignment(self, name, job_id); // partitions in release follow later
  return name;
}

void on_down(self_ptr self, const caf::down_msg& msg) {
  auto& st = self->state;
  auto it = std::find_if(st.handles.begin(), st.handles.end(),
                         [&](const auto& h) { return h.second.address() == msg.source; });
  if (it == st.handles.end())
    return;
  const auto name = it->first;
  const auto why = self->system().render(msg.reason);
  WEIR_WARN("worker {} is gone: {}", name, why);
  st.gate.forget(to_string(msg.source.node()));
  st.metrics.workers_lost.inc();
  st.observed.events.record(cluster_event_kind::lost, {}, name, "lost: " + why, now_ms());
  st.observed.worker_lost(name, st.jobs, now_ms());
  for (auto& [id, job] : st.jobs) {
    const auto owners = job.owners();
    if (sinks::commits_at_checkpoints(job.spec)
        && std::find(owners.begin(), owners.end(), name) != owners.end())
      on_failure(job.commits, now_ms()); // its files since its last barrier are orphans
  }
  st.members.leave(name);
  st.handles.erase(it);
  reassign(self);
}

void on_recovered(self_ptr self) {
  self->state.placing.recovering = false;
  WEIR_INFO("rejoin grace period over: {} worker(s) back", self->state.handles.size());
  reassign(self);
}

drain_reply on_drain(self_ptr self, const std::string& name) {
  if (!admitted(self, "a drain"))
    return {name, refusal_text("a drain"), refusal::not_admitted};
  auto& st = self->state;
  auto reply = st.members.drain(name, !st.jobs.empty());
  if (reply.why != refusal::none)
    return reply;
  WEIR_INFO("draining worker {}", name);
  st.observed.events.record(cluster_event_kind::drain, {}, name, "draining", now_ms());
  reassign(self);
  return reply;
}

// -- jobs -----------------------------------------------------------------------------

// The partition count of `spec`'s topic: a Kafka metadata call, which blocks.
template <class Then, class Failed>
void lookup_partitions(self_ptr self, const jobs::job_spec& spec, Then then, Failed failed) {
  run_blocking(
    self, caf::duration{lookup_timeout},
    [count = self->state.count_partitions, brokers = spec.source.brokers,
     topic = spec.source.topic] { return count(brokers, topic); },
    std::move(then), std::move(failed));
}

using submit_promise = caf::typed_response_promise<submit_reply>;

void accept_job(self_ptr self, submit_promise rp, const std::string& text, jobs::job_spec spec,
                std::int32_t count) {
  auto& st = self->state;
  auto id = spec.name;
  if (st.jobs.count(id)) {
    rp.deliver(submit_reply{{}, "job '" + id + "' is already running", refusal::conflict});
    return;
  }
  WEIR_INFO("job {} accepted: topic {} with {} partition(s)", id, spec.source.topic, count);
  auto& job = st.jobs[id] = make_record(std::move(spec), text, count);
  job.submitted_ms = now_ms();
  st.observed.events.record(cluster_event_kind::submit, id, {},
                            "submitted: " + std::to_string(count) + " partition(s)", now_ms());
  persist(self);
  reassign(self);
  schedule_checkpoint(self, id);
  rp.deliver(submit_reply{id, {}});
}

// The store is checked by a worker, which holds the credentials
// (${secret:...}): a table made for another spec is refused here, not found
// by every sink after the job started. A store unreachable now, or no
// worker, leaves the check to the sinks.
void probe_then_accept(self_ptr self, submit_promise rp, const std::string& text,
                       jobs::job_spec spec, std::int32_t count) {
  const auto serving = self->state.members.serving();
  if (serving.empty()) {
    WEIR_INFO("job {}: no worker to check its store before accepting it", spec.name);
    accept_job(self, rp, text, std::move(spec), count);
    return;
  }
  const auto& prober = serving.front();
  self->request(*handle_of(self, prober), probe_timeout, probe_atom::value, spec.name, text)
    .then(
      [self, rp, text, spec, count, prober](const std::string& why) mutable {
        if (why.empty())
          accept_job(self, rp, text, std::move(spec), count);
        else
          rp.deliver(
            submit_reply{{}, why + " (checked on worker " + prober + ")", refusal::invalid});
      },
      [self, rp, text, spec, count](caf::error& err) mutable {
        WEIR_WARN("job {}: its store was not checked before it was accepted: {}", spec.name,
                  to_string(err));
        accept_job(self, rp, text, std::move(spec), count);
      });
}

// A job of runs has no topic to look up and no store to probe: its runs
// check what they use.
submit_reply accept_runs(self_ptr self, const std::string& text, jobs::job_spec spec) {
  auto& st = self->state;
  auto id = spec.name;
  const auto& kind = jobs::kind_of(spec);
  WEIR_INFO("{} job {} accepted: every {} ms", kind.name(), id, kind.every(spec));
  auto& job = st.jobs[id] = make_record(std::move(spec), text, 0);
  job.submitted_ms = now_ms();
  st.observed.events.record(cluster_event_kind::submit, id, {},
                            std::string{kind.name()} + " job submitted", now_ms());
  persist(self);
  schedule_run(self, id);
  return {id, {}};
}

caf::result<submit_reply> on_submit(self_ptr self, const std::string& text,
                                    const std::string& origin) {
  if (!admitted(self, "a job submission"))
    return submit_reply{{}, refusal_text("a job submission"), refusal::not_admitted};
  auto spec = jobs::parse_job(text, origin);
  if (!spec)
    return submit_reply{{}, spec.error_message(), refusal::invalid};
  if (auto lines = jobs::plain_password_lines(text); !lines.empty())
    WEIR_WARN("job {}: line {} of its spec writes a password in a URL, which crosses the "
              "network and is kept in the job state; use ${{secret:NAME}}",
              spec->name, lines.front());
  if (self->state.jobs.count(spec->name))
    return submit_reply{{}, "job '" + spec->name + "' is already running", refusal::conflict};
  if (jobs::kind_of(*spec).form() == jobs::job_form::runs)
    return accept_runs(self, text, std::move(*spec));
  auto rp = self->make_response_promise<submit_reply>();
  lookup_partitions(
    self, *spec,
    [self, rp, text, spec = *spec](const expected<std::int32_t>& count) mutable {
      if (!count)
        rp.deliver(submit_reply{{}, count.error_message(), refusal::invalid});
      else
        probe_then_accept(self, rp, text, std::move(spec), *count);
    },
    [rp](const std::string& why) mutable {
      rp.deliver(submit_reply{{}, "partition lookup failed: " + why, refusal::unavailable});
    });
  return rp;
}

cancel_reply on_cancel(self_ptr self, const std::string& id) {
  if (!admitted(self, "a cancel"))
    return {id, refusal_text("a cancel"), refusal::not_admitted};
  auto& st = self->state;
  auto it = st.jobs.find(id);
  if (it == st.jobs.end())
    return {id, "no job '" + id + "'", refusal::not_found};
  for (const auto& [name, handle] : st.handles)
    self->send(handle, cancel_atom::value, id);
  st.jobs.erase(it);
  st.placing.forget(id);
  st.observed.job_cancelled(id);
  st.observed.events.record(cluster_event_kind::cancel, id, {}, "cancelled", now_ms());
  persist(self);
  WEIR_INFO("job {} cancelled", id);
  return {id, {}};
}

void on_partition_failed(self_ptr self, const std::string& name, const std::string& job_id,
                         partition_id p, const std::string& why) {
  if (!admitted(self, "a partition failure report"))
    return;
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  if (j == st.jobs.end())
    return;
  WEIR_ERROR("job {}: partition {} stopped on {}: {}", job_id, p, name, why);
  j->second.failed[p] = why;
  st.observed.events.record(cluster_event_kind::partition_failed, job_id, name,
                            "partition " + std::to_string(p) + " stopped: " + why, now_ms());
  st.metrics.partitions_failed.inc();
}

void on_job_failed(self_ptr self, const std::string& name, const std::string& job_id,
                   const std::vector<partition_id>& parts, const std::string& why) {
  if (!admitted(self, "a job failure report"))
    return;
  auto& st = self->state;
  auto j = st.jobs.find(job_id);
  if (j == st.jobs.end() || !st.members.contains(name))
    return;
  auto failure = j->second.failed_on(name, parts, why);
  if (sinks::commits_at_checkpoints(j->second.spec))
    on_failure(j->second.commits, now_ms());
  st.metrics.job_failures.inc();
  WEIR_ERROR("job {}: {}", job_id, failure.shown);
  st.observed.events.record(cluster_event_kind::job_failed, job_id, name, why, now_ms());
  self->delayed_send(self, failure.backoff, restart_atom::value, job_id, name);
}

void on_restart(self_ptr self, const std::string& job_id, const std::string& name) {
  if (self->state.jobs.count(job_id) && self->state.members.contains(name)) {
    WEIR_INFO("job {}: assigning it to {} again", job_id, name);
    send_assignment(self, name, job_id);
  }
}

// Stops a job for good: its owners are told it has no partitions, and
// nothing of it runs again until it is cancelled (a restarted coordinator
// reads `stopped` back).
void stop_job(self_ptr self, const std::string& id, const std::string& why) {
  auto& st = self->state;
  auto j = st.jobs.find(id);
  if (j == st.jobs.end())
    return;
  j->second.data.stopped = why;
  WEIR_ERROR("job {} stopped: {}", id, why);
  st.observed.events.record(cluster_event_kind::job_stopped, id, {}, "stopped: " + why, now_ms());
  persist(self);
  tell_owners(self, id);
}

// Job `id`'s topic has `count` partitions now. When it grew, the job takes
// the new partitions (from their first offset) and every worker running it
// restarts it with the new count (actors/worker.cpp). A job that declares
// source.partitioned_by is stopped instead: Kafka's partitioner moves keys
// when the count changes, so a key's events before and after are in two
// partitions and the rows each would write as final are wrong.
void on_topic_counted(self_ptr self, const std::string& id, std::int32_t count) {
  auto& st = self->state;
  auto j = st.jobs.find(id);
  if (j == st.jobs.end() || count <= 0 || static_cast<size_t>(count) <= j->second.partition_count())
    return;
  auto& job = j->second;
  const auto grew = "topic " + job.spec.source.topic + " grew from "
                    + std::to_string(job.partition_count()) + " to " + std::to_string(count)
                    + " partitions";
  WEIR_INFO("job {}: {}", id, grew);
  st.observed.events.record(cluster_event_kind::partitions_added, id, {}, grew, now_ms());
  if (const auto& by = job.spec.source.partitioned_by; !by.empty()) {
    stop_job(self, id,
             grew
               + ": Kafka's partitioner now sends many keys to other partitions, so a window "
                 "open across the change has a key's events in two of them and "
                 "source.partitioned_by ("
               + by
               + ") no longer holds; rows written from here "
                 "on could be wrong. Cancel the job and submit it again without "
                 "partitioned_by, into fresh tables: its keys are then merged across "
                 "partitions (docs/operations.md)");
    return;
  }
  job.grow(count);
  persist(self);
  reassign(self);
  tell_owners(self, id);
}

// Partitions added to a job's topic after submit are read too: the topic's
// partition count is looked up at every check.
void check_partitions(self_ptr self) {
  for (const auto& [id, job] : self->state.jobs) {
    if (!job.partitioned() || job.stopped())
      continue;
    lookup_partitions(
      self, job.spec,
      [self, id = id](const expected<std::int32_t>& count) {
        if (count)
          on_topic_counted(self, id, *count);
      },
      [](const std::string&) {}); // the next check tries again
  }
}

// -- observation -------------------------------------------------------------------

void on_report(self_ptr self, const std::string& name, const std::string& bytes) {
  if (!admitted(self, "a worker report"))
    return;
  const auto* w = handle_of(self, name);
  const auto& sender = self->current_sender();
  if (!w || !sender || sender->node() != w->node())
    return; // not (or no longer) that worker: its next report after registering counts
  auto report = unpack_report(bytes);
  if (!report) {
    WEIR_WARN("worker {}: unreadable report: {}", name, report.error_message());
    return;
  }
  auto& st = self->state;
  st.observed.take_report(st.jobs, st.members, name, std::move(*report), now_ms(), st.metrics);
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  st.observed.sample(st.jobs, st.members, now_ms());
  if (++st.ticks % check_partitions_every == 0)
    check_partitions(self);
  self->delayed_send(self, tick_every, tick_atom::value);
}

caf::result<cluster_view> on_observe(self_ptr self) {
  const auto& sender = self->current_sender();
  if (!sender || sender->node() != self->node())
    return caf::make_error(caf::sec::runtime_error, "observe is for this process only");
  auto& st = self->state;
  return st.observed.observe(st.jobs, st.members, st.metrics, !st.gate.open(), now_ms());
}

caf::result<cluster_status> on_status(self_ptr self) {
  if (!admitted(self, "a status request"))
    return caf::make_error(caf::sec::runtime_error, refusal_text("a status request"));
  return self->state.observed.status(self->state.jobs, self->state.members);
}

// -- start ---------------------------------------------------------------------------

// Resumes the jobs of a restarted coordinator; their workers have the grace
// period to come back before what they held is reassigned.
void resume(self_ptr self, const coordinator_config& cfg, coordinator_snapshot restored) {
  auto& st = self->state;
  st.rounds = checkpoint_rounds{restored.next_checkpoint};
  for (auto& [id, data] : restored.jobs) {
    auto spec = jobs::parse_job(data.spec_text, id);
    if (!spec) {
      WEIR_ERROR("job {} in the saved state no longer parses, dropped: {}", id,
                 spec.error_message());
      continue;
    }
    WEIR_INFO("job {} resumed from the saved state ({} partitions)", id, data.owners.size());
    auto& job = st.jobs[id];
    job.spec = std::move(*spec);
    job.data = std::move(data);
    if (sinks::commits_at_checkpoints(job.spec))
      on_failure(job.commits, now_ms()); // workers may have died meanwhile
    schedule_checkpoint(self, id);
    schedule_run(self, id);
  }
  if (!st.jobs.empty()) {
    st.placing.recovering = true;
    self->delayed_send(self, cfg.rejoin_grace, recovered_atom::value);
  }
}

void start_state_writer(self_ptr self, const std::string& url) {
  if (url.empty())
    return;
  auto store = checkpoint_store::open(url);
  if (!store) {
    WEIR_ERROR("coordinator state will not be persisted: {}", store.error_message());
    return;
  }
  auto writer =
    self->spawn<caf::detached>(state_writer, std::shared_ptr<checkpoint_store>{std::move(*store)});
  self->state.state_writer = writer;
  // The writer does not outlive the coordinator. (Captured by value: attached
  // functors run after the actor's state is gone.)
  self->attach_functor([writer] { caf::anon_send_exit(writer, caf::exit_reason::user_shutdown); });
}

coordinator_actor::behavior_type behavior(self_ptr self, coordinator_config cfg,
                                          coordinator_snapshot restored) {
  auto& st = self->state;
  st.gate = admission{cfg.secret};
  if (st.gate.open())
    WEIR_WARN("no cluster secret: any process that reaches this port can join and submit jobs "
              "(see --secret-file)");
  st.count_partitions = cfg.count_partitions;
  if (!st.count_partitions)
    st.count_partitions = [](const std::string& brokers, const std::string& topic) {
      return kafka::partition_count(brokers, topic);
    };
  st.commit = cfg.commit;
  if (!st.commit)
    st.commit = [](const jobs::job_spec& spec, const lake::commit_request& req) {
      return sinks::commit_checkpoints(spec, req);
    };
  start_state_writer(self, cfg.state_url);
  resume(self, cfg, std::move(restored));
  self->delayed_send(self, tick_every, tick_atom::value);
  self->set_down_handler([self](const caf::down_msg& msg) { on_down(self, msg); });
  return {
    [self](hello_atom, const std::string& nonce) { return on_hello(self, nonce); },
    [self](auth_atom, const std::string& proof) { return on_auth(self, proof); },
    [self](register_atom, worker_actor handle, worker_info info) {
      return on_register(self, std::move(handle), std::move(info));
    },
    [self](recovered_atom) { on_recovered(self); },
    [self](checkpoint_atom, const std::string& job_id) { on_checkpoint_due(self, job_id); },
    [self](commit_atom, const std::string& job_id) { on_commit_due(self, job_id); },
    [self](run_atom, const std::string& job_id) { on_run_due(self, job_id); },
    [self](partition_failed_atom, const std::string& name, const std::string& job_id,
           partition_id p,
           const std::string& why) { on_partition_failed(self, name, job_id, p, why); },
    [self](job_failed_atom, const std::string& name, const std::string& job_id,
           const std::vector<partition_id>& parts,
           const std::string& why) { on_job_failed(self, name, job_id, parts, why); },
    [self](restart_atom, const std::string& job_id, const std::string& name) {
      on_restart(self, job_id, name);
    },
    [self](checkpointed_atom, const std::string& name, const std::string& job_id, round_id id,
           const std::vector<partition_checkpoint>& parts) {
      on_checkpointed(self, name, job_id, id, parts);
    },
    [self](submit_atom, const std::string& text, const std::string& origin) {
      return on_submit(self, text, origin);
    },
    [self](cancel_atom, const std::string& id) { return on_cancel(self, id); },
    [self](drain_atom, const std::string& name) { return on_drain(self, name); },
    [self](report_atom, const std::string& name, const std::string& bytes) {
      on_report(self, name, bytes);
    },
    [self](tick_atom) { on_tick(self); },
    [self](observe_atom) { return on_observe(self); },
    [self](status_atom) { return on_status(self); },
  };
}

} // namespace

} // namespace coordinator

expected<coordinator_snapshot> load_coordinator_snapshot(const std::string& state_url) {
  if (state_url.empty())
    return coordinator_snapshot{};
  auto store = checkpoint_store::open(state_url);
  if (!store)
    return store.failure();
  auto keys = (*store)->list(coordinator::snapshot_key);
  if (!keys)
    return keys.failure();
  if (keys->empty())
    return coordinator_snapshot{};
  auto bytes = (*store)->get(coordinator::snapshot_key);
  if (!bytes)
    return bytes.failure();
  return guarded("coordinator state " + state_url, [&] {
    auto handle = unpack_bounded(*bytes);
    return handle.get().as<coordinator_snapshot>();
  });
}

coordinator_actor spawn_coordinator(caf::actor_system& sys, coordinator_config cfg,
                                    coordinator_snapshot restored) {
  return sys.spawn(coordinator::behavior, std::move(cfg), std::move(restored));
}

} // namespace weir
