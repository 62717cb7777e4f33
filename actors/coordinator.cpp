#include "actors/coordinator.hpp"

#include "actors/blocking.hpp"

#include "base/bounded_unpack.hpp"
#include "runtime/assignment.hpp"
#include "runtime/auth.hpp"
#include "runtime/kafka.hpp"
#include "jobs/generators.hpp"
#include "jobs/registry/front_ends.hpp"
#include "base/logging.hpp"

#include <caf/all.hpp>

#include <algorithm>

WEIR_LOG_MODULE("coordinator");

namespace weir {

namespace {

using self_ptr = coordinator_actor::stateful_pointer<coordinator_state>;
using steady = std::chrono::steady_clock;
constexpr const char* snapshot_key = "coordinator.state";
constexpr std::chrono::seconds client_admission{60};
constexpr size_t max_pending_challenges = 4096;
constexpr size_t max_events = 200;
constexpr size_t max_rounds = 50;
constexpr size_t max_samples = 180; // 15 minutes every 5 s
constexpr std::chrono::seconds sample_every{5};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

void record(coordinator_state& st, event_kind kind, std::string job, std::string worker,
            std::string message, std::int64_t duration_ms = -1) {
  st.events.push_front(
    {now_ms(), kind, std::move(job), std::move(worker), std::move(message), duration_ms});
  if (st.events.size() > max_events)
    st.events.pop_back();
}

std::string sender_name(self_ptr self) {
  const auto& sender = self->current_sender();
  return sender ? to_string(sender->node()) : std::string{"an anonymous sender"};
}

// Whether the current message comes from this process or one that proved the
// cluster secret; refusals are logged.
bool admitted(self_ptr self, const char* what) {
  auto& st = self->state;
  if (st.secret.empty())
    return true;
  const auto& sender = self->current_sender();
  if (sender) {
    if (sender->node() == self->node())
      return true;
    if (auto it = st.admitted.find(sender->node()); it != st.admitted.end()) {
      if (it->second > steady::now())
        return true;
      st.admitted.erase(it);
    }
  }
  WEIR_WARN("refused {} from {}: it has not proved the cluster secret", what, sender_name(self));
  st.metrics.refusals.inc();
  record(st, event_kind::refusal, {}, {},
         std::string{"refused "} + what + " from " + sender_name(self) + ": secret not proved");
  return false;
}

std::string refusal_text(const char* what) {
  return std::string{"refused "} + what
         + ": this process has not proved the cluster secret (--secret-file)";
}

caf::error refused(const char* what) {
  return caf::make_error(caf::sec::runtime_error, refusal_text(what));
}

void persist(self_ptr self) {
  auto& st = self->state;
  if (!st.state_writer)
    return;
  coordinator_snapshot snap;
  snap.next_checkpoint = st.next_checkpoint;
  for (const auto& [id, job] : st.jobs)
    snap.jobs.emplace(id, job.data);
  msgpack::sbuffer buf;
  msgpack::pack(buf, snap);
  caf::anon_send(st.state_writer, std::string{buf.data(), buf.size()});
}

// The partitions of `job_id` that worker `name` owns, with their checkpoints.
std::vector<partition_checkpoint> partitions_of(const coordinator_state::job& job,
                                                const std::string& name) {
  std::vector<partition_checkpoint> parts;
  if (!job.data.stopped.empty())
    return parts;
  for (size_t p = 0; p < job.data.owners.size(); ++p)
    if (job.data.owners[p] == name)
      parts.push_back(job.data.checkpoints[p]);
  return parts;
}

// Tells worker `name` which partitions of `job_id` it owns, as they are when
// this runs, leaving out those another worker is still releasing (they follow
// once released); `then` runs once the worker has released what it gave up
// and shipped it to `targets`, or failed to answer.
template <class Then>
void send_assignment(self_ptr self, const std::string& name, const std::string& job_id,
                     Then then, std::vector<handoff_target> targets = {}) {
  auto& st = self->state;
  auto w = st.workers.find(name);
  auto j = st.jobs.find(job_id);
  if (w == st.workers.end() || j == st.jobs.end()) {
    then();
    return;
  }
  auto parts = partitions_of(j->second, name);
  std::erase_if(parts, [&](const partition_checkpoint& pc) {
    auto r = st.in_release.find({job_id, pc.partition});
    return r != st.in_release.end()
           && std::any_of(r->second.begin(), r->second.end(),
                          [&](const std::string& from) { return from != name; });
  });
  WEIR_INFO("job {}: worker {} owns {} partition(s)", job_id, name, parts.size());
  const auto handle = w->second.handle;
  self->request(handle, std::chrono::seconds(60), assign_atom::value, job_id,
                j->second.data.spec_text, static_cast<std::int32_t>(j->second.data.owners.size()),
                std::move(parts), targets)
    .then([then](bool) mutable { then(); },
          [self, then, job_id, name, handle, targets](caf::error& err) mutable {
            // A live worker slow to release (its sink cannot write) still holds
            // the partitions: their new owners keep waiting, or both would
            // write. Asked again, it answers once that release is done
            // (sources chain a repeated assignment to the release under way).
            // Only a worker that is gone (down_msg) has released.
            auto w = self->state.workers.find(name);
            if (err == caf::sec::request_timeout && w != self->state.workers.end()
                && w->second.handle == handle) {
              WEIR_WARN("job {}: worker {} has not confirmed its assignment after 60 s; partitions "
                        "it releases wait", job_id, name);
              send_assignment(self, name, job_id, std::move(then), std::move(targets));
              return;
            }
            WEIR_WARN("job {}: worker {} did not confirm its assignment: {}", job_id, name,
                      to_string(err));
            then();
          });
}

void send_assignment(self_ptr self, const std::string& name, const std::string& job_id) {
  send_assignment(self, name, job_id, [] {});
}

void retire_drained(self_ptr self);

// Recomputes every job's assignment over the live workers. A partition moving
// away from a live worker is fenced: its old owner is told first, releases it
// (its sink has made all its output durable) and ships its state to the new
// owner, which is told to start it only then. A partition may move again
// before that; it waits for every release under way.
void reassign(self_ptr self) {
  auto& st = self->state;
  if (st.recovering)
    return; // absent workers may still come back
  std::vector<std::string> names;
  for (const auto& [name, m] : st.workers)
    if (!m.draining)
      names.push_back(name);
  if (names.empty() && !st.workers.empty()) {
    // Only draining workers are left (the others died): they keep serving
    // rather than leave partitions unowned.
    WEIR_WARN("no worker but draining ones left: they keep their partitions");
    for (const auto& [name, m] : st.workers)
      names.push_back(name);
  }
  bool changed_any = false;
  for (auto& [job_id, job] : st.jobs) {
    if (jobs::is_export(job.spec) || !job.data.stopped.empty())
      continue;
    auto before = job.data.owners;
    job.data.owners = rebalance(before, names);
    std::map<std::string, std::vector<std::int32_t>> losers; // live old owner -> partitions
    std::set<std::string> gainers;
    for (size_t p = 0; p < before.size(); ++p)
      if (before[p] != job.data.owners[p]) {
        if (st.workers.count(before[p]))
          losers[before[p]].push_back(static_cast<std::int32_t>(p));
        gainers.insert(job.data.owners[p]);
      }
    if (losers.empty() && gainers.empty())
      continue;
    changed_any = true;
    for (const auto& [name, parts] : losers)
      for (auto p : parts)
        st.in_release[{job_id, p}].insert(name);
    for (const auto& [name, parts] : losers) {
      ++st.releasing[name];
      // The loser ships each partition's state straight to its new owner.
      std::vector<handoff_target> targets;
      for (auto p : parts)
        if (auto to = st.workers.find(job.data.owners[static_cast<size_t>(p)]);
            to != st.workers.end())
          targets.push_back({p, caf::actor_cast<caf::strong_actor_ptr>(to->second.handle)});
      send_assignment(
        self, name, job_id,
        [self, name = name, parts = parts, job_id = job_id] {
          auto& st = self->state;
          if (--st.releasing[name] == 0)
            st.releasing.erase(name);
          // Partitions no one releases any more go to their current owners.
          std::set<std::string> tell;
          for (auto p : parts) {
            auto r = st.in_release.find({job_id, p});
            if (r == st.in_release.end())
              continue;
            if (auto one = r->second.find(name); one != r->second.end())
              r->second.erase(one);
            if (!r->second.empty())
              continue;
            st.in_release.erase(r);
            auto j = st.jobs.find(job_id);
            if (j != st.jobs.end() && static_cast<size_t>(p) < j->second.data.owners.size())
              tell.insert(j->second.data.owners[static_cast<size_t>(p)]);
          }
          for (const auto& owner : tell)
            if (owner != name)
              send_assignment(self, owner, job_id);
          retire_drained(self);
        },
        std::move(targets));
    }
    // Gainers start at once what needs no release (its owner is gone); the
    // rest follows each release.
    for (const auto& name : gainers)
      if (!losers.count(name))
        send_assignment(self, name, job_id);
  }
  if (changed_any) {
    st.metrics.rebalances.inc();
    persist(self);
  }
  retire_drained(self);
}

// Drained workers that hold nothing any more, and release nothing, may go.
void retire_drained(self_ptr self) {
  auto& st = self->state;
  for (auto it = st.workers.begin(); it != st.workers.end();) {
    bool holds = false;
    for (const auto& [job_id, job] : st.jobs)
      holds |= job.data.stopped.empty()
               && std::find(job.data.owners.begin(), job.data.owners.end(), it->first)
                    != job.data.owners.end();
    if (it->second.draining && !holds && !st.releasing.count(it->first)) {
      WEIR_INFO("worker {} drained: it leaves the cluster", it->first);
      record(st, event_kind::drained, {}, it->first, "drained: it leaves the cluster");
      self->demonitor(it->second.handle.address());
      self->send(it->second.handle, drain_atom::value);
      it = st.workers.erase(it);
    } else {
      ++it;
    }
  }
}

void schedule_checkpoint(self_ptr self, const std::string& job_id) {
  auto j = self->state.jobs.find(job_id);
  if (j == self->state.jobs.end() || j->second.spec.checkpoints.url.empty())
    return;
  self->delayed_send(self, std::chrono::milliseconds(j->second.spec.checkpoints.interval),
                     checkpoint_atom::value, job_id);
}

// The export run due at `now`: the latest multiple of `every` since the epoch,
// as the run id (its scheduled time) the exporter names the file after.
std::string due_run(jobs::millis every) {
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  std::string out;
  jobs::append_iso8601(out, now - now % every);
  return out.substr(0, 19) + "Z"; // whole seconds
}

void schedule_export(self_ptr self, const std::string& job_id) {
  auto j = self->state.jobs.find(job_id);
  if (j == self->state.jobs.end() || !jobs::is_export(j->second.spec))
    return;
  const auto every = j->second.spec.export_job->every;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
                     .count();
  self->delayed_send(self, std::chrono::milliseconds(every - now % every + 1),
                     export_atom::value, job_id);
}

// The partition count of `spec`'s topic: a Kafka metadata call, which blocks.
// `then(count)` gets it, or `failed(why)` when the lookup did not finish.
template <class Then, class Failed>
void lookup_partitions(self_ptr self, const jobs::job_spec& spec, Then then, Failed failed) {
  run_blocking(
    self, caf::duration{std::chrono::seconds(15)},
    [brokers = spec.source.brokers, topic = spec.source.topic] {
      return kafka::partition_count(brokers, topic);
    },
    std::move(then), std::move(failed));
}

// Writes snapshots; detached because stores block (fsync, HTTP).
caf::behavior state_writer(caf::event_based_actor* self, std::shared_ptr<checkpoint_store> store) {
  return {[store](const std::string& bytes) {
    if (auto ok = store->put(snapshot_key, bytes); !ok)
      WEIR_ERROR("cannot persist the coordinator state: {}", ok.error_message());
  }};
}

// The latest report of partition `p` of `job` by its current owner.
const partition_report* latest(const coordinator_state& st, const std::string& job_id,
                               const coordinator_state::job& job, partition_id p) {
  if (p < 0 || static_cast<size_t>(p) >= job.data.owners.size())
    return nullptr;
  auto w = st.workers.find(job.data.owners[static_cast<size_t>(p)]);
  if (w == st.workers.end())
    return nullptr;
  for (const auto& jr : w->second.report.jobs)
    if (jr.job == job_id)
      for (const auto& pr : jr.partitions)
        if (pr.partition == p)
          return &pr;
  return nullptr;
}

// A worker's report: per-partition rates, handoff pauses, recoveries that
// this report shows finished.
void take_report(self_ptr self, const std::string& name, worker_report report) {
  auto& st = self->state;
  auto w = st.workers.find(name);
  if (w == st.workers.end())
    return;
  const auto now = now_ms();
  for (const auto& jr : report.jobs) {
    auto j = st.jobs.find(jr.job);
    if (j == st.jobs.end())
      continue;
    auto& job = j->second;
    if (!jr.partitions.empty())
      job.failing.erase(name); // it runs the job again
    for (const auto& pr : jr.partitions) {
      auto p = static_cast<size_t>(pr.partition);
      if (p >= job.data.owners.size() || job.data.owners[p] != name)
        continue;
      // Reading again after its worker failed the job (a partition the source
      // itself stopped reports `failed` and stays marked).
      if (!pr.failed)
        job.failed.erase(pr.partition);
      auto& rate = job.rates[pr.partition];
      if (rate.at_ms > 0 && now > rate.at_ms && pr.events >= rate.events)
        rate.per_second = static_cast<double>(pr.events - rate.events) * 1000.0
                          / static_cast<double>(now - rate.at_ms);
      rate.events = pr.events;
      rate.at_ms = now;
      for (auto& r : st.recoveries)
        if (r.job == jr.job && r.waiting.count(pr.partition) && !pr.failed
            && (name != r.worker || pr.owned_since_ms >= r.lost_ms)) {
          r.waiting.erase(pr.partition);
          r.last_ms = std::max(r.last_ms, pr.owned_since_ms);
        }
    }
    for (const auto& h : jr.handoffs) {
      st.metrics.handoffs.inc();
      st.metrics.handoff_pause.observe(static_cast<double>(h.pause_ms) / 1000.0);
      record(st, event_kind::handoff, jr.job, name,
             "partition " + std::to_string(h.partition) + " moved here, paused "
               + std::to_string(h.pause_ms) + " ms",
             h.pause_ms);
    }
  }
  for (auto it = st.recoveries.begin(); it != st.recoveries.end();) {
    if (!it->waiting.empty()) {
      ++it;
      continue;
    }
    const auto took = std::max<std::int64_t>(0, it->last_ms - it->lost_ms);
    st.metrics.recoveries.inc();
    st.metrics.recovery_duration.observe(static_cast<double>(took) / 1000.0);
    if (auto j = st.jobs.find(it->job); j != st.jobs.end())
      ++j->second.restarts;
    WEIR_INFO("job {}: the {} partition(s) of lost worker {} read again elsewhere after {} ms",
              it->job, it->partitions, it->worker, took);
    record(st, event_kind::recovery, it->job, it->worker,
           std::to_string(it->partitions) + " partition(s) of lost worker " + it->worker
             + " reading again",
           took);
    it = st.recoveries.erase(it);
  }
  if (w->second.last_report_ms > 0 && now > w->second.last_report_ms)
    w->second.cpu_percent = 100 * (report.cpu_seconds - w->second.report.cpu_seconds) * 1000
                            / static_cast<double>(now - w->second.last_report_ms);
  w->second.report = std::move(report);
  w->second.last_report_ms = now;
}

// One dashboard sample per streaming job.
void sample(coordinator_state& st) {
  const auto now = now_ms();
  for (auto& [id, job] : st.jobs) {
    if (jobs::is_export(job.spec))
      continue;
    job_sample s;
    s.at_ms = now;
    for (size_t p = 0; p < job.data.owners.size(); ++p) {
      const auto part = static_cast<partition_id>(p);
      if (auto r = job.rates.find(part); r != job.rates.end() && now - r->second.at_ms < 10'000)
        s.records_per_second += r->second.per_second;
      const auto* pr = latest(st, id, job, part);
      if (!pr)
        continue;
      if (pr->high_watermark >= 0)
        s.lag_records += static_cast<double>(std::max<offset_t>(0, pr->high_watermark - pr->next_offset));
      if (!pr->idle && pr->watermark != no_watermark)
        s.watermark_lag_ms = std::max(s.watermark_lag_ms, static_cast<double>(now - pr->watermark));
    }
    job.history.push_back(s);
    if (job.history.size() > max_samples)
      job.history.pop_front();
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
  record(st, event_kind::job_stopped, id, {}, "stopped: " + why);
  persist(self);
  std::set<std::string> owners(j->second.data.owners.begin(), j->second.data.owners.end());
  for (const auto& name : owners)
    send_assignment(self, name, id);
}

// Partitions added to a job's topic after submit are read too: every 10 s
// the topic's partition count is looked up; when it grew, the job takes the
// new partitions (from their first offset) and every worker running it
// restarts it with the new count (actors/worker.cpp). A job that declares
// source.partitioned_by is stopped instead: Kafka's partitioner moves keys
// when the count changes, so a key's events before and after are in two
// partitions and the rows each would write as final are wrong.
void check_partitions(self_ptr self) {
  for (const auto& [id, job] : self->state.jobs) {
    if (jobs::is_export(job.spec) || !job.data.stopped.empty())
      continue;
    lookup_partitions(
      self, job.spec,
      [self, id = id](const expected<std::int32_t>& count) {
          auto& st = self->state;
          auto j = st.jobs.find(id);
          if (j == st.jobs.end() || !count || *count <= 0
              || static_cast<size_t>(*count) <= j->second.data.owners.size())
            return;
          auto& data = j->second.data;
          const auto before = data.owners.size();
          const auto grew = "topic " + j->second.spec.source.topic + " grew from "
                            + std::to_string(before) + " to " + std::to_string(*count)
                            + " partitions";
          WEIR_INFO("job {}: {}", id, grew);
          record(st, event_kind::partitions_added, id, {}, grew);
          if (const auto& by = j->second.spec.source.partitioned_by; !by.empty()) {
            stop_job(self, id,
                     grew + ": Kafka's partitioner now sends many keys to other partitions, "
                       "so a window open across the change has a key's events in two of them "
                       "and source.partitioned_by (" + by + ") no longer holds; rows "
                       "written from here on could be wrong. Cancel the job and submit it "
                       "again without partitioned_by, into fresh tables: its keys are then "
                       "merged across partitions (docs/operations.md)");
            return;
          }
          data.owners.resize(static_cast<size_t>(*count));
          data.checkpoints.resize(static_cast<size_t>(*count));
          for (auto p = before; p < data.owners.size(); ++p)
            data.checkpoints[p].partition = static_cast<partition_id>(p);
          persist(self);
          reassign(self);
          std::set<std::string> owners(data.owners.begin(), data.owners.end());
          for (const auto& name : owners)
            send_assignment(self, name, id);
        },
      [](const std::string&) {}); // the next check tries again
  }
}

cluster_view observe(const coordinator_state& st) {
  auto out = std::make_shared<observed_cluster>();
  out->now_ms = now_ms();
  out->secret = !st.secret.empty();
  for (const auto& [name, m] : st.workers)
    out->workers.push_back({name, m.info, m.draining, m.last_report_ms, m.report, m.cpu_percent});
  for (const auto& [id, job] : st.jobs) {
    observed_job oj;
    oj.id = id;
    oj.spec_text = job.data.spec_text;
    oj.submitted_ms = job.submitted_ms;
    oj.restarts = job.restarts;
    oj.checkpoints_failed = job.checkpoints_failed;
    oj.rounds.assign(job.rounds.begin(), job.rounds.end());
    oj.history.assign(job.history.begin(), job.history.end());
    oj.last_export = job.data.last_export;
    oj.stopped = job.data.stopped;
    if (jobs::is_export(job.spec)) {
      const auto& e = *job.spec.export_job;
      oj.kind = "export";
      oj.sink = "s3://" + e.bucket + "/" + e.prefix;
    } else {
      oj.kind = jobs::is_raw(job.spec) ? "raw" : "windowed";
      oj.topic = job.spec.source.topic;
      // The table, or for the lake its s3:// place; never a URL that may hold a password.
      oj.sink = job.spec.sink.type + " "
                + (job.spec.sink.table.empty() ? job.spec.sink.url : job.spec.sink.table);
    }
    for (size_t p = 0; p < job.data.owners.size(); ++p) {
      const auto part = static_cast<partition_id>(p);
      observed_partition op;
      op.owner = job.data.owners[p];
      if (auto f = job.failed.find(part); f != job.failed.end())
        op.failed = f->second;
      if (!job.data.stopped.empty())
        op.failed = "job stopped: " + job.data.stopped;
      op.checkpoint = job.data.checkpoints[p];
      if (const auto* pr = latest(st, id, job, part))
        op.report = *pr;
      if (auto r = job.rates.find(part); r != job.rates.end() && out->now_ms - r->second.at_ms < 10'000)
        op.records_per_second = r->second.per_second;
      oj.partitions.push_back(std::move(op));
    }
    for (const auto& [name, m] : st.workers)
      for (const auto& jr : m.report.jobs)
        if (jr.job == id) {
          oj.source_metrics.emplace_back(name, jr.source);
          oj.sink_metrics.emplace_back(name, jr.sink);
        }
    out->jobs.push_back(std::move(oj));
  }
  out->events.assign(st.events.begin(), st.events.end());
  out->coordinator = st.metrics.take();
  return out;
}

} // namespace

metrics::snapshot coordinator_metrics::take() const {
  metrics::snapshot s;
  append(s, "joins", "worker registrations, joins and rejoins", joins);
  append(s, "workers_lost", "workers lost (their partitions recover elsewhere)", workers_lost);
  append(s, "refusals", "requests refused for the cluster secret", refusals);
  append(s, "rebalances", "assignment changes that moved partitions", rebalances);
  append(s, "checkpoint_rounds", "checkpoint rounds started", checkpoint_rounds);
  append(s, "checkpoint_reports", "partition checkpoints reported stored", checkpoint_reports);
  append(s, "partitions_failed", "partitions their owner reported stopped", partitions_failed);
  append(s, "job_failures", "times a worker could not run a job (it is assigned again)",
         job_failures);
  append(s, "checkpoints_completed", "checkpoint rounds every partition reported",
         checkpoints_completed);
  append(s, "checkpoints_failed", "checkpoint rounds not complete when the next one started",
         checkpoints_failed);
  append(s, "checkpoint_duration_seconds", "start of a round to its last partition's report",
         checkpoint_duration);
  append(s, "recoveries", "a lost worker's partitions reading again elsewhere", recoveries);
  append(s, "recovery_duration_seconds", "worker lost to the last of its partitions reading again",
         recovery_duration);
  append(s, "handoffs", "partitions moved between live workers", handoffs);
  append(s, "handoff_pause_seconds", "old owner stopped to new owner emitting", handoff_pause);
  return s;
}

expected<coordinator_snapshot> load_coordinator_snapshot(const std::string& state_url) {
  if (state_url.empty())
    return coordinator_snapshot{};
  auto store = checkpoint_store::open(state_url);
  if (!store)
    return store.failure();
  auto keys = (*store)->list(snapshot_key);
  if (!keys)
    return keys.failure();
  if (keys->empty())
    return coordinator_snapshot{};
  auto bytes = (*store)->get(snapshot_key);
  if (!bytes)
    return bytes.failure();
  return guarded("coordinator state " + state_url, [&] {
    auto handle = unpack_bounded(*bytes);
    return handle.get().as<coordinator_snapshot>();
  });
}

coordinator_actor::behavior_type coordinator(self_ptr self, coordinator_config cfg,
                                             coordinator_snapshot restored) {
  auto& st = self->state;
  st.secret = cfg.secret;
  if (st.secret.empty())
    WEIR_WARN("no cluster secret: any process that reaches this port can join and submit jobs "
              "(see --secret-file)");
  if (!cfg.state_url.empty()) {
    auto store = checkpoint_store::open(cfg.state_url);
    if (store)
      st.state_writer = self->spawn<caf::detached>(
        state_writer, std::shared_ptr<checkpoint_store>{std::move(*store)});
    else
      WEIR_ERROR("coordinator state will not be persisted: {}", store.error_message());
  }
  st.next_checkpoint = restored.next_checkpoint;
  for (auto& [id, data] : restored.jobs) {
    auto spec = jobs::parse_job(data.spec_text, id);
    if (!spec) {
      WEIR_ERROR("job {} in the saved state no longer parses, dropped: {}", id,
                 spec.error_message());
      continue;
    }
    WEIR_INFO("job {} resumed from the saved state ({} partitions)", id, data.owners.size());
    st.jobs[id] = {std::move(*spec), std::move(data)};
    schedule_checkpoint(self, id);
    schedule_export(self, id);
  }
  self->delayed_send(self, sample_every, tick_atom::value);
  if (!st.jobs.empty()) {
    st.recovering = true;
    self->delayed_send(self, cfg.rejoin_grace, recovered_atom::value);
  }
  // The writer does not outlive the coordinator. (Captured by value: attached
  // functors run after the actor's state is gone.)
  if (auto writer = st.state_writer)
    self->attach_functor([writer] { caf::anon_send_exit(writer, caf::exit_reason::user_shutdown); });
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& workers = self->state.workers;
    for (auto it = workers.begin(); it != workers.end(); ++it) {
      if (it->second.handle.address() == msg.source) {
        WEIR_WARN("worker {} is gone: {}", it->first, self->system().render(msg.reason));
        auto& st = self->state;
        st.admitted.erase(msg.source.node());
        st.metrics.workers_lost.inc();
        record(st, event_kind::lost, {}, it->first, "lost: " + self->system().render(msg.reason));
        for (const auto& [job_id, job] : st.jobs) {
          coordinator_state::recovery r{job_id, it->first, now_ms(), {}, 0, 0};
          for (size_t p = 0; p < job.data.owners.size() && job.data.stopped.empty(); ++p)
            if (job.data.owners[p] == it->first && !job.failed.count(static_cast<partition_id>(p)))
              r.waiting.insert(static_cast<partition_id>(p));
          r.partitions = r.waiting.size();
          if (!r.waiting.empty() && st.recoveries.size() < 100)
            st.recoveries.push_back(std::move(r));
        }
        workers.erase(it);
        reassign(self);
        return;
      }
    }
  });
  return {
    [self](hello_atom, const std::string& their_nonce) -> auth_challenge {
      auto& st = self->state;
      auth_challenge ch;
      ch.required = !st.secret.empty();
      const auto& sender = self->current_sender();
      if (!ch.required || !sender)
        return ch;
      if (st.challenges.size() >= max_pending_challenges)
        st.challenges.clear(); // abandoned handshakes; live ones just retry
      ch.nonce = auth::make_nonce();
      ch.proof = auth::proof(st.secret, auth::role::coordinator, their_nonce,
                             to_string(self->node()));
      st.challenges[sender->node()] = ch.nonce;
      return ch;
    },
    [self](auth_atom, const std::string& proof) -> bool {
      auto& st = self->state;
      if (st.secret.empty())
        return true;
      const auto& sender = self->current_sender();
      auto challenge = sender ? st.challenges.find(sender->node()) : st.challenges.end();
      if (challenge == st.challenges.end()) {
        WEIR_WARN("refused {}: it answered no challenge", sender_name(self));
        st.metrics.refusals.inc();
        return false;
      }
      auto nonce = std::move(challenge->second);
      st.challenges.erase(challenge);
      if (!auth::verify(st.secret, auth::role::member, nonce, to_string(sender->node()), proof)) {
        WEIR_WARN("refused {}: {}", sender_name(self),
                  proof.empty() ? "it has no cluster secret" : "wrong cluster secret");
        st.metrics.refusals.inc();
        return false;
      }
      st.admitted[sender->node()] = steady::now() + client_admission;
      WEIR_DEBUG("{} proved the cluster secret", sender_name(self));
      return true;
    },
    [self](register_atom, worker_actor handle, worker_info info) -> caf::result<std::string> {
      if (!admitted(self, "a worker registration"))
        return refused("a worker registration");
      auto& st = self->state;
      if (!st.secret.empty()) // a member stays admitted while it is registered
        st.admitted[handle.node()] = steady::time_point::max();
      auto name = info.name;
      if (auto old = st.workers.find(name); old != st.workers.end()) {
        // The same worker reconnecting (or restarted) before its loss was noticed.
        self->demonitor(old->second.handle.address());
        WEIR_INFO("worker {} rejoined (host {}, pid {})", name, info.host, info.pid);
        record(st, event_kind::rejoin, {}, name, "rejoined from " + info.host);
      } else {
        WEIR_INFO("worker {} joined (host {}, pid {})", name, info.host, info.pid);
        record(st, event_kind::join, {}, name, "joined from " + info.host);
      }
      self->monitor(handle);
      st.metrics.joins.inc();
      st.workers[name] = {std::move(handle), std::move(info)};
      reassign(self);
      // A full picture for the newcomer, every job included: a worker that was
      // frozen or cut off may still run partitions that moved meanwhile, and an
      // empty set tells it to stop them. Sources ignore unchanged sets.
      for (const auto& [job_id, job] : st.jobs)
        if (!jobs::is_export(job.spec))
          send_assignment(self, name, job_id); // partitions in release follow later
      return name;
    },
    [self](recovered_atom) {
      self->state.recovering = false;
      WEIR_INFO("rejoin grace period over: {} worker(s) back", self->state.workers.size());
      reassign(self);
    },
    [self](checkpoint_atom, const std::string& job_id) {
      auto& st = self->state;
      auto j = st.jobs.find(job_id);
      if (j == st.jobs.end())
        return; // cancelled
      const auto id = st.next_checkpoint++;
      st.metrics.checkpoint_rounds.inc();
      auto& job = j->second;
      if (!job.data.stopped.empty())
        return; // no round again: nothing of it runs
      for (auto& r : job.rounds)
        if (r.outcome == round_outcome::in_progress) {
          r.outcome = round_outcome::failed;
          st.metrics.checkpoints_failed.inc();
          ++job.checkpoints_failed;
          record(st, event_kind::checkpoint_failed, job_id, {},
                 "checkpoint " + std::to_string(r.id) + ": " + std::to_string(r.reported) + " of "
                   + std::to_string(r.partitions) + " partitions stored before the next round");
        }
      checkpoint_record rec;
      rec.id = id;
      rec.started_ms = now_ms();
      for (size_t p = 0; p < job.data.owners.size(); ++p)
        rec.partitions += st.workers.count(job.data.owners[p])
                          && !job.failed.count(static_cast<partition_id>(p));
      if (rec.partitions > 0) {
        job.rounds.push_back(rec);
        if (job.rounds.size() > max_rounds)
          job.rounds.pop_front();
      }
      std::vector<round_id> pointed;
      for (const auto& pc : j->second.data.checkpoints)
        pointed.push_back(pc.id);
      std::set<std::string> owners(j->second.data.owners.begin(), j->second.data.owners.end());
      for (const auto& name : owners)
        if (auto w = st.workers.find(name); w != st.workers.end())
          self->send(w->second.handle, checkpoint_atom::value, job_id, id, pointed);
      schedule_checkpoint(self, job_id);
    },
    [self](export_atom, const std::string& job_id) {
      auto& st = self->state;
      auto j = st.jobs.find(job_id);
      if (j == st.jobs.end())
        return; // cancelled
      schedule_export(self, job_id);
      std::vector<worker_actor> live;
      for (const auto& [name, m] : st.workers)
        if (!m.draining)
          live.push_back(m.handle);
      if (live.empty()) {
        WEIR_WARN("export {}: no worker to run it; the next run takes its rows", job_id);
        return;
      }
      auto run = due_run(j->second.spec.export_job->every);
      auto worker = live[st.next_exporter++ % live.size()];
      const auto timeout = std::max<jobs::millis>(60'000, j->second.spec.export_job->every);
      self->request(worker, std::chrono::milliseconds(timeout), export_atom::value, job_id,
                    j->second.data.spec_text, run)
        .then(
          [self, job_id, run](const export_outcome& out) {
            auto j = self->state.jobs.find(job_id);
            if (!out.ok) {
              WEIR_WARN("export {} run {}: {} (its rows go with the next run)", job_id, run,
                        out.error);
              return;
            }
            for (const auto& r : out.recovered)
              WEIR_INFO("export {}: finished run {} that had crashed", job_id, r);
            WEIR_INFO("export {} run {}: {} row(s) to {}", job_id, run, out.rows, out.key);
            if (j != self->state.jobs.end()) {
              j->second.data.last_export = run;
              persist(self);
            }
          },
          [job_id, run](caf::error& err) {
            WEIR_WARN("export {} run {}: {}", job_id, run, to_string(err));
          });
    },
    [self](partition_failed_atom, const std::string& name, const job_id& job_id, partition_id p,
           const std::string& why) {
      if (!admitted(self, "a partition failure report"))
        return;
      auto j = self->state.jobs.find(job_id);
      if (j == self->state.jobs.end())
        return;
      WEIR_ERROR("job {}: partition {} stopped on {}: {}", job_id, p, name, why);
      j->second.failed[p] = why;
      record(self->state, event_kind::partition_failed, job_id, name,
             "partition " + std::to_string(p) + " stopped: " + why);
      self->state.metrics.partitions_failed.inc();
    },
    [self](job_failed_atom, const std::string& name, const job_id& job_id,
           const std::vector<partition_id>& parts, const std::string& why) {
      if (!admitted(self, "a job failure report"))
        return;
      auto& st = self->state;
      auto j = st.jobs.find(job_id);
      if (j == st.jobs.end() || !st.workers.count(name))
        return;
      auto& job = j->second;
      const int n = job.failing[name]++;
      const auto delay = std::chrono::seconds(std::min(60, 1 << std::min(n, 6)));
      const auto msg = "on " + name + ": " + why + " (assigned again in "
                       + std::to_string(delay.count()) + " s)";
      for (auto p : parts)
        if (static_cast<size_t>(p) < job.data.owners.size()
            && job.data.owners[static_cast<size_t>(p)] == name)
          job.failed[p] = msg;
      st.metrics.job_failures.inc();
      ++job.failed_starts;
      WEIR_ERROR("job {}: {}", job_id, msg);
      record(st, event_kind::job_failed, job_id, name, why, -1);
      self->delayed_send(self, delay, restart_atom::value, job_id, name);
    },
    [self](restart_atom, const std::string& job_id, const std::string& name) {
      auto& st = self->state;
      if (st.jobs.count(job_id) && st.workers.count(name)) {
        WEIR_INFO("job {}: assigning it to {} again", job_id, name);
        send_assignment(self, name, job_id);
      }
    },
    [self](checkpointed_atom, const std::string& name, const job_id& job_id, round_id id,
           const std::vector<partition_checkpoint>& parts) {
      if (!admitted(self, "a checkpoint report"))
        return;
      auto j = self->state.jobs.find(job_id);
      if (j == self->state.jobs.end())
        return;
      auto& data = j->second.data;
      bool changed = false;
      auto round = std::find_if(j->second.rounds.begin(), j->second.rounds.end(),
                                [id](const checkpoint_record& r) { return r.id == id; });
      for (const auto& pc : parts) {
        auto p = static_cast<size_t>(pc.partition);
        // Only the current owner's newer checkpoints count: a former owner may
        // report a round it finished after losing the partition.
        if (p < data.owners.size() && data.owners[p] == name && pc.id > data.checkpoints[p].id) {
          if (pc.offset > data.checkpoints[p].offset)
            j->second.failed.erase(pc.partition);
          data.checkpoints[p] = pc;
          changed = true;
          self->state.metrics.checkpoint_reports.inc();
          if (round != j->second.rounds.end() && round->outcome == round_outcome::in_progress) {
            round->bytes += pc.bytes;
            if (++round->reported >= round->partitions) {
              round->outcome = round_outcome::completed;
              round->finished_ms = now_ms();
              self->state.metrics.checkpoints_completed.inc();
              self->state.metrics.checkpoint_duration.observe(
                static_cast<double>(round->finished_ms - round->started_ms) / 1000.0);
            }
          }
        }
      }
      if (changed) {
        WEIR_DEBUG("job {}: checkpoint {} from {} ({} partitions)", job_id, id, name, parts.size());
        persist(self);
      }
    },
    [self](submit_atom, const std::string& text,
           const std::string& origin) -> caf::result<submit_reply> {
      if (!admitted(self, "a job submission"))
        return submit_reply{{}, refusal_text("a job submission"), refusal::not_admitted};
      auto spec = jobs::parse_job(text, origin);
      if (!spec)
        return submit_reply{{}, spec.error_message(), refusal::invalid};
      if (auto lines = jobs::plain_password_lines(text); !lines.empty())
        WEIR_WARN("job {}: line {} of its spec writes a password in a URL, which crosses the "
                  "network and is kept in the job state; use ${{secret:NAME}}", spec->name,
                  lines.front());
      if (self->state.jobs.count(spec->name))
        return submit_reply{{}, "job '" + spec->name + "' is already running", refusal::conflict};
      if (jobs::is_export(*spec)) {
        auto id = spec->name;
        WEIR_INFO("export job {} accepted: every {} ms", id, spec->export_job->every);
        coordinator_snapshot::job data;
        data.spec_text = text;
        self->state.jobs[id] = {std::move(*spec), std::move(data)};
        self->state.jobs[id].submitted_ms = now_ms();
        record(self->state, event_kind::submit, id, {}, "export job submitted");
        persist(self);
        schedule_export(self, id);
        return submit_reply{id, {}};
      }
      auto rp = self->make_response_promise<submit_reply>();
      lookup_partitions(
        self, *spec,
          [self, rp, text, spec = *spec](const expected<std::int32_t>& count) mutable {
            if (!count || *count <= 0) {
              rp.deliver(submit_reply{{}, count ? "topic has no partitions" : count.error_message(),
                                      refusal::invalid});
              return;
            }
            auto accept = [self, rp, text, spec, count = *count]() mutable {
              if (self->state.jobs.count(spec.name)) {
                rp.deliver(submit_reply{{}, "job '" + spec.name + "' is already running",
                                        refusal::conflict});
                return;
              }
              auto id = spec.name;
              WEIR_INFO("job {} accepted: topic {} with {} partition(s)", id, spec.source.topic,
                        count);
              coordinator_snapshot::job data;
              data.spec_text = text;
              data.owners.resize(static_cast<size_t>(count));
              data.checkpoints.resize(static_cast<size_t>(count));
              for (std::int32_t p = 0; p < count; ++p)
                data.checkpoints[static_cast<size_t>(p)].partition = p;
              self->state.jobs[id] = {std::move(spec), std::move(data)};
              self->state.jobs[id].submitted_ms = now_ms();
              record(self->state, event_kind::submit, id, {},
                     "submitted: " + std::to_string(count) + " partition(s)");
              persist(self);
              reassign(self);
              schedule_checkpoint(self, id);
              rp.deliver(submit_reply{id, {}});
            };
            // The store is checked by a worker, which holds the credentials
            // (${secret:...}): a table made for another spec is refused here,
            // not found by every sink after the job started.
            const auto prober = std::find_if(self->state.workers.begin(), self->state.workers.end(),
                                              [](const auto& w) { return !w.second.draining; });
            if (prober == self->state.workers.end()) {
              WEIR_INFO("job {}: no worker to check its store before accepting it", spec.name);
              accept();
              return;
            }
            self->request(prober->second.handle, std::chrono::seconds(10), probe_atom::value,
                          spec.name, text)
              .then(
                [rp, accept, name = prober->first](std::string& why) mutable {
                  if (why.empty())
                    accept();
                  else
                    rp.deliver(submit_reply{{}, why + " (checked on worker " + name + ")",
                                            refusal::invalid});
                },
                [accept, job = spec.name](caf::error& err) mutable {
                  WEIR_WARN("job {}: its store was not checked before it was accepted: {}", job,
                            to_string(err));
                  accept();
                });
          },
          [rp](const std::string& why) mutable {
            rp.deliver(submit_reply{{}, "partition lookup failed: " + why, refusal::unavailable});
          });
      return rp;
    },
    [self](cancel_atom, const std::string& id) -> cancel_reply {
      if (!admitted(self, "a cancel"))
        return {id, refusal_text("a cancel"), refusal::not_admitted};
      auto it = self->state.jobs.find(id);
      if (it == self->state.jobs.end())
        return {id, "no job '" + id + "'", refusal::not_found};
      for (auto& [name, m] : self->state.workers)
        self->send(m.handle, cancel_atom::value, id);
      self->state.jobs.erase(it);
      std::erase_if(self->state.in_release, [&](const auto& r) { return r.first.first == id; });
      std::erase_if(self->state.recoveries, [&](const auto& r) { return r.job == id; });
      record(self->state, event_kind::cancel, id, {}, "cancelled");
      persist(self);
      WEIR_INFO("job {} cancelled", id);
      return {id, {}};
    },
    [self](drain_atom, const std::string& name) -> drain_reply {
      if (!admitted(self, "a drain"))
        return {name, refusal_text("a drain"), refusal::not_admitted};
      auto w = self->state.workers.find(name);
      if (w == self->state.workers.end())
        return {name, "no worker '" + name + "'", refusal::not_found};
      const auto others = std::count_if(
        self->state.workers.begin(), self->state.workers.end(),
        [&](const auto& w) { return w.first != name && !w.second.draining; });
      if (others == 0 && !self->state.jobs.empty())
        return {name, "worker '" + name + "' is the last one not draining: its partitions have "
                      "nowhere to go", refusal::conflict};
      WEIR_INFO("draining worker {}", name);
      record(self->state, event_kind::drain, {}, name, "draining");
      w->second.draining = true;
      reassign(self);
      return {name, {}};
    },
    [self](report_atom, const std::string& name, const std::string& bytes) {
      if (!admitted(self, "a worker report"))
        return;
      auto w = self->state.workers.find(name);
      const auto& sender = self->current_sender();
      if (w == self->state.workers.end() || !sender || sender->node() != w->second.handle.node())
        return; // not (or no longer) that worker: its next report after registering counts
      auto report = unpack_report(bytes);
      if (!report) {
        WEIR_WARN("worker {}: unreadable report: {}", name, report.error_message());
        return;
      }
      take_report(self, name, std::move(*report));
    },
    [self](tick_atom) {
      sample(self->state);
      if (++self->state.ticks % 2 == 0)
        check_partitions(self);
      self->delayed_send(self, sample_every, tick_atom::value);
    },
    [self](observe_atom) -> caf::result<cluster_view> {
      const auto& sender = self->current_sender();
      if (!sender || sender->node() != self->node())
        return caf::make_error(caf::sec::runtime_error, "observe is for this process only");
      return observe(self->state);
    },
    [self](status_atom) -> caf::result<cluster_status> {
      if (!admitted(self, "a status request"))
        return refused("a status request");
      cluster_status out;
      for (const auto& [name, m] : self->state.workers)
        out.workers.push_back({name, m.info, m.draining});
      for (const auto& [id, job] : self->state.jobs) {
        if (jobs::is_export(job.spec)) {
          const auto& e = *job.spec.export_job;
          out.jobs.push_back({id, "(export of " + e.table + ")",
                              "s3://" + e.bucket + "/" + e.prefix, {}, {}, {}, 0});
          continue;
        }
        std::vector<std::string> failed(job.data.owners.size());
        for (const auto& [p, why] : job.failed)
          if (static_cast<size_t>(p) < failed.size())
            failed[static_cast<size_t>(p)] = why;
        if (!job.data.stopped.empty())
          std::fill(failed.begin(), failed.end(), "job stopped: " + job.data.stopped);
        std::vector<partition_state> states(job.data.owners.size());
        const auto& st = self->state;
        for (size_t p = 0; p < states.size(); ++p) {
          const auto& owner = job.data.owners[p];
          auto w = st.workers.find(owner);
          const auto* pr = latest(st, id, job, static_cast<partition_id>(p));
          using ps = partition_state;
          states[p] = !job.data.stopped.empty()                ? ps::stopped
                      : owner.empty() || w == st.workers.end() ? ps::unassigned
                      : !failed[p].empty()                   ? ps::failed
                      : pr                                   ? (pr->idle ? ps::idle : ps::reading)
                      : w->second.last_report_ms == 0        ? ps::assigned
                                                             : ps::restoring;
        }
        out.jobs.push_back({id, job.spec.source.topic, job.spec.sink.table, job.data.owners,
                            std::move(failed), std::move(states),
                            job.restarts + job.failed_starts});
      }
      return out;
    },
  };
}

} // namespace weir
