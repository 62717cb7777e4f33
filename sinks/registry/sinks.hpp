// The one list of sinks, by spec `sink.type`. Adding a sink: its room under
// sinks/, one line in sinks.cpp, its type in the spec parser
// (jobs/spec_parser.cpp, parse_sink).
#pragma once

#include "sinks/sink.hpp"

namespace weir::sinks {

// The sink for the spec's `sink.type`. Makes no connection: sinks connect on
// their first write.
expected<std::unique_ptr<sink>> make_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
