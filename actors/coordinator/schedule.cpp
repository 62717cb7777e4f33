#include "actors/coordinator/schedule.hpp"

#include "jobs/generators.hpp"

#include <algorithm>

namespace weir::coordinator {

std::optional<std::chrono::milliseconds> checkpoint_delay(const jobs::job_spec& spec) {
  if (spec.checkpoints.url.empty())
    return std::nullopt;
  return std::chrono::milliseconds(spec.checkpoints.interval);
}

std::string due_run(jobs::millis every, std::int64_t now_ms) {
  std::string out;
  jobs::append_iso8601(out, now_ms - now_ms % every);
  return out.substr(0, 19) + "Z"; // whole seconds
}

std::chrono::milliseconds until_next_run(jobs::millis every, std::int64_t now_ms) {
  return std::chrono::milliseconds(every - now_ms % every + 1);
}

std::chrono::milliseconds run_timeout(jobs::millis every) {
  return std::chrono::milliseconds(std::max<jobs::millis>(60'000, every));
}

std::chrono::seconds restart_backoff(int failures) {
  return std::chrono::seconds(std::min(60, 1 << std::min(failures, 6)));
}

} // namespace weir::coordinator
