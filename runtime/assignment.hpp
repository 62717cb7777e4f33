// Partition assignment: which worker owns which partition of a job. Kafka
// partitions are the unit of parallelism and of state, so the goal is balance
// with the fewest moves: a partition whose owner is alive stays unless its
// owner holds more than its share.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weir {

// `owners[p]` is the current owner of partition p ("" if none). Returns the new
// owners over `workers` (sorted ids of live workers; empty -> all unowned).
// Deterministic: the same inputs give the same answer.
std::vector<std::string> rebalance(const std::vector<std::string>& owners,
                                   const std::vector<std::string>& workers);

} // namespace weir
