// Window assignment. Time is milliseconds since the epoch; windows are half-open
// [start, end) and aligned to the epoch, so every worker assigns an event to
// the same window without coordination.
#pragma once

#include "jobs/spec.hpp"

namespace weir::jobs {

// Start of the tumbling window of `size` containing `t` (floor, also for t < 0).
constexpr millis tumbling_start(millis t, millis size) {
  millis r = t % size;
  return r < 0 ? t - r - size : t - r;
}

} // namespace weir::jobs
