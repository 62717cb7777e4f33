#include "actors/coordinator/placement.hpp"

#include "runtime/assignment.hpp"

#include <algorithm>

namespace weir::coordinator {

move_plan placement::rebalance(const std::string& job_id, job_record& job,
                               const membership& members) {
  move_plan plan;
  if (recovering || !job.partitioned() || job.stopped())
    return plan;
  auto before = job.data.owners;
  job.data.owners = weir::rebalance(before, members.placeable());
  for (size_t p = 0; p < before.size(); ++p) {
    if (before[p] == job.data.owners[p])
      continue;
    plan.changed = true;
    if (members.contains(before[p]))
      plan.releases[before[p]].push_back(static_cast<partition_id>(p));
    if (!job.data.owners[p].empty())
      plan.start_now.insert(job.data.owners[p]);
  }
  for (const auto& [from, parts] : plan.releases) {
    ++releasing_[from];
    for (auto p : parts)
      in_release_[{job_id, p}].insert(from);
    plan.start_now.erase(from); // it hears once, with its releases
  }
  return plan;
}

std::vector<partition_checkpoint> placement::startable(const std::string& job_id,
                                                       const job_record& job,
                                                       const std::string& name) const {
  auto parts = job.partitions_of(name);
  std::erase_if(parts, [&](const partition_checkpoint& pc) {
    auto r = in_release_.find({job_id, pc.partition});
    return r != in_release_.end()
           && std::any_of(r->second.begin(), r->second.end(),
                          [&](const std::string& from) { return from != name; });
  });
  return parts;
}

std::set<std::string> placement::released(const std::string& job_id, const job_record* job,
                                          const std::string& from,
                                          const std::vector<partition_id>& parts) {
  if (auto r = releasing_.find(from); r != releasing_.end() && --r->second == 0)
    releasing_.erase(r);
  std::set<std::string> tell;
  for (auto p : parts) {
    auto r = in_release_.find({job_id, p});
    if (r == in_release_.end())
      continue;
    if (auto one = r->second.find(from); one != r->second.end())
      r->second.erase(one);
    if (!r->second.empty())
      continue;
    in_release_.erase(r);
    if (job && !job->owner(p).empty() && job->owner(p) != from)
      tell.insert(job->owner(p));
  }
  return tell;
}

std::vector<std::string> placement::drained(const membership& members, const catalog& jobs) const {
  std::vector<std::string> out;
  for (const auto& [name, m] : members.all()) {
    if (!m.draining || releasing(name))
      continue;
    bool holds = false;
    for (const auto& [id, job] : jobs)
      holds |=
        !job.stopped()
        && std::find(job.data.owners.begin(), job.data.owners.end(), name) != job.data.owners.end();
    if (!holds)
      out.push_back(name);
  }
  return out;
}

void placement::forget(const std::string& job_id) {
  std::erase_if(in_release_, [&](const auto& r) { return r.first.first == job_id; });
}

} // namespace weir::coordinator
