#include "actors/coordinator/commits.hpp"

#include <algorithm>
#include <utility>

namespace weir::coordinator {

commit_policy commit_policy_of(const jobs::job_spec& spec) {
  return {std::max<std::uint32_t>(1, spec.sink.commit_every), spec.sink.commit_mb.value_or(0)
                                                                << 20};
}

namespace {

bool bytes_due(const commit_schedule& s, const commit_policy& p) {
  return p.bytes > 0 && s.pending_bytes >= p.bytes;
}

bool may_start(const commit_schedule& s) {
  return !s.running && !s.backing_off;
}

} // namespace

bool on_round_started(commit_schedule& s, const commit_policy& p) {
  ++s.rounds;
  return may_start(s) && s.moved && (s.rounds > p.every || bytes_due(s, p));
}

bool on_round_completed(commit_schedule& s, const commit_policy& p) {
  return may_start(s) && (s.rounds >= p.every || bytes_due(s, p));
}

void on_reported(commit_schedule& s, std::uint64_t listed_bytes) {
  s.moved = true;
  s.pending_bytes += listed_bytes;
}

void started(commit_schedule& s) {
  s.running = true;
  s.rounds = 0;
  s.moved = false;
  s.in_flight_bytes = std::exchange(s.pending_bytes, 0);
}

std::optional<std::chrono::milliseconds> on_finished(commit_schedule& s, bool ok) {
  s.running = false;
  if (ok) {
    s.failures = 0;
    s.in_flight_bytes = 0;
    return std::nullopt;
  }
  ++s.failures;
  s.pending_bytes += std::exchange(s.in_flight_bytes, 0);
  s.moved = true;
  s.backing_off = true;
  return commit_backoff(s.failures);
}

bool on_retry_due(commit_schedule& s) {
  s.backing_off = false;
  return !s.running;
}

std::chrono::milliseconds commit_backoff(int failures) {
  return std::chrono::seconds(std::min(60, 1 << std::clamp(failures - 1, 0, 6)));
}

} // namespace weir::coordinator
