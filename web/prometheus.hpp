// /metrics: the Prometheus text exposition (format 0.0.4) of one
// observed_cluster: per partition from the owners' reports, per job and
// worker from their sources' and sinks' metrics, per worker process, and the
// coordinator's own (checkpoints, recoveries, handoffs). Names and the Flink
// metric each matches: docs/operations.md.
#pragma once

#include "actors/observed.hpp"

#include <string>

namespace weir::web {

std::string exposition(const observed_cluster& c);

} // namespace weir::web
