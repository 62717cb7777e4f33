#include "runtime/assignment.hpp"

#include <algorithm>
#include <map>

namespace weir {

std::vector<std::string> rebalance(const std::vector<std::string>& owners,
                                   const std::vector<std::string>& workers) {
  std::vector<std::string> out(owners.size());
  if (workers.empty())
    return out;
  const size_t n = owners.size();
  const size_t w = workers.size();
  // Each worker may keep up to ceil(n/w); only `n % w` of them may hold that many.
  const size_t base = n / w;
  size_t extra_slots = n % w;
  std::map<std::string, std::vector<size_t>> held;
  for (const auto& id : workers)
    held[id];
  for (size_t p = 0; p < n; ++p)
    if (auto it = held.find(owners[p]); it != held.end())
      it->second.push_back(p);
  std::vector<size_t> orphans;
  for (const auto& id : workers) { // sorted order keeps the result deterministic
    auto& parts = held[id];
    size_t keep = std::min(parts.size(), base);
    if (parts.size() > base && extra_slots > 0) {
      ++keep;
      --extra_slots;
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      if (i < keep)
        out[parts[i]] = id;
      else
        orphans.push_back(parts[i]);
    }
    parts.resize(keep);
  }
  for (size_t p = 0; p < n; ++p)
    if (!held.count(owners[p]))
      orphans.push_back(p);
  std::sort(orphans.begin(), orphans.end());
  // Hand orphans to the least-loaded workers, ties by id.
  for (size_t p : orphans) {
    const std::string* best = nullptr;
    for (const auto& id : workers)
      if (!best || held[id].size() < held[*best].size())
        best = &id;
    held[*best].push_back(p);
    out[p] = *best;
  }
  return out;
}

} // namespace weir
