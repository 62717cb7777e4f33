// Window assignment. Time is milliseconds since the epoch; windows are half-open
// [start, end) and aligned to the epoch, so every worker assigns an event to
// the same window without coordination.
#pragma once

#include "jobs/spec.hpp"

namespace weir::jobs {

// The largest multiple of `unit` at or below `t` (also for t < 0): the
// start of the window of that size, or of the slice, containing t.
constexpr millis floor_to(millis t, millis unit) {
  millis r = t % unit;
  return r < 0 ? t - r - unit : t - r;
}

} // namespace weir::jobs
