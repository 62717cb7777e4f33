// The job-wide watermark: how far results can be published when several
// partitions feed every window.
#pragma once

#include "jobs/window_operator.hpp"

#include <vector>

namespace weir::jobs {

struct partition_mark {
  millis watermark = no_time;
  bool idle = false;
};

// The lowest watermark among the non-idle partitions, once all `partitions`
// have reported; never below `published` (results, once out, stay out). An
// idle partition does not hold windows back; if every partition is idle, or
// an active one has seen no event yet, nothing advances.
inline millis job_watermark(const std::vector<partition_mark>& reports, size_t partitions,
                            millis published) {
  if (reports.size() < partitions)
    return published;
  millis low = no_time;
  bool any_active = false;
  for (const auto& r : reports) {
    if (r.idle)
      continue;
    if (r.watermark == no_time)
      return published;
    low = any_active ? std::min(low, r.watermark) : r.watermark;
    any_active = true;
  }
  return any_active ? std::max(published, low) : published;
}

} // namespace weir::jobs
