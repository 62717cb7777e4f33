// sink.type blackhole (SQL connector = 'blackhole'): takes what any job
// emits, window results or every event, counts the rows and discards them,
// as Flink's blackhole connector does. For benchmarks (the job's cost
// without a store's) and dry runs of a spec. The rows show in the sink's
// counters (weir_sink_rows_total on /metrics); each batch is acked at once,
// so checkpoints and handoffs run as with any sink.
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

expected<std::unique_ptr<sink>> make_blackhole_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
