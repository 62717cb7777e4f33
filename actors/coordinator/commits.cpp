#include "actors/coordinator/commits.hpp"

#include <algorithm>
#include <utility>

namespace weir::coordinator {

commit_policy commit_policy_of(const jobs::job_spec& spec) {
  return {std::max<std::uint32_t>(1, spec.sink.commit_every), spec.sink.commit_mb.value_or(0) << 20,
          spec.sink.orphan_age};
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

void on_failure(commit_schedule& s, std::int64_t now_ms) {
  s.last_failure_ms = std::max(s.last_failure_ms, now_ms);
  if (s.sweep_wanted_ms == 0)
    s.sweep_wanted_ms = now_ms;
}

std::optional<std::int64_t> sweep_due(const commit_schedule& s, const commit_policy& p,
                                      std::int64_t now_ms, std::int64_t round_started_ms) {
  if (s.sweep_wanted_ms == 0 || round_started_ms <= 0
      || now_ms < s.sweep_wanted_ms + p.orphan_age_ms
      || (s.last_sweep_ms > 0 && now_ms < s.last_sweep_ms + p.orphan_age_ms))
    return std::nullopt;
  return std::min(now_ms - p.orphan_age_ms, round_started_ms);
}

void started(commit_schedule& s, std::optional<std::int64_t> sweep_before_ms) {
  s.sweeping = sweep_before_ms;
  s.running = true;
  s.rounds = 0;
  s.moved = false;
  s.in_flight_bytes = std::exchange(s.pending_bytes, 0);
}

std::optional<std::chrono::milliseconds> on_finished(commit_schedule& s, bool ok, bool swept,
                                                     std::int64_t now_ms) {
  s.running = false;
  if (auto before = std::exchange(s.sweeping, std::nullopt); before && ok && swept) {
    // Files a failure after the cutoff left may be younger: another sweep.
    s.last_sweep_ms = now_ms;
    s.sweep_wanted_ms = s.last_failure_ms >= *before ? s.last_failure_ms : 0;
  }
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
