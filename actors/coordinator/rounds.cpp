#include "actors/coordinator/rounds.hpp"

#include <algorithm>
#include <set>

namespace weir::coordinator {

std::optional<round_start> checkpoint_rounds::start(const std::string& job_id, job_record& job,
                                                    const membership& members, std::int64_t now_ms,
                                                    coordinator_metrics& metrics,
                                                    event_log& events) {
  const auto id = next_++;
  metrics.checkpoint_rounds.inc();
  if (job.stopped())
    return std::nullopt;
  for (auto& r : job.rounds)
    if (r.outcome == round_outcome::in_progress) {
      r.outcome = round_outcome::failed;
      metrics.checkpoints_failed.inc();
      ++job.checkpoints_failed;
      events.record(cluster_event_kind::checkpoint_failed, job_id, {},
                    "checkpoint " + std::to_string(r.id) + ": " + std::to_string(r.reported)
                      + " of " + std::to_string(r.partitions)
                      + " partitions stored before the next round",
                    now_ms);
    }
  checkpoint_record rec;
  rec.id = id;
  rec.started_ms = now_ms;
  for (size_t p = 0; p < job.partition_count(); ++p)
    rec.partitions +=
      members.contains(job.data.owners[p]) && !job.failed.count(static_cast<partition_id>(p));
  if (rec.partitions > 0) {
    job.rounds.push_back(rec);
    if (job.rounds.size() > kept)
      job.rounds.pop_front();
  }
  round_start out;
  out.id = id;
  for (const auto& pc : job.data.checkpoints)
    out.pointed.push_back(pc.id);
  for (const auto& name : job.owners())
    if (members.contains(name))
      out.owners.push_back(name);
  return out;
}

bool checkpoint_rounds::report(job_record& job, const std::string& name, round_id id,
                               const std::vector<partition_checkpoint>& parts, std::int64_t now_ms,
                               coordinator_metrics& metrics) {
  auto& data = job.data;
  auto round = std::find_if(job.rounds.begin(), job.rounds.end(),
                            [id](const checkpoint_record& r) { return r.id == id; });
  bool changed = false;
  for (const auto& pc : parts) {
    if (pc.partition < 0 || static_cast<size_t>(pc.partition) >= job.partition_count()
        || job.owner(pc.partition) != name)
      continue;
    auto& kept = data.checkpoints[static_cast<size_t>(pc.partition)];
    if (pc.id <= kept.id)
      continue;
    if (pc.offset > kept.offset) // it reads again
      job.failed.erase(pc.partition);
    kept = pc;
    changed = true;
    on_reported(job.commits, pc.listed);
    metrics.checkpoint_reports.inc();
    if (round == job.rounds.end() || round->outcome != round_outcome::in_progress)
      continue;
    round->bytes += pc.bytes;
    if (++round->reported >= round->partitions) {
      round->outcome = round_outcome::completed;
      round->finished_ms = now_ms;
      metrics.checkpoints_completed.inc();
      metrics.checkpoint_duration.observe(
        static_cast<double>(round->finished_ms - round->started_ms) / 1000.0);
    }
  }
  return changed;
}

coordinator_snapshot checkpoint_rounds::snapshot(const catalog& jobs) const {
  coordinator_snapshot snap;
  snap.next_checkpoint = next_;
  for (const auto& [id, job] : jobs)
    snap.jobs.emplace(id, job.data);
  return snap;
}

} // namespace weir::coordinator
