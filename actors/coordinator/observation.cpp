#include "actors/coordinator/observation.hpp"

#include "actors/coordinator/schedule.hpp"
#include "base/logging.hpp"
#include "sinks/registry/commits.hpp"

#include <algorithm>

WEIR_LOG_MODULE("coordinator");

namespace weir::coordinator {

namespace {

// A rate older than this is no rate any more (its owner stopped reporting).
constexpr std::int64_t rate_fresh_ms = 10'000;

void update_rate(job_record::rate& rate, std::uint64_t events, std::int64_t now_ms) {
  if (rate.at_ms > 0 && now_ms > rate.at_ms && events >= rate.events)
    rate.per_second =
      static_cast<double>(events - rate.events) * 1000.0 / static_cast<double>(now_ms - rate.at_ms);
  rate.events = events;
  rate.at_ms = now_ms;
}

double fresh_rate(const job_record& job, partition_id p, std::int64_t now_ms) {
  auto r = job.rates.find(p);
  return r != job.rates.end() && now_ms - r->second.at_ms < rate_fresh_ms ? r->second.per_second
                                                                          : 0;
}

// Why each partition of `job` stopped, "" where it did not.
std::vector<std::string> failures(const job_record& job) {
  std::vector<std::string> out(job.partition_count());
  for (const auto& [p, why] : job.failed)
    if (static_cast<size_t>(p) < out.size())
      out[static_cast<size_t>(p)] = why;
  if (job.stopped())
    std::fill(out.begin(), out.end(), "job stopped: " + job.data.stopped);
  return out;
}

partition_phase phase_of(const job_record& job, const membership& members,
                         const std::string& job_id, partition_id p, bool failed) {
  const auto& owner = job.owner(p);
  const auto* m = members.find(owner);
  const auto* pr = latest(members, job_id, job, p);
  using ps = partition_phase;
  return job.stopped()            ? ps::stopped
         : owner.empty() || !m    ? ps::unassigned
         : failed                 ? ps::failed
         : pr                     ? (pr->idle ? ps::idle : ps::reading)
         : m->last_report_ms == 0 ? ps::assigned
                                  : ps::restoring;
}

observed_job observe_job(const std::string& id, const job_record& job, const membership& members,
                         std::int64_t now_ms) {
  observed_job oj;
  oj.id = id;
  oj.spec_text = job.data.spec_text;
  oj.submitted_ms = job.submitted_ms;
  oj.restarts = job.restarts;
  oj.checkpoints_failed = job.checkpoints_failed;
  oj.rounds.assign(job.rounds.begin(), job.rounds.end());
  oj.history.assign(job.history.begin(), job.history.end());
  oj.last_run = job.data.last_run;
  oj.stopped = job.data.stopped;
  if (sinks::commits_at_checkpoints(job.spec))
    oj.lake = job.lake;
  oj.kind = job.kind().name();
  oj.runs = !job.partitioned();
  if (!oj.runs)
    oj.topic = job.kind().reads(job.spec);
  oj.sink = job.kind().writes(job.spec);
  const auto failed = failures(job);
  for (size_t p = 0; p < job.partition_count(); ++p) {
    const auto part = static_cast<partition_id>(p);
    observed_partition op;
    op.owner = job.data.owners[p];
    op.failed = failed[p];
    op.checkpoint = job.data.checkpoints[p];
    if (const auto* pr = latest(members, id, job, part))
      op.report = *pr;
    op.records_per_second = fresh_rate(job, part, now_ms);
    oj.partitions.push_back(std::move(op));
  }
  for (const auto& [name, m] : members.all())
    for (const auto& jr : m.report.jobs)
      if (jr.job == id) {
        oj.source_metrics.emplace_back(name, jr.source);
        oj.sink_metrics.emplace_back(name, jr.sink);
      }
  return oj;
}

} // namespace

const partition_report* latest(const membership& members, const std::string& job_id,
                               const job_record& job, partition_id p) {
  const auto* m = members.find(job.owner(p));
  if (!m)
    return nullptr;
  for (const auto& jr : m->report.jobs)
    if (jr.job == job_id)
      for (const auto& pr : jr.partitions)
        if (pr.partition == p)
          return &pr;
  return nullptr;
}

void observation::worker_lost(const std::string& name, const catalog& jobs, std::int64_t now_ms) {
  for (const auto& [job_id, job] : jobs) {
    if (job.stopped())
      continue;
    recovery r{job_id, name, now_ms, {}, 0, 0};
    for (size_t p = 0; p < job.partition_count(); ++p)
      if (job.data.owners[p] == name && !job.failed.count(static_cast<partition_id>(p)))
        r.waiting.insert(static_cast<partition_id>(p));
    r.partitions = r.waiting.size();
    if (!r.waiting.empty() && recoveries_.size() < max_recoveries)
      recoveries_.push_back(std::move(r));
  }
}

void observation::job_cancelled(const std::string& job_id) {
  std::erase_if(recoveries_, [&](const recovery& r) { return r.job == job_id; });
}

void observation::reading(const std::string& job_id, const std::string& name,
                          const partition_report& pr) {
  for (auto& r : recoveries_)
    if (r.job == job_id && r.waiting.count(pr.partition) && !pr.failed
        && (name != r.worker || pr.owned_since_ms >= r.lost_ms)) {
      r.waiting.erase(pr.partition);
      r.last_ms = std::max(r.last_ms, pr.owned_since_ms);
    }
}

void observation::finish_recoveries(catalog& jobs, coordinator_metrics& metrics,
                                    std::int64_t now_ms) {
  for (auto it = recoveries_.begin(); it != recoveries_.end();) {
    if (!it->waiting.empty()) {
      ++it;
      continue;
    }
    const auto took = std::max<std::int64_t>(0, it->last_ms - it->lost_ms);
    metrics.recoveries.inc();
    metrics.recovery_duration.observe(static_cast<double>(took) / 1000.0);
    if (auto j = jobs.find(it->job); j != jobs.end())
      ++j->second.restarts;
    WEIR_INFO("job {}: the {} partition(s) of lost worker {} read again elsewhere after {} ms",
              it->job, it->partitions, it->worker, took);
    events.record(cluster_event_kind::recovery, it->job, it->worker,
                  std::to_string(it->partitions) + " partition(s) of lost worker " + it->worker
                    + " reading again",
                  now_ms, took);
    it = recoveries_.erase(it);
  }
}

void observation::take_report(catalog& jobs, membership& members, const std::string& name,
                              worker_report report, std::int64_t now_ms,
                              coordinator_metrics& metrics) {
  if (!members.contains(name))
    return;
  for (const auto& jr : report.jobs) {
    auto j = jobs.find(jr.job);
    if (j == jobs.end())
      continue;
    auto& job = j->second;
    if (!jr.partitions.empty())
      job.failing.erase(name); // it runs the job again
    for (const auto& pr : jr.partitions) {
      if (job.owner(pr.partition) != name)
        continue;
      // Reading again after its worker failed the job (a partition the source
      // itself stopped reports `failed` and stays marked).
      if (!pr.failed)
        job.failed.erase(pr.partition);
      update_rate(job.rates[pr.partition], pr.events, now_ms);
      reading(jr.job, name, pr);
    }
    for (const auto& h : jr.handoffs) {
      metrics.handoffs.inc();
      metrics.handoff_pause.observe(static_cast<double>(h.pause_ms) / 1000.0);
      events.record(cluster_event_kind::handoff, jr.job, name,
                    "partition " + std::to_string(h.partition) + " moved here, paused "
                      + std::to_string(h.pause_ms) + " ms",
                    now_ms, h.pause_ms);
    }
  }
  finish_recoveries(jobs, metrics, now_ms);
  members.take_report(name, std::move(report), now_ms);
}

void observation::sample(catalog& jobs, const membership& members, std::int64_t now_ms) const {
  for (auto& [id, job] : jobs) {
    if (!job.partitioned())
      continue;
    job_sample s;
    s.at_ms = now_ms;
    for (size_t p = 0; p < job.partition_count(); ++p) {
      const auto part = static_cast<partition_id>(p);
      s.records_per_second += fresh_rate(job, part, now_ms);
      const auto* pr = latest(members, id, job, part);
      if (!pr)
        continue;
      if (pr->high_watermark >= 0)
        s.lag_records +=
          static_cast<double>(std::max<offset_t>(0, pr->high_watermark - pr->next_offset));
      if (!pr->idle && pr->watermark != no_watermark)
        s.watermark_lag_ms =
          std::max(s.watermark_lag_ms, static_cast<double>(now_ms - pr->watermark));
    }
    job.history.push_back(s);
    if (job.history.size() > samples_kept)
      job.history.pop_front();
  }
}

cluster_status observation::status(const catalog& jobs, const membership& members) const {
  cluster_status out;
  for (const auto& [name, m] : members.all())
    out.workers.push_back({name, m.info, m.draining});
  for (const auto& [id, job] : jobs) {
    if (!job.partitioned()) {
      out.jobs.push_back({id, job.kind().reads(job.spec), job.kind().writes(job.spec), {}, 0});
      continue;
    }
    job_status js{id,
                  job.kind().reads(job.spec),
                  job.spec.sink.table,
                  {},
                  job.restarts + job.failed_starts};
    const auto failed = failures(job);
    for (size_t p = 0; p < job.partition_count(); ++p)
      js.partitions.push_back(
        {job.data.owners[p], failed[p],
         phase_of(job, members, id, static_cast<partition_id>(p), !failed[p].empty())});
    out.jobs.push_back(std::move(js));
  }
  return out;
}

cluster_view observation::observe(const catalog& jobs, const membership& members,
                                  const coordinator_metrics& metrics, bool secret,
                                  std::int64_t now_ms) const {
  auto out = std::make_shared<observed_cluster>();
  out->now_ms = now_ms;
  out->secret = secret;
  for (const auto& [name, m] : members.all())
    out->workers.push_back({name, m.info, m.draining, m.last_report_ms, m.report, m.cpu_percent});
  for (const auto& [id, job] : jobs)
    out->jobs.push_back(observe_job(id, job, members, now_ms));
  out->events.assign(events.events().begin(), events.events().end());
  out->coordinator = metrics.take();
  return out;
}

} // namespace weir::coordinator
