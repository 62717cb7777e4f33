// The coordinator's log of what happened to the cluster, for the operator
// (web/: /api/v1/events, the dashboard); bounded, newest first.
#pragma once

#include "actors/observed.hpp"

#include <cstdint>
#include <deque>
#include <string>

namespace weir::coordinator {

class event_log {
public:
  static constexpr std::size_t capacity = 200;

  void record(cluster_event_kind kind, std::string job, std::string worker, std::string message,
              std::int64_t now_ms, std::int64_t duration_ms = -1) {
    events_.push_front(
      {now_ms, kind, std::move(job), std::move(worker), std::move(message), duration_ms});
    if (events_.size() > capacity)
      events_.pop_back();
  }

  const std::deque<cluster_event>& events() const { return events_; }

private:
  std::deque<cluster_event> events_;
};

} // namespace weir::coordinator
