// The job-wide watermark: how far results can be published when several
// partitions feed every window.
#pragma once

#include "jobs/windowed/window_operator.hpp"

#include <vector>

namespace weir::jobs {

struct partition_mark {
  millis watermark = no_time;
  bool idle = false;
};

// The lowest watermark among the non-idle partitions, once all `partitions`
// have reported; never below `published` (results, once out, stay out). An
// idle partition does not hold windows back, and an active one that has seen
// no event yet blocks. When every partition is idle (the topic went quiet,
// e.g. a backfill read to its end), the lowest watermark among those that saw
// events decides: no partition can add to a window its own watermark passed,
// so those windows are complete, and waiting for more input would hold them
// back forever.
inline millis job_watermark(const std::vector<partition_mark>& reports, size_t partitions,
                            millis published) {
  if (reports.size() < partitions)
    return published;
  millis active = no_time, quiet = no_time;
  bool any_active = false, any_quiet = false;
  for (const auto& r : reports) {
    if (!r.idle && r.watermark == no_time)
      return published;
    if (r.watermark == no_time)
      continue;
    auto& low = r.idle ? quiet : active;
    auto& any = r.idle ? any_quiet : any_active;
    low = any ? std::min(low, r.watermark) : r.watermark;
    any = true;
  }
  if (any_active)
    return std::max(published, active);
  return any_quiet ? std::max(published, quiet) : published;
}

// The watermark every partition has passed, idle ones included, once all
// `partitions` have reported one (no_time before). A window is final once
// its end plus the allowed lateness is at or below it: no partition can emit
// for it any more (its operator finds such events late). Publication does
// not wait for idle partitions (job_watermark); finality does, so a
// partition that only looked idle (a broker outage) and wakes with its
// backlog still merges with the partials kept.
inline millis final_mark(const std::vector<partition_mark>& reports, size_t partitions) {
  if (reports.size() < partitions)
    return no_time;
  millis low = no_time;
  for (const auto& r : reports) {
    if (r.watermark == no_time)
      return no_time;
    low = low == no_time ? r.watermark : std::min(low, r.watermark);
  }
  return low;
}

inline bool is_final(millis end, millis lateness, millis mark) {
  return mark != no_time && end + lateness <= mark;
}

} // namespace weir::jobs
